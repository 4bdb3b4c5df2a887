"""The monthly report a prefecture coordinator sends upward: this month's activity next to the fiscal year so far,
the caps, the outcomes and highlights from acknowledged reports.

One aggregate query per section (requests, engagements, visits, reports, outcomes, caps, highlights), each
counting the month and the year to date at once with SUM(CASE ...) over bounds computed in Python (JST months
as UTC instants), scoped like the lists (rows.py / scope.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from web.codes import ENGAGEMENT_OUTCOMES, STAGES
from web.dates import fiscal_year_of, format_fiscal_year
from web.extensions import db
from web.models import (
    CapLedger,
    Engagement,
    EngagementRequest,
    Issue,
    Municipality,
    Prefecture,
    SupportProgram,
    User,
    Visit,
    VisitReport,
)
from web.services.progress.caps import CapAmounts
from web.services.progress.exports import Sheet
from web.services.progress.rows import engagement_scope, month_bounds
from web.services.progress.scope import JST, ProgressFilters, issue_ids_query, towns_query

#: How many highlights the report shows, and how much of each summary.
HIGHLIGHTS = 10
SUMMARY_CHARS = 200


@dataclass(frozen=True)
class MonthCount:
    """One line of the report: this month's count and the fiscal year's so far."""

    label: str
    month: int
    year_to_date: int


@dataclass(frozen=True)
class CapRow(CapAmounts):
    municipality_code: str
    municipality_name: str
    program_name: str
    onsite_cap: int | None
    onsite_used: int
    onsite_reserved: int
    online_cap_hours: float | None
    online_used_hours: float
    online_reserved_hours: float


@dataclass(frozen=True)
class Highlight:
    visit_at: Any
    issue_title: str
    municipality_name: str
    stage: str
    summary: str


@dataclass(frozen=True)
class MonthlyReport:
    prefecture_name: str
    month: date
    filters: ProgressFilters
    activity: tuple[MonthCount, ...]
    outcomes: tuple[MonthCount, ...]
    caps: tuple[CapRow, ...]
    highlights: tuple[Highlight, ...]


class _Windows:
    """The month and the fiscal year to date (up to the month's end), as [start, end) instants and JST days."""

    def __init__(self, filters: ProgressFilters, month: date) -> None:
        self.month_start, self.end = month_bounds(month)
        self.fy_start = filters.fy_bounds_utc[0]
        self.days = (month, self.end.astimezone(JST).date(), filters.fy_start)

    def sums(self, column: Any, condition: ColumnElement[bool] | None = None) -> tuple[Any, Any]:
        """Two SUM(CASE ...) columns: rows whose `column` falls in the month, and in the year to date."""
        return (self._sum(column, self.month_start, self.end, condition),
                self._sum(column, self.fy_start, self.end, condition))

    def day_sums(self, column: Any) -> tuple[Any, Any]:
        """The same for a DATE column (calendar days in Japan)."""
        month, end, fy_start = self.days
        return self._sum(column, month, end, None), self._sum(column, fy_start, end, None)

    @staticmethod
    def _sum(column: Any, start: Any, end: Any, condition: ColumnElement[bool] | None) -> Any:
        inside = (column >= start) & (column < end)
        if condition is not None:
            inside = inside & condition
        return func.coalesce(func.sum(case((inside, 1), else_=0)), 0)


def _counts(labels: tuple[str, ...], row: Any) -> tuple[MonthCount, ...]:
    return tuple(MonthCount(label, int(row[2 * i]), int(row[2 * i + 1])) for i, label in enumerate(labels))


def _requests(user: User, filters: ProgressFilters, w: _Windows) -> tuple[MonthCount, ...]:
    r = EngagementRequest
    query = select(*w.sums(r.created_at), *w.sums(r.responded_at, r.status == "accepted"),
                   *w.sums(r.responded_at, r.status == "declined"),
                   *w.sums(r.responded_at, r.status == "expired")).where(r.issue_id.in_(issue_ids_query(user, filters)))
    if filters.program_id is not None:
        query = query.where(r.program_id == filters.program_id)
    return _counts(("依頼の送信", "依頼の承諾", "依頼の辞退", "依頼の期限切れ"), db.session.execute(query).one())


def _engagements(user: User, filters: ProgressFilters, w: _Windows) -> tuple[MonthCount, ...]:
    e = Engagement
    query = select(*w.day_sums(e.start_on), *w.sums(e.ended_at, e.status == "completed"),
                   *w.sums(e.ended_at, e.status == "cancelled")).where(*engagement_scope(user, filters))
    return _counts(("支援の開始", "支援の完了", "支援の中止"), db.session.execute(query).one())


def _visits(user: User, filters: ProgressFilters, w: _Windows) -> tuple[MonthCount, ...]:
    v = Visit
    query = (select(*w.sums(v.starts_at, (v.status == "done") & (v.mode == "onsite")),
                    *w.sums(v.starts_at, (v.status == "done") & (v.mode == "online")),
                    *w.sums(v.starts_at, v.status.in_(("proposed", "confirmed"))),
                    *w.sums(v.starts_at, v.status == "cancelled"))
             .join(Engagement, Engagement.id == v.engagement_id).where(*engagement_scope(user, filters)))
    return _counts(("現地訪問の実施", "オンライン支援の実施", "予定（未実施）の訪問", "中止した訪問"),
                   db.session.execute(query).one())


def _reports(user: User, filters: ProgressFilters, w: _Windows) -> tuple[MonthCount, ...]:
    query = (select(*w.sums(VisitReport.created_at), *w.sums(VisitReport.acknowledged_at))
             .join(Visit, Visit.id == VisitReport.visit_id).join(Engagement, Engagement.id == Visit.engagement_id)
             .where(*engagement_scope(user, filters)))
    return _counts(("訪問報告の提出", "訪問報告の確認"), db.session.execute(query).one())


def _outcomes(user: User, filters: ProgressFilters, w: _Windows) -> tuple[MonthCount, ...]:
    e = Engagement
    query = select(*(part for code in ENGAGEMENT_OUTCOMES for part in w.sums(e.ended_at, e.outcome == code))
                   ).where(*engagement_scope(user, filters))
    return _counts(tuple(ENGAGEMENT_OUTCOMES.values()), db.session.execute(query).one())


def _caps(filters: ProgressFilters) -> tuple[CapRow, ...]:
    ledger = CapLedger
    query = (select(ledger.municipality_code, Municipality.name, SupportProgram.name, ledger.onsite_cap,
                    ledger.onsite_used, ledger.onsite_reserved, ledger.online_cap_minutes, ledger.online_used_minutes,
                    ledger.online_reserved_minutes)
             .join(Municipality, Municipality.code == ledger.municipality_code)
             .join(SupportProgram, SupportProgram.id == ledger.program_id)
             .where(ledger.municipality_code.in_(towns_query(filters)),
                    ledger.fiscal_year == filters.fiscal_year)
             .order_by(ledger.municipality_code, SupportProgram.name))
    if filters.program_id is not None:
        query = query.where(ledger.program_id == filters.program_id)

    def hours(minutes: int | None) -> float | None:
        return None if minutes is None else round(minutes / 60, 1)

    return tuple(CapRow(r[0], r[1], r[2], r[3], r[4], r[5], hours(r[6]), hours(r[7]) or 0.0, hours(r[8]) or 0.0)
                 for r in db.session.execute(query))


def _highlights(user: User, filters: ProgressFilters, w: _Windows) -> tuple[Highlight, ...]:
    query = (select(Visit.starts_at, Issue.title, Municipality.name, VisitReport.stage, VisitReport.summary)
             .join(Visit, Visit.id == VisitReport.visit_id).join(Engagement, Engagement.id == Visit.engagement_id)
             .join(Issue, Issue.id == Engagement.issue_id)
             .join(Municipality, Municipality.code == Visit.municipality_code)
             .where(*engagement_scope(user, filters), VisitReport.acknowledged_at.is_not(None),
                    Visit.starts_at >= w.month_start, Visit.starts_at < w.end)
             .order_by(Visit.starts_at.desc(), VisitReport.id.desc()).limit(HIGHLIGHTS))
    return tuple(Highlight(r[0], r[1], r[2], STAGES.get(r[3] or "", ""), _shorten(r[4]))
                 for r in db.session.execute(query))


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1] + "…"


