"""Figures per municipality (the coordinator's map) and a town's record across fiscal years (its municipality page).

Read model: each figure is ONE aggregate statement (GROUP BY the town), the user's scope applied in SQL through
web.services.progress.scope; the statements of a page do not grow with the number of issues, visits or towns.

Definitions (docs/map.md):
- open issues: issues in status 公開中 or マッチング中 that the town owns or co-owns (a joint issue counts in each
  of its towns), now — not per fiscal year (an open issue is a current state); the sector filter applies.
- active engagements: engagements in status 支援中 of issues the town owns or co-owns, now; the sector and
  program filters apply.
- cap usage: the cap ledger of the filters' fiscal year summed over the town's programs (program filter applies):
  used, reserved and the cap of on-site visits and online minutes; ``cap_usage`` is the larger of
  (used + reserved) / cap over the capped rows of either kind, or None when no row has a cap.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, Subquery, case, distinct, func, literal, or_, select, union_all

from web.extensions import db
from web.models import (
    CapLedger,
    Engagement,
    ExpertProfile,
    Issue,
    IssueCoOwner,
    Municipality,
    Prefecture,
    SupportProgram,
    User,
    Visit,
    VisitReport,
)
from web.services.errors import NotFound
from web.services.issues import PUBLIC_STATUSES
from web.services.progress.scope import (
    ProgressFilters,
    check_scope,
    issue_ids_query,
    towns_query,
)

METRICS = {
    "open_issues": "未解決の課題",
    "active_engagements": "支援中の案件",
    "cap_usage": "上限の使用率",
}
#: Visit statuses that still count as planned (not yet done, not cancelled).
PLANNED_VISIT_STATUSES = ("proposed", "confirmed")


@dataclass(frozen=True)
class TownFigures:
    code: str
    name: str
    subprefecture: str | None
    open_issues: int
    active_engagements: int
    onsite_used: int
    onsite_reserved: int
    onsite_cap: int | None
    online_used_minutes: int
    online_reserved_minutes: int
    online_cap_minutes: int | None
    cap_usage: float | None  # 0..1 (can exceed 1 only if a cap was lowered after reservations), None = no cap

    @property
    def code5(self) -> str:
        """The 5-digit code without the check digit (the boundary data's key)."""
        return self.code[:5]

    def value(self, metric: str) -> float | int | None:
        return getattr(self, metric)  # type: ignore[no-any-return]


def _ratio(used: int | None, cap: int | None) -> float | None:
    if cap is None:
        return None
    return 1.0 if cap <= 0 else (used or 0) / cap


def cap_usage_of(onsite_in_use: int | None, onsite_cap: int | None, online_in_use: int | None,
                 online_cap: int | None) -> float | None:
    """The larger of the two shares in use (used + reserved over the cap), None when neither kind is capped."""
    shares = [r for r in (_ratio(onsite_in_use, onsite_cap), _ratio(online_in_use, online_cap)) if r is not None]
    return max(shares) if shares else None


def _town_scope(user: User, filters: ProgressFilters) -> Select[tuple[str]]:
    """The towns the figures cover: the filters' towns; an officer's own town only; nothing for other roles."""
    towns = towns_query(filters)
    if user.role == "officer":
        return towns.where(Municipality.code == user.municipality_code)
    if user.role in ("coordinator", "admin"):
        return towns
    return towns.where(literal(False))


def _issue_towns() -> Subquery:
    """(issue id, town) for the owning town and every co-owning town of each issue."""
    owned = select(Issue.id.label("issue_id"), Issue.municipality_code.label("town"))
    co_owned = select(IssueCoOwner.issue_id.label("issue_id"), IssueCoOwner.municipality_code.label("town"))
    return union_all(owned, co_owned).subquery("issue_town")


def town_figures(user: User, filters: ProgressFilters) -> list[TownFigures]:
    """Per town of the filters: open issues, active engagements and cap usage (four statements in all)."""
    check_scope(user, filters)
    towns = _town_scope(user, filters)
    visible = issue_ids_query(user, filters)
    link = _issue_towns()

    rows = db.session.execute(
        select(Municipality.code, Municipality.name, Municipality.subprefecture)
        .where(Municipality.code.in_(towns)).order_by(Municipality.code)).all()

    open_counts: dict[str, int] = dict(db.session.execute(
        select(link.c.town, func.count(distinct(Issue.id)))
        .join(Issue, Issue.id == link.c.issue_id)
        .where(link.c.town.in_(towns), Issue.id.in_(visible), Issue.status.in_(PUBLIC_STATUSES))
        .group_by(link.c.town)).all())

    engagement_filter = [Engagement.status == "active", Engagement.issue_id.in_(visible), link.c.town.in_(towns)]
    if filters.program_id is not None:
        engagement_filter.append(Engagement.program_id == filters.program_id)
    active_counts: dict[str, int] = dict(db.session.execute(
        select(link.c.town, func.count(distinct(Engagement.id)))
        .join(Engagement, Engagement.issue_id == link.c.issue_id)
        .where(*engagement_filter).group_by(link.c.town)).all())

    ledger_filter = [CapLedger.fiscal_year == filters.fiscal_year, CapLedger.municipality_code.in_(towns)]
    if filters.program_id is not None:
        ledger_filter.append(CapLedger.program_id == filters.program_id)
    onsite_capped = CapLedger.onsite_cap.is_not(None)
    online_capped = CapLedger.online_cap_minutes.is_not(None)
    caps = {row.town: row for row in db.session.execute(
        select(CapLedger.municipality_code.label("town"),
               func.sum(CapLedger.onsite_used).label("onsite_used"),
               func.sum(CapLedger.onsite_reserved).label("onsite_reserved"),
               func.sum(CapLedger.onsite_cap).label("onsite_cap"),
               func.sum(case((onsite_capped, CapLedger.onsite_used + CapLedger.onsite_reserved), else_=0))
               .label("onsite_capped_in_use"),
               func.sum(CapLedger.online_used_minutes).label("online_used"),
               func.sum(CapLedger.online_reserved_minutes).label("online_reserved"),
               func.sum(CapLedger.online_cap_minutes).label("online_cap"),
               func.sum(case((online_capped, CapLedger.online_used_minutes + CapLedger.online_reserved_minutes),
                             else_=0)).label("online_capped_in_use"))
        .where(*ledger_filter).group_by(CapLedger.municipality_code))}

    figures = []
    for code, name, subprefecture in rows:
        cap = caps.get(code)
        onsite_cap = None if cap is None or cap.onsite_cap is None else int(cap.onsite_cap)
        online_cap = None if cap is None or cap.online_cap is None else int(cap.online_cap)
        figures.append(TownFigures(
            code=code, name=name, subprefecture=subprefecture,
            open_issues=int(open_counts.get(code, 0)), active_engagements=int(active_counts.get(code, 0)),
            onsite_used=int(cap.onsite_used or 0) if cap else 0,
            onsite_reserved=int(cap.onsite_reserved or 0) if cap else 0,
            onsite_cap=onsite_cap,
            online_used_minutes=int(cap.online_used or 0) if cap else 0,
            online_reserved_minutes=int(cap.online_reserved or 0) if cap else 0,
            online_cap_minutes=online_cap,
            cap_usage=cap_usage_of(int(cap.onsite_capped_in_use or 0), onsite_cap,
                                   int(cap.online_capped_in_use or 0), online_cap) if cap else None,
        ))
    return figures


# ------------------------------------------------------------------ map classes (colour + pattern + legend text)


@dataclass(frozen=True)
class MapClass:
    index: int  # 0 = nothing / not set … 4 = the most
    label: str  # the legend's text, e.g. 「2〜4件」


COUNT_CLASSES = (MapClass(0, "0件"), MapClass(1, "1件"), MapClass(2, "2〜4件"), MapClass(3, "5〜9件"),
                 MapClass(4, "10件以上"))
USAGE_CLASSES = (MapClass(0, "上限なし・台帳なし"), MapClass(1, "50%未満"), MapClass(2, "50%以上80%未満"),
                 MapClass(3, "80%以上100%未満（上限に近い）"), MapClass(4, "100%（上限に達した）"))


def map_classes(metric: str) -> tuple[MapClass, ...]:
    return USAGE_CLASSES if metric == "cap_usage" else COUNT_CLASSES


def class_of(metric: str, value: float | None) -> int:
    """The legend class of a value: fixed bounds, so a colour means the same on every map and every year."""
    if metric == "cap_usage":
        if value is None:
            return 0
        return 1 if value < 0.5 else 2 if value < 0.8 else 3 if value < 1 else 4
    count = int(value or 0)
    return 0 if count == 0 else 1 if count == 1 else 2 if count <= 4 else 3 if count <= 9 else 4


def format_value(metric: str, value: float | None) -> str:
    if metric == "cap_usage":
        return "上限なし" if value is None else f"{round(value * 100)}%"
    return f"{int(value or 0)}件"


# ------------------------------------------------------------------ a town's record (its municipality page)


@dataclass(frozen=True)
class TownIssue:
    id: int
    title: str
    status: str
    sector: str
    stage: str
    owner_code: str
    owner_name: str
    joint: bool
    created_at: datetime


@dataclass(frozen=True)
class TownEngagement:
    id: int
    issue_id: int
    issue_title: str
    expert_name: str
    program_name: str | None
    start_on: date
    end_on: date
    status: str
    outcome: str | None
    stage_at_start: str
    stage_now: str | None  # the stage of the latest report that names one
    visits_done: int
    visits_planned: int
    visits_cancelled: int
    reports: int


@dataclass(frozen=True)
class TownReport:
    id: int
    engagement_id: int
    issue_title: str
    expert_name: str
    visit_starts_at: datetime
    visit_mode: str
    summary: str
    next_actions: str
    stage: str | None
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class TownCapYear:
    fiscal_year: int
    program_name: str
    onsite_used: int
    onsite_reserved: int
    onsite_cap: int | None
    online_used_minutes: int
    online_reserved_minutes: int
    online_cap_minutes: int | None

    @property
    def cap_usage(self) -> float | None:
        return cap_usage_of(self.onsite_used + self.onsite_reserved, self.onsite_cap,
                            self.online_used_minutes + self.online_reserved_minutes, self.online_cap_minutes)


@dataclass(frozen=True)
class MunicipalityRecord:
    code: str
    name: str
    prefecture_code: str
    prefecture_name: str
    subprefecture: str | None
    issues: list[TownIssue]
    engagements: list[TownEngagement]
    reports: list[TownReport]
    caps: list[TownCapYear]


def get_municipality(user: User, code: str) -> Municipality:
    """The town, if the user may see its page: the coordinator of its prefecture, its officers, admins.

    Anything else — another prefecture or town, an expert, a malformed or unknown code — is NotFound.
    """
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise NotFound("市町村が見つかりません。")
    town = db.session.get(Municipality, code)
    if town is None:
        raise NotFound("市町村が見つかりません。")
    allowed = (user.role == "admin"
               or (user.role == "coordinator" and user.prefecture_code == town.prefecture_code)
               or (user.role == "officer" and user.municipality_code == town.code))
    if not allowed:
        raise NotFound("市町村が見つかりません。")
    return town


def municipality_record(user: User, code: str) -> MunicipalityRecord:
    """The town's issues, engagements, reports and cap ledger across every fiscal year (five statements)."""
    town = get_municipality(user, code)
    prefecture_name = db.session.scalar(select(Prefecture.name).where(Prefecture.code == town.prefecture_code)) or ""
    own_issue_ids = select(IssueCoOwner.issue_id).where(IssueCoOwner.municipality_code == code)
    of_town = or_(Issue.municipality_code == code, Issue.id.in_(own_issue_ids))
    has_co_owner = select(IssueCoOwner.issue_id).where(IssueCoOwner.issue_id == Issue.id).exists()

    issues = [TownIssue(*row) for row in db.session.execute(
        select(Issue.id, Issue.title, Issue.status, Issue.sector, Issue.stage, Issue.municipality_code,
               Municipality.name, has_co_owner, Issue.created_at)
        .join(Municipality, Municipality.code == Issue.municipality_code)
        .where(of_town).order_by(Issue.created_at.desc(), Issue.id.desc()))]

    latest_stage = (select(VisitReport.stage).join(Visit, Visit.id == VisitReport.visit_id)
                    .where(Visit.engagement_id == Engagement.id, VisitReport.stage.is_not(None))
                    .order_by(Visit.starts_at.desc(), Visit.id.desc()).limit(1).correlate(Engagement)
                    .scalar_subquery())
    visit_counts = (select(Visit.engagement_id.label("engagement_id"),
                           func.sum(case((Visit.status == "done", 1), else_=0)).label("done"),
                           func.sum(case((Visit.status.in_(PLANNED_VISIT_STATUSES), 1), else_=0)).label("planned"),
                           func.sum(case((Visit.status == "cancelled", 1), else_=0)).label("cancelled"),
                           func.count(VisitReport.id).label("reports"))
                    .outerjoin(VisitReport, VisitReport.visit_id == Visit.id)
                    .group_by(Visit.engagement_id).subquery())
    engagements = [TownEngagement(
        id=row.id, issue_id=row.issue_id, issue_title=row.title, expert_name=row.display_name,
        program_name=row.program_name, start_on=row.start_on, end_on=row.end_on, status=row.status,
        outcome=row.outcome, stage_at_start=row.stage_at_start, stage_now=row.stage_now,
        visits_done=int(row.done or 0), visits_planned=int(row.planned or 0),
        visits_cancelled=int(row.cancelled or 0), reports=int(row.reports or 0),
    ) for row in db.session.execute(
        select(Engagement.id, Engagement.issue_id, Issue.title, ExpertProfile.display_name,
               SupportProgram.name.label("program_name"), Engagement.start_on, Engagement.end_on,
               Engagement.status, Engagement.outcome, Engagement.stage_at_start, latest_stage.label("stage_now"),
               visit_counts.c.done, visit_counts.c.planned, visit_counts.c.cancelled, visit_counts.c.reports)
        .join(Issue, Issue.id == Engagement.issue_id)
        .join(ExpertProfile, ExpertProfile.id == Engagement.expert_id)
        .outerjoin(SupportProgram, SupportProgram.id == Engagement.program_id)
        .outerjoin(visit_counts, visit_counts.c.engagement_id == Engagement.id)
        .where(of_town).order_by(Engagement.start_on.desc(), Engagement.id.desc()))]

    reports = [TownReport(
        id=row[0], engagement_id=row[1], issue_title=row[2], expert_name=row[3], visit_starts_at=row[4],
        visit_mode=row[5], summary=row[6], next_actions=row[7], stage=row[8], acknowledged_at=row[9],
    ) for row in db.session.execute(
        select(VisitReport.id, Engagement.id, Issue.title, ExpertProfile.display_name, Visit.starts_at, Visit.mode,
               VisitReport.summary, VisitReport.next_actions, VisitReport.stage, VisitReport.acknowledged_at)
        .join(Visit, Visit.id == VisitReport.visit_id)
        .join(Engagement, Engagement.id == Visit.engagement_id)
        .join(Issue, Issue.id == Engagement.issue_id)
        .join(ExpertProfile, ExpertProfile.id == Engagement.expert_id)
        .where(of_town).order_by(Visit.starts_at.desc(), VisitReport.id.desc()))]

    caps = [TownCapYear(
        fiscal_year=row.fiscal_year, program_name=row.name, onsite_used=row.onsite_used,
        onsite_reserved=row.onsite_reserved, onsite_cap=row.onsite_cap, online_used_minutes=row.online_used_minutes,
        online_reserved_minutes=row.online_reserved_minutes, online_cap_minutes=row.online_cap_minutes,
    ) for row in db.session.execute(
        select(CapLedger.fiscal_year, SupportProgram.name, CapLedger.onsite_used, CapLedger.onsite_reserved,
               CapLedger.onsite_cap, CapLedger.online_used_minutes, CapLedger.online_reserved_minutes,
               CapLedger.online_cap_minutes)
        .join(SupportProgram, SupportProgram.id == CapLedger.program_id)
        .where(CapLedger.municipality_code == code)
        .order_by(CapLedger.fiscal_year.desc(), SupportProgram.name))]

    return MunicipalityRecord(code=town.code, name=town.name, prefecture_code=town.prefecture_code,
                              prefecture_name=prefecture_name, subprefecture=town.subprefecture, issues=issues,
                              engagements=engagements, reports=reports, caps=caps)

