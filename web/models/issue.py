"""Issues (課題) posted by municipalities, with their enforced status lifecycle (web/models/lifecycle.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.codes import ISSUE_STATUSES, MENUS, MODES, ROLES, SECTORS, STAGES
from web.models.base import Base, UTCDateTime, check_in, utcnow
from web.models.geo import Municipality
from web.models.lifecycle import IllegalTransition, Lifecycle
from web.models.user import User

__all__ = ["ALLOWED_TRANSITIONS", "IllegalTransition", "Issue", "IssueCoOwner", "IssueRole"]

# The only status changes an issue may make; everything else is refused.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"open", "withdrawn"}),
    "open": frozenset({"matching", "withdrawn"}),
    "matching": frozenset({"engaged", "open", "withdrawn"}),
    # An engagement cancelled with none other active sends the issue back to matching (booking/engagements.py).
    "engaged": frozenset({"closed", "matching"}),
    "closed": frozenset(),
    "withdrawn": frozenset(),
}


class IssueRole(Base):
    __tablename__ = "issue_role"
    __table_args__ = (check_in("role", ROLES),)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class IssueCoOwner(Base):
    """A neighbouring municipality that co-owns a joint issue."""

    __tablename__ = "issue_co_owner"
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"), primary_key=True)

    municipality: Mapped[Municipality] = relationship()


class Issue(Lifecycle, Base):
    __tablename__ = "issue"
    TRANSITIONS = ALLOWED_TRANSITIONS
    STATUS_LABELS = ISSUE_STATUSES
    SUBJECT = "課題"
    __table_args__ = (
        check_in("sector", SECTORS),
        check_in("stage", STAGES),
        check_in("menu", MENUS),
        check_in("mode", MODES),
        check_in("status", ISSUE_STATUSES),
        CheckConstraint("months BETWEEN 1 AND 12", name="months_range"),
        CheckConstraint("menu <> 'spot' OR months = 1", name="spot_is_one_month"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    # 課題キャンバス: the parts of the guided form besides the situation (body).
    goal: Mapped[str] = mapped_column(Text, default="", server_default="")
    constraints: Mapped[str] = mapped_column(Text, default="", server_default="")
    # 予算 (free text; the column keeps its first name, budget_deadline, which the API also still uses).
    budget_deadline: Mapped[str] = mapped_column(String(200), default="", server_default="")
    deadline: Mapped[date | None] = mapped_column(Date)  # 期限: a real date, entered as 年/月/日
    counterpart: Mapped[str] = mapped_column(String(200), default="", server_default="")
    sector: Mapped[str] = mapped_column(String(30))
    stage: Mapped[str] = mapped_column(String(20))
    menu: Mapped[str] = mapped_column(String(20), default="accompaniment")
    mode: Mapped[str] = mapped_column(String(10), default="hybrid")
    months: Mapped[int] = mapped_column(Integer, default=6)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality] = relationship()
    created_by: Mapped[User | None] = relationship()
    role_rows: Mapped[set[IssueRole]] = relationship(cascade="all, delete-orphan", collection_class=set)
    co_owner_rows: Mapped[set[IssueCoOwner]] = relationship(
        cascade="all, delete-orphan", collection_class=set
    )

    wanted_roles: AssociationProxy[set[str]] = association_proxy(
        "role_rows", "role", creator=lambda role: IssueRole(role=role)
    )
    co_municipality_codes: AssociationProxy[set[str]] = association_proxy(
        "co_owner_rows", "municipality_code", creator=lambda code: IssueCoOwner(municipality_code=code)
    )

    def transition_to(self, target: str) -> None:
        """Move to `target` (Lifecycle), recording the publication time when the issue first opens."""
        super().transition_to(target)
        if target == "open" and self.published_at is None:
            self.published_at = utcnow()

    @property
    def matching_text(self) -> str:
        """Return the text the matcher reads: title, situation, goal and constraints."""
        parts = [self.title, self.body, self.goal, self.constraints]
        return "\n".join(part for part in parts if part)

    def owning_codes(self) -> set[str]:
        """Return the codes of every municipality that owns this issue (owner and co-owners)."""
        return {self.municipality_code, *self.co_municipality_codes}

    def __repr__(self) -> str:
        return f"<Issue {self.id} {self.status}>"
