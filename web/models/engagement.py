"""Requests, engagements, visits and visit reports: the booking flow's tables."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.codes import ENGAGEMENT_STATUSES, REQUEST_STATUSES, VISIT_MODES, VISIT_STATUSES
from web.models.base import Base, UTCDateTime, check_in, utcnow
from web.models.expert import ExpertProfile
from web.models.issue import Issue
from web.models.program import SupportProgram
from web.models.user import User


class EngagementRequest(Base):
    """An officer's request that an expert take on an issue; the expert accepts or declines."""

    __tablename__ = "engagement_request"
    __table_args__ = (
        check_in("status", REQUEST_STATUSES),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        # At most one open request per issue and expert.
        Index(
            "uq_engagement_request_pending",
            "issue_id",
            "expert_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("support_program.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_note: Mapped[str] = mapped_column(Text, default="")

    issue: Mapped[Issue] = relationship()
    expert: Mapped[ExpertProfile] = relationship()
    program: Mapped[SupportProgram | None] = relationship()
    requested_by: Mapped[User | None] = relationship()


class Engagement(Base):
    """An accepted request: the expert accompanies the town for a number of months."""

    __tablename__ = "engagement"
    __table_args__ = (
        check_in("status", ENGAGEMENT_STATUSES),
        CheckConstraint("end_on >= start_on", name="ends_after_start"),
        Index(
            "uq_engagement_active_pair",
            "issue_id",
            "expert_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("engagement_request.id"), unique=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id"), index=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("support_program.id"))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[EngagementRequest | None] = relationship()
    issue: Mapped[Issue] = relationship()
    expert: Mapped[ExpertProfile] = relationship()
    program: Mapped[SupportProgram | None] = relationship()
    visits: Mapped[list[Visit]] = relationship(back_populates="engagement", order_by="Visit.starts_at")


class Visit(Base):
    """One online session or on-site visit of an engagement."""

    __tablename__ = "visit"
    __table_args__ = (
        check_in("mode", VISIT_MODES),
        check_in("status", VISIT_STATUSES),
        CheckConstraint("duration_minutes BETWEEN 15 AND 600", name="duration_range"),
        CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="fiscal_year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    mode: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    fiscal_year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    engagement: Mapped[Engagement] = relationship(back_populates="visits")
    report: Mapped[VisitReport | None] = relationship(back_populates="visit")


class VisitReport(Base):
    """What happened at a visit and what comes next; one per visit."""

    __tablename__ = "visit_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text)
    next_steps: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="report")
    author: Mapped[User | None] = relationship()
