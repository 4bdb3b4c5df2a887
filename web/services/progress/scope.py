"""Who sees which figures, and the filters every figure, list and export shares.

One rule, applied in SQL: a coordinator sees their prefecture, an officer their town (owned or co-owned
issues), an expert their own requests and engagements, an admin any prefecture. Asking for another prefecture
or town looks like a missing page (NotFound → 404).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Select, false, or_, select

from web.codes import SECTORS
from web.dates import fiscal_year_of, today_jst
from web.extensions import db
from web.models import (
    Engagement, EngagementRequest, ExpertProfile, Issue, IssueCoOwner, Municipality, Prefecture, SupportProgram, User,
)
from web.services.errors import NotFound
from web.services.issues import _query_visible as visible_issues_query
from web.services.validation import InvalidInput

JST = ZoneInfo("Asia/Tokyo")
#: The filter names shared by the dashboard's query string, the lists behind its figures, exports and the API.
FILTER_NAMES = ("prefecture_code", "fiscal_year", "subprefecture", "municipality_code", "sector", "program_id")


@dataclass(frozen=True)
class ProgressFilters:
    """The figures' filters: a prefecture and a fiscal year (April–March), optionally narrowed."""

    prefecture_code: str
    fiscal_year: int
    subprefecture: str | None = None  # 振興局 / region (Municipality.subprefecture)
    municipality_code: str | None = None
    sector: str | None = None
    program_id: int | None = None

    @property
    def fy_start(self) -> date:
        return date(self.fiscal_year, 4, 1)

    @property
    def fy_end(self) -> date:
        """The last day of the fiscal year."""
        return date(self.fiscal_year + 1, 3, 31)

    @property
    def fy_bounds_utc(self) -> tuple[datetime, datetime]:
        """[start, end) of the fiscal year as aware datetimes (JST midnights), for timestamp columns."""
        start = datetime.combine(self.fy_start, time(), JST)
        end = datetime.combine(date(self.fiscal_year + 1, 4, 1), time(), JST)
        return start, end

    def query_args(self, **changes: object) -> dict[str, str]:
        """The filters as query-string arguments (for links to the list behind a figure, exports, the next year)."""
        current = replace(self, **changes) if changes else self  # type: ignore[arg-type]
        return {name: str(getattr(current, name)) for name in FILTER_NAMES if getattr(current, name) is not None}


def default_prefecture(user: User) -> str | None:
    """The prefecture a user's figures default to."""
    if user.role == "coordinator":
        return user.prefecture_code
    if user.role == "officer" and user.municipality_code:
        return db.session.scalar(select(Municipality.prefecture_code).where(
            Municipality.code == user.municipality_code))
    if user.role == "expert":
        return db.session.scalar(select(ExpertProfile.prefecture_code).where(ExpertProfile.user_id == user.id))
    # An admin: the first prefecture with an issue, or (a site without issues yet) the first with a town in the
    # service, so the admin's menu links open empty pages instead of a 404.
    with_issue = db.session.scalar(select(Municipality.prefecture_code).join(
        Issue, Issue.municipality_code == Municipality.code).order_by(Municipality.prefecture_code).limit(1))
    return with_issue or db.session.scalar(
        select(Municipality.prefecture_code).order_by(Municipality.prefecture_code).limit(1))


def _int_or_error(raw: str, field: str, label: str, errors: dict[str, list[str]]) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        errors[field] = [f"{label}は半角数字で指定してください。"]
        return None
    return int(raw)


def parse_filters(user: User, args: Mapping[str, str]) -> ProgressFilters:
    """Read the filters from a query string (or API arguments) and check them against the user's scope.

    Bad values raise InvalidInput with Japanese messages; a prefecture or town outside the user's scope raises
    NotFound (the same answer as one that does not exist).
    """
    errors: dict[str, list[str]] = {}
    prefecture = (args.get("prefecture_code") or "").strip() or default_prefecture(user)
    if prefecture is None or not (len(prefecture) == 2 and prefecture.isascii() and prefecture.isdigit()):
        raise NotFound("都道府県が見つかりません。")
    fiscal_year = _int_or_error(args.get("fiscal_year") or "", "fiscal_year", "年度", errors)
    if fiscal_year is not None and not 2000 <= fiscal_year <= 2100:
        errors["fiscal_year"] = ["年度は2000年度から2100年度の範囲で指定してください。"]
    program_id = _int_or_error(args.get("program_id") or "", "program_id", "支援制度", errors)
    sector = (args.get("sector") or "").strip() or None
    if sector is not None and sector not in SECTORS:
        errors["sector"] = ["分野は一覧から選んでください。"]
    town = (args.get("municipality_code") or "").strip() or None
    region = (args.get("subprefecture") or "").strip()[:20] or None
    if program_id is not None and db.session.get(SupportProgram, program_id) is None:
        errors["program_id"] = ["支援制度は一覧から選んでください。"]
    if errors:
        raise InvalidInput(errors)
    filters = ProgressFilters(prefecture, fiscal_year or fiscal_year_of(today_jst()), region, town, sector, program_id)
    check_scope(user, filters)
    return filters


