"""Failed password entries per account, kept in the database so every worker and host shares one count."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from web.models.base import Base, UTCDateTime


class LoginThrottle(Base):
    """One row per e-mail address that recently failed a password check (see services.login_throttle).

    ``key`` is a keyed hash of the normalised address, so unknown addresses are counted exactly like real
    accounts (no enumeration) and the table holds no e-mail address.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (CheckConstraint("failed_count >= 0", name="failed_count_not_negative"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
