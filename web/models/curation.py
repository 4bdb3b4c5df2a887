"""Coordinators' curation of candidates and officers' shortlists."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.models.base import Base, UTCDateTime, check_in, utcnow
from web.models.expert import ExpertProfile
from web.models.user import User

CURATION_ACTIONS = {"pin": "優先（ピン留め）", "exclude": "除外"}
# Who set it: a coordinator by hand, or accepting the monthly plan (a plan pin may be replaced by a later plan).
CURATION_ORIGINS = {"manual": "手動", "plan": "月次提案", "decline": "専門外として辞退"}


class CandidateCuration(Base):
    """A coordinator's current decision to pin or exclude an expert for an issue, with the reason."""

    __tablename__ = "candidate_curation"
    __table_args__ = (
        check_in("action", CURATION_ACTIONS),
        check_in("origin", CURATION_ORIGINS),
        CheckConstraint("length(reason) > 0", name="reason_given"),
        CheckConstraint("origin <> 'plan' OR action = 'pin'", name="plan_sets_pins_only"),
        CheckConstraint("origin <> 'decline' OR action = 'exclude'", name="decline_sets_exclusions_only"),
    )

    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(10), default="manual", server_default="manual")
    curated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    expert: Mapped[ExpertProfile] = relationship()
    curated_by: Mapped[User | None] = relationship()

    @property
    def action_label(self) -> str:
        return CURATION_ACTIONS[self.action]


class ShortlistEntry(Base):
    """An expert an officer keeps on the shortlist of their issue."""

    __tablename__ = "shortlist_entry"

    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id", ondelete="CASCADE"), primary_key=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    expert: Mapped[ExpertProfile] = relationship()
