"""Engagement requests (依頼): an officer asks an expert to take on an issue; the expert accepts or declines."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.codes import REQUEST_STATUSES
from web.models.base import Base, UTCDateTime, check_in, unique_where, utcnow
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_note: Mapped[str] = mapped_column(Text, default="")

    issue: Mapped[Issue] = relationship()
    expert: Mapped[ExpertProfile] = relationship()
    program: Mapped[SupportProgram | None] = relationship()
    requested_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<EngagementRequest {self.id} {self.status}>"
