"""Background jobs and the matcher CLI."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from web.extensions import db
from web.jobs import tasks
from web.jobs.scheduler import build_scheduler
from web.models import LoginThrottle
from web.models.base import utcnow
from web.services import matching


def test_refit_job_installs_a_fresh_index(app, make_expert):
    make_expert()
    tasks.refit_matching_index(app)
    with app.app_context():
        assert matching._holder(app).matcher is not None


def test_refit_job_logs_and_survives_a_failure(app, caplog, monkeypatch):
    def boom() -> None:
        raise RuntimeError("disk full")
    monkeypatch.setattr(matching, "rebuild_index", boom)
    tasks.refit_matching_index(app)
    assert "job refit_matching_index failed" in caplog.text


def test_scheduler_registers_its_jobs_with_stable_ids(app):
    jobs = build_scheduler(app).get_jobs()
    assert sorted(job.id for job in jobs) == ["expire_requests", "nudge_reports", "purge_login_counters",
                                              "refit_matching_index", "remind_reconfirmation", "remind_requests",
                                              "remind_visits"]
    assert all(job.coalesce and job.max_instances == 1 for job in jobs)


def test_building_the_scheduler_twice_replaces_the_jobs_instead_of_doubling_them(app):
    scheduler = build_scheduler(app)
    scheduler.start(paused=True)  # the job store applies replace_existing once started
    try:
        build_scheduler(app, scheduler)
        assert len(scheduler.get_jobs()) == 7
    finally:
        scheduler.shutdown(wait=False)


def test_purge_job_deletes_quiet_counters_and_keeps_recent_and_locked_ones(app):
    now = utcnow()
    with app.app_context():
        db.session.add_all([
            LoginThrottle(key="quiet", failed_count=3, last_failed_at=now - timedelta(days=2)),
            LoginThrottle(key="recent", failed_count=1, last_failed_at=now - timedelta(hours=1)),
            LoginThrottle(key="locked", failed_count=9, last_failed_at=now - timedelta(days=2),
                          locked_until=now + timedelta(minutes=5)),
            LoginThrottle(key="reset", failed_count=0),
        ])
        db.session.commit()
    tasks.purge_login_counters(app)
    with app.app_context():
        assert sorted(db.session.scalars(select(LoginThrottle.key))) == ["locked", "recent"]


def test_matcher_rebuild_command_reports_counts(app, make_expert):
    make_expert()
    result = app.test_cli_runner().invoke(args=["matcher", "rebuild"])
    assert result.exit_code == 0 and "人材 1人" in result.output


def test_scheduler_never_starts_in_tests(app):
    assert "scheduler" not in app.extensions
