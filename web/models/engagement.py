"""Engagements (支援): an accepted request, the expert accompanying the town for a number of months."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.codes import ENGAGEMENT_OUTCOMES, ENGAGEMENT_STATUSES, MENUS, STAGES
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
        check_in("menu", MENUS),
        check_in("stage_at_start", STAGES),
        CheckConstraint("outcome IS NULL OR outcome IN ("
                        + ", ".join(f"'{code}'" for code in ENGAGEMENT_OUTCOMES) + ")", name="outcome_valid"),
        CheckConstraint("(status = 'completed') = (outcome IS NOT NULL)", name="completed_with_outcome"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
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
    menu: Mapped[str] = mapped_column(String(20), default="accompaniment", server_default="accompaniment")
    #: The issue's DX stage when the engagement began (DOMAIN.md i-vii); the reports record where it is now.
    stage_at_start: Mapped[str] = mapped_column(String(20), default="issue_definition",
                                                server_default="issue_definition")
    #: The link online sessions use unless a visit names its own.
    meeting_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    outcome: Mapped[str | None] = mapped_column(String(12))
    rating: Mapped[int | None] = mapped_column(Integer)
    town_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[EngagementRequest | None] = relationship()
    issue: Mapped[Issue] = relationship()
    expert: Mapped[ExpertProfile] = relationship()
    program: Mapped[SupportProgram | None] = relationship()
    visits: Mapped[list[Visit]] = relationship(back_populates="engagement", order_by="Visit.starts_at")

    def __repr__(self) -> str:
        return f"<Engagement {self.id} {self.status}>"
