"""Engagements (支援): an accepted request, the expert accompanying the town for a number of months."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.codes import ENGAGEMENT_STATUSES
from web.models.base import Base, UTCDateTime, check_in, unique_where, utcnow
from web.models.expert import ExpertProfile
from web.models.issue import Issue
from web.models.lifecycle import Lifecycle
from web.models.program import SupportProgram
from web.models.request import EngagementRequest

if TYPE_CHECKING:
    from web.models.visit import Visit

# An extension changes the end date and stays active; completion and cancellation are final.
ENGAGEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "active": frozenset({"completed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}


class Engagement(Lifecycle, Base):
    """An accepted request: the expert accompanies the town for a number of months."""

    __tablename__ = "engagement"
    TRANSITIONS = ENGAGEMENT_TRANSITIONS
    STATUS_LABELS = ENGAGEMENT_STATUSES
    SUBJECT = "支援"
    __table_args__ = (
        check_in("status", ENGAGEMENT_STATUSES),
        CheckConstraint("end_on >= start_on", name="ends_after_start"),
        unique_where("uq_engagement_active_pair", "issue_id", "expert_id", where="status = 'active'"),
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

    def __repr__(self) -> str:
        return f"<Engagement {self.id} {self.status}>"
