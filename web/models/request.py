"""Engagement requests (依頼): an officer asks an expert to take on an issue; the expert accepts or declines."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.codes import DECLINE_REASONS, MENUS, REQUEST_STATUSES
from web.models.base import Base, ReadableJSON, UTCDateTime, check_in, unique_where, utcnow
from web.models.expert import ExpertProfile
from web.models.issue import Issue
from web.models.lifecycle import Lifecycle
from web.models.program import SupportProgram
from web.models.user import User

# A request is answered once: every answer is final.
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"accepted", "declined", "expired", "withdrawn"}),
    "accepted": frozenset(),
    "declined": frozenset(),
    "expired": frozenset(),
    "withdrawn": frozenset(),
}


class EngagementRequest(Lifecycle, Base):
    """An officer's request that an expert take on an issue; the expert accepts or declines."""

    __tablename__ = "engagement_request"
    TRANSITIONS = REQUEST_TRANSITIONS
    STATUS_LABELS = REQUEST_STATUSES
    SUBJECT = "依頼"
    __table_args__ = (
        check_in("status", REQUEST_STATUSES),
        check_in("menu", MENUS),
        CheckConstraint("decline_reason IS NULL OR decline_reason IN ("
                        + ", ".join(f"'{code}'" for code in DECLINE_REASONS) + ")", name="decline_reason_valid"),
        CheckConstraint("(status = 'declined') = (decline_reason IS NOT NULL)", name="declined_with_reason"),
        CheckConstraint("(status = 'pending') = (responded_at IS NULL)", name="answered_when_not_pending"),
        CheckConstraint("months BETWEEN 1 AND 36", name="months_range"),
        CheckConstraint("duration_minutes BETWEEN 15 AND 600", name="duration_range"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        # At most one open request per issue and expert.
        unique_where("uq_engagement_request_pending", "issue_id", "expert_id", where="status = 'pending'"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("support_program.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    menu: Mapped[str] = mapped_column(String(20), default="accompaniment", server_default="accompaniment")
    #: The plan asked for: the first day of the first month, the number of months, the on-site months
    #: (1 = the first month of the plan), preferred weekdays (0 = Monday) and time of day (HH:MM, Japan time).
    first_month: Mapped[date] = mapped_column(Date)
    months: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    onsite_months: Mapped[list[int]] = mapped_column(ReadableJSON, default=list)
    weekdays: Mapped[list[int]] = mapped_column(ReadableJSON, default=list)
    start_time: Mapped[str] = mapped_column(String(5), default="14:00", server_default="14:00")
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120, server_default="120")
    #: Spot consultation: up to three offered start times (ISO 8601 with offset).
    slots: Mapped[list[Any]] = mapped_column(ReadableJSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set by the sweeper when the reminder went out / the request expired (jobs are idempotent through these).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decline_reason: Mapped[str | None] = mapped_column(String(20))
    response_note: Mapped[str] = mapped_column(Text, default="")

    issue: Mapped[Issue] = relationship()
    expert: Mapped[ExpertProfile] = relationship()
    program: Mapped[SupportProgram | None] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    @property
    def response_seconds(self) -> int | None:
        """Seconds from sending to the answer (accept, decline, withdraw or expiry); None while pending."""
        if self.responded_at is None:
            return None
        return int((self.responded_at - self.created_at).total_seconds())

    def __repr__(self) -> str:
        return f"<EngagementRequest {self.id} {self.status}>"
