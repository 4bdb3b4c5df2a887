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
    pairs = [
        JointPair(
            ids[a],
            ids[b],
            round(float(sims[a, b]), 6),
            shared_terms(rows[a], rows[b], matcher.terms_, top_terms),
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
    groups = []
    for ids in _components(pairs):
        members = set(ids)
        inner = tuple(p for p in pairs if p.issue_a in members)
        similarity = round(sum(p.similarity for p in inner) / len(inner), 6)
        towns = tuple(sorted({name for i in ids if (name := town.get(i)) is not None}))
        groups.append(JointGroup(tuple(ids), towns, similarity, inner))
    groups.sort(key=lambda g: (-g.similarity, g.issue_ids))
    return groups
