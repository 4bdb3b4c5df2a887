"""Flask extensions, created unbound and attached in create_app()."""
from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
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


def password_attempt_limit() -> str:
    """The rate limit of everything that checks a password (RATELIMIT_LOGIN, read per request)."""
    return str(current_app.config["RATELIMIT_LOGIN"])
talisman = Talisman()
