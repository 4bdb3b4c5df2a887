"""API bearer tokens: random secrets handed out once, stored only as SHA-256 hashes, expiring and revocable.

Service-style functions: they flush and audit, the caller commits.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from web.extensions import db
from web.models import ApiToken, User
from web.models.base import utcnow
from web.security import hash_token
from web.services import audit

# Recording every request would turn each read into a write; once a minute is enough to see activity.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def issue_token(user: User, hours: float) -> tuple[str, ApiToken]:
    """Create a token for `user` valid for `hours`; return the raw secret (shown once) and the row."""
    raw = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(hours=hours)
    token = ApiToken(user_id=user.id, token_hash=hash_token(raw), expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    audit.record("api_token_issued", actor_id=user.id, object_type="api_token", object_id=token.id)
    return raw, token


def find_usable_token(raw: str, now: datetime | None = None) -> ApiToken | None:
    """Return the token with this secret if it is neither revoked nor expired and its user is active."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    now = now or utcnow()
    if token is None or not token.is_usable(now) or not token.user.active:
        return None
    return token


def record_use(token: ApiToken, now: datetime | None = None) -> bool:
    """Stamp last_used_at (at most once a minute); return whether anything changed."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return False
    token.last_used_at = now
    db.session.flush()
    return True


def revoke_token(token: ApiToken) -> None:
    """Revoke a token so it is refused from now on."""
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record("api_token_revoked", actor_id=token.user_id, object_type="api_token", object_id=token.id)
