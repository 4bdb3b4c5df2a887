"""The lists behind the dashboard's figures: one query per kind, scoped in SQL, the same rows for the HTML list,
the CSV and XLSX exports and the API's CSV.

A kind is a `ListKind`: its Japanese title, its columns and a query builder. `list_page` returns one page of
typed rows (`ListPage`), `iter_rows` streams every row of the same query (``yield_per``: constant memory).
Values come out as Python values (int, str, date, datetime in UTC); codes are turned into their Japanese labels
here, so every renderer shows the same text.

Scope (scope.py): issues the user may see that the filters cover; requests, engagements, visits and reports hang
off those issues (and, for an expert, off their own profile); caps are the ledger rows of the filtered towns (an
officer's own town only, none for an expert); experts are those registered in the prefecture, as the dashboard's
experts figure counts them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, String, and_, case, cast, exists, func, select
from sqlalchemy.orm import aliased

from web.codes import (
    DECLINE_REASONS,
    ENGAGEMENT_OUTCOMES,
    ENGAGEMENT_STATUSES,
    ISSUE_STATUSES,
    REQUEST_STATUSES,
    SECTORS,
    STAGES,
    VISIT_MODES,
    VISIT_STATUSES,
)
from web.extensions import db
from web.models import (
    AuditEvent,
    CapLedger,
    Engagement,
    EngagementRequest,
    ExpertLoad,
    ExpertProfile,
    ExpertSector,
    Issue,
    Municipality,
    SupportProgram,
    User,
    Visit,
    VisitReport,
)
from web.services.errors import NotFound
from web.services.progress.scope import JST, ProgressFilters, expert_ids_query, issue_ids_query, towns_query
from web.services.validation import InvalidInput

PER_PAGE = 50
#: Rows fetched per round trip when an export streams (server-side cursor on PostgreSQL).
STREAM_BATCH = 500
#: A visit is overdue once its start is more than this long past and it is still proposed or confirmed.
OVERDUE_AFTER = timedelta(days=1)
OPEN_VISIT = ("proposed", "confirmed")


@dataclass(frozen=True)
class Column:
    """One column of a list: its Japanese heading and how its raw value becomes text (labels for codes)."""

    label: str
    labels: Mapping[str, str] | None = None

    def value(self, raw: Any) -> Any:
        if self.labels is not None and raw is not None:
            return self.labels.get(raw, raw)
        return raw


@dataclass(frozen=True)
class Narrowing:
    """The list's narrowing arguments beyond the filters (status, month, overdue, ...), already checked."""

    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


@dataclass(frozen=True)
class ListKind:
    title: str
    columns: tuple[Column, ...]
    build: Callable[[User, ProgressFilters, Narrowing, datetime], Select[Any]]
    #: narrowing argument → allowed values (None: checked by its own parser, e.g. month)
    narrowing: Mapping[str, Mapping[str, str] | None]


@dataclass(frozen=True)
class ListPage:
    kind: str
    title: str
    headings: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: int
    page: int
    per_page: int
    narrowing: Narrowing

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


FLAG = {"1": "はい"}
ACKNOWLEDGED = {"0": "未確認", "1": "確認済み"}


# --- scope --------------------------------------------------------------------------------------------------

