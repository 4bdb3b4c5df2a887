"""External experts' profiles against the MIC skill standard."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.codes import MODES, ROLES, SECTORS, TRAVEL_RANGES
from web.models.base import Base, ReadableJSON, UTCDateTime, check_in, utcnow
from web.models.geo import Prefecture
from web.models.user import User

RECONFIRM_AFTER = timedelta(days=60)


class ExpertRole(Base):
    __tablename__ = "expert_role"
    __table_args__ = (check_in("role", ROLES),)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class ExpertSector(Base):
    __tablename__ = "expert_sector"
    __table_args__ = (check_in("sector", SECTORS),)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    sector: Mapped[str] = mapped_column(String(30), primary_key=True)


class ExpertMode(Base):
    __tablename__ = "expert_mode"
    __table_args__ = (check_in("mode", MODES),)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(10), primary_key=True)


class ExpertProfile(Base):
    __tablename__ = "expert_profile"
    __table_args__ = (
        check_in("travel_range", TRAVEL_RANGES),
        CheckConstraint("monthly_capacity BETWEEN 0 AND 31", name="capacity_range"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN 20 AND 46)", name="lat_in_japan"),
        CheckConstraint("lon IS NULL OR (lon BETWEEN 122 AND 154)", name="lon_in_japan"),
        CheckConstraint(
            "contact_consent = false OR contact_consent_at IS NOT NULL", name="consent_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    bio: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[list[str]] = mapped_column(ReadableJSON, default=list)
    certifications: Mapped[list[str]] = mapped_column(ReadableJSON, default=list)
    prefecture_code: Mapped[str] = mapped_column(ForeignKey("prefecture.code"), index=True)
    home_label: Mapped[str] = mapped_column(String(60), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    travel_range: Mapped[str] = mapped_column(String(12), default="prefecture")
    monthly_capacity: Mapped[int] = mapped_column(Integer, default=1)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_consent_version: Mapped[str | None] = mapped_column(String(20))
    last_confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    prefecture: Mapped[Prefecture] = relationship()
    role_rows: Mapped[set[ExpertRole]] = relationship(cascade="all, delete-orphan", collection_class=set)
    sector_rows: Mapped[set[ExpertSector]] = relationship(cascade="all, delete-orphan", collection_class=set)
    mode_rows: Mapped[set[ExpertMode]] = relationship(cascade="all, delete-orphan", collection_class=set)

    roles: AssociationProxy[set[str]] = association_proxy(
        "role_rows", "role", creator=lambda role: ExpertRole(role=role)
    )
    sectors: AssociationProxy[set[str]] = association_proxy(
        "sector_rows", "sector", creator=lambda sector: ExpertSector(sector=sector)
    )
    modes: AssociationProxy[set[str]] = association_proxy(
        "mode_rows", "mode", creator=lambda mode: ExpertMode(mode=mode)
    )

    @property
    def matching_text(self) -> str:
        """Return the text the matcher reads: bio, skills and certifications."""
        parts = [self.bio, "スキル: " + "、".join(self.skills) if self.skills else ""]
        if self.certifications:
            parts.append("資格: " + "、".join(self.certifications))
        return "\n".join(part for part in parts if part)

    @property
    def home_display(self) -> str:
        """Return e.g. 北海道 札幌市中央区, without repeating a prefecture the label already names."""
        label, prefecture = self.home_label.strip(), self.prefecture.name
        return label if label.startswith(prefecture) else f"{prefecture} {label}".strip()

    @property
    def needs_reconfirmation(self) -> bool:
        """Tell whether the expert last confirmed their availability more than 60 days ago."""
        return utcnow() - self.last_confirmed_at > RECONFIRM_AFTER

    def record_contact_consent(self, consent: bool, version: str, when: datetime | None = None) -> None:
        """Record the expert's latest choice about sharing contact details, with the notice version and time."""
        self.contact_consent = consent
        self.contact_consent_version = version
        self.contact_consent_at = when or utcnow()

    def __repr__(self) -> str:
        return f"<ExpertProfile {self.id}>"
