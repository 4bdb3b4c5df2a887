"""One BackgroundScheduler per deployment (run it in one process only: see README)."""
from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from web.jobs import tasks


def build_scheduler(app: Flask, scheduler: BackgroundScheduler | None = None) -> BackgroundScheduler:
    """Return a scheduler with every job registered under a stable id."""
    scheduler = scheduler or BackgroundScheduler(timezone="Asia/Tokyo")
    scheduler.add_job(tasks.refit_matching_index, "interval", args=[app], id="refit_matching_index",
                      minutes=app.config["MATCHER_REFIT_MINUTES"], replace_existing=True, coalesce=True,
                      max_instances=1)
    scheduler.add_job(tasks.purge_login_counters, "cron", args=[app], id="purge_login_counters", hour=3,
                      minute=30, replace_existing=True, coalesce=True, max_instances=1)
    # Booking sweepers (web/services/booking/sweeps.py): each finds what is due and is idempotent through state
    # columns, so a late, repeated or doubled run sends nothing twice.
    every = {"remind_requests": {"minutes": 10}, "expire_requests": {"minutes": 10},
             "remind_visits": {"hours": 1}, "nudge_reports": {"hours": 1}}
    for job_id, interval in every.items():
        scheduler.add_job(getattr(tasks, job_id), "interval", args=[app], id=job_id, replace_existing=True,
                          coalesce=True, max_instances=1, **interval)
    scheduler.add_job(tasks.remind_reconfirmation, "cron", args=[app], id="remind_reconfirmation", hour=9,
                      minute=15, replace_existing=True, coalesce=True, max_instances=1)
    return scheduler


def init_scheduler(app: Flask) -> None:
    """Start the scheduler in this process when SCHEDULER_ENABLED is set (never in tests)."""
    if not app.config["SCHEDULER_ENABLED"] or app.testing:
        return
    scheduler = build_scheduler(app)
    app.extensions["scheduler"] = scheduler
    scheduler.start()
