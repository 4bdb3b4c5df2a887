"""Fixed (pinned) pairs are kept by the monthly assignment and use the expert's capacity."""
from __future__ import annotations

import pytest

from matcher import ExpertRecord, IssueRecord, Matcher, assign


def _matcher(drone_capacity: int = 2) -> Matcher:
    experts = [
        ExpertRecord("drone", "ドローン防除と農薬散布の実証を担当", roles=("engineer",), modes=("online",),
                     monthly_capacity=drone_capacity),
        ExpertRecord("clerk", "書かない窓口とオンライン申請の業務改革", roles=("engineer",), modes=("online",),
                     monthly_capacity=2),
    ]
    issues = [IssueRecord("i1", "水田のドローン防除と農薬散布を始めたい", mode="online"),
              IssueRecord("i2", "ドローンで農薬散布の実証をしたい", mode="online")]
    return Matcher().fit(experts, issues)


def _pairs(plan):
    return {(a.issue_id, a.expert_id) for a in plan.assignments}


def test_fixed_pair_is_kept_even_when_another_expert_fits_better():
    plan = assign(_matcher(), ["i1"], fixed_pairs={"i1": "clerk"})
    assert _pairs(plan) == {("i1", "clerk")}


def test_fixed_pair_uses_the_experts_capacity():
    plan = assign(_matcher(drone_capacity=1), ["i1", "i2"], fixed_pairs={"i2": "drone"})
    assert ("i2", "drone") in _pairs(plan) and ("i1", "drone") not in _pairs(plan)


def test_fixed_pair_counts_in_the_total_score():
    plan = assign(_matcher(), ["i1"], fixed_pairs={"i1": "clerk"})
    assert plan.total_score == pytest.approx(plan.assignments[0].score)


def test_fixed_pair_with_an_unknown_expert_is_ignored():
    plan = assign(_matcher(), ["i1"], fixed_pairs={"i1": "gone"})
    assert _pairs(plan) == {("i1", "drone")}


def test_pair_both_fixed_and_excluded_is_refused():
    with pytest.raises(ValueError, match="fixed and excluded"):
        assign(_matcher(), ["i1"], fixed_pairs={"i1": "drone"}, exclude_pairs={("i1", "drone")})


def test_fixed_pairs_with_per_role_are_refused():
    with pytest.raises(ValueError, match="per_role"):
        assign(_matcher(), ["i1"], per_role=True, fixed_pairs={"i1": "drone"})
