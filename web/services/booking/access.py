"""Who may see which request, engagement and visit, and which side of an engagement a user acts for.

One rule per kind, applied in SQL: an officer sees what concerns their town's issues (also as a co-owner of a
joint issue), a coordinator what concerns the issues of their prefecture, an expert their own, an admin all.
Anything else looks missing (NotFound, 404 in the API).
"""
from __future__ import annotations

from sqlalchemy import Select, false, select

from web.extensions import db
from web.models import Engagement, EngagementRequest, ExpertProfile, Issue, User, Visit
from web.services.errors import NotFound, ServiceError
from web.services.issues import _query_visible as visible_issues_query


def _own_expert_ids(user: User) -> Select[tuple[int]]:
    return select(ExpertProfile.id).where(ExpertProfile.user_id == user.id)


def _issue_ids(user: User) -> Select[tuple[int]] | None:
    """The ids of the issues whose booking records the user may see by place (None: by expert, or none)."""
    if user.role in ("officer", "coordinator", "admin"):
        return visible_issues_query(user).with_only_columns(Issue.id)
    return None


def requests_query(user: User) -> Select[tuple[EngagementRequest]]:
    query = select(EngagementRequest)
    if user.role == "expert":
        return query.where(EngagementRequest.expert_id.in_(_own_expert_ids(user)))
    issue_ids = _issue_ids(user)
    return query.where(EngagementRequest.issue_id.in_(issue_ids)) if issue_ids is not None else query.where(false())


def engagements_query(user: User) -> Select[tuple[Engagement]]:
    query = select(Engagement)
    if user.role == "expert":
        return query.where(Engagement.expert_id.in_(_own_expert_ids(user)))
    issue_ids = _issue_ids(user)
    return query.where(Engagement.issue_id.in_(issue_ids)) if issue_ids is not None else query.where(false())


def visits_query(user: User) -> Select[tuple[Visit]]:
    query = select(Visit)
    if user.role == "expert":
        return query.where(Visit.expert_id.in_(_own_expert_ids(user)))
    issue_ids = _issue_ids(user)
    if issue_ids is None:
        return query.where(false())
    return query.join(Engagement, Visit.engagement_id == Engagement.id).where(Engagement.issue_id.in_(issue_ids))


def get_request(user: User, request_id: int, *, for_update: bool = False) -> EngagementRequest:
    query = requests_query(user).where(EngagementRequest.id == request_id)
    found = db.session.scalar(query.with_for_update(of=EngagementRequest) if for_update else query)
    if found is None:
        raise NotFound("依頼が見つかりません。")
    return found


def get_engagement(user: User, engagement_id: int) -> Engagement:
    found = db.session.scalar(engagements_query(user).where(Engagement.id == engagement_id))
    if found is None:
        raise NotFound("支援が見つかりません。")
    return found


def get_visit(user: User, visit_id: int) -> Visit:
    found = db.session.scalar(visits_query(user).where(Visit.id == visit_id))
    if found is None:
        raise NotFound("訪問が見つかりません。")
    return found


def side_of(user: User, expert_id: int) -> str:
    """Return "expert" for the engagement's expert, "town" for the town's officers, coordinators and admins.

    Call after one of the getters above (which already refused everyone else).
    """
    if user.role == "expert":
        own = db.session.scalar(_own_expert_ids(user))
        if own != expert_id:
            raise NotFound("支援が見つかりません。")
        return "expert"
    return "town"


def require_side(user: User, expert_id: int, side: str, action: str) -> None:
    """Refuse (in Japanese) when the user acts for the other side of the engagement."""
    if side_of(user, expert_id) != side:
        who = "外部デジタル人材" if side == "expert" else "市町村の担当者"
        raise ServiceError(f"{action}は{who}が行います。")
