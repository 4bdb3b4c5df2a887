"""The pipeline: issues by status, time from posting to the first request and to acceptance, requests by outcome
and decline reason, and how fast experts answer requests and towns acknowledge reports.

Issues count in the fiscal year they were posted (published_at; a draft by created_at); requests in the fiscal
year they were sent (created_at). Each figure is one aggregate query; the three duration figures fetch one column
of durations each (one row per issue or request) and take the median and 90th percentile in Python
(`common.summarise`), because SQLite has no percentile function.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, func, literal, select, union_all

from web.codes import DECLINE_REASONS, ISSUE_STATUSES, REQUEST_STATUSES
from web.extensions import db
from web.models import EngagementRequest, Issue, User, Visit, VisitReport
from web.services.progress.common import Count, Durations, counts, engagement_ids_query, summarise
from web.services.progress.scope import ProgressFilters, expert_ids_query, issue_ids_query


@dataclass(frozen=True)
class Pipeline:
    issues_by_status: tuple[Count, ...]
    issues_total: int
    to_first_request: Durations  # days from posting to the first request sent
    to_acceptance: Durations  # days from posting to the first accepted request
    requests_by_status: tuple[Count, ...]
    requests_sent: int
    declines_by_reason: tuple[Count, ...]
    declined: int
    expert_response: Durations  # hours from a request being sent to the expert's accept or decline
    town_response: Durations  # hours from a report being filed to the town acknowledging it


def _posted_at() -> ColumnElement[datetime]:
    return func.coalesce(Issue.published_at, Issue.created_at)


def _issue_scope(user: User, filters: ProgressFilters) -> list[ColumnElement[bool]]:
    start, end = filters.fy_bounds_utc
    posted = _posted_at()
    return [Issue.id.in_(issue_ids_query(user, filters)), posted >= start, posted < end]


def _request_scope(user: User, filters: ProgressFilters) -> list[ColumnElement[bool]]:
    start, end = filters.fy_bounds_utc
    where = [EngagementRequest.issue_id.in_(issue_ids_query(user, filters)),
             EngagementRequest.created_at >= start, EngagementRequest.created_at < end]
    if filters.program_id is not None:
        where.append(EngagementRequest.program_id == filters.program_id)
    mine = expert_ids_query(user)
    if mine is not None:
        where.append(EngagementRequest.expert_id.in_(mine))
    return where


def issues_by_status(user: User, filters: ProgressFilters) -> tuple[Count, ...]:
    rows = db.session.execute(select(Issue.status, func.count(Issue.id))
                              .where(*_issue_scope(user, filters)).group_by(Issue.status))
    return counts({status: n for status, n in rows}, ISSUE_STATUSES)


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


def posting_durations(user: User, filters: ProgressFilters) -> tuple[Durations, Durations]:
    """Days from posting to the first request and to the first acceptance, per issue posted in the year."""
    requests = [EngagementRequest.issue_id == Issue.id]
    if filters.program_id is not None:
        requests.append(EngagementRequest.program_id == filters.program_id)
    query = (select(_posted_at(), func.min(EngagementRequest.created_at),
                    func.min(EngagementRequest.responded_at).filter(EngagementRequest.status == "accepted"))
             .select_from(Issue).join(EngagementRequest, and_(*requests))
             .where(*_issue_scope(user, filters)).group_by(Issue.id))
    first_request: list[float] = []
    accepted: list[float] = []
    for posted_at, first, accept in db.session.execute(query):
        posted = _aware(posted_at)
        if (seconds := _seconds(_aware(first), posted)) is not None:
            first_request.append(max(seconds, 0) / 86400)
        if (seconds := _seconds(_aware(accept), posted)) is not None:
            accepted.append(max(seconds, 0) / 86400)
    return summarise(first_request, "days"), summarise(accepted, "days")


def requests_by_status(user: User, filters: ProgressFilters) -> tuple[tuple[Count, ...], tuple[Count, ...]]:
    """Requests sent in the year by status, and the declined ones by reason (one GROUP BY over both columns)."""
    rows = db.session.execute(select(EngagementRequest.status, EngagementRequest.decline_reason, func.count())
                              .where(*_request_scope(user, filters))
                              .group_by(EngagementRequest.status, EngagementRequest.decline_reason))
    by_status: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for status, reason, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if reason:
            by_reason[reason] = by_reason.get(reason, 0) + n
    return counts(by_status, REQUEST_STATUSES), counts(by_reason, DECLINE_REASONS)


def response_durations(user: User, filters: ProgressFilters) -> tuple[Durations, Durations]:
    """Hours experts took to accept or decline (requests sent in the year) and towns took to acknowledge reports
    (reports filed in the year): one UNION ALL statement, a kind column telling the two apart."""
    start, end = filters.fy_bounds_utc
    experts = (select(literal("expert").label("kind"), EngagementRequest.created_at.label("sent"),
                      EngagementRequest.responded_at.label("answered"))
               .where(*_request_scope(user, filters), EngagementRequest.status.in_(("accepted", "declined"))))
    towns = (select(literal("town").label("kind"), VisitReport.created_at.label("sent"),
                    VisitReport.acknowledged_at.label("answered"))
             .join(Visit, Visit.id == VisitReport.visit_id)
             .where(Visit.engagement_id.in_(engagement_ids_query(user, filters)),
                    VisitReport.created_at >= start, VisitReport.created_at < end,
                    VisitReport.acknowledged_at.is_not(None)))
    hours: dict[str, list[float]] = {"expert": [], "town": []}
    for kind, sent, answered in db.session.execute(union_all(experts, towns)):
        if (seconds := _seconds(_aware(answered), _aware(sent))) is not None:
            hours[kind].append(max(seconds, 0) / 3600)
    return summarise(hours["expert"], "hours"), summarise(hours["town"], "hours")


def _aware(value: datetime | str | None) -> datetime | None:
    """Aggregates and UNIONs lose the column type on SQLite (text back): parse and make it UTC-aware."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def pipeline(user: User, filters: ProgressFilters) -> Pipeline:
    statuses = issues_by_status(user, filters)
    to_request, to_accept = posting_durations(user, filters)
    requests, declines = requests_by_status(user, filters)
    expert, town = response_durations(user, filters)
    return Pipeline(statuses, sum(c.count for c in statuses), to_request, to_accept, requests,
                    sum(c.count for c in requests), declines,
                    sum(c.count for c in declines), expert, town)

