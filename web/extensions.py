"""Flask extensions, created unbound and attached in create_app()."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect

from web.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=str(Path(__file__).resolve().parent / "migrations"), render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
talisman = Talisman()
mail = Mail()
logger = logging.getLogger(__name__)


def password_attempt_limit() -> str:
    """The per-IP limit of failed password entries (RATELIMIT_LOGIN, read per request)."""
    return str(current_app.config["RATELIMIT_LOGIN"])


def signup_limit() -> str:
    """The per-IP limit of expert sign-ups (RATELIMIT_SIGNUP, read per request)."""
    return str(current_app.config["RATELIMIT_SIGNUP"])


#: The WSGI environ key services.login_throttle sets on a request whose password check failed (on the request,
#: not on g: an app context may outlive one request).
PASSWORD_FAILED = "dxmatch.password_failed"


def _password_failed(response: Response) -> bool:
    return bool(request.environ.get(PASSWORD_FAILED))


# The login form and the token endpoint draw on ONE per-IP budget, and only failures are deducted
# (services.login_throttle flags them): a town hall's staff behind one address never lock each other out.
def password_failure_limit_for(*methods: str) -> Any:
    """Return the decorator that puts a view's password checks on the shared per-IP budget of failures."""
    return limiter.shared_limit(password_attempt_limit, scope="password-failures", methods=list(methods),
                                deduct_when=_password_failed)


password_failure_limit = password_failure_limit_for("POST")


def init_limiter(app: Flask) -> None:
    """Attach the limiter, warning when per-process counters would be split across workers."""
    limiter.init_app(app)
    uri = str(app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
    if uri.startswith("memory://") and not (app.debug or app.testing) and _several_workers_likely():
        logger.warning(
            "RATELIMIT_STORAGE_URI is memory://: each worker process counts per-IP limits on its own%s. "
            "With several workers or hosts set RATELIMIT_STORAGE_URI=redis://HOST:6379/0 (see README, "
            "'Login throttling'); the per-account lock is kept in the database either way.",
            _worker_hint(),
        )


def _several_workers_likely() -> bool:
    """Tell whether this process is probably one of several workers (a pre-forking server, or WEB_CONCURRENCY > 1).

    CLI commands (`flask seed`, `flask db upgrade`) and `flask run` are one process: no warning there.
    """
    if any(server in sys.modules for server in ("gunicorn", "uwsgi", "waitress", "mod_wsgi")):
        return True
    concurrency = os.environ.get("WEB_CONCURRENCY", "").strip()
    return bool(os.environ.get("GUNICORN_CMD_ARGS")) or (concurrency.isdigit() and int(concurrency) > 1)


def _worker_hint() -> str:
    """Describe what suggests several workers (gunicorn sets SERVER_SOFTWARE; WEB_CONCURRENCY, GUNICORN_CMD_ARGS)."""
    found = [f"{name}={os.environ[name]}" for name in ("SERVER_SOFTWARE", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS")
             if os.environ.get(name)]
    return f" (detected {', '.join(found)})" if found else ""
