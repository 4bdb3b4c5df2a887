"""What the request pages read: a bounded, filtered page of the requests a user may see, counts per tab, the
plan a request asks for, and the engagement an accepted request became. Reads only."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from web.extensions import db
from web.models import Engagement, EngagementRequest, Issue, IssueCoOwner, Municipality, User
from web.services.booking import access, plans

#: The list's tabs: a tab name and the statuses it shows ("" = every status).
TABS: dict[str, tuple[str, ...]] = {
    "": (),
    "pending": ("pending",),
    "answered": ("accepted", "declined"),
    "expired": ("expired",),
    "withdrawn": ("withdrawn",),
}
TAB_LABELS = {"": "すべて", "pending": "回答待ち", "answered": "回答済み（承諾・辞退）", "expired": "期限切れ",
              "withdrawn": "取り下げ"}
PER_PAGE = 50


@dataclass(frozen=True)
class RequestPage:
    rows: list[EngagementRequest]
    total: int
    page: int
    pages: int
    counts: dict[str, int]


def _filtered(user: User, municipality_code: str | None) -> Select[tuple[EngagementRequest]]:
    query = access.requests_query(user)
    if municipality_code:
        co_owned = select(IssueCoOwner.issue_id).where(IssueCoOwner.municipality_code == municipality_code)
        issues = select(Issue.id).where(or_(Issue.municipality_code == municipality_code, Issue.id.in_(co_owned)))
        query = query.where(EngagementRequest.issue_id.in_(issues))
    return query


def _counts(query: Select[tuple[EngagementRequest]]) -> dict[str, int]:
    by_status = dict(db.session.execute(
        query.with_only_columns(EngagementRequest.status, func.count()).group_by(EngagementRequest.status)).all())
    return {tab: sum(count for status, count in by_status.items() if not statuses or status in statuses)
            for tab, statuses in TABS.items()}


def request_page(user: User, tab: str = "", municipality_code: str | None = None, page: int = 1,
                 per_page: int | None = None) -> RequestPage:
    """One page of the requests `user` may see: pending first (soonest due first), then newest first."""
    per_page = per_page or PER_PAGE
    query = _filtered(user, municipality_code)
    counts = _counts(query)
    statuses = TABS.get(tab, ())
    if statuses:
        query = query.where(EngagementRequest.status.in_(statuses))
    total = counts.get(tab, 0)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    pending_first = case((EngagementRequest.status == "pending", 0), else_=1)
    due_first = case((EngagementRequest.status == "pending", EngagementRequest.expires_at), else_=None)
    rows = db.session.scalars(
        query.options(selectinload(EngagementRequest.issue).selectinload(Issue.municipality),
                      selectinload(EngagementRequest.expert), selectinload(EngagementRequest.program))
        .order_by(pending_first, due_first, EngagementRequest.created_at.desc(), EngagementRequest.id.desc())
        .offset((page - 1) * per_page).limit(per_page))
    return RequestPage([row for row in rows], total, page, pages, counts)  # type: ignore[misc]


def prefecture_towns(user: User) -> list[Municipality]:
    """The towns a coordinator may filter by (their prefecture's), in kana order; none for other roles."""
    if user.role != "coordinator":
        return []
    return list(db.session.scalars(select(Municipality).where(Municipality.prefecture_code == user.prefecture_code)
                                   .order_by(Municipality.kana, Municipality.code)))


def town_names(codes: Iterable[str]) -> dict[str, str]:
    codes = set(codes)
    if not codes:
        return {}
    return dict(db.session.execute(select(Municipality.code, Municipality.name).where(Municipality.code.in_(codes))).all())


def requested_plan(request: EngagementRequest) -> list[plans.PlanItem]:
    """The visits the request asks for, by month and mode (a spot consultation: its offered slots are shown apart)."""
    return [] if request.menu == "spot" else plans.requested_items(request)


def engagement_of(request: EngagementRequest) -> Engagement | None:
    return db.session.scalar(select(Engagement).where(Engagement.request_id == request.id))


def pending_between(user: User, issue_id: int, expert_id: int) -> EngagementRequest | None:
    """The pending request of the issue to the expert, if the user may see it (one at most, a unique index)."""
    return db.session.scalar(access.requests_query(user).where(
        EngagementRequest.issue_id == issue_id, EngagementRequest.expert_id == expert_id,
        EngagementRequest.status == "pending"))
