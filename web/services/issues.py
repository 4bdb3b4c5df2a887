"""Issue queries scoped to what each user may see (object-level access lives here)."""
from __future__ import annotations

from sqlalchemy import Select, case, false, func, or_, select
from sqlalchemy.orm import selectinload

from web.extensions import db
from web.models import Engagement, Issue, IssueCoOwner, Municipality, User, Visit
from web.services.errors import NotFound

PUBLIC_STATUSES = ("open", "matching")


def _query_visible(user: User) -> Select[tuple[Issue]]:
    query = select(Issue)
    if user.role == "admin":
        return query
    if user.role == "officer":
        co_owned = select(IssueCoOwner.issue_id).where(IssueCoOwner.municipality_code == user.municipality_code)
        return query.where(or_(Issue.municipality_code == user.municipality_code, Issue.id.in_(co_owned)))
    if user.role == "coordinator":
        in_prefecture = select(Municipality.code).where(Municipality.prefecture_code == user.prefecture_code)
        co_owned = select(IssueCoOwner.issue_id).where(IssueCoOwner.municipality_code.in_(in_prefecture))
        return query.where(or_(Issue.municipality_code.in_(in_prefecture), Issue.id.in_(co_owned)))
    if user.role == "expert":
        return query.where(Issue.status.in_(PUBLIC_STATUSES))
    return query.where(false())


def _query_listed(user: User, status: str | None) -> Select[tuple[Issue]]:
    query = _query_visible(user)
    if status:
        query = query.where(Issue.status == status)
    return query


def page_visible_issues(user: User, status: str | None, page: int, per_page: int) -> tuple[list[Issue], int]:
    """Return one page of the issues `user` may see (newest first) and how many there are in all."""
    query = _query_listed(user, status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.options(selectinload(Issue.role_rows), selectinload(Issue.co_owner_rows))
                              .order_by(Issue.created_at.desc(), Issue.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return list(rows), int(total)


def list_visible_issues(user: User, status: str | None = None) -> list[Issue]:
    """Return the issues `user` may see, newest first."""
    query = _query_listed(user, status).options(
        selectinload(Issue.municipality), selectinload(Issue.role_rows), selectinload(Issue.created_by),
        selectinload(Issue.co_owner_rows).selectinload(IssueCoOwner.municipality),
    )
    return list(db.session.scalars(query.order_by(Issue.created_at.desc(), Issue.id.desc())))


def list_seeking_issues(user: User) -> list[Issue]:
    """Return the visible issues still looking for an expert: open ones (newest first), then those back in
    matching after a decline or an expiry (newest first), with their town; one query plus one for the towns."""
    query = _query_visible(user).where(Issue.status.in_(PUBLIC_STATUSES)).options(selectinload(Issue.municipality))
    order = case((Issue.status == "open", 0), else_=1)
    return list(db.session.scalars(query.order_by(order, Issue.created_at.desc(), Issue.id.desc())))


def get_visible_issue(user: User, issue_id: int) -> Issue:
    """Return the issue if `user` may see it; otherwise raise NotFound (same answer as a missing id)."""
    issue = db.session.scalar(_query_visible(user).where(Issue.id == issue_id))
    if issue is None:
        raise NotFound("課題が見つかりません。")
    return issue


def change_status(issue: Issue, target: str) -> None:
    """Move the issue along its lifecycle (raises IllegalTransition with a Japanese message)."""
    issue.transition_to(target)
    db.session.flush()


def engagements_by_issue(issue_ids: list[int]) -> dict[int, list[Engagement]]:
    """Return each issue's engagements with their expert, visits and reports loaded in a few queries."""
    if not issue_ids:
        return {}
    query = (
        select(Engagement).where(Engagement.issue_id.in_(issue_ids))
        .options(selectinload(Engagement.expert), selectinload(Engagement.visits).selectinload(Visit.report))
        .order_by(Engagement.start_on, Engagement.id)
    )
    found: dict[int, list[Engagement]] = {}
    for engagement in db.session.scalars(query):
        found.setdefault(engagement.issue_id, []).append(engagement)
    return found
