"""Joint-issue detection: the same need written by several municipalities (one joint engagement)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .explain import shared_terms
from .records import JointGroup, JointPair

if TYPE_CHECKING:
    from .index import Matcher

#: Issue-to-issue cosine at or above which two issues are taken as the same need.
JOINT_THRESHOLD = 0.3


def _different_towns(a: str | None, b: str | None) -> bool:
    # Unknown municipality counts as different: the coordinator checks the proposal anyway.
    return a is None or b is None or a != b


def find_joint_pairs(
    matcher: Matcher,
    issue_ids: Sequence[str] | None = None,
    *,
    threshold: float = JOINT_THRESHOLD,
    top_terms: int = 5,
) -> list[JointPair]:
    """Return pairs of issues from different municipalities with cosine ≥ ``threshold``, most similar first."""
    issues = matcher.issues_
    ids = sorted(issue_ids if issue_ids is not None else issues.slots)
    if len(ids) < 2:
        return []
    town = {id: r.municipality for id, r in matcher.records()[1].items()}
    slots = [issues.slots[id] for id in ids]
    rows = [issues.docs.row(s) for s in slots]
    from .sparse import from_rows

    matrix = from_rows(rows, issues.docs.n_cols).to_scipy()
    sims = (matrix @ matrix.T).toarray()
    a_idx, b_idx = np.nonzero(np.triu(sims >= threshold, k=1))
    # top_terms=0: no shared terms (the costly part: ask group_terms for the few pairs a page shows).
    pairs = [
        JointPair(
            ids[a],
            ids[b],
            round(float(sims[a, b]), 6),
            shared_terms(rows[a], rows[b], matcher.terms_, top_terms) if top_terms > 0 else (),
        )
        for a, b in zip(a_idx.tolist(), b_idx.tolist())
        if _different_towns(town.get(ids[a]), town.get(ids[b]))
    ]
    pairs.sort(key=lambda p: (-p.similarity, p.issue_a, p.issue_b))
    return pairs


def _components(pairs: Sequence[JointPair]) -> list[list[str]]:
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for pair in pairs:
        a, b = sorted((root(pair.issue_a), root(pair.issue_b)))
        parent[b] = a
    groups: dict[str, list[str]] = {}
    for node in parent:
        groups.setdefault(root(node), []).append(node)
    return [sorted(g) for g in groups.values()]


def find_joint_issues(
    matcher: Matcher,
    issue_ids: Sequence[str] | None = None,
    *,
    threshold: float = JOINT_THRESHOLD,
    top_terms: int = 5,
) -> list[JointGroup]:
    """Group issues describing the same need in different municipalities.

    Parameters
    ----------
    matcher : Matcher
        A fitted index holding the issues.
    issue_ids : sequence of str, optional
        Restrict to these indexed issues (e.g. the open ones); defaults to all.
    threshold : float
        Minimum text cosine for two issues to be linked.
    top_terms : int
        Shared terms kept per pair.

    Returns
    -------
    list of JointGroup
        Connected groups (linked pairs), by mean pair similarity descending, then first id.
    """
    pairs = find_joint_pairs(matcher, issue_ids, threshold=threshold, top_terms=top_terms)
    town = {id: r.municipality for id, r in matcher.records()[1].items()}
    components = _components(pairs)
    group_of = {id: n for n, ids in enumerate(components) for id in ids}
    pairs_of: list[list[JointPair]] = [[] for _ in components]
    for pair in pairs:  # in similarity order, so each group's pairs stay in that order
        pairs_of[group_of[pair.issue_a]].append(pair)
    groups = []
    for ids, inner_pairs in zip(components, pairs_of):
        inner = tuple(inner_pairs)
        similarity = round(sum(p.similarity for p in inner) / len(inner), 6)
        towns = tuple(sorted({name for i in ids if (name := town.get(i)) is not None}))
        groups.append(JointGroup(tuple(ids), towns, similarity, inner))
    groups.sort(key=lambda g: (-g.similarity, g.issue_ids))
    return groups


def group_terms(matcher: Matcher, group: JointGroup, limit: int = 8, top_terms: int = 5) -> list[str]:
    """Return up to ``limit`` distinct shared-term labels of a group, from its most similar pairs first.

    The same labels as reading the ``top_terms`` shared terms of every pair of the group in order and keeping the
    first ``limit`` distinct ones, but pairs are explained only until ``limit`` labels are found: a page showing
    groups found with ``top_terms=0`` pays for the pairs it shows, not for every similar pair.
    """
    issues = matcher.issues_
    labels: dict[str, None] = {}
    for pair in group.pairs:
        if len(labels) >= limit:
            break
        terms = pair.shared_terms or shared_terms(
            issues.docs.row(issues.slots[pair.issue_a]), issues.docs.row(issues.slots[pair.issue_b]),
            matcher.terms_, top_terms,
        )
        labels.update(dict.fromkeys(t.label for t in terms))
    return list(labels)[:limit]
