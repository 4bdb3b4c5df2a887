"""Ranking many issues at once.

Each issue goes through exactly the single-issue path (:meth:`matcher.Matcher.rank_query`), so a batch
gives the same results as one call per issue. What a batch adds: the issues are tokenised together (with a
process pool for large batches), and large batches are split across worker processes forked from this one,
which share the index's memory pages copy-on-write (fork is used only when this process runs no other
thread; otherwise the batch runs in this process).
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

from .exceptions import UnknownIdError
from .filters import expert_filter
from .parallel import analyze_many, fork_is_safe, resolve_jobs
from .ranking import Query, exact_at, score_experts, single
from .records import Candidate, IssueRecord
from .sparse import Float32Array, Row
from .structured import Columns, issue_columns, take

if TYPE_CHECKING:
    from .index import Matcher

#: Below this many issues a batch runs in this process (forking costs more than it saves).
MIN_ISSUES_FOR_WORKERS = 500


def issue_rows(
    matcher: Matcher, issues: Sequence[IssueRecord | str], n_jobs: int | None = None
) -> tuple[list[Row], Columns]:
    """Return the query rows and 1-d structured columns of issues given as records or indexed ids."""
    state = matcher._check_fitted()
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
    every = np.arange(experts.n_slots)
    for b, row in enumerate(rows):
        issue_scores = score_experts(Query(row, single(columns, b)), experts, remaining, views)
        scores[b] = np.where(issue_scores.mask, exact_at(issue_scores, experts, every), -np.inf)
    feasible = np.isfinite(scores)
    return np.where(feasible, scores, 0).astype(np.float32), feasible
