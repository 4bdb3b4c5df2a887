"""Background jobs and the matcher CLI."""
from __future__ import annotations

from web.jobs import tasks
from web.jobs.scheduler import build_scheduler
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
    assert "refit of the matching index failed" in caplog.text


def test_scheduler_registers_the_refit_job_with_a_stable_id(app):
    assert [job.id for job in build_scheduler(app).get_jobs()] == ["refit_matching_index"]


def test_matcher_rebuild_command_reports_counts(app, make_expert):
    make_expert()
    result = app.test_cli_runner().invoke(args=["matcher", "rebuild"])
    assert result.exit_code == 0 and "人材 1人" in result.output


def test_scheduler_never_starts_in_tests(app):
    assert "scheduler" not in app.extensions