def engagement_scope(user: User, filters: ProgressFilters) -> list[ColumnElement[bool]]:
    """Engagements on covered issues (the program filter, and an expert's own profile)."""
    conditions: list[ColumnElement[bool]] = [Engagement.issue_id.in_(issue_ids_query(user, filters))]
    if filters.program_id is not None:
        conditions.append(Engagement.program_id == filters.program_id)
    mine = expert_ids_query(user)
    if mine is not None:
        conditions.append(Engagement.expert_id.in_(mine))
    return conditions


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(), JST).astimezone(UTC)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[first moment, first moment of the next month) of a JST calendar month, as UTC datetimes."""
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return _utc(month), _utc(following)


def parse_month(raw: str) -> date | None:
    """'2026-05' → date(2026, 5, 1); None when it is not a month of 2000–2100."""
    parts = raw.strip().split("-")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts) or len(parts[0]) != 4:
        return None
    year, month = int(parts[0]), int(parts[1])
    return date(year, month, 1) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


# --- the kinds ----------------------------------------------------------------------------------------------

def _issues(user: User, filters: ProgressFilters, narrow: Narrowing, now: datetime) -> Select[Any]:
    start, end = filters.fy_bounds_utc
    posted = func.coalesce(Issue.published_at, Issue.created_at)
    query = (select(Issue.id, Issue.title, Municipality.name, Issue.sector, Issue.status, Issue.stage,
                    Issue.published_at, Issue.created_at)
             .join(Municipality, Municipality.code == Issue.municipality_code)
             .where(Issue.id.in_(issue_ids_query(user, filters)), posted >= start, posted < end)
             .order_by(Issue.id.desc()))
    if narrow.get("status"):
        query = query.where(Issue.status == narrow.get("status"))
    return query


def _requests(user: User, filters: ProgressFilters, narrow: Narrowing, now: datetime) -> Select[Any]:
    start, end = filters.fy_bounds_utc
    query = (select(EngagementRequest.id, Issue.title, Municipality.name, ExpertProfile.display_name,
                    EngagementRequest.status, EngagementRequest.decline_reason, EngagementRequest.created_at,
                    EngagementRequest.responded_at, EngagementRequest.expires_at)
             .join(Issue, Issue.id == EngagementRequest.issue_id)
             .join(Municipality, Municipality.code == Issue.municipality_code)
             .join(ExpertProfile, ExpertProfile.id == EngagementRequest.expert_id)
             .where(EngagementRequest.issue_id.in_(issue_ids_query(user, filters)),
                    EngagementRequest.created_at >= start, EngagementRequest.created_at < end)
             .order_by(EngagementRequest.created_at.desc(), EngagementRequest.id.desc()))
    if filters.program_id is not None:
        query = query.where(EngagementRequest.program_id == filters.program_id)
    mine = expert_ids_query(user)
    if mine is not None:
        query = query.where(EngagementRequest.expert_id.in_(mine))
    for name in ("status", "decline_reason"):
        if narrow.get(name):
            query = query.where(getattr(EngagementRequest, name) == narrow.get(name))
    return query


def _engagements(user: User, filters: ProgressFilters, narrow: Narrowing, now: datetime) -> Select[Any]:
    query = (select(Engagement.id, Issue.title, Municipality.name, ExpertProfile.display_name,
                    SupportProgram.name,
                    Engagement.start_on, Engagement.end_on, Engagement.status, Engagement.outcome,
                    Engagement.stage_at_start)
             .join(Issue, Issue.id == Engagement.issue_id)
             .join(Municipality, Municipality.code == Issue.municipality_code)
             .join(ExpertProfile, ExpertProfile.id == Engagement.expert_id)
             .outerjoin(SupportProgram, SupportProgram.id == Engagement.program_id)
             .where(*engagement_scope(user, filters), Engagement.start_on <= filters.fy_end,
                    Engagement.end_on >= filters.fy_start)
             .order_by(Engagement.start_on.desc(), Engagement.id.desc()))
    for name in ("status", "outcome"):
        if narrow.get(name):
            query = query.where(getattr(Engagement, name) == narrow.get(name))
    return query


def _moved() -> ColumnElement[bool]:
    return exists().where(AuditEvent.action == "visit_moved", AuditEvent.object_type == "visit",
                          AuditEvent.object_id == cast(Visit.id, String))


def _visits(user: User, filters: ProgressFilters, narrow: Narrowing, now: datetime) -> Select[Any]:
    town = aliased(Municipality)
    query = (select(Visit.id, Visit.engagement_id, Issue.title, town.name, ExpertProfile.display_name,
                    Visit.starts_at, Visit.mode, Visit.status,
                    case((VisitReport.id.is_not(None), "提出済み"), else_="未提出"))
             .join(Engagement, Engagement.id == Visit.engagement_id)
             .join(Issue, Issue.id == Engagement.issue_id)
             .join(town, town.code == Visit.municipality_code)
             .join(ExpertProfile, ExpertProfile.id == Visit.expert_id)
             .outerjoin(VisitReport, VisitReport.visit_id == Visit.id)
             .where(*engagement_scope(user, filters))
             .order_by(Visit.starts_at, Visit.id))
    if narrow.get("status"):
        query = query.where(Visit.status == narrow.get("status"))
    month = parse_month(narrow.get("month") or "")
    if month is not None:  # a month names its own fiscal year (the dashboard's month may lie outside the filters)
        start, end = month_bounds(month)
        query = query.where(Visit.starts_at >= start, Visit.starts_at < end)
    else:
        query = query.where(Visit.fiscal_year == filters.fiscal_year)
    if narrow.get("overdue") == "1":
        query = query.where(Visit.status.in_(OPEN_VISIT), Visit.starts_at < now - OVERDUE_AFTER)
    if narrow.get("moved") == "1":
        query = query.where(_moved())
    return query


def _reports(user: User, filters: ProgressFilters, narrow: Narrowing, now: datetime) -> Select[Any]:
    query = (select(VisitReport.id, Visit.starts_at, Issue.title, Municipality.name, ExpertProfile.display_name,
                    VisitReport.stage, VisitReport.hours, VisitReport.summary, VisitReport.created_at,
                    VisitReport.acknowledged_at)
             .join(Visit, Visit.id == VisitReport.visit_id)
             .join(Engagement, Engagement.id == Visit.engagement_id)
             .join(Issue, Issue.id == Engagement.issue_id)
             .join(Municipality, Municipality.code == Visit.municipality_code)
             .join(ExpertProfile, ExpertProfile.id == Visit.expert_id)
             .where(*engagement_scope(user, filters), Visit.fiscal_year == filters.fiscal_year)
             .order_by(Visit.starts_at.desc(), VisitReport.id.desc()))
    if narrow.get("acknowledged") == "1":
        query = query.where(VisitReport.acknowledged_at.is_not(None))
    elif narrow.get("acknowledged") == "0":
        query = query.where(VisitReport.acknowledged_at.is_(None))
    return query


def _remaining(cap: Any, used: Any, reserved: Any) -> Any:
    return case((cap.is_(None), None), else_=cap - used - reserved)


def _caps(user: User, filters: ProgressFilters, narrow: Narrowing, now: datetime) -> Select[Any]:
    if user.role == "expert":
        raise NotFound("上限の台帳は見つかりません。")
    if user.role == "officer":
        filters = replace(filters, municipality_code=user.municipality_code)
    ledger = CapLedger
    query = (select(SupportProgram.name, ledger.municipality_code, Municipality.name, ledger.fiscal_year,
                    ledger.onsite_cap, ledger.onsite_used, ledger.onsite_reserved,
                    _remaining(ledger.onsite_cap, ledger.onsite_used, ledger.onsite_reserved),
                    ledger.online_cap_minutes, ledger.online_used_minutes, ledger.online_reserved_minutes,
                    _remaining(ledger.online_cap_minutes, ledger.online_used_minutes,
                               ledger.online_reserved_minutes))
             .join(SupportProgram, SupportProgram.id == ledger.program_id)
             .join(Municipality, Municipality.code == ledger.municipality_code)
             .where(ledger.municipality_code.in_(towns_query(filters)),
                    ledger.fiscal_year == filters.fiscal_year)
             .order_by(ledger.municipality_code, SupportProgram.name))
    if filters.program_id is not None:
        query = query.where(ledger.program_id == filters.program_id)
    return query


def _experts(user: User, filters: ProgressFilters, narrow: Narrowing, now: datetime) -> Select[Any]:
    """Experts as the dashboard counts them (experts_use): registered in the prefecture (and the sector filter);
    idle = no active engagement and nothing booked this month; stale = not confirmed for RECONFIRM_AFTER_DAYS.
    Only coordinators and admins list experts."""
    if user.role not in ("coordinator", "admin"):
        raise NotFound("外部デジタル人材の一覧は見つかりません。")
    active = (select(func.count(Engagement.id))
              .where(Engagement.expert_id == ExpertProfile.id, Engagement.status == "active")
              .correlate(ExpertProfile).scalar_subquery())
    booked = func.coalesce(ExpertLoad.booked, 0)
    stale_before = now - timedelta(days=int(current_app.config["RECONFIRM_AFTER_DAYS"]))
    this_month = now.astimezone(JST).date().replace(day=1)
    query = (select(ExpertProfile.id, ExpertProfile.display_name, ExpertProfile.home_label,
                    func.coalesce(ExpertLoad.capacity, ExpertProfile.monthly_capacity), booked, active,
                    ExpertProfile.last_confirmed_at,
                    case((ExpertProfile.last_confirmed_at < stale_before, "要確認"), else_=""))
             .outerjoin(ExpertLoad, and_(ExpertLoad.expert_id == ExpertProfile.id,
                                         ExpertLoad.month == this_month))
             .where(ExpertProfile.prefecture_code == filters.prefecture_code)
             .order_by(ExpertProfile.display_name, ExpertProfile.id))
    if filters.sector:
        query = query.where(exists().where(ExpertSector.expert_id == ExpertProfile.id,
                                           ExpertSector.sector == filters.sector))
    if narrow.get("idle") == "1":
        query = query.where(active == 0, booked == 0)
    if narrow.get("stale") == "1":
        query = query.where(ExpertProfile.last_confirmed_at < stale_before)
    return query


C = Column
KINDS: dict[str, ListKind] = {
    "issues": ListKind("課題", (C("課題ID"), C("課題名"), C("市町村"), C("分野", SECTORS), C("状態", ISSUE_STATUSES),
                              C("DXの段階", STAGES), C("公開日時"), C("登録日時")),
                       _issues, {"status": ISSUE_STATUSES}),
    "requests": ListKind("依頼", (C("依頼ID"), C("課題名"), C("市町村"), C("外部デジタル人材"),
                                 C("状態", REQUEST_STATUSES), C("辞退の理由", DECLINE_REASONS), C("送信日時"),
                                 C("回答日時"), C("回答期限")),
                         _requests, {"status": REQUEST_STATUSES, "decline_reason": DECLINE_REASONS}),
    "engagements": ListKind("支援", (C("支援ID"), C("課題名"), C("市町村"), C("外部デジタル人材"), C("支援制度"),
                                    C("開始日"), C("終了日"), C("状態", ENGAGEMENT_STATUSES),
                                    C("成果", ENGAGEMENT_OUTCOMES), C("開始時のDXの段階", STAGES)),
                            _engagements, {"status": ENGAGEMENT_STATUSES, "outcome": ENGAGEMENT_OUTCOMES}),
    "visits": ListKind("訪問", (C("訪問ID"), C("支援ID"), C("課題名"), C("訪問先"), C("外部デジタル人材"),
                               C("開始日時"), C("形態", VISIT_MODES), C("状態", VISIT_STATUSES), C("報告")),
                       _visits, {"status": VISIT_STATUSES, "month": None, "overdue": FLAG, "moved": FLAG}),
    "reports": ListKind("訪問報告", (C("報告ID"), C("訪問日時"), C("課題名"), C("訪問先"), C("外部デジタル人材"),
                                   C("現在のDXの段階", STAGES), C("時間"), C("要約"), C("提出日時"), C("確認日時")),
                        _reports, {"acknowledged": ACKNOWLEDGED}),
    "caps": ListKind("支援制度の上限と利用", (
        C("支援制度"), C("市町村コード"), C("市町村"), C("年度"), C("現地訪問の上限（回）"), C("現地訪問の実施（回）"),
        C("現地訪問の予定（回）"), C("現地訪問の残り（回）"), C("オンラインの上限（分）"), C("オンラインの実施（分）"),
        C("オンラインの予定（分）"), C("オンラインの残り（分）")), _caps, {}),
    "experts": ListKind("外部デジタル人材", (C("人材ID"), C("氏名"), C("拠点"), C("今月の対応可能数"), C("今月の予定数"),
                                         C("支援中の件数"), C("最終確認日時"), C("プロフィール")),
                        _experts, {"idle": FLAG, "stale": FLAG}),
}
NARROWING_LABELS = {"status": "状態", "decline_reason": "辞退の理由", "outcome": "成果", "month": "月",
                    "overdue": "期限超過", "moved": "日程変更あり", "acknowledged": "確認", "idle": "支援なし",
                    "stale": "プロフィールの確認が必要"}


def get_kind(kind: str) -> ListKind:
    """The list kind, or NotFound (an unknown kind is a missing page)."""
    found = KINDS.get(kind)
    if found is None:
        raise NotFound("一覧が見つかりません。")
    return found


def parse_narrowing(kind: str, args: Mapping[str, str]) -> Narrowing:
    """Check the kind's narrowing arguments; unknown values raise InvalidInput in Japanese."""
    spec = get_kind(kind)
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, allowed in spec.narrowing.items():
        raw = (args.get(name) or "").strip()
        if not raw:
            continue
        if allowed is None:
            if parse_month(raw) is None:
                errors[name] = ["月は 2026-05 のように年（4桁）と月を半角のハイフンでつないで指定してください。"]
                continue
        elif raw not in allowed:
            choices = "、".join(allowed)
            errors[name] = [f"{NARROWING_LABELS[name]}（{name}）は次のいずれかで指定してください: {choices}"]
            continue
        values[name] = raw
    if errors:
        raise InvalidInput(errors)
    return Narrowing(values)


