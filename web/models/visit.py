"""Visits (訪問): the online sessions and on-site visits of an engagement, and the expert's report on each."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.codes import VISIT_MODES, VISIT_STATUSES
from web.models.base import Base, UTCDateTime, check_in, utcnow
from web.models.engagement import Engagement
from web.models.lifecycle import Lifecycle
from web.models.user import User

# proposed → confirmed (both sides agreed) → done (it took place; the report is a VisitReport row, not a status).
# Moving a confirmed visit sends it back to proposed, to be confirmed again; moving a proposed one keeps it
# proposed (its time changes, its status does not). Either side may cancel until the visit is done.
VISIT_TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"confirmed", "cancelled"}),
    "confirmed": frozenset({"proposed", "done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}


class Visit(Lifecycle, Base):
    """One online session or on-site visit of an engagement."""

    __tablename__ = "visit"
    TRANSITIONS = VISIT_TRANSITIONS
    STATUS_LABELS = VISIT_STATUSES
    SUBJECT = "訪問"
    __table_args__ = (
        check_in("mode", VISIT_MODES),
        check_in("status", VISIT_STATUSES),
        CheckConstraint("duration_minutes BETWEEN 15 AND 600", name="duration_range"),
        CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="fiscal_year_range"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    mode: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    fiscal_year: Mapped[int] = mapped_column(Integer)
    # iCalendar SEQUENCE: +1 on every change of time, length, mode or status (see _bump_sequence below).
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    engagement: Mapped[Engagement] = relationship(back_populates="visits")
    report: Mapped[VisitReport | None] = relationship(back_populates="visit")

    def __repr__(self) -> str:
        return f"<Visit {self.id} {self.status}>"


# What a calendar shows of a visit: a change to any of these is a new iCalendar SEQUENCE.
CALENDAR_FIELDS = ("starts_at", "duration_minutes", "mode", "status")


@event.listens_for(Visit, "before_update")
def _bump_sequence(mapper: Any, connection: Any, visit: Visit) -> None:
    """Increment `sequence` when an ORM flush changes what a calendar shows (Core UPDATEs must do it themselves)."""
    state = inspect(visit)
    if any(state.attrs[name].history.has_changes() for name in CALENDAR_FIELDS):
        visit.sequence = (visit.sequence or 0) + 1


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
