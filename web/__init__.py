"""Application factory."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response

from web.config import Config, check_booking_settings, check_progress_settings, load_or_create_secret_key
from web.extensions import csrf, db, init_limiter, login_manager, mail, migrate, talisman

CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application; `config` overrides the environment-driven defaults."""
    app = Flask(__name__, instance_relative_config=True)
    register_input_boundary(app)
    load_config(app, config)
    trust_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_shellcontext(app)
    configure_logging(app)
    init_scheduler(app)
    return app


def register_input_boundary(app: Flask) -> None:
    """Bound row ids in URLs and refuse NUL in requests (before any blueprint is registered)."""
    from web.boundary import init_boundary

    init_boundary(app)


def load_config(app: Flask, config: type[Config] | Mapping[str, Any] | None) -> None:
    """Load Config, then the override, then fill the instance-folder defaults."""
    app.config.from_object(Config)
    if isinstance(config, Mapping):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    check_booking_settings(app.config)
    check_progress_settings(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'dxmatch.sqlite3'}"


def trust_proxies(app: Flask) -> None:
    """Read the client IP from X-Forwarded-For when PROXY_FIX_X_FOR trusted proxies sit in front."""
    hops = app.config["PROXY_FIX_X_FOR"]
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    """Attach the unbound extensions to this app."""
    import web.models  # noqa: F401  (registers every table on the metadata)
    from web.auth.session import init_login

    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    init_limiter(app)
    init_login(app, login_manager)
    init_mail(app)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        strict_transport_security_max_age=31536000,
    )


def init_mail(app: Flask) -> None:
    """Attach Flask-Mailman; warn when mail falls back to stdout because no mail server was configured."""
    mail.init_app(app)
    defaulted = app.config.get("MAIL_BACKEND_DEFAULTED", False)
    if app.config["MAIL_BACKEND"] == "console" and defaulted and not (app.debug or app.testing):
        logging.getLogger(__name__).warning(
            "MAIL_BACKEND is console: mail is printed to stdout, not sent. Set MAIL_SERVER (README, Configuration).")


def register_blueprints(app: Flask) -> None:
    """Mount every blueprint."""
    from web.admin import bp as admin_bp
    from web.api import init_api
    from web.auth import bp as auth_bp
    from web.booking import bp as booking_bp
    from web.calendar import bp as calendar_bp
    from web.coordinator import bp as coordinator_bp
    from web.experts import bp as experts_bp
    from web.issues import bp as issues_bp
    from web.main import bp as main_bp
    from web.matches import bp as matches_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(issues_bp, url_prefix="/issues")
    app.register_blueprint(experts_bp, url_prefix="/experts")
    app.register_blueprint(matches_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(booking_bp)
    app.register_blueprint(coordinator_bp)
    init_api(app)


def register_errorhandlers(app: Flask) -> None:
    """Render Japanese error pages."""
    from web.errors import init_errors

    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    """Expose date filters and code labels to templates."""
    from web import codes
    from web.dates import (
        format_date,
        format_date_weekday,
        format_datetime_weekday,
        format_fiscal_year,
        format_wareki,
    )

    app.context_processor(_unread_notifications)
    app.after_request(_no_store_when_logged_in)
    app.add_template_filter(format_date, "jpdate")
    app.add_template_filter(format_date_weekday, "jpdate_weekday")
    app.add_template_filter(format_datetime_weekday, "datetime_jst")
    app.add_template_filter(format_wareki, "wareki")
    app.add_template_filter(format_fiscal_year, "fiscal_year")
    app.jinja_env.globals["codes"] = codes


def _unread_notifications() -> dict[str, int]:
    from flask_login import current_user

    from web.services.notifications import unread_count

    return {"unread_notifications": unread_count(current_user) if current_user.is_authenticated else 0}


def _no_store_when_logged_in(response: Response) -> Response:
    """Keep signed-in pages (contact details, other towns' data) out of shared caches and browser history."""
    from flask_login import current_user

    if current_user.is_authenticated and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def register_commands(app: Flask) -> None:
    """Add `flask seed` and `flask users ...`."""
    from web.cli import jobs_cli, matcher_cli, seed_command, users_cli

    app.cli.add_command(seed_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(matcher_cli)
    app.cli.add_command(jobs_cli)


def register_shellcontext(app: Flask) -> None:
    """Make db and the models available in `flask shell`."""
    from web import models

    app.shell_context_processor(lambda: {"db": db, "models": models})


def init_scheduler(app: Flask) -> None:
    """Start background jobs when SCHEDULER_ENABLED is set."""
    from web.jobs.scheduler import init_scheduler as start

    start(app)


def configure_logging(app: Flask) -> None:
    """Log at LOG_LEVEL to stderr (no personal data is ever passed to loggers)."""
    if app.testing:
        return
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
