from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import ExpertRecord, IssueRecord, Matcher, assign
from matcher.assign import CAPACITY_TAKEN, NO_FEASIBLE

TEXTS = ["RPAで入力を自動化", "ドローンで空撮", "漁業のデータ化", "観光客の動態分析", "DX推進計画の策定"]
MODES = [("online",), ("onsite",), ("hybrid",), ("online", "onsite")]


@st.composite
def scenario(draw: st.DrawFn) -> tuple[list[ExpertRecord], list[IssueRecord]]:
    n_experts, n_issues = draw(st.integers(1, 6)), draw(st.integers(1, 8))
    experts = [
        ExpertRecord(
            f"e{i}",
            draw(st.sampled_from(TEXTS)),
            roles=tuple(draw(st.sets(st.sampled_from(["producer", "engineer"]), max_size=2))),
            modes=draw(st.sampled_from(MODES)),
            prefecture=draw(st.sampled_from(["01", "13", "47"])),
            travel_range=draw(st.sampled_from(["none", "prefecture"])),
            monthly_capacity=draw(st.integers(0, 3)),
        )
        for i in range(n_experts)
    ]
    issues = [
        IssueRecord(
            f"i{i}",
            draw(st.sampled_from(TEXTS)),
            mode=draw(st.sampled_from(["online", "onsite", "hybrid"])),
            wanted_roles=tuple(draw(st.sets(st.sampled_from(["producer", "engineer"]), max_size=2))),
            prefecture=draw(st.sampled_from(["01", "13"])),
        )
        for i in range(n_issues)
    ]
    return experts, issues


def _check(plan: object, matcher: Matcher, issues: list[IssueRecord], experts: list[ExpertRecord]) -> None:
    load = Counter(a.expert_id for a in plan.assignments)  # type: ignore[attr-defined]
    capacity = {e.id: e.monthly_capacity for e in experts}
    assert all(load[e] <= capacity[e] for e in load)
    for a in plan.assignments:  # type: ignore[attr-defined]
        feasible = {c.id for c in matcher.rank_experts(a.issue_id, top=len(experts), explain=False)}
        assert a.expert_id in feasible


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_assignment_never_exceeds_capacity_nor_assigns_infeasible_pairs(
    data: tuple[list[ExpertRecord], list[IssueRecord]],
) -> None:
    experts, issues = data
    matcher = Matcher().fit(experts, issues)
    plan = assign(matcher)
    _check(plan, matcher, issues, experts)
    assert len(plan.assignments) + len(plan.unassigned) == len(issues)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_per_role_assignment_respects_capacity_roles_and_feasibility(
    data: tuple[list[ExpertRecord], list[IssueRecord]],
) -> None:
    experts, issues = data
    matcher = Matcher().fit(experts, issues)
    plan = assign(matcher, per_role=True)
    _check(plan, matcher, issues, experts)
    roles = {e.id: e.roles for e in experts}
    assert all(a.role is None or a.role in roles[a.expert_id] for a in plan.assignments)
    pairs = [(a.issue_id, a.expert_id) for a in plan.assignments]
    assert len(pairs) == len(set(pairs))


def test_assignment_maximises_total_fit_instead_of_greedy_top_one() -> None:
    experts = [
        ExpertRecord("generalist", "RPAとドローン", modes=("online",), monthly_capacity=1),
        ExpertRecord("rpa", "RPA", modes=("online",), monthly_capacity=1),
    ]
    issues = [IssueRecord("drone", "ドローン", mode="online"), IssueRecord("robot", "RPA", mode="online")]
    plan = assign(Matcher().fit(experts, issues))
    assert {(a.issue_id, a.expert_id) for a in plan.assignments} == {
        ("drone", "generalist"),
        ("robot", "rpa"),
    }


def test_unassigned_issues_come_with_a_japanese_reason() -> None:
    experts = [ExpertRecord("only", "RPA", modes=("online",), monthly_capacity=1)]
    issues = [
        IssueRecord("a", "RPA", mode="online"),
        IssueRecord("b", "RPA", mode="online"),
        IssueRecord("c", "RPA", mode="onsite"),
    ]
    plan = assign(Matcher().fit(experts, issues))
    reasons = {u.issue_id: u.reason for u in plan.unassigned}
    assert reasons["c"] == NO_FEASIBLE and CAPACITY_TAKEN in reasons.values()
