"""Private calendar feeds: one live secret URL per user, stored only as a SHA-256 hash, revocable."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.models.base import Base, UTCDateTime, unique_where, utcnow
from web.models.user import User


class CalendarToken(Base):
    """The secret of a user's feed URL: `nonce` and SECRET_KEY derive it, `token_hash` finds it.

    Regenerating revokes the live row and adds a new one; at most one live row per user (partial unique index).
    """

    __tablename__ = "calendar_token"
    __table_args__ = (unique_where("uq_calendar_token_live_user", "user_id", where="revoked_at IS NULL"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
