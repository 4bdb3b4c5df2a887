"""Visits of one month (Japan time): planned, proposed, confirmed, done, cancelled, overdue and moved, and a month
calendar of every visit in the prefecture.

- planned: every visit of the month that is not cancelled; proposed / confirmed / done / cancelled: by status;
- overdue: still proposed or confirmed more than one day after its start (neither reported nor cancelled);
- moved: its time was changed at least once (an audit event "visit_moved"), whatever its status now.
The counts are one aggregate query; the calendar is one query for the month's visits (a page never shows more
than a month), laid out in weeks (Monday first) in Python.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Exists, String, and_, cast, exists, func, select

from web.codes import VISIT_MODES, VISIT_STATUSES
from web.dates import JST
from web.extensions import db
from web.models import AuditEvent, Engagement, ExpertProfile, Issue, Municipality, User, Visit
from web.services.progress.common import engagement_ids_query, month_bounds
from web.services.progress.scope import ProgressFilters


@dataclass(frozen=True)
class VisitCounts:
    month: date
    planned: int
    proposed: int
    confirmed: int
    done: int
    cancelled: int
    overdue: int
    moved: int


@dataclass(frozen=True)
class CalendarVisit:
    visit_id: int
    engagement_id: int
    starts_at: datetime
    status: str
    mode: str
    municipality_name: str
    issue_title: str
    expert_name: str
    overdue: bool

    @property
    def status_label(self) -> str:
        return VISIT_STATUSES[self.status]

    @property
    def mode_label(self) -> str:
        return VISIT_MODES[self.mode]

    @property
    def time_label(self) -> str:
        local = self.starts_at.astimezone(JST)
        return f"{local.hour}:{local.minute:02d}"


@dataclass(frozen=True)
class CalendarDay:
    day: date
    in_month: bool
    visits: tuple[CalendarVisit, ...]


@dataclass(frozen=True)
class VisitsMonth:
    counts: VisitCounts
    visits: tuple[CalendarVisit, ...]  # the month's visits in order of start (the calendar's content)
    weeks: tuple[tuple[CalendarDay, ...], ...]


def _moved() -> Exists:
    return exists().where(AuditEvent.action == "visit_moved", AuditEvent.object_type == "visit",
                          AuditEvent.object_id == cast(Visit.id, String))


def visit_counts(user: User, filters: ProgressFilters, month: date, now: datetime) -> VisitCounts:
    start, end = month_bounds(month)
    overdue = and_(Visit.status.in_(("proposed", "confirmed")), Visit.starts_at < now - timedelta(days=1))
    row = db.session.execute(
        select(func.count(Visit.id).filter(Visit.status != "cancelled"),
               func.count(Visit.id).filter(Visit.status == "proposed"),
               func.count(Visit.id).filter(Visit.status == "confirmed"),
               func.count(Visit.id).filter(Visit.status == "done"),
               func.count(Visit.id).filter(Visit.status == "cancelled"),
               func.count(Visit.id).filter(overdue),
               func.count(Visit.id).filter(_moved()))
        .where(Visit.engagement_id.in_(engagement_ids_query(user, filters)),
               Visit.starts_at >= start, Visit.starts_at < end)).one()
    return VisitCounts(month.replace(day=1), *(int(n or 0) for n in row))


def calendar_visits(user: User, filters: ProgressFilters, month: date, now: datetime) -> list[CalendarVisit]:
    start, end = month_bounds(month)
    query = (select(Visit.id, Visit.engagement_id, Visit.starts_at, Visit.status, Visit.mode, Municipality.name,
                    Issue.title, ExpertProfile.display_name)
             .join(Engagement, Engagement.id == Visit.engagement_id)
             .join(Issue, Issue.id == Engagement.issue_id)
             .join(Municipality, Municipality.code == Visit.municipality_code)
             .join(ExpertProfile, ExpertProfile.id == Visit.expert_id)
             .where(Visit.engagement_id.in_(engagement_ids_query(user, filters)),
                    Visit.starts_at >= start, Visit.starts_at < end)
             .order_by(Visit.starts_at, Visit.id))
    overdue_before = now - timedelta(days=1)
    return [CalendarVisit(vid, eid, starts.astimezone(UTC), status, mode, town, title, expert,
                          status in ("proposed", "confirmed") and starts < overdue_before)
            for vid, eid, starts, status, mode, town, title, expert in db.session.execute(query)]


def month_weeks(month: date, visits: list[CalendarVisit]) -> tuple[tuple[CalendarDay, ...], ...]:
    """The month as weeks from Monday to Sunday (days of the neighbouring months included, marked)."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    by_day: dict[date, list[CalendarVisit]] = {}
    for visit in visits:
        by_day.setdefault(visit.starts_at.astimezone(JST).date(), []).append(visit)
    day = first - timedelta(days=first.weekday())
    weeks: list[tuple[CalendarDay, ...]] = []
    while day < following:
        week = tuple(CalendarDay(day + timedelta(days=i), first <= day + timedelta(days=i) < following,
                                 tuple(by_day.get(day + timedelta(days=i), ()))) for i in range(7))
        weeks.append(week)
        day += timedelta(days=7)
    return tuple(weeks)


def visits_month(user: User, filters: ProgressFilters, month: date, now: datetime) -> VisitsMonth:
    visits = calendar_visits(user, filters, month, now)
    return VisitsMonth(visit_counts(user, filters, month, now), tuple(visits), month_weeks(month, visits))
