"""Scoring one query against a whole collection, top-k selection and candidate construction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import explain
from .collection import Collection
from .records import Candidate
from .scoring import (
    BOUND_MARGIN,
    Parts,
    combine,
    harmonic,
    needs_travel,
    sector_capacity,
    structured_parts,
    text_and_roles,
    text_part,
    travel_at,
    travel_constant,
)
from .sparse import Float32Array, Row
from .structured import Columns, as_query, take
from .vectorize import TermModel

BoolArray = npt.NDArray[np.bool_]
_DIGITS = 6


@dataclass(frozen=True)
class Query:
    """A query row and its structured fields as single-row columns."""

    row: Row
    columns: Columns


@dataclass(frozen=True)
class Scored:
    """One expert against every issue slot: scores, text parts, structured parts and the feasibility mask."""

    scores: Float32Array
    text: Float32Array
    parts: Parts
    mask: BoolArray


@dataclass(frozen=True)
class Views:
    """The weights of both views and whether to fuse them (two-sided ranking)."""

    issue: Mapping[str, float]
    expert: Mapping[str, float]
    two_sided: bool
    main: str  # "issue" or "expert": the single view used when not two-sided


def fuse(text: Float32Array, parts: Parts, views: Views) -> Float32Array:
    """Return the single-view weighted sum, or the harmonic mean of both views when two-sided."""
    if not views.two_sided:
        return combine(text, parts, views.issue if views.main == "issue" else views.expert)
    return harmonic(combine(text, parts, views.issue), combine(text, parts, views.expert))


@dataclass(frozen=True)
class ExpertScores:
    """One issue against every expert slot, before the per-candidate travel part.

    Per view (issue view, then expert view when two-sided): ``pre`` = weighted text + role + mode and
    ``base`` = weighted sector + capacity; the exact score is ``(pre + base) + w_travel * travel``.
    ``travel`` is the travel part when it is the same for every expert (online issue, unknown town), else
    ``None`` (computed for candidates only).
    """

    issue: Columns
    cosine: Float32Array
    weights: tuple[Mapping[str, float], ...]
    pre: tuple[Float32Array, ...]
    base: tuple[Float32Array, ...]
    travel: np.float32 | None
    mask: BoolArray


def combine_views(values: Sequence[Float32Array]) -> Float32Array:
    if len(values) == 1:
        return values[0]
    finite = np.isfinite(values[0]) & np.isfinite(values[1])
    both = harmonic(np.where(finite, values[0], 0), np.where(finite, values[1], 0))
    return np.where(finite, both, np.float32(-np.inf)).astype(np.float32)


def view_weights(views: Views) -> tuple[Mapping[str, float], ...]:
    return (views.issue, views.expert) if views.two_sided else (views.issue,)


def upper_bound(
    scores: ExpertScores, experts: Collection, remaining: npt.NDArray[np.int32] | None
) -> Float32Array:
    """Return each slot's score with travel at its best (the exact score when travel is a constant)."""
    sector = int(scores.issue["sector"])
    bounds = []
    for pre, base, weights in zip(scores.pre, scores.base, scores.weights):
        if scores.travel is not None:
            bounds.append((pre + base) + np.float32(weights["travel"]) * scores.travel)
        else:
            best = float(np.float32(weights["travel"])) + BOUND_MARGIN
            bounds.append(
                pre + sector_capacity(experts.columns, experts.cache, sector, remaining, weights, travel=best)
            )
    return combine_views(bounds)


def exact_at(scores: ExpertScores, experts: Collection, slots: npt.NDArray[np.intp]) -> Float32Array:
    """Return the exact scores of the given slots (-inf where an on-site town is out of reach)."""
    if scores.travel is not None:
        part: Float32Array | np.float32 = scores.travel
        ok: BoolArray | bool = True
    else:
        part, ok = travel_at(scores.issue, experts.columns, slots)
    views = [
        (pre[slots] + base[slots]) + np.float32(w["travel"]) * part
        for pre, base, w in zip(scores.pre, scores.base, scores.weights)
    ]
    return np.where(ok, combine_views(views), np.float32(-np.inf)).astype(np.float32)


