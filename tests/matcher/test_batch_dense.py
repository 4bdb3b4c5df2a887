"""The vectorised batch (matcher.batch.score_block: all issues of a block scored in one pass) gives exactly what
the single-issue path gives: same ids, same order, and raw scores equal to the bit, on random indexes built to
have ties (experts sharing text and fields, ids not in slot order), upserted and removed slots, capacity
overrides, exclusions, pinned experts, one- and two-sided ranking."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import ExpertRecord, IssueRecord, Matcher
from matcher import batch as B
from matcher import vocabulary as voc
from matcher.geo import PREFECTURES
from matcher.ranking import Query, exact_at, score_experts, single

WORDS = ["ドローン", "農薬散布", "電子申請", "書かない窓口", "観光データ", "RPA", "文書管理", "防災", "GIS", "AI-OCR"]


def _place(rng: random.Random) -> dict[str, object]:
    if rng.random() < 0.2:
        return {}
    pref = rng.choice(list(PREFECTURES.values())[:8])
    if rng.random() < 0.3:
        return {"prefecture": pref.code}  # a prefecture without a point
    return {"prefecture": pref.code, "lat": pref.lat + rng.uniform(-0.5, 0.5), "lon": pref.lon + rng.uniform(-0.5, 0.5)}


def _some(rng: random.Random, pool: object, most: int) -> tuple[str, ...]:
    return tuple(rng.sample(list(pool), rng.randint(0, most)))  # type: ignore[call-overload]


def _expert_kinds(rng: random.Random, n: int) -> list[dict[str, object]]:
    return [
        {
            "text": "と".join(rng.sample(WORDS, rng.randint(1, 3))) + "の導入を支援します。",
            "roles": _some(rng, voc.ROLES, 2),
            "sectors": _some(rng, voc.SECTORS, 2),
            "modes": _some(rng, voc.MODES, 3),
            "travel_range": rng.choice([None, *voc.TRAVEL_RANGES]),
            "monthly_capacity": rng.choice([None, 0, 1, 2, 3]),
            **_place(rng),
        }
        for _ in range(n)
    ]


def _issue(rng: random.Random, id: str) -> IssueRecord:
    return IssueRecord(
        id,
        "と".join(rng.sample(WORDS, rng.randint(1, 3))) + "を進めたい。",
        sector=rng.choice([None, *voc.SECTORS]),
        wanted_roles=_some(rng, voc.ROLES, 2),
        stage=rng.choice([None, *voc.STAGES]),
        mode=rng.choice([None, *voc.MODES]),
        **_place(rng),  # type: ignore[arg-type]
    )


def _index(seed: int) -> tuple[Matcher, list[IssueRecord | str], random.Random]:
    rng = random.Random(seed)
    kinds = _expert_kinds(rng, rng.randint(2, 6))  # few kinds for many experts: many exact ties
    ids = [f"e{n:03d}" for n in rng.sample(range(1000), rng.randint(4, 40))]  # slot order is not id order
    experts = [ExpertRecord(id, **rng.choice(kinds)) for id in ids]  # type: ignore[arg-type]
    issues = [_issue(rng, f"i{n:03d}") for n in range(rng.randint(1, 12))]
    matcher = Matcher(n_jobs=1).fit(experts, issues)
    for n in range(rng.randint(0, 3)):  # appended slots, scored outside the postings
        matcher.upsert_expert(ExpertRecord(f"u{n}", **rng.choice(kinds)))  # type: ignore[arg-type]
    if rng.random() < 0.5:
        matcher.upsert_expert(ExpertRecord(ids[0], **rng.choice(kinds)))  # a retired slot
    if rng.random() < 0.5 and len(ids) > 1:
        matcher.remove_expert(ids[1])
    queries: list[IssueRecord | str] = [i.id for i in issues] + [_issue(rng, "new")]  # indexed and on the fly
    return matcher, queries, rng


def _single_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(B, "DENSE_MAX_SLOTS", -1)  # every issue through Matcher.rank_prepared, one by one


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), top=st.integers(1, 8), two_sided=st.booleans(), explain=st.booleans(),
       override=st.booleans())
def test_dense_batch_ranks_exactly_like_one_single_ranking_per_issue(
    seed: int, top: int, two_sided: bool, explain: bool, override: bool
) -> None:
    matcher, queries, rng = _index(seed)
    live = matcher.expert_ids
    remaining = {id: rng.randint(0, 2) for id in rng.sample(live, len(live) // 2)} if override else None
    exclude = [frozenset(rng.sample(live, min(len(live), rng.randint(0, 3)))) for _ in queries]
    also = [frozenset(rng.sample([*live, "nobody"], min(len(live), rng.randint(0, 3)))) for _ in queries]
    kwargs = {"top": top, "remaining_capacity": remaining, "two_sided": two_sided, "explain": explain}
    dense = matcher.rank_experts_batch(queries, exclude=exclude, also=also, **kwargs)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        _single_path(patch)
        one_by_one = matcher.rank_experts_batch(queries, exclude=exclude, also=also, **kwargs)  # type: ignore[arg-type]
    assert dense == one_by_one
    plain = matcher.rank_experts_batch(queries, exclude=exclude, **kwargs)  # type: ignore[arg-type]
    assert plain == [matcher.rank_experts(q, exclude=skip, **kwargs) for q, skip in zip(queries, exclude)]  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), two_sided=st.booleans(), override=st.booleans())
def test_block_scores_equal_the_single_path_exact_scores_bit_for_bit(seed: int, two_sided: bool, override: bool) -> None:
    matcher, queries, rng = _index(seed)
    experts = matcher.experts_
    remaining = matcher.remaining_array(experts, {id: rng.randint(0, 2) for id in matcher.expert_ids})
    rows, columns = B.issue_rows(matcher, queries)
    views = matcher._views(two_sided, "issue")
    exact, cosine = B.score_block(matcher, rows, columns, remaining if override else None, views)
    every = np.arange(experts.n_slots)
    for b, row in enumerate(rows):
        scores = score_experts(Query(row, single(columns, b)), experts, remaining if override else None, views)
        assert np.array_equal(cosine[b], scores.cosine)
        assert np.array_equal(exact[b], exact_at(scores, experts, every))  # -inf where infeasible, too


def test_ties_are_broken_by_id_whatever_the_slot_order() -> None:
    twin = {"text": "ドローンによる農薬散布の支援", "roles": ("engineer",), "modes": ("online",)}
    matcher = Matcher(n_jobs=1).fit([ExpertRecord(id, **twin) for id in ("e9", "e2", "e5", "e7")],  # type: ignore[arg-type]
                                    [IssueRecord("i1", "ドローンで農薬散布をしたい", mode="online")])
    [ranked] = matcher.rank_experts_batch(["i1"], top=3, explain=False)
    assert [c.id for c in ranked] == ["e2", "e5", "e7"]
    assert len({c.score for c in ranked}) == 1


def test_score_matrix_equals_the_single_path_for_every_slot() -> None:
    matcher, queries, _ = _index(7)
    experts = matcher.experts_
    remaining = matcher.remaining_array(experts, None)
    for two_sided in (False, True):
        scores, feasible = B.score_matrix(matcher, queries, remaining, two_sided)
        rows, columns = B.issue_rows(matcher, queries)
        for b, row in enumerate(rows):
            one = score_experts(Query(row, single(columns, b)), experts, remaining, matcher._views(two_sided, "issue"))
            exact = np.where(one.mask, exact_at(one, experts, np.arange(experts.n_slots)), -np.inf)
            assert np.array_equal(feasible[b], np.isfinite(exact))
            assert np.array_equal(scores[b], np.where(np.isfinite(exact), exact, 0).astype(np.float32))
