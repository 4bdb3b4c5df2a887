"""Job functions: push the app context, call one service, commit, log failures and carry on."""
from __future__ import annotations

import logging

from flask import Flask

from web.extensions import db
from web.services import matching
from web.transaction import transaction

logger = logging.getLogger(__name__)


def refit_matching_index(app: Flask) -> None:
    """Refit the matching index on all current rows and persist it (new words get weights)."""
    with app.app_context():
        try:
            with transaction():
                matching.rebuild_index()
        except Exception:  # a job wrapper: log with the traceback and carry on
            logger.exception("refit of the matching index failed")
        finally:
            db.session.remove()