def check_scope(user: User, filters: ProgressFilters) -> None:
    """Raise NotFound unless the user may see the filters' prefecture (and town)."""
    if user.role == "coordinator" and filters.prefecture_code != user.prefecture_code:
        raise NotFound("都道府県が見つかりません。")
    if user.role == "officer":
        own = default_prefecture(user)
        if filters.prefecture_code != own or filters.municipality_code not in (None, user.municipality_code):
            raise NotFound("市町村が見つかりません。")
    if user.role not in ("coordinator", "officer", "admin", "expert"):
        raise NotFound("都道府県が見つかりません。")
    if filters.municipality_code is not None:
        found = db.session.scalar(select(Municipality.code).where(
            Municipality.code == filters.municipality_code, Municipality.prefecture_code == filters.prefecture_code))
        if found is None:
            raise NotFound("市町村が見つかりません。")


def towns_query(filters: ProgressFilters) -> Select[tuple[str]]:
    """The codes of the municipalities the filters cover (prefecture, region, town)."""
    query = select(Municipality.code).where(Municipality.prefecture_code == filters.prefecture_code)
    if filters.subprefecture:
        query = query.where(Municipality.subprefecture == filters.subprefecture)
    if filters.municipality_code:
        query = query.where(Municipality.code == filters.municipality_code)
    return query


def issue_ids_query(user: User, filters: ProgressFilters) -> Select[tuple[int]]:
    """The ids of the issues the user may see that the filters cover (by owning or co-owning town, and sector).

    The program filter is not applied here (an issue has no program; engagements do): figures about
    engagements, visits and caps add ``Engagement.program_id == filters.program_id`` themselves.
    """
    towns = towns_query(filters)
    co_owned = select(IssueCoOwner.issue_id).where(IssueCoOwner.municipality_code.in_(towns))
    if user.role == "expert":
        mine = select(ExpertProfile.id).where(ExpertProfile.user_id == user.id)
        involved = select(EngagementRequest.issue_id).where(EngagementRequest.expert_id.in_(mine)).union(
            select(Engagement.issue_id).where(Engagement.expert_id.in_(mine)))
        base = select(Issue.id).where(Issue.id.in_(involved))
    elif user.role in ("officer", "coordinator", "admin"):
        base = visible_issues_query(user).with_only_columns(Issue.id)
    else:
        return select(Issue.id).where(false())
    query = base.where(or_(Issue.municipality_code.in_(towns), Issue.id.in_(co_owned)))
    if filters.sector:
        query = query.where(Issue.sector == filters.sector)
    return query


def expert_ids_query(user: User) -> Select[tuple[int]] | None:
    """For an expert: the ids of their own profile (figures about engagements narrow to them); else None."""
    if user.role == "expert":
        return select(ExpertProfile.id).where(ExpertProfile.user_id == user.id)
    return None


@dataclass(frozen=True)
class FilterChoices:
    """What a filter form offers (the dashboard's and the map's): fiscal years, the prefecture's 振興局 and towns,
    the programs, and for an admin the prefectures that have a town in the service."""

    years: list[int]
    regions: list[str]
    towns: list[tuple[str, str, str | None]]  # (code, name, 振興局)
    programs: list[tuple[int, str]]
    prefectures: list[tuple[str, str]]


def filter_choices(user: User, filters: ProgressFilters) -> FilterChoices:
    """The options of the filter forms: three queries (four for an admin), whatever the data."""
    towns = [(code, name, region) for code, name, region in db.session.execute(
        select(Municipality.code, Municipality.name, Municipality.subprefecture)
        .where(Municipality.prefecture_code == filters.prefecture_code).order_by(Municipality.code))]
    prefectures = [(code, name) for code, name in db.session.execute(
        select(Prefecture.code, Prefecture.name).where(Prefecture.code.in_(select(Municipality.prefecture_code)))
        .order_by(Prefecture.code))] if user.role == "admin" else []
    programs = [(pk, name) for pk, name in db.session.execute(
        select(SupportProgram.id, SupportProgram.name).order_by(SupportProgram.id))]
    current = fiscal_year_of(today_jst())
    years = sorted({*range(current - 3, current + 2), filters.fiscal_year}, reverse=True)
    regions = sorted({region for _, _, region in towns if region})
    return FilterChoices(years, regions, towns, programs, prefectures)

