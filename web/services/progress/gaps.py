"""Supply gaps and joint-issue candidates for the coordinator's dashboard (issue #10).

- Supply gaps: the open issues (published, or back in matching) whose best candidate scores below the setting
  SUPPLY_GAP_SCORE, or that have no feasible candidate at all, counted by the roles they want, their sector and
  their town's region (振興局): what kind of expert the prefecture should recruit next. The best candidate comes
  from one batch ranking of every issue in scope (matching.top_candidates): the same pinned-first, excluded-left-out
  list the candidate page shows, so a gap here is a gap there.
- Joint candidates: groups of open issues in different towns that describe the same need (the matcher's joint
  detection), with the towns they would join and the terms they share (explained only for the groups returned).

Scope is applied in SQL (progress.scope.issue_ids_query: coordinator = prefecture, officer = own town, admin = any);
experts get nothing (other experts' rankings are staff information). Both raise matching.IndexNotReady while the
matching index is being built.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from web.codes import ROLES, SECTORS
from web.extensions import db
from web.models import ExpertRole, Issue, User
from web.services import matching
from web.services.errors import ServiceError
from web.services.progress.scope import ProgressFilters, issue_ids_query

#: The region key and label of a town without a 振興局 (most prefectures have none).
NO_REGION = ("", "振興局なし")

Count = tuple[str, str, int]  # (key, label, count)


@dataclass(frozen=True)
class WeakIssue:
    """An open issue whose best candidate is below the threshold (best_score None: no feasible candidate)."""

    issue_id: int
    title: str
    municipality_code: str
    municipality_name: str
    subprefecture: str | None
    sector: str
    wanted_roles: tuple[str, ...]
    best_score: float | None
    best_expert_roles: tuple[str, ...]  # the roles of the best candidate (empty without one)


@dataclass(frozen=True)
class SupplyGaps:
    """The weak issues and their counts (each sorted by count descending, then key)."""

    threshold: float
    ranked: int  # open issues in scope that were ranked
    issues: tuple[WeakIssue, ...]
    by_role: tuple[Count, ...]  # the roles the weak issues want (an issue wanting two roles counts for both)
    by_sector: tuple[Count, ...]
    by_subprefecture: tuple[Count, ...]


@dataclass(frozen=True)
class JointCandidate:
    """Open issues in different towns describing the same need: a candidate for one joint engagement."""

    issue_ids: tuple[int, ...]
    titles: tuple[str, ...]
    municipality_codes: tuple[str, ...]
    municipality_names: tuple[str, ...]  # the towns it would join, in the order of the issues
    score: float  # mean text similarity of the linked pairs (0-1)
    shared_terms: tuple[str, ...]


def _open_issues(user: User, filters: ProgressFilters, statuses: Iterable[str]) -> list[Issue]:
    query = (select(Issue).where(Issue.id.in_(issue_ids_query(user, filters)), Issue.status.in_(list(statuses)))
             .options(selectinload(Issue.municipality), selectinload(Issue.role_rows)).order_by(Issue.id))
    return list(db.session.scalars(query))


def _roles_of(expert_ids: set[int]) -> dict[int, tuple[str, ...]]:
    """The roles of the given experts, in one query (the gap table names the best candidate's roles)."""
    found: dict[int, list[str]] = {}
    if expert_ids:
        for expert_id, role in db.session.execute(select(ExpertRole.expert_id, ExpertRole.role).where(
                ExpertRole.expert_id.in_(sorted(expert_ids)))):
            found.setdefault(expert_id, []).append(role)
    return {expert_id: tuple(sorted(roles)) for expert_id, roles in found.items()}


def _counts(keys: Iterable[str], label: Callable[[str], str]) -> tuple[Count, ...]:
    counted = Counter(keys)
    return tuple((key, label(key), n) for key, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def supply_gaps(user: User, filters: ProgressFilters, seeking: list[Issue] | None = None) -> SupplyGaps:
    """Return the open issues in scope whose best candidate is weak, counted by wanted role, sector and region.

    `seeking`: the issues in scope still looking for an expert, when the caller has loaded them already.
    """
    threshold = float(current_app.config["SUPPLY_GAP_SCORE"])
    if user.role == "expert":
        return SupplyGaps(threshold, 0, (), (), (), ())
    issues = _open_issues(user, filters, matching.RANKABLE_STATUSES) if seeking is None else seeking
    tops = matching.best_candidates(issues)
    weak_issues = [i for i in issues if (best := tops.get(i.id)) is None or round(best.score, 4) < threshold]
    roles = _roles_of({int(best.id) for i in weak_issues if (best := tops.get(i.id)) is not None})
    weak = []
    for issue in weak_issues:
        best = tops.get(issue.id)
        town = issue.municipality
        weak.append(WeakIssue(issue.id, issue.title, town.code, town.name, town.subprefecture, issue.sector,
                              tuple(sorted(issue.wanted_roles)), None if best is None else round(best.score, 4),
                              roles.get(int(best.id), ()) if best is not None else ()))
    weak.sort(key=lambda w: (w.best_score is not None, w.best_score or 0.0, w.issue_id))
    return SupplyGaps(
        threshold, len(issues), tuple(weak),
        by_role=_counts((role for w in weak for role in w.wanted_roles), lambda k: ROLES.get(k, k)),
        by_sector=_counts((w.sector for w in weak), lambda k: SECTORS.get(k, k)),
        by_subprefecture=_counts((w.subprefecture or NO_REGION[0] for w in weak), lambda k: k or NO_REGION[1]),
    )


def joint_candidates(user: User, filters: ProgressFilters, seeking: list[Issue] | None = None) -> list[JointCandidate]:
    """Return groups of open issues in scope, from different towns, that describe the same need (most similar
    first), with the towns they would join and up to matching.JOINT_TERMS shared terms each.

    `seeking`: as for `supply_gaps` (only the published ones, status open, are grouped).
    """
    if user.role == "expert":
        return []
    matcher = matching.get_matcher()
    loaded = _open_issues(user, filters, ("open",)) if seeking is None else seeking
    issues = {i.id: i for i in loaded if i.status == "open"}
    groups = matching.find_joint_groups(matcher, (str(i) for i in issues))
    candidates = []
    for group in groups:
        members = [issues[int(i)] for i in group.issue_ids]
        candidates.append(JointCandidate(
            tuple(i.id for i in members), tuple(i.title for i in members),
            tuple(i.municipality_code for i in members), tuple(i.municipality.name for i in members),
            group.similarity, tuple(matching.joint_terms(matcher, group))))
    return candidates


@dataclass(frozen=True)
class MatchingFigures:
    """The dashboard's figures that come from the matcher, or the notice shown while its index is being built."""

    gaps: SupplyGaps | None
    joint: tuple[JointCandidate, ...]
    notice: str | None = None


def matching_figures(user: User, filters: ProgressFilters) -> MatchingFigures:
    """Return the supply gaps and joint candidates for the dashboard (page and API) in one call.

    Without a matching index (it is being built in the background) the other figures still show: the notice says
    to come back shortly instead of failing the whole dashboard.
    """
    try:
        seeking = [] if user.role == "expert" else _open_issues(user, filters, matching.RANKABLE_STATUSES)
        return MatchingFigures(supply_gaps(user, filters, seeking), tuple(joint_candidates(user, filters, seeking)))
    except ServiceError as error:
        return MatchingFigures(None, (), str(error))