def monthly_report(user: User, filters: ProgressFilters, month: date) -> MonthlyReport:
    """The report of `month` (its fiscal year replaces the filters' one)."""
    filters = replace(filters, fiscal_year=fiscal_year_of(month))
    windows = _Windows(filters, month)
    activity = (*_requests(user, filters, windows), *_engagements(user, filters, windows),
                *_visits(user, filters, windows), *_reports(user, filters, windows))
    name = db.session.scalar(select(Prefecture.name).where(Prefecture.code == filters.prefecture_code)) or ""
    return MonthlyReport(name, month, filters, activity, _outcomes(user, filters, windows), _caps(filters),
                         _highlights(user, filters, windows))


def report_sheets(report: MonthlyReport) -> list[Sheet]:
    """The report as worksheets (the same sections as the page)."""
    month = f"{report.month.year}年{report.month.month}月"
    title = f"{report.prefecture_name} 月次報告 {month}（{format_fiscal_year(report.filters.fiscal_year)}）"
    counts = ("項目", f"{month}", "年度累計")
    return [
        Sheet("活動", counts, [(c.label, c.month, c.year_to_date) for c in report.activity], title),
        Sheet("成果", counts, [(c.label, c.month, c.year_to_date) for c in report.outcomes], "完了した支援の成果"),
        Sheet("上限", ("市町村コード", "市町村", "支援制度", "現地訪問の上限（回）", "実施（回）", "予定（回）", "残り（回）",
                     "オンラインの上限（時間）", "実施（時間）", "予定（時間）", "残り（時間）"),
              [(c.municipality_code, c.municipality_name, c.program_name, c.onsite_cap, c.onsite_used,
                c.onsite_reserved, c.onsite_remaining, c.online_cap_hours, c.online_used_hours,
                c.online_reserved_hours, c.online_remaining_hours) for c in report.caps], "支援制度の上限と利用"),
        Sheet("報告から", ("訪問日時", "課題", "市町村", "DXの段階", "要約"),
              [(h.visit_at, h.issue_title, h.municipality_name, h.stage, h.summary) for h in report.highlights],
              "確認済みの訪問報告から"),
    ]
