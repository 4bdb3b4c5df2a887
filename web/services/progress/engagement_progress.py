"""Engagements: how many are active, completed (by outcome) and cancelled, and the progress of each active one
with a status that needs no reading — on track, needs attention, stalled — and the reasons for it.

An engagement counts in a fiscal year when its period overlaps it (start_on ≤ 31 March, end_on ≥ 1 April).
Status rules (thresholds are settings, docs/dashboard.md):
- needs attention when any of
  - a visit is overdue: its start passed more than one day ago and its time was never agreed (still proposed);
  - a report is late: a confirmed visit's start passed and no report came within
    PROGRESS_REPORT_LATE_BUSINESS_DAYS business days of the town (a report is what marks a visit done, so a
    confirmed visit in the past is one that took place and waits for its report: the grace period applies);
  - no visit was done for PROGRESS_IDLE_DAYS days (counted from the last done visit, or the engagement's start);
- stalled when neither a visit was done nor a report written for PROGRESS_STALLED_DAYS days (since the last
  one, or the start); stalled wins over needs attention.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, func, select

from web.codes import ENGAGEMENT_OUTCOMES, ENGAGEMENT_STATUSES, STAGES
from web.dates import JST, format_date_weekday
from web.extensions import db
from web.models import Engagement, ExpertProfile, Issue, Municipality, User, Visit, VisitReport
from web.services.business_days import BusinessCalendar, current_calendar
from web.services.progress.common import Count, counts, engagement_ids_query
from web.services.progress.scope import ProgressFilters

OPEN = ("proposed", "confirmed")
STATUS_LABELS = {"on_track": "順調", "attention": "要注意", "stalled": "停滞"}
#: Text marks that carry the status without colour (JIS X 8341-3: not by colour alone).
STATUS_MARKS = {"on_track": "○", "attention": "△", "stalled": "×"}
STATUS_ORDER = {"stalled": 0, "attention": 1, "on_track": 2}


@dataclass(frozen=True)
class EngagementCounts:
    active: int
    completed: int
    cancelled: int
    by_status: tuple[Count, ...]
    by_outcome: tuple[Count, ...]  # completed engagements by outcome


@dataclass(frozen=True)
class EngagementProgress:
    engagement_id: int
    issue_id: int
    issue_title: str
    municipality_code: str
    municipality_name: str
    expert_name: str
    stage_at_start: str
    stage_now: str | None
    start_on: date
    end_on: date
    visits_done: int
    visits_planned: int  # proposed or confirmed, not yet done
    visits_overdue: int  # proposed (never agreed) visits whose start passed more than a day ago
    reports_missing: int  # confirmed visits whose start passed, without a report
    oldest_missing_report: date | None
    last_done: date | None
    last_contact: date | None
    status: str  # on_track | attention | stalled
    reasons: tuple[str, ...]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def status_mark(self) -> str:
        return STATUS_MARKS[self.status]

    @property
    def stage_at_start_label(self) -> str:
        return STAGES.get(self.stage_at_start, self.stage_at_start)

    @property
    def stage_now_label(self) -> str:
        return STAGES.get(self.stage_now, self.stage_now) if self.stage_now else "報告なし"


def _overlaps_year(filters: ProgressFilters) -> list[ColumnElement[bool]]:
    return [Engagement.start_on <= filters.fy_end, Engagement.end_on >= filters.fy_start]


def engagement_counts(user: User, filters: ProgressFilters) -> EngagementCounts:
    """Engagements overlapping the fiscal year by status and outcome: one GROUP BY."""
    rows = db.session.execute(
        select(Engagement.status, Engagement.outcome, func.count())
        .where(Engagement.id.in_(engagement_ids_query(user, filters)), *_overlaps_year(filters))
        .group_by(Engagement.status, Engagement.outcome))
    by_status: dict[str, int] = {}
    by_outcome: dict[str, int] = {}
    for status, outcome, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if outcome:
            by_outcome[outcome] = by_outcome.get(outcome, 0) + n
    return EngagementCounts(by_status.get("active", 0), by_status.get("completed", 0), by_status.get("cancelled", 0),
                            counts(by_status, ENGAGEMENT_STATUSES), counts(by_outcome, ENGAGEMENT_OUTCOMES))


def _day(value: datetime | str | None) -> date | None:
    """A timestamp from an aggregate as its Japan-time date (SQLite returns aggregates of timestamps as text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(JST).date()


def engagement_progress(user: User, filters: ProgressFilters, *, today: date,
                        now: datetime | None = None) -> list[EngagementProgress]:
    """The progress of every active engagement the filters cover (overlapping the fiscal year), stalled ones first,
    then those needing attention, each group by start date: one query,
    grouped by engagement, with the latest reported DX stage from a window-function subquery."""
    now = now or datetime.now(UTC)
    overdue_before = now - timedelta(days=1)
    # The latest reported DX stage of each engagement: one window-function subquery joined once (a correlated
    # subquery ran once per engagement on PostgreSQL: 0.3 s at 300 engagements).
    ranked = (select(Visit.engagement_id.label("engagement_id"), VisitReport.stage.label("stage"),
                     func.row_number().over(partition_by=Visit.engagement_id,
                                            order_by=(Visit.starts_at.desc(), VisitReport.id.desc())).label("rank"))
              .join(VisitReport, VisitReport.visit_id == Visit.id)
              .where(VisitReport.stage.is_not(None),
                     Visit.engagement_id.in_(engagement_ids_query(user, filters))).subquery())
    latest = select(ranked.c.engagement_id, ranked.c.stage).where(ranked.c.rank == 1).subquery()
    missing = and_(Visit.status == "confirmed", Visit.starts_at <= now)
    query = (
        select(Engagement.id, Engagement.issue_id, Issue.title, Issue.municipality_code, Municipality.name,
               ExpertProfile.display_name, Engagement.stage_at_start, func.max(latest.c.stage),
               Engagement.start_on, Engagement.end_on,
               func.count(Visit.id).filter(Visit.status == "done"),
               func.count(Visit.id).filter(Visit.status.in_(OPEN)),
               func.count(Visit.id).filter(Visit.status == "proposed", Visit.starts_at < overdue_before),
               func.count(Visit.id).filter(missing),
               func.min(case((missing, Visit.starts_at))),
               func.max(case((Visit.status == "done", Visit.starts_at))),
               func.max(VisitReport.updated_at))
        .select_from(Engagement)
        .join(Issue, Issue.id == Engagement.issue_id)
        .join(Municipality, Municipality.code == Issue.municipality_code)
        .join(ExpertProfile, ExpertProfile.id == Engagement.expert_id)
        .outerjoin(Visit, Visit.engagement_id == Engagement.id)
        .outerjoin(VisitReport, VisitReport.visit_id == Visit.id)
        .outerjoin(latest, latest.c.engagement_id == Engagement.id)
        .where(Engagement.id.in_(engagement_ids_query(user, filters)), Engagement.status == "active",
               *_overlaps_year(filters))
        .group_by(Engagement.id, Issue.id, Municipality.code, ExpertProfile.id)
        .order_by(Engagement.start_on, Engagement.id)
    )
    config = current_app.config
    rules = (config["PROGRESS_REPORT_LATE_BUSINESS_DAYS"], config["PROGRESS_IDLE_DAYS"],
             config["PROGRESS_STALLED_DAYS"])
    calendar = current_calendar()
    rows: list[EngagementProgress] = []
    for (engagement_id, issue_id, title, town, town_name, expert, stage_start, stage_now, start_on, end_on,
         done, planned, overdue, reports_missing, oldest_missing, last_done, last_report) in db.session.execute(query):
        oldest = _day(oldest_missing)
        done_day = _day(last_done)
        report_day = _day(last_report)
        contact = max((d for d in (done_day, report_day) if d is not None), default=None)
        late_report = oldest is not None and _late(calendar, oldest, today, town, rules[0])
        status, reasons = _status(today, start_on, done_day, contact, overdue, late_report, oldest, rules)
        rows.append(EngagementProgress(
            engagement_id, issue_id, title, town, town_name, expert, stage_start, stage_now, start_on, end_on,
            done, planned, overdue, reports_missing, oldest, done_day, contact, status, reasons))
    rows.sort(key=lambda row: STATUS_ORDER[row.status])  # stable: stalled, then needs attention, then on track
    return rows


def _late(calendar: BusinessCalendar, visited: date, today: date, town: str, late_days: int) -> bool:
    """More than `late_days` business days of the town since the visit. Counted day by day only when it can go
    either way: never within `late_days` calendar days, always after 2 × late_days + 14 (no closure is that long)."""
    days = (today - visited).days
    if days <= late_days:
        return False
    if days > 2 * late_days + 14:
        return True
    return calendar.business_days_between(visited, today, town) > late_days


def _status(today: date, start_on: date, last_done: date | None, contact: date | None, overdue: int,
            late_report: bool, oldest_missing: date | None, rules: tuple[int, int, int]) -> tuple[str, tuple[str, ...]]:
    late_days, idle_days, stalled_days = rules
    if start_on > today:
        return "on_track", ()
    reasons: list[str] = []
    quiet_since = contact or start_on
    if (today - quiet_since).days > stalled_days:
        since = f"最後の訪問・報告: {format_date_weekday(contact)}" if contact else "開始以来なし"
        return "stalled", (f"{stalled_days}日を超えて訪問も報告もありません（{since}）。",)
    if overdue:
        reasons.append(f"日程が確定しないまま予定日を1日以上過ぎた訪問が{overdue}件あります。")
    if late_report and oldest_missing is not None:
        reasons.append(f"実施から{late_days}営業日を過ぎても報告のない訪問があります"
                       f"（最も古いもの: {format_date_weekday(oldest_missing)}）。")
    if (today - (last_done or start_on)).days > idle_days:
        since = f"最後の訪問: {format_date_weekday(last_done)}" if last_done else "開始以来なし"
        reasons.append(f"{idle_days}日を超えて実施された訪問がありません（{since}）。")
    return ("attention", tuple(reasons)) if reasons else ("on_track", ())


def status_counts(rows: list[EngagementProgress]) -> tuple[Count, ...]:
    """How many progress rows have each status (counted from the one query's rows, no further SQL)."""
    found: dict[str, int] = {}
    for row in rows:
        found[row.status] = found.get(row.status, 0) + 1
    return counts(found, STATUS_LABELS)
