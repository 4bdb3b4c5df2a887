"""Visits (訪問): the online sessions and on-site visits of an engagement, and the expert's report on each."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DDL, CheckConstraint, Float, ForeignKey, Integer, String, Text, event, func, inspect, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.codes import SIDES, STAGES, VISIT_MODES, VISIT_STATUSES
from web.models.base import Base, UTCDateTime, check_in, utcnow
from web.models.engagement import Engagement
from web.models.lifecycle import Lifecycle
from web.models.user import User

# proposed → confirmed (both sides agreed) → done (it took place; the report is a VisitReport row, not a status).
# Moving a confirmed visit sends it back to proposed, to be confirmed again; moving a proposed one keeps it
# proposed (its time changes, its status does not). Either side may cancel until the visit is done.
DEFAULT_DURATION_MINUTES = 120

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
        check_in("proposed_by", SIDES),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status <> 'confirmed' OR (town_confirmed_at IS NOT NULL AND expert_confirmed_at IS NOT NULL)",
                        name="confirmed_by_both"),
        # An expert is never in two visits at once (PostgreSQL; SQLite checks the same rule under BEGIN IMMEDIATE,
        # web/services/booking/visits.py). Back-to-back visits are allowed: the range is half-open.
        ExcludeConstraint(
            (text("expert_id"), "="),
            (func.tstzrange(text("starts_at"), text("ends_at"), text("'[)'")), "&&"),
            name="ex_visit_expert_overlap",
            using="gist",
            where=text("status <> 'cancelled'"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    #: The engagement's expert, copied so the database can refuse overlapping visits of one expert.
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert_profile.id"), index=True)
    #: The town whose cap an on-site visit counts against (the town visited).
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_DURATION_MINUTES)
    #: starts_at + duration_minutes, kept by the ORM (see _keep_end below); the overlap rule needs it stored.
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The month of the plan this visit belongs to (1 = the first) and the ledger amounts it reserved.
    plan_month: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    reserved_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    meeting_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    #: Who proposed the current time; each side confirms it (a move by one side counts as its confirmation).
    proposed_by: Mapped[str] = mapped_column(String(10), default="system", server_default="system")
    town_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expert_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Job state: the reminder for the business day before, the report nudge; cleared when the visit moves.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report_nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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


# The overlap rule's gist index needs btree_gist for the "=" on expert_id (migration 0010 creates it too).
event.listen(Base.metadata, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"))


@event.listens_for(Visit, "before_insert")
@event.listens_for(Visit, "before_update")
def _keep_end(mapper: Any, connection: Any, visit: Visit) -> None:
    """Keep ends_at = starts_at + duration_minutes."""
    if visit.duration_minutes is None:  # the column default is applied after this hook
        visit.duration_minutes = DEFAULT_DURATION_MINUTES
    if visit.starts_at is not None:
        visit.ends_at = visit.starts_at + timedelta(minutes=visit.duration_minutes)


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
    __table_args__ = (
        CheckConstraint("hours IS NULL OR (hours > 0 AND hours <= 24)", name="hours_range"),
        CheckConstraint("stage IS NULL OR stage IN (" + ", ".join(f"'{code}'" for code in STAGES) + ")",
                        name="stage_valid"),
        CheckConstraint("length(summary) > 0", name="summary_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text)
    decisions: Mapped[str] = mapped_column(Text, default="", server_default="")
    next_actions: Mapped[str] = mapped_column(Text, default="")
    #: Hours the session took (online time; on-site visits may give it too).
    hours: Mapped[float | None] = mapped_column(Float)
    #: The DX stage the issue has reached now (DOMAIN.md i-vii).
    stage: Mapped[str | None] = mapped_column(String(20))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text, default="", server_default="")
    question_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="report")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
