"""Ranking many issues at once.

A batch gives the same results as one :meth:`matcher.Matcher.rank_query` call per issue (same ids, order and
scores, to the bit). With up to ``DENSE_MAX_SLOTS`` expert slots, a block of issues is scored in one pass
(:func:`score_block`): one sparse product of the issue rows with the expert postings for the text part, numpy
broadcasting for the role, sector, mode, travel and capacity parts, each element computed by the same float
operations as the single path's; the top ``k`` of every row are then read off the dense scores, and parts (and
reasons, if asked) are built for those candidates only. Larger indexes keep the single path's pruned top-k
search issue by issue (a dense row of 100,000 exact scores costs more than the few hundred it scores).

The issues are tokenised together (with a process pool for large batches), and large batches are split across
worker processes forked from this one, which share the index's memory pages copy-on-write (fork is used only
when this process runs no other thread; otherwise the batch runs in this process).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Collection as AbstractCollection
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .collection import Collection
from .exceptions import UnknownIdError
from .filters import expert_filter
from .parallel import analyze_many, fork_is_safe, resolve_jobs
from .ranking import (
    Query,
    Views,
    combine_views,
    expert_candidates,
    round_candidate,
    single,
    view_weights,
)
from .records import Candidate, IssueRecord
from .scoring import (
    ONLINE,
    paired_parts,
    sector_capacity,
    text_and_roles,
    text_part,
    travel_cells,
    travel_constant,
)
from .sparse import Float32Array, Row, from_rows
from .structured import Columns, issue_columns, take

if TYPE_CHECKING:
    from .index import Matcher

#: Below this many issues a batch runs in this process (forking costs more than it saves).
MIN_ISSUES_FOR_WORKERS = 500
#: Up to this many expert slots a batch scores every (issue, expert) pair densely (see :func:`score_block`).
DENSE_MAX_SLOTS = 20_000
#: Cells (issues x expert slots) of one dense block: bounds the memory of a block's arrays (1 MB per float32 one).
DENSE_BLOCK_CELLS = 262_144


def issue_rows(
    matcher: Matcher, issues: Sequence[IssueRecord | str], n_jobs: int | None = None
) -> tuple[list[Row], Columns]:
    """Return the query rows and 1-d structured columns of issues given as records or indexed ids."""
    state = matcher._check_fitted()
    ids = [i for i in issues if isinstance(i, str)]
    if issues and len(ids) == len(issues):  # indexed ids only: one gather, no tokenising
        for id in ids:
            if id not in state.issues.slots:
                raise UnknownIdError("issue", id)
        slots = [state.issues.slots[id] for id in ids]
        stored = [state.issues.docs.row(slot) for slot in slots]
        return stored, take(state.issues.columns, np.array(slots, dtype=np.int64))
    records = [i for i in issues if isinstance(i, IssueRecord)]
    tokens = iter(analyze_many([r.text for r in records], matcher.n_jobs if n_jobs is None else n_jobs))
    rows: list[Row] = []
    columns: list[Columns] = []
    for issue in issues:
        if isinstance(issue, IssueRecord):
            rows.append(state.terms.transform(next(tokens)))
            columns.append(issue_columns([issue]))
        else:
            slot = state.issues.slots.get(issue)
            if slot is None:
                raise UnknownIdError("issue", issue)
            rows.append(state.issues.docs.row(slot))
            columns.append(take(state.issues.columns, np.array([slot], dtype=np.int64)))
    merged = {name: np.concatenate([c[name] for c in columns]) for name in columns[0]} if columns else {}
    return rows, merged


@dataclass(frozen=True)
class _Job:
    matcher: Matcher
    issues: Sequence[IssueRecord | str]
    top: int
    remaining: Mapping[str, int] | None
    two_sided: bool
    explain: bool
    exclude: Sequence[AbstractCollection[str]] | None = None
    also: Sequence[AbstractCollection[str]] | None = None


_JOB: _Job | None = None  # set in the parent just before forking; read by the forked workers


def _rank_range(bounds: tuple[int, int]) -> list[list[Candidate]]:
    # Tokenising happens here too, so a forked worker tokenises its own slice.
    job = _JOB
    assert job is not None
    rows, columns = issue_rows(job.matcher, job.issues[bounds[0] : bounds[1]], n_jobs=1)
    experts = job.matcher.experts_
    remaining = job.matcher.remaining_array(experts, job.remaining)  # once for the whole range
    if experts.n_slots <= DENSE_MAX_SLOTS:
        return _rank_dense(job, bounds[0], rows, columns, remaining)
    rankings = []
    for b, row in enumerate(rows):
        at = bounds[0] + b
        query = Query(row, single(columns, b))
        skip = job.exclude[at] if job.exclude is not None else ()
        ranked = job.matcher.rank_prepared(
            query,
            job.top,
            remaining,
            bool(job.remaining),
            two_sided=job.two_sided,
            mask=expert_filter(experts, None, None, skip) if skip else True,
            explain=job.explain,
        )
        if job.also is not None:
            ranked += _also(job, query, remaining, ranked, skip, job.also[at])
        rankings.append(ranked)
    return rankings


def _blocks(n_issues: int, n_slots: int) -> list[tuple[int, int]]:
    step = max(1, DENSE_BLOCK_CELLS // max(n_slots, 1))
    return [(start, min(start + step, n_issues)) for start in range(0, n_issues, step)]


def _rows_of(columns: Columns, start: int, stop: int) -> Columns:
    return {name: col[start:stop] for name, col in columns.items()}


def block_cosines(experts: Collection, rows: Sequence[Row]) -> Float32Array:
    """Return ``(len(rows), n_slots)`` cosines: one sparse product of the rows with the main-segment postings.

    Each cell is the float32 sum of the same products in the same (term) order as :meth:`Collection.cosines`
    of that row alone, so the values are identical; upserted slots are scored per row by the same code.
    """
    cosine = np.zeros((len(rows), experts.n_slots), dtype=np.float32)
    if not rows:
        return cosine
    if experts.n_main:
        queries = from_rows(rows, experts.docs.n_cols).to_scipy()
        cosine[:, : experts.n_main] = (queries @ experts.scipy_postings()).toarray()
    if experts.n_slots > experts.n_main:
        for b, (idx, val) in enumerate(rows):
            if len(idx):
                experts._score_appended(idx, val, cosine[b])
    return cosine


def _block_travel(issue: Columns, expert: Columns) -> tuple[Float32Array, npt.NDArray[np.bool_]]:
    # The travel part and feasibility of a block of issues against every expert slot: scoring.travel_cells for
    # the issues that need travel (the code scoring.travel_at runs for one issue), travel_constant for the others.
    n_issues, n_slots = len(issue["mode"]), len(expert["has_loc"])
    part = np.empty((n_issues, n_slots), dtype=np.float32)
    ok = np.ones((n_issues, n_slots), dtype=bool)
    located = (issue["mode"] != ONLINE) & issue["has_loc"]  # scoring.needs_travel, per issue
    for b in np.flatnonzero(~located).tolist():
        part[b] = travel_constant({"mode": issue["mode"][b]})
    rows = np.flatnonzero(located)
    if len(rows):
        part[rows], ok[rows] = travel_cells(take(issue, rows), expert)
    return part, ok


def score_block(
    matcher: Matcher,
    rows: Sequence[Row],
    columns: Columns,
    remaining: npt.NDArray[np.int32] | None,
    views: Views,
) -> tuple[Float32Array, Float32Array]:
    """Return the exact scores ``(n_issues, n_slots)`` of a block of issues (-inf where infeasible) and cosines.

    Every cell equals :func:`matcher.ranking.exact_at` of that issue alone for that slot (same float32
    operations in the same order: text + role + mode, plus sector + capacity, plus weighted travel, fused
    by the harmonic mean when two-sided). Liveness and caller filters are not applied.
    """
    experts = matcher.experts_
    cosine = block_cosines(experts, rows)
    sectors, where = np.unique(columns["sector"].astype(np.int64), return_inverse=True)
    part, ok = _block_travel(columns, experts.columns)
    scores = []
    for weights in view_weights(views):
        pre = text_and_roles(columns, experts.columns, experts.cache, cosine, weights)
        bases = np.stack(
            [sector_capacity(experts.columns, experts.cache, int(s), remaining, weights) for s in sectors.tolist()]
        ) if len(sectors) else np.zeros((0, experts.n_slots), dtype=np.float32)
        scores.append((pre + bases[where.reshape(-1)]) + np.float32(weights["travel"]) * part)
    return np.where(ok, combine_views(scores), np.float32(-np.inf)).astype(np.float32), cosine


def _best(values: Float32Array, ids: Sequence[str], k: int) -> list[list[tuple[int, float]]]:
    # Per row, the top k finite (slot, score) by score desc then id: what ranking.select_top returns when its
    # exact scores are these rows (every slot at or above the row's k-th best value, sorted, cut at k).
    if k <= 0:
        return [[] for _ in range(values.shape[0])]
    if k < values.shape[1]:
        kth = -np.partition(-values, k - 1, axis=1)[:, k - 1]
        near = (values >= kth[:, None]) & np.isfinite(values)
    else:
        near = np.isfinite(values)
    rows, slots = np.nonzero(near)
    picked = values[rows, slots].tolist()
    out: list[list[tuple[int, float]]] = [[] for _ in range(values.shape[0])]
    for row, slot, score in zip(rows.tolist(), slots.tolist(), picked):
        out[row].append((slot, score))
    return [sorted(found, key=lambda sv: (-sv[1], ids[sv[0]]))[:k] for found in out]


def _rank_dense(
    job: _Job, offset: int, rows: Sequence[Row], columns: Columns, remaining: npt.NDArray[np.int32]
) -> list[list[Candidate]]:
    matcher = job.matcher
    state = matcher._check_fitted()
    experts = state.experts
    override = remaining if job.remaining else None  # as rank_prepared(overridden=bool(remaining))
    views = matcher._views(job.two_sided, "issue")
    rankings: list[list[Candidate]] = []
    for start, stop in _blocks(len(rows), experts.n_slots):
        block = _rows_of(columns, start, stop)
        exact, cosine = score_block(matcher, rows[start:stop], block, override, views)
        exact = np.where(experts.alive, exact, np.float32(-np.inf))
        for b in range(stop - start):
            skip = job.exclude[offset + start + b] if job.exclude is not None else ()
            slots = [experts.slots[id] for id in skip if id in experts.slots]
            exact[b, slots] = -np.inf
        also = job.also
        chosen = [
            [top] if also is None else [top, _also_dense(experts, exact[b], top, also[offset + start + b])]
            for b, top in enumerate(_best(exact, experts.ids, job.top))
        ]
        if not job.explain:
            rankings.extend(_plain(experts, block, cosine, remaining, chosen))
            continue
        for b, lists in enumerate(chosen):  # reasons and shared terms: the single path's code, per issue
            query = Query(rows[start + b], single(block, b))
            rankings.append([
                candidate
                for part in lists
                for candidate in expert_candidates(
                    query, experts, part, cosine[b], remaining, state.terms, matcher.top_terms, True
                )
            ])
    return rankings


def _also_dense(
    experts: Collection,
    values: Float32Array,
    top: Sequence[tuple[int, float]],
    wanted: AbstractCollection[str],
) -> list[tuple[int, float]]:
    # _also on a dense row: the wanted experts not in the top (exclusions already -inf), feasible, by score.
    got = {experts.ids[slot] for slot, _ in top}
    slots = sorted(experts.slots[id] for id in wanted if id not in got and id in experts.slots)
    found = [(slot, float(values[slot])) for slot in slots if np.isfinite(values[slot])]
    return sorted(found, key=lambda sv: (-sv[1], experts.ids[sv[0]]))


def _plain(
    experts: Collection,
    block: Columns,
    cosine: Float32Array,
    remaining: npt.NDArray[np.int32],
    chosen: Sequence[Sequence[Sequence[tuple[int, float]]]],
) -> list[list[Candidate]]:
    # Candidates without reasons for every row of a block: parts of all (issue, chosen expert) pairs at once.
    pair_rows = [b for b, lists in enumerate(chosen) for part in lists for _ in part]
    pair_slots = [slot for lists in chosen for part in lists for slot, _ in part]
    if not pair_slots:
        return [[] for _ in chosen]
    at_rows, at_slots = np.array(pair_rows, dtype=np.int64), np.array(pair_slots, dtype=np.int64)
    parts = paired_parts(take(block, at_rows), take(experts.columns, at_slots), remaining[at_slots])
    names = ("text", *parts)
    columns = [text_part(cosine[at_rows, at_slots]).tolist(), *(value.tolist() for value in parts.values())]
    pairs = iter(zip(*columns))  # one tuple of part values per pair, in the order of ``chosen``
    return [
        [round_candidate(experts.ids[slot], score, dict(zip(names, next(pairs)))) for part in lists for slot, score in part]
        for lists in chosen
    ]


def _also(
    job: _Job,
    query: Query,
    remaining: npt.NDArray[np.int32],
    ranked: Sequence[Candidate],
    skip: AbstractCollection[str],
    wanted: AbstractCollection[str],
) -> list[Candidate]:
    # The same as ranking the issue again with every other expert excluded: the wanted experts (if feasible)
    # by score among themselves.
    experts = job.matcher.experts_
    got = {c.id for c in ranked}
    slots = sorted(experts.slots[id] for id in wanted if id not in got and id not in skip and id in experts.slots)
    if not slots:
        return []
    only = np.zeros(experts.n_slots, dtype=bool)
    only[slots] = True
    return job.matcher.rank_prepared(
        query, len(slots), remaining, bool(job.remaining), two_sided=job.two_sided, mask=only, explain=job.explain
    )


def _workers(n_issues: int, n_jobs: int | None) -> int:
    jobs = resolve_jobs(n_jobs, n_issues * 10)
    return jobs if jobs > 1 and fork_is_safe() and n_issues >= MIN_ISSUES_FOR_WORKERS else 1


def rank_batch(
    matcher: Matcher,
    issues: Sequence[IssueRecord | str],
    top: int,
    remaining_capacity: Mapping[str, int] | None,
    *,
    two_sided: bool,
    explain: bool,
    exclude: Sequence[AbstractCollection[str]] | None = None,
    also: Sequence[AbstractCollection[str]] | None = None,
) -> list[list[Candidate]]:
    """Rank experts for every issue; same results as calling ``rank_experts`` per issue.

    ``exclude[i]`` are expert ids left out of issue ``i``'s ranking; ``also[i]`` are expert ids appended to it
    when feasible but not in the top (ranked among themselves, after the top).
    """
    global _JOB
    matcher._check_fitted()
    for name, per_issue in (("exclude", exclude), ("also", also)):
        if per_issue is not None and len(per_issue) != len(issues):
            raise ValueError(f"{name} must have one entry per issue ({len(per_issue)} != {len(issues)})")
    _JOB = _Job(matcher, issues, top, remaining_capacity, two_sided, explain, exclude, also)
    try:
        workers = _workers(len(issues), matcher.n_jobs)
        if workers == 1:
            return _rank_range((0, len(issues)))
        step = -(-len(issues) // (workers * 8))
        parts = [(start, min(start + step, len(issues))) for start in range(0, len(issues), step)]
        # A worker that dies (e.g. out of memory) raises BrokenProcessPool here instead of hanging.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return [ranking for part in pool.map(_rank_range, parts) for ranking in part]
    finally:
        _JOB = None


def score_matrix(
    matcher: Matcher, issues: Sequence[IssueRecord | str], remaining: npt.NDArray[np.int32], two_sided: bool
) -> tuple[Float32Array, npt.NDArray[np.bool_]]:
    """Return dense exact ``(n_issues, n_slots)`` scores and feasibility (for assignment)."""
    experts = matcher.experts_
    rows, columns = issue_rows(matcher, issues)
    views = matcher._views(two_sided, "issue")
    scores = np.zeros((len(rows), experts.n_slots), dtype=np.float32)
    for start, stop in _blocks(len(rows), experts.n_slots):
        exact, _ = score_block(matcher, rows[start:stop], _rows_of(columns, start, stop), remaining, views)
        scores[start:stop] = np.where(experts.alive, exact, np.float32(-np.inf))
    feasible = np.isfinite(scores)
    return np.where(feasible, scores, 0).astype(np.float32), feasible
