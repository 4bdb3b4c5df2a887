"""Capacity-aware monthly assignment: maximise total fit without exceeding any expert's remaining capacity.

* One expert per issue: :func:`scipy.optimize.linear_sum_assignment` over columns replicated once per
  remaining slot of each expert.
* One expert per wanted role (``per_role=True``): min-cost flow (networkx) through
  source → (issue, role) → (issue, expert) → expert → sink, so an expert fills at most one role of an issue.

Infeasible pairs (see :mod:`matcher.scoring`) are never assigned. Issues left over come back with the reason
in Japanese. Fixed pairs (e.g. a coordinator pinned that expert) are kept as they are and use one slot of the
expert's capacity before the rest is solved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from . import vocabulary as voc
from .batch import score_matrix
from .records import Assignment, AssignmentPlan, IssueRecord, UnassignedIssue

if TYPE_CHECKING:
    from .index import Matcher

#: Slots assumed for an expert who registered no monthly capacity.
DEFAULT_CAPACITY = 1
NO_FEASIBLE = "条件（形態・移動範囲・今月の残り枠）を満たす人材がいません"
NO_ROLE = "希望の役割（{role}）の人材で条件を満たす人がいません"
BELOW_MIN = "適合度が基準に達する人材がいません"
CAPACITY_TAKEN = "候補の人材の今月の枠が他の課題で埋まっています"


def _issue_id(issue: IssueRecord | str) -> str:
    return issue if isinstance(issue, str) else issue.id


def _wanted(matcher: Matcher, issue: IssueRecord | str) -> tuple[str, ...]:
    if isinstance(issue, IssueRecord):
        return issue.wanted_roles
    state = matcher._check_fitted()
    return voc.codes_of(int(state.issues.columns["wanted_mask"][state.issues.slots[issue]]), voc.ROLES)


def _reason(eligible: npt.NDArray[np.bool_], feasible: npt.NDArray[np.bool_], role: str | None) -> str:
    if not feasible.any():
        return NO_FEASIBLE if role is None else NO_ROLE.format(role=voc.ROLES[role])
    return CAPACITY_TAKEN if eligible.any() else BELOW_MIN


def assign(
    matcher: Matcher,
    issues: Sequence[IssueRecord | str] | None = None,
    remaining_capacity: Mapping[str, int] | None = None,
    *,
    per_role: bool = False,
    two_sided: bool = False,
    min_score: float = 0.0,
    exclude_pairs: AbstractSet[tuple[str, str]] = frozenset(),
    fixed_pairs: Mapping[str, str] | None = None,
) -> AssignmentPlan:
    """Propose this month's assignment of issues to experts.

    Parameters
    ----------
    matcher : Matcher
        A fitted index.
    issues : sequence of IssueRecord or str, optional
        Open issues (records or indexed ids); defaults to every indexed issue.
    remaining_capacity : Mapping[str, int], optional
        Remaining slots by expert id (defaults to ``monthly_capacity``; unknown counts as
        ``DEFAULT_CAPACITY``).
    per_role : bool
        Assign one expert per wanted role (issues without wanted roles get one expert).
    two_sided : bool
        Use the two-sided (harmonic mean) score.
    min_score : float
        Pairs scoring below this are not assigned.
    exclude_pairs : set of (issue_id, expert_id)
        Pairs never to propose (e.g. a coordinator excluded that expert for that issue).
    fixed_pairs : Mapping[str, str], optional
        Expert id by issue id, assigned as given whatever the score (e.g. a coordinator pinned that expert).
        Each uses one slot of the expert's capacity first; pairs whose issue is not planned or whose expert is
        not indexed are ignored. Only with ``per_role=False``.

    Raises
    ------
    ValueError
        If a fixed pair is also excluded, or ``fixed_pairs`` is combined with ``per_role=True``.

    Returns
    -------
    AssignmentPlan
        Assignments sorted by issue id (then role), unassigned issues with a Japanese reason, total score.
    """
    issue_list = list(issues) if issues is not None else list(matcher.issue_ids)
    experts = matcher.experts_
    remaining = matcher.remaining_array(experts, remaining_capacity)
    capacity = np.where(remaining < 0, DEFAULT_CAPACITY, remaining)
    capacity = np.where(experts.alive, capacity, 0)
    fixed = _fixed_rows(issue_list, experts.slots, fixed_pairs or {}, exclude_pairs, per_role)
    for column in fixed.values():
        capacity[column] = max(0, capacity[column] - 1)
    scores, feasible = score_matrix(matcher, issue_list, remaining, two_sided)
    feasible &= capacity[None, :] > 0
    _forbid(feasible, issue_list, experts.slots, exclude_pairs)
    eligible = feasible & (scores >= min_score)
    eligible[list(fixed), :] = False
    if per_role:
        from .assign_flow import solve_per_role

        slots = [
            (i, role) for i, issue in enumerate(issue_list) for role in (_wanted(matcher, issue) or (None,))
        ]
        pairs = solve_per_role(scores, eligible, capacity, slots, experts.columns["role_mask"])
    else:
        slots = [(i, None) for i in range(len(issue_list))]
        pairs = _solve_single(scores, eligible, capacity) | fixed
    return _plan(
        issue_list, experts.ids, scores, feasible, eligible, slots, pairs, experts.columns["role_mask"]
    )


def _forbid(
    feasible: npt.NDArray[np.bool_],
    issues: Sequence[IssueRecord | str],
    slots: Mapping[str, int],
    pairs: AbstractSet[tuple[str, str]],
) -> None:
    """Mark excluded (issue, expert) pairs infeasible, in place."""
    if not pairs:
        return
    for row, issue in enumerate(issues):
        for issue_id, expert_id in pairs:
            if issue_id == _issue_id(issue) and expert_id in slots:
                feasible[row, slots[expert_id]] = False


def _fixed_rows(
    issues: Sequence[IssueRecord | str],
    slots: Mapping[str, int],
    fixed: Mapping[str, str],
    excluded: AbstractSet[tuple[str, str]],
    per_role: bool,
) -> dict[int, int]:
    """Return expert slot by issue row for the fixed pairs that can be kept."""
    if not fixed:
        return {}
    if per_role:
        raise ValueError("fixed_pairs is only supported with per_role=False")
    clash = {(i, e) for i, e in fixed.items()} & set(excluded)
    if clash:
        raise ValueError(f"pairs both fixed and excluded: {sorted(clash)}")
    return {
        row: slots[fixed[_issue_id(issue)]]
        for row, issue in enumerate(issues)
        if fixed.get(_issue_id(issue)) in slots
    }


def _solve_single(
    scores: npt.NDArray[np.float32], eligible: npt.NDArray[np.bool_], capacity: npt.NDArray[np.int64]
) -> dict[int, int]:
    from scipy.optimize import linear_sum_assignment

    n_issues = scores.shape[0]
    columns = np.repeat(np.arange(scores.shape[1]), np.minimum(capacity, n_issues))
    if not len(columns) or not n_issues:
        return {}
    value = np.where(eligible[:, columns], scores[:, columns].astype(np.float64) + 1.0, 0.0)
    rows, cols = linear_sum_assignment(value, maximize=True)
    return {int(r): int(columns[c]) for r, c in zip(rows, cols) if value[r, c] > 0}


def _plan(
    issues: Sequence[IssueRecord | str],
    ids: Sequence[str],
    scores: npt.NDArray[np.float32],
    feasible: npt.NDArray[np.bool_],
    eligible: npt.NDArray[np.bool_],
    slots: Sequence[tuple[int, str | None]],
    pairs: Mapping[int, int],
    role_masks: npt.NDArray[np.uint8],
) -> AssignmentPlan:
    done: list[Assignment] = []
    left: list[UnassignedIssue] = []
    for k, (i, role) in enumerate(slots):
        issue_id = _issue_id(issues[i])
        if k in pairs:
            j = pairs[k]
            done.append(Assignment(issue_id, ids[j], round(float(scores[i, j]), 6), role))
            continue
        has_role = (
            np.ones(len(ids), dtype=bool)
            if role is None
            else ((role_masks.astype(np.int64) >> list(voc.ROLES).index(role)) & 1).astype(bool)
        )
        left.append(
            UnassignedIssue(issue_id, _reason(eligible[i] & has_role, feasible[i] & has_role, role), role)
        )
    done.sort(key=lambda a: (a.issue_id, a.role or "", a.expert_id))
    left.sort(key=lambda u: (u.issue_id, u.role or ""))
    return AssignmentPlan(tuple(done), tuple(left), round(sum(a.score for a in done), 6))