def parse_page(raw: str | None) -> int:
    text = (raw or "").strip()
    if not text:
        return 1
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and int(text) >= 1):
        raise InvalidInput({"page": ["ページ番号は1以上の半角数字で指定してください。"]})
    return int(text)


def _query(kind: str, user: User, filters: ProgressFilters, narrowing: Narrowing,
           now: datetime | None) -> tuple[ListKind, Select[Any]]:
    spec = get_kind(kind)
    return spec, spec.build(user, filters, narrowing, now or datetime.now(UTC))


def _typed(spec: ListKind, row: Any) -> tuple[Any, ...]:
    return tuple(column.value(raw) for column, raw in zip(spec.columns, row, strict=True))


def list_page(kind: str, user: User, filters: ProgressFilters, narrowing: Narrowing, page: int = 1, *,
              per_page: int = PER_PAGE, now: datetime | None = None) -> ListPage:
    """One page of the list of `kind` (two statements: the count and the page)."""
    spec, query = _query(kind, user, filters, narrowing, now)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.session.execute(query.offset((page - 1) * per_page).limit(per_page))
    return ListPage(kind, spec.title, tuple(c.label for c in spec.columns),
                    tuple(_typed(spec, r) for r in rows), int(total), page, per_page, narrowing)


def headings(kind: str) -> tuple[str, ...]:
    return tuple(column.label for column in get_kind(kind).columns)


def iter_rows(kind: str, user: User, filters: ProgressFilters, narrowing: Narrowing, *,
              now: datetime | None = None) -> Iterator[tuple[Any, ...]]:
    """Every row of the list, fetched STREAM_BATCH at a time.

    The query is built (and its arguments checked) now, but runs at the first row: a streamed response is read
    after the view has returned, when Flask has already torn down the request's session (and with it, on
    PostgreSQL, the server-side cursor of ``yield_per``); the stream's own session lives until the last row.
    """
    spec, query = _query(kind, user, filters, narrowing, now)

    def stream() -> Iterator[tuple[Any, ...]]:
        for row in db.session.execute(query.execution_options(yield_per=STREAM_BATCH)):
            yield _typed(spec, row)

    return stream()


__all__ = ["KINDS", "ListPage", "Narrowing", "get_kind", "headings", "iter_rows", "list_page", "month_bounds",
           "parse_month", "parse_narrowing", "parse_page"]
