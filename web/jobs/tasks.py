"""Job functions: push the app context, call one service, commit, log failures and carry on."""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask

from web.extensions import db
from web.services import login_throttle, matching
from web.services.booking import sweeps
from web.transaction import transaction

logger = logging.getLogger(__name__)


def _run(app: Flask, name: str, work: Callable[[], object]) -> None:
    """Run one job's work as one unit of work; a failure is logged with its traceback and the scheduler goes on."""
    with app.app_context():
        try:
            with transaction():
                work()
        except Exception:  # a job wrapper: log with the traceback and carry on
            logger.exception("job %s failed", name)
        finally:
            db.session.remove()


def refit_matching_index(app: Flask) -> None:
    """Refit the matching index on all current rows and persist it (new words get weights)."""
    _run(app, "refit_matching_index", matching.rebuild_index)


def purge_login_counters(app: Flask) -> None:
    """Delete login-failure counters that have been quiet for a day and hold no lock."""

    def purge() -> None:
        logger.info("purged %d quiet login counters", login_throttle.purge_stale())

    _run(app, "purge_login_counters", purge)


def _sweep(app: Flask, name: str) -> None:
    """Run one booking sweeper (web/services/booking/sweeps.py) at the current time and log what it did."""

    def work() -> None:
        done = sweeps.SWEEPS[name]()
        if done:
            logger.info("job %s: %d done", name, done)

    _run(app, name, work)


def remind_requests(app: Flask) -> None:
    """Remind experts of pending requests whose reminder business day has come."""
    _sweep(app, "remind_requests")


def expire_requests(app: Flask) -> None:
    """Expire pending requests past their deadline; the issue returns to matching."""
    _sweep(app, "expire_requests")


def remind_visits(app: Flask) -> None:
    """Remind both sides of visits on the business day before."""
    _sweep(app, "remind_visits")


def nudge_reports(app: Flask) -> None:
    """Ask experts for the report two business days after a visit without one."""
    _sweep(app, "nudge_reports")


def remind_reconfirmation(app: Flask) -> None:
    """Remind experts whose profile soon stops being recommended for want of reconfirmation."""
    _sweep(app, "remind_reconfirmation")
