"""Login throttling per account, counted in the database (QUALITY.md, issue #8).

Every password check (login form, API token endpoint, password change, re-authentication for contact details)
draws on ONE count per e-mail address, kept in ``login_throttle``: it works across workers and hosts with no
extra server. After LOGIN_LOCK_AFTER failures in a row the address is locked for LOGIN_LOCK_MINUTES, each
further failure after a lock doubles it (at most LOGIN_LOCK_MAX_MINUTES); a correct password resets the count,
and failures older than FORGET_AFTER are forgotten. While locked, the password is not even checked, so guesses
during the lock learn nothing. Unknown addresses are counted and locked exactly like real ones (the key is a
keyed hash of the address), so the answers never reveal whether an account exists.

Counting happens BEFORE the password is checked, in one UPDATE whose WHERE clause requires the lock to be
over: PostgreSQL re-evaluates that WHERE on the row version a concurrent attempt has just written, so of many
simultaneous guesses only LOGIN_LOCK_AFTER are ever checked. A correct password then deletes the row.
Services flush only: the caller commits (also after a failure, to keep the count).
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app, has_request_context, request
from sqlalchemy import ColumnElement, CursorResult, Table, case, delete, literal, null, or_, select, update

from web.dates import JST
from web.extensions import PASSWORD_FAILED, db
from web.models import LoginThrottle, Notification, User
from web.models.base import UTCDateTime, utcnow
from web.services import audit
from web.services.errors import ServiceError
from web.services.validation import normalise_email
from web.transaction import insert

FORGET_AFTER = timedelta(hours=24)
BAD_CREDENTIALS = "メールアドレスまたはパスワードが正しくありません。"
_TABLE = cast(Table, LoginThrottle.__table__)


class LoginRefused(ServiceError):
    """A password check failed or was refused; ``retry_at`` is set while the address is locked.

    ``checked`` is False when the password was not even looked at because of the lock.
    """

    def __init__(self, message: str, retry_at: datetime | None = None, *, checked: bool = True) -> None:
        super().__init__(message, field="password")
        self.retry_at = retry_at
        self.checked = checked

    @property
    def retry_after_seconds(self) -> int | None:
        if self.retry_at is None:
            return None
        return max(1, math.ceil((self.retry_at - utcnow()).total_seconds()))


@dataclass(frozen=True)
class Attempt:
    """A counted password attempt: the throttle key and this attempt's number in the current series."""

    key: str
    number: int


