"""Configuration read from the environment, with safe development defaults."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int, minimum: int, maximum: int) -> int:
    """Read an integer setting, refusing (at startup, naming the variable) text or a value out of range."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ValueError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _env_fraction(name: str, default: float) -> float:
    """Read a score between 0 and 1 (exclusive) from the environment; refuse anything else at startup."""
    raw = os.environ.get(name)
    try:
        value = default if raw is None or not raw.strip() else float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number between 0 and 1, got {raw!r}") from None
    if not 0 < value < 1:
        raise ValueError(f"{name} must be between 0 and 1 (exclusive), got {value}")
    return value


# The booking job settings: (smallest, largest) allowed.
BOOKING_SETTING_RANGES: Mapping[str, tuple[int, int]] = {
    "BOOKING_REMIND_BUSINESS_DAYS": (1, 30),
    "BOOKING_EXPIRE_BUSINESS_DAYS": (1, 60),
    "RECONFIRM_AFTER_DAYS": (30, 730),
    "RECONFIRM_NOTICE_DAYS": (0, 90),
}


def _booking_int(name: str, default: int) -> int:
    return _env_int(name, default, *BOOKING_SETTING_RANGES[name])


def check_booking_settings(config: Mapping[str, Any]) -> None:
    """Refuse booking job settings that contradict each other (also when given as overrides, e.g. in tests)."""
    for name, (low, high) in BOOKING_SETTING_RANGES.items():
        value = config[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"{name} must be an integer between {low} and {high}, got {value!r}")
    if config["BOOKING_REMIND_BUSINESS_DAYS"] >= config["BOOKING_EXPIRE_BUSINESS_DAYS"]:
        raise ValueError("BOOKING_REMIND_BUSINESS_DAYS must be smaller than BOOKING_EXPIRE_BUSINESS_DAYS "
                         "(a reminder after the expiry would never be sent)")
    if config["RECONFIRM_NOTICE_DAYS"] >= config["RECONFIRM_AFTER_DAYS"]:
        raise ValueError("RECONFIRM_NOTICE_DAYS must be smaller than RECONFIRM_AFTER_DAYS")


# The dashboard's progress thresholds (docs/dashboard.md): (smallest, largest) allowed.
PROGRESS_SETTING_RANGES: Mapping[str, tuple[int, int]] = {
    "PROGRESS_REPORT_LATE_BUSINESS_DAYS": (1, 30),
    "PROGRESS_IDLE_DAYS": (7, 365),
    "PROGRESS_STALLED_DAYS": (14, 730),
    "PROGRESS_CAP_NEAR_PERCENT": (50, 99),
}


def check_progress_settings(config: Mapping[str, Any]) -> None:
    """Refuse dashboard thresholds out of range or contradicting each other (stalled must come after idle)."""
    for name, (low, high) in PROGRESS_SETTING_RANGES.items():
        value = config[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"{name} must be an integer between {low} and {high}, got {value!r}")
    if config["PROGRESS_STALLED_DAYS"] <= config["PROGRESS_IDLE_DAYS"]:
        raise ValueError("PROGRESS_STALLED_DAYS must be larger than PROGRESS_IDLE_DAYS "
                         "(an engagement needs attention before it is stalled)")


def load_or_create_secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, or one generated once into the instance folder."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with 0600 so the key is never world-readable, even for a moment.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