def score_experts(
    query: Query,
    experts: Collection,
    remaining: npt.NDArray[np.int32] | None,
    views: Views,
    cosine: Float32Array | None = None,
    pre: Sequence[Float32Array] | None = None,
) -> ExpertScores:
    """Score one issue against every expert slot except for travel (``remaining=None``: registered capacity).

    ``cosine`` and ``pre`` may come precomputed from a batch (rows of ``(B, N)`` arrays).
    """
    cosine = experts.cosines(query.row) if cosine is None else cosine
    weights = view_weights(views)
    if pre is None:
        pre = [text_and_roles(query.columns, experts.columns, experts.cache, cosine, w) for w in weights]
    sector = int(query.columns["sector"])
    base = tuple(sector_capacity(experts.columns, experts.cache, sector, remaining, w) for w in weights)
    travel = None if needs_travel(query.columns) else travel_constant(query.columns)
    return ExpertScores(query.columns, cosine, weights, tuple(pre), base, travel, experts.alive)


_SAMPLE_STRIDE = 64


def _threshold(values: Float32Array, wanted: int) -> np.float32:
    # A score that about ``wanted`` slots reach (at least wanted / 64 of them): a high quantile of every
    # 64th value, or an exact partition for small collections; -inf means "take everything".
    n = values.shape[0]
    if n <= wanted:
        return np.float32(-np.inf)
    sample = values[::_SAMPLE_STRIDE]
    j = wanted // _SAMPLE_STRIDE
    if j >= 1 and len(sample) > j:
        return np.float32(np.partition(sample, len(sample) - j)[len(sample) - j])
    return np.float32(np.partition(values, n - wanted)[n - wanted])


def select_top(
    bound: Float32Array,
    exact: Callable[[npt.NDArray[np.intp]], Float32Array],
    mask: BoolArray,
    ids: Sequence[str],
    k: int,
) -> list[tuple[int, float]]:
    """Return the exact top ``k`` (slot, score) pairs, by score desc then id, scoring few slots exactly.

    ``bound`` is an upper bound of every slot's exact score. Slots whose bound reaches a threshold are
    scored exactly; when the k-th exact score is at or above the threshold, every slot left out (bound
    below it) can neither be in the top k nor tie with it, so the answer is exact. Otherwise the
    candidate set grows and the step repeats (at worst, every slot is scored).
    """
    if k <= 0:
        return []
    values = np.where(mask, bound, np.float32(-np.inf))
    wanted = max(32 * k, 256)
    while True:
        threshold = _threshold(values, wanted)
        finite = np.isfinite(threshold)
        slots = np.flatnonzero(values >= threshold) if finite else np.flatnonzero(np.isfinite(values))
        scores = exact(slots)
        keep = np.isfinite(scores)
        slots, scores = slots[keep], scores[keep]
        kth = -np.partition(-scores, k - 1)[k - 1] if len(scores) >= k else np.float32(-np.inf)
        if not finite or kth >= threshold:
            break
        wanted *= 8
    chosen = [
        (int(s), float(v)) for s, v in zip(slots.tolist(), scores.tolist()) if len(scores) < k or v >= kth
    ]
    return sorted(chosen, key=lambda sv: (-sv[1], ids[sv[0]]))[:k]


def score_issues(query: Query, issues: Collection, views: Views) -> Scored:
    """Score one expert against every issue slot (capacity informs the score but does not filter)."""
    text = text_part(issues.cosines(query.row))
    parts = structured_parts(issues.columns, query.columns, use_capacity=False)
    return Scored(fuse(text, parts, views), text, parts, parts.feasible & issues.alive)


_SAMPLE_STRIDE = 64


def _candidates(values: Float32Array, k: int) -> npt.NDArray[np.intp]:
    # Exact pre-filter: the k-th best of every 64th value is <= the k-th best overall, so every true top-k
    # slot scores at least that much. It avoids a full argpartition over all experts (and its slow path on
    # the many -inf of filtered experts).
    n = values.shape[0]
    if n > _SAMPLE_STRIDE * k:
        threshold = np.partition(values[::_SAMPLE_STRIDE], -k)[-k]
        if np.isfinite(threshold):
            return np.flatnonzero(values >= threshold)
    return np.flatnonzero(np.isfinite(values))


def top_slots(scores: Float32Array, mask: BoolArray, ids: Sequence[str], k: int) -> list[int]:
    """Return the best ``k`` masked slots by score desc, then id (ties at the cut are resolved by id)."""
    if k <= 0 or scores.shape[0] == 0:
        return []
    values = np.where(mask, scores, np.float32(-np.inf))
    candidates = _candidates(values, k)
    chosen = values[candidates]
    if len(chosen) > k:
        kth = -np.partition(-chosen, k - 1)[k - 1]
        candidates = candidates[chosen >= kth]
    return sorted(candidates.tolist(), key=lambda s: (-float(values[s]), ids[s]))[:k]


