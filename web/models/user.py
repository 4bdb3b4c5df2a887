"""Accounts: one role each, scoped to a municipality (officer) or a prefecture (coordinator)."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from web.codes import USER_ROLES
from web.models.base import Base, UTCDateTime, check_in, utcnow
from web.models.geo import Municipality, Prefecture

_SCOPE_RULE = (
    "(role = 'officer' AND municipality_code IS NOT NULL AND prefecture_code IS NULL)"
    " OR (role = 'coordinator' AND prefecture_code IS NOT NULL AND municipality_code IS NULL)"
    " OR (role IN ('expert', 'admin') AND municipality_code IS NULL AND prefecture_code IS NULL)"
)


class User(UserMixin, Base):
    __tablename__ = "user_account"
    __table_args__ = (
        check_in("role", USER_ROLES),
        CheckConstraint(_SCOPE_RULE, name="scope_matches_role"),
        # Emails are stored lower-cased, so the plain unique constraint is case-insensitive.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.code"), index=True)
    prefecture_code: Mapped[str | None] = mapped_column(ForeignKey("prefecture.code"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped at logout/deactivation so every earlier session cookie stops working (QUALITY.md S3/S4).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Consent to the privacy notice (purpose of use) at sign-up: which version, and when.
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20))
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality | None] = relationship()
    prefecture: Mapped[Prefecture | None] = relationship()

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Return the alternative session id: changing session_version invalidates old cookies."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def end_all_sessions(self) -> None:
        self.session_version += 1

    @property
    def role_label(self) -> str:
        return USER_ROLES[self.role]

    @property
    def scope_prefecture_code(self) -> str | None:
        """Return the prefecture this user acts in (an officer's town's prefecture, or a coordinator's)."""
        if self.role == "coordinator":
            return self.prefecture_code
        if self.role == "officer" and self.municipality is not None:
            return self.municipality.prefecture_code
        return None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
