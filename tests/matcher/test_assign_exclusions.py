"""A coordinator's exclusions are respected by the monthly assignment."""
from __future__ import annotations

from matcher import ExpertRecord, IssueRecord, Matcher, assign


def _matcher() -> Matcher:
    experts = [
        ExpertRecord("drone", "ドローン防除と農薬散布の実証を担当", roles=("engineer",), modes=("online",),
                     monthly_capacity=2),
        ExpertRecord("clerk", "書かない窓口とオンライン申請の業務改革", roles=("engineer",), modes=("online",),
                     monthly_capacity=2),
    ]
    issues = [IssueRecord("i1", "水田のドローン防除と農薬散布を始めたい", mode="online")]
    return Matcher().fit(experts, issues)


def test_best_expert_is_assigned_when_nothing_is_excluded():
    plan = assign(_matcher(), ["i1"])
    assert [(a.issue_id, a.expert_id) for a in plan.assignments] == [("i1", "drone")]


def test_excluded_pair_is_never_proposed():
    plan = assign(_matcher(), ["i1"], exclude_pairs={("i1", "drone")})
    assert ("i1", "drone") not in {(a.issue_id, a.expert_id) for a in plan.assignments}