def _item(array: npt.NDArray[np.generic], at: int) -> float:
    return float(array.item(at) if array.size > 1 else array.item(0))


def value_at(array: npt.NDArray[np.generic] | None, slot: int) -> float | None:
    """Read a per-slot value from an array that may be a broadcast constant."""
    if array is None:
        return None
    flat = np.asarray(array).ravel()
    return float(flat[slot] if flat.size > 1 else flat[0])


@dataclass(frozen=True)
class Pair:
    """Everything needed to explain one (issue, expert) pair."""

    issue: Columns
    expert: Columns
    query_row: Row
    doc_row: Row
    remaining: int | None


def selected_parts(
    issue: Columns, experts: Collection, slots: Sequence[int], remaining: npt.NDArray[np.int32]
) -> Parts:
    """Compute the structured parts of the selected expert slots only (one vectorised call)."""
    chosen = np.array(slots, dtype=np.int64)
    return structured_parts(issue, take(experts.columns, chosen), remaining[chosen])


def make_candidate(
    id: str,
    score: float,
    text: float,
    pair: Pair,
    terms: TermModel,
    top_terms: int,
    with_reasons: bool,
    selected: tuple[Parts, int],
    cache: dict[str, object] | None = None,
) -> Candidate:
    """Build the :class:`Candidate` for one selected slot.

    ``selected`` gives structured parts (per slot, or of the selected slots only) and this candidate's
    position in them; ``cache`` is shared by the candidates of one query.
    """
    structured, at = selected
    parts = {"text": text}
    parts.update({name: _item(value, at) for name, value in structured.values.items()})
    rounded = {name: round(value, _DIGITS) for name, value in parts.items()}
    if not with_reasons:
        return Candidate(id, round(score, _DIGITS), rounded)
    shared = explain.shared_terms(pair.query_row, pair.doc_row, terms, top_terms, cache)
    km = value_at(structured.distance_km, at)
    reasons, unmet = explain.reasons(pair.issue, pair.expert, parts, km, shared, pair.remaining)
    return Candidate(id, round(score, _DIGITS), rounded, reasons, unmet, shared)


def _plain_candidate(id: str, score: float, text: float, selected: tuple[Parts, int]) -> Candidate:
    # make_candidate(..., with_reasons=False) without building the pair it would not read.
    structured, at = selected
    parts = {"text": text}
    parts.update({name: _item(value, at) for name, value in structured.values.items()})
    return round_candidate(id, score, parts)


def round_candidate(id: str, score: float, parts: Mapping[str, float]) -> Candidate:
    """Return a candidate without reasons: score and parts rounded as every ranking rounds them."""
    return Candidate(id, round(score, _DIGITS), {name: round(value, _DIGITS) for name, value in parts.items()})


def single(columns: Columns, slot: int) -> Columns:
    """Return one row of a column set (alias of :func:`matcher.structured.as_query`)."""
    return as_query(columns, slot)


def expert_candidates(
    query: Query,
    experts: Collection,
    chosen: Sequence[tuple[int, float]],
    cosine: Float32Array,
    remaining: npt.NDArray[np.int32],
    terms: TermModel,
    top_terms: int,
    with_reasons: bool,
) -> list[Candidate]:
    """Build the candidates of one issue's ranking (parts computed for these slots only)."""
    if not chosen:
        return []
    slots = [slot for slot, _ in chosen]
    parts = selected_parts(query.columns, experts, slots, remaining)
    text = text_part(cosine[np.array(slots)])
    if not with_reasons:  # scores and parts only: no pair to explain (the costly part per candidate)
        return [_plain_candidate(experts.ids[slot], score, float(text[i]), (parts, i))
                for i, (slot, score) in enumerate(chosen)]
    cache: dict[str, object] = {}
    return [
        make_candidate(
            experts.ids[slot],
            score,
            float(text[i]),
            Pair(
                query.columns,
                single(experts.columns, slot),
                query.row,
                experts.docs.row(slot),
                int(remaining[slot]) if remaining[slot] >= 0 else None,
            ),
            terms,
            top_terms,
            with_reasons,
            (parts, i),
            cache,
        )
        for i, (slot, score) in enumerate(chosen)
    ]
