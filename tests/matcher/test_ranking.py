from __future__ import annotations

from collections.abc import Callable

import pytest

from matcher import ISSUE_VIEW, ExpertRecord, IssueRecord, Matcher, NotFittedError, UnknownIdError

from .conftest import ISSUES


def _ids(candidates: list) -> list[str]:  # type: ignore[type-arg]
    return [c.id for c in candidates]


def test_rank_experts_puts_the_drone_expert_first_for_a_uav_issue(fitted: Matcher) -> None:
    assert _ids(fitted.rank_experts("farm"))[0] == "drone"


def test_rank_experts_bridges_rpa_and_ocr_synonyms(fitted: Matcher) -> None:
    assert _ids(fitted.rank_experts("ocr"))[0] == "rpa"


def test_an_unindexed_issue_is_tokenised_on_the_fly(
    fitted: Matcher, make_issue: Callable[..., IssueRecord]
) -> None:
    issue = make_issue("new", "マルチコプターで農地を撮影したい", mode="online")
    assert _ids(fitted.rank_experts(issue))[0] == "drone"


def test_an_indexed_issue_ranks_the_same_by_id_and_by_record(fitted: Matcher) -> None:
    assert all(fitted.rank_experts(i.id) == fitted.rank_experts(i) for i in ISSUES)


def test_online_only_expert_is_filtered_from_an_onsite_issue(fitted: Matcher) -> None:
    assert "rpa" not in _ids(fitted.rank_experts("plan"))


def test_expert_without_capacity_is_filtered(fitted: Matcher) -> None:
    assert "fish" not in _ids(fitted.rank_experts("sea"))


def test_remaining_capacity_overrides_the_registered_capacity(fitted: Matcher) -> None:
    assert "fish" in _ids(fitted.rank_experts("sea", remaining_capacity={"fish": 1}))
    assert "drone" not in _ids(fitted.rank_experts("farm", remaining_capacity={"drone": 0}))


def test_unreachable_expert_is_filtered_from_an_onsite_issue(
    make_expert: Callable[..., ExpertRecord], make_issue: Callable[..., IssueRecord]
) -> None:
    experts = [
        make_expert(
            "near",
            "漁業のデジタル化",
            modes=("onsite",),
            prefecture="01",
            lat=42.98,
            lon=144.38,
            travel_range="none",
        ),
        make_expert(
            "far",
            "漁業のデジタル化",
            modes=("onsite",),
            prefecture="01",
            lat=43.06,
            lon=141.35,
            travel_range="none",
        ),
    ]
    issue = make_issue("x", "漁業をデジタル化したい", mode="onsite", prefecture="01", lat=42.98, lon=144.38)
    assert _ids(Matcher().fit(experts).rank_experts(issue)) == ["near"]


def test_hokkaido_distance_matters_not_just_the_prefecture(fitted: Matcher) -> None:
    reasons = next(c for c in fitted.rank_experts("plan") if c.id == "pm").reasons
    assert any(r.startswith("移動: 約") and "道内出張可" in r for r in reasons)
    assert fitted.rank_experts("plan")[0].parts["travel"] < 0.6


def test_score_is_the_weighted_sum_of_the_parts(fitted: Matcher) -> None:
    for issue in ISSUES:
        for c in fitted.rank_experts(issue.id):
            assert sum(ISSUE_VIEW[k] * v for k, v in c.parts.items()) == pytest.approx(c.score, abs=2e-6)
            assert set(c.parts) == set(ISSUE_VIEW)


def test_results_are_sorted_by_score_then_id(make_expert: Callable[..., ExpertRecord]) -> None:
    experts = [make_expert(id, "RPAの導入支援") for id in ("c", "a", "b")]
    ranked = Matcher().fit(experts).rank_experts(IssueRecord("q", "RPAを導入したい"))
    assert _ids(ranked) == ["a", "b", "c"]


def test_ranking_is_deterministic_across_fits() -> None:
    from .conftest import EXPERTS

    first = [Matcher().fit(EXPERTS, ISSUES).rank_experts(i.id) for i in ISSUES]
    assert first == [Matcher().fit(EXPERTS, ISSUES).rank_experts(i.id) for i in ISSUES]


def test_top_limits_the_number_of_candidates(fitted: Matcher) -> None:
    assert len(fitted.rank_experts("farm", top=1)) == 1


def test_role_and_sector_filters_restrict_candidates(fitted: Matcher) -> None:
    assert _ids(fitted.rank_experts("farm", roles=["service_designer"])) == ["rpa"]
    assert set(_ids(fitted.rank_experts("farm", sectors=["agriculture"]))) == {"drone"}


def test_exclude_leaves_out_given_experts(fitted: Matcher) -> None:
    assert "drone" not in _ids(fitted.rank_experts("farm", exclude={"drone"}))


def test_batch_ranking_equals_single_ranking(fitted: Matcher) -> None:
    assert fitted.rank_experts_batch([i.id for i in ISSUES]) == [fitted.rank_experts(i.id) for i in ISSUES]


def test_unfitted_matcher_raises_not_fitted_error() -> None:
    with pytest.raises(NotFittedError):
        Matcher().rank_experts("x")


def test_unknown_issue_id_raises_unknown_id_error(fitted: Matcher) -> None:
    with pytest.raises(UnknownIdError):
        fitted.rank_experts("nope")


def test_get_params_returns_the_constructor_arguments() -> None:
    assert Matcher(top_terms=3).get_params()["top_terms"] == 3


def test_batch_split_across_forked_workers_equals_single_ranking(monkeypatch: pytest.MonkeyPatch) -> None:
    from matcher import batch, synthetic

    monkeypatch.setattr(batch, "MIN_ISSUES_FOR_WORKERS", 1)
    matcher = Matcher(n_jobs=2).fit(synthetic.experts(300, seed=3))
    issues = synthetic.issues(40, seed=4)
    assert matcher.rank_experts_batch(issues) == [matcher.rank_experts(i) for i in issues]


def test_batch_exclusions_per_issue_equal_single_ranking_with_exclude(fitted: Matcher) -> None:
    ids = [i.id for i in ISSUES]
    skips = [{"drone"} if n % 2 == 0 else set() for n in range(len(ids))]
    expected = [fitted.rank_experts(i, exclude=skip) for i, skip in zip(ids, skips)]
    assert fitted.rank_experts_batch(ids, exclude=skips) == expected
    assert any("drone" in _ids(ranked) for ranked in fitted.rank_experts_batch(ids))


def test_batch_also_appends_wanted_experts_below_the_top_like_a_second_single_ranking(fitted: Matcher) -> None:
    ids = [i.id for i in ISSUES]
    every, checked = set(fitted.expert_ids), 0
    for issue in ids:
        top = fitted.rank_experts(issue, top=1)
        below = [e for e in _ids(fitted.rank_experts(issue, top=len(every))) if e not in _ids(top)]
        if not below:
            continue
        wanted = {below[-1]}
        [ranked] = fitted.rank_experts_batch([issue], top=1, also=[wanted])
        assert ranked == top + fitted.rank_experts(issue, top=1, exclude=every - wanted)
        assert _ids(ranked)[-1] == below[-1]
        checked += 1
    assert checked


def test_batch_refuses_per_issue_lists_of_the_wrong_length(fitted: Matcher) -> None:
    with pytest.raises(ValueError):
        fitted.rank_experts_batch([ISSUES[0].id], exclude=[set(), set()])