def throttle_key(email: str) -> str:
    """Return the keyed hash under which the attempts for `email` are counted (no address in the table)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    # The same folding as the stored addresses (NFKC, trimmed, lower case): ｉwamizawa@… and iwamizawa@… are
    # one account, so they must be one count.
    return hmac.new(secret, normalise_email(email).encode(), hashlib.sha256).hexdigest()


def begin_attempt(email: str) -> Attempt:
    """Count one password attempt for `email` before it is checked; raise LoginRefused while locked."""
    key, now = throttle_key(email), utcnow()
    _ensure_row(key)
    stale = or_(_TABLE.c.last_failed_at.is_(None), _TABLE.c.last_failed_at < now - FORGET_AFTER)
    number = case((stale, 1), else_=_TABLE.c.failed_count + 1)
    counted = db.session.execute(
        update(_TABLE)
        .where(_TABLE.c.key == key, or_(_TABLE.c.locked_until.is_(None), _TABLE.c.locked_until <= now))
        .values(failed_count=number, last_failed_at=now, locked_until=_lock_for(number, now))
        .returning(_TABLE.c.failed_count)
    ).scalar()
    if counted is None:
        _mark_failed()
        until = db.session.scalar(select(_TABLE.c.locked_until).where(_TABLE.c.key == key))
        raise LoginRefused(locked_message(until), until, checked=False)
    return Attempt(key, int(counted))


def succeed(attempt: Attempt) -> None:
    """Forget the failures of this address (the right password was given).

    The row is reset, not deleted: a concurrent attempt whose UPDATE found no row would otherwise be told the
    address is locked.
    """
    db.session.execute(update(_TABLE).where(_TABLE.c.key == attempt.key)
                       .values(failed_count=0, last_failed_at=null(), locked_until=null()))


def purge_stale(now: datetime | None = None) -> int:
    """Delete counters with no failure in FORGET_AFTER and no running lock; return how many went.

    Every address ever tried gets a row (unknown ones too), so a daily sweep keeps the table small.
    """
    now = now or utcnow()
    quiet = or_(_TABLE.c.last_failed_at.is_(None), _TABLE.c.last_failed_at < now - FORGET_AFTER)
    unlocked = or_(_TABLE.c.locked_until.is_(None), _TABLE.c.locked_until <= now)
    result = db.session.execute(delete(_TABLE).where(quiet, unlocked))
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def fail(attempt: Attempt, user: User | None, message: str = BAD_CREDENTIALS) -> LoginRefused:
    """Return the refusal for a wrong password; the attempt that starts a lock notifies the account holder."""
    _mark_failed()
    until = lock_until(attempt.number, utcnow())
    if until is None:
        return LoginRefused(message)
    if attempt.number == current_app.config["LOGIN_LOCK_AFTER"]:
        audit.record("login_locked", object_type="user", object_id=user.id if user else None)
        if user is not None:
            _notify_holder(user, until)
    return LoginRefused(f"{message}失敗が続いたため、{_retry_text(until)}", until)


def lock_until(number: int, now: datetime) -> datetime | None:
    """Return when the lock set by failed attempt `number` ends (None below the threshold)."""
    config = current_app.config
    steps = number - config["LOGIN_LOCK_AFTER"]
    if steps < 0:
        return None
    minutes = min(config["LOGIN_LOCK_MINUTES"] * 2 ** min(steps, 20), config["LOGIN_LOCK_MAX_MINUTES"])
    return now + timedelta(minutes=minutes)


def locked_message(until: datetime | None) -> str:
    """Return the answer while an address is locked (the same for unknown addresses)."""
    return "ログインの失敗が続いたため、このメールアドレスでのログインを一時的に止めています。" + _retry_text(until)


def _retry_text(until: datetime | None) -> str:
    if until is None:
        return "しばらく待ってから、もう一度お試しください。"
    minutes = max(1, math.ceil((until - utcnow()).total_seconds() / 60))
    # Round up to the whole minute, so trying again at the time shown always works.
    shown = (until + timedelta(minutes=1, microseconds=-1)).astimezone(JST)
    return f"{shown:%H時%M分}（約{minutes}分後）以降に、もう一度お試しください。"


def _lock_for(number: ColumnElement[int], now: datetime) -> ColumnElement[datetime | None]:
    """Return the SQL for the lock the attempt `number` sets, so counting and locking are one statement."""
    config = current_app.config
    threshold, longest = config["LOGIN_LOCK_AFTER"], config["LOGIN_LOCK_MAX_MINUTES"]
    whens: list[tuple[ColumnElement[bool], ColumnElement[datetime]]] = []
    step = 0
    while step < 32 and (until := lock_until(threshold + step, now)) and until < now + timedelta(minutes=longest):
        whens.append((number == threshold + step, literal(until, UTCDateTime())))
        step += 1
    ends = literal(now + timedelta(minutes=longest), UTCDateTime())
    return case((number < threshold, null()), *whens, else_=ends)


def _ensure_row(key: str) -> None:
    """Insert the counter row if missing (INSERT … ON CONFLICT DO NOTHING, safe under concurrency)."""
    new = insert(LoginThrottle).values(key=key, failed_count=0)
    db.session.execute(new.on_conflict_do_nothing(index_elements=["key"]))


def _mark_failed() -> None:
    """Flag the request so the per-IP limit (Flask-Limiter deduct_when) counts it as a failure."""
    if has_request_context():  # kept on the request itself: an app context (and its g) can outlive a request
        request.environ[PASSWORD_FAILED] = True


def _notify_holder(user: User, until: datetime) -> None:
    db.session.add(Notification(
        user_id=user.id, kind="login_locked", title="ログインが一時的に止められました",
        body=(f"パスワードの誤りが{current_app.config['LOGIN_LOCK_AFTER']}回続いたため、"
              f"{until.astimezone(JST):%m月%d日 %H時%M分}までこのアカウントへのログインを止めました。"
              "心当たりがない場合は、ログインした後にパスワードを変更してください。"),
        link="/auth/password",
    ))