def normalise_database_url(url: str) -> str:
    """Point plain postgres URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Production-safe defaults; every value can be overridden by an environment variable."""

    SECRET_KEY: str | None = None  # filled by create_app from env or the instance folder
    SQLALCHEMY_DATABASE_URI: str | None = (
        normalise_database_url(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
    )
    # hide_parameters: SQL errors must not copy bound values (contact details, names) into logs.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    SESSION_COOKIE_NAME = os.environ.get("SESSION_COOKIE_NAME", "dxm_session")
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30")))
    SESSION_REFRESH_EACH_REQUEST = True
    # Absolute session lifetime: log in again after this many hours even when active.
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    # Changing contact details needs a password entered within this many minutes (a recent login counts).
    REAUTH_MINUTES = 10
    # Number of trusted reverse proxies in front of the app (for client IPs in rate limits); 0 = none.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
    REMEMBER_COOKIE_DURATION = timedelta(days=0)
    WTF_CSRF_TIME_LIMIT = 3600 * 4
    FORCE_HTTPS = _env_bool("FORCE_HTTPS", False)
    # Rate-limit counters; with several workers or hosts use one Redis (redis://host:6379/0) so they are shared.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # FAILED password entries per client IP, one budget for the login form and the token endpoint. Generous,
    # because a town hall's staff share one outgoing address; the per-account lock below is the real guard.
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "50 per hour")
    # If the limit storage (Redis) is down, serve without the per-IP limit rather than fail every request:
    # the per-account count lives in the database and still holds.
    # Expert sign-ups per client IP (every attempt counts: each success creates an account).
    RATELIMIT_SIGNUP = os.environ.get("RATELIMIT_SIGNUP", "10 per hour")
    RATELIMIT_SWALLOW_ERRORS = _env_bool("RATELIMIT_SWALLOW_ERRORS", True)
    # Per-account lock (services.login_throttle): after this many failures in a row, lock for
    # LOGIN_LOCK_MINUTES, doubling with each further failure up to LOGIN_LOCK_MAX_MINUTES.
    LOGIN_LOCK_AFTER = max(1, int(os.environ.get("LOGIN_LOCK_AFTER", "5")))
    LOGIN_LOCK_MINUTES = max(1, int(os.environ.get("LOGIN_LOCK_MINUTES", "1")))
    LOGIN_LOCK_MAX_MINUTES = max(1, int(os.environ.get("LOGIN_LOCK_MAX_MINUTES", "15")))
    RATELIMIT_HEADERS_ENABLED = True
    PASSWORD_HASH_METHOD = "scrypt"
    API_TOKEN_HOURS = int(os.environ.get("API_TOKEN_HOURS", "8"))
    API_MAX_CONTENT_LENGTH = int(os.environ.get("API_MAX_CONTENT_LENGTH", str(1024 * 1024)))
    # Largest accepted request body for forms (the API has its own limit above).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024)))
    SCHEDULER_ENABLED = _env_bool("SCHEDULER_ENABLED", False)
    MATCHER_REFIT_MINUTES = int(os.environ.get("MATCHER_REFIT_MINUTES", "30"))
    # Booking jobs (web/services/booking/sweeps.py): a pending request is reminded on the n-th business day after
    # it was sent and expires at the end of the m-th (the issuing town's calendar); an expert is reminded
    # RECONFIRM_NOTICE_DAYS before their profile, unconfirmed for RECONFIRM_AFTER_DAYS, stops being recommended.
    BOOKING_REMIND_BUSINESS_DAYS = _booking_int("BOOKING_REMIND_BUSINESS_DAYS", 3)
    BOOKING_EXPIRE_BUSINESS_DAYS = _booking_int("BOOKING_EXPIRE_BUSINESS_DAYS", 7)
    RECONFIRM_AFTER_DAYS = _booking_int("RECONFIRM_AFTER_DAYS", 182)
    RECONFIRM_NOTICE_DAYS = _booking_int("RECONFIRM_NOTICE_DAYS", 14)
    # Dashboard progress status (web/services/progress/engagement_progress.py, docs/dashboard.md): a report is late
    # after n business days; no visit done for PROGRESS_IDLE_DAYS = needs attention; no visit nor report for
    # PROGRESS_STALLED_DAYS = stalled; a town is near a cap at PROGRESS_CAP_NEAR_PERCENT of it.
    PROGRESS_REPORT_LATE_BUSINESS_DAYS = _env_int("PROGRESS_REPORT_LATE_BUSINESS_DAYS", 5, 1, 30)
    PROGRESS_IDLE_DAYS = _env_int("PROGRESS_IDLE_DAYS", 45, 7, 365)
    PROGRESS_STALLED_DAYS = _env_int("PROGRESS_STALLED_DAYS", 90, 14, 730)
    PROGRESS_CAP_NEAR_PERCENT = _env_int("PROGRESS_CAP_NEAR_PERCENT", 80, 50, 99)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Build a missing matching index inside the request instead of in the background (tests, CLI).
    MATCHER_BUILD_SYNC = _env_bool("MATCHER_BUILD_SYNC", False)
    # Keep the fitted index under instance/matcher_index so a restart loads it instead of refitting.
    MATCHER_PERSIST = _env_bool("MATCHER_PERSIST", True)
    # Supply gaps (web/services/progress/gaps.py): an open issue whose best candidate scores below this (0-1) is a
    # gap to recruit for. 0.5 ≈ the lower quartile of the demo issues' best scores; docs/gaps.md says why.
    SUPPLY_GAP_SCORE = _env_fraction("SUPPLY_GAP_SCORE", 0.5)
    SEED_DATA_DIR = os.environ.get("SEED_DATA_DIR", str(Path(__file__).resolve().parent.parent / "seed_data"))
    # Mail (Flask-Mailman). Without MAIL_SERVER the "console" backend prints whole messages (addresses and
    # bodies included) to stdout: development only (a warning is logged). Tests use "locmem" (mail.outbox).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND") or ("smtp" if MAIL_SERVER else "console")
    # True when MAIL_BACKEND fell back to "console" because nothing was configured (then a warning is logged);
    # `make run` chooses console explicitly, so development stays quiet.
    MAIL_BACKEND_DEFAULTED = not os.environ.get("MAIL_BACKEND") and not MAIL_SERVER
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "DXマッチング <no-reply@localhost>")
    # The domain in each visit's iCalendar UID (visit-<id>@<domain>); never change it once calendars subscribed.
    CALENDAR_UID_DOMAIN = os.environ.get("CALENDAR_UID_DOMAIN", "dx-match.localhost")
    # The site's public address for the calendar feed URL (https://example.jp); empty = the current request's host.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")


class TestConfig(Config):
    """Fast, isolated settings for the test suite."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    SCHEDULER_ENABLED = False
    SESSION_COOKIE_SECURE = False
    MATCHER_BUILD_SYNC = True
    MATCHER_PERSIST = False
    MAIL_BACKEND = "locmem"
