from __future__ import annotations

from matcher import EXPERT_VIEW, ExpertRecord, IssueRecord, Matcher


def test_rank_issues_gives_the_expert_the_issues_that_fit_them(fitted: Matcher) -> None:
    assert fitted.rank_issues("drone")[0].id == "farm"


def test_rank_issues_accepts_an_unindexed_expert(fitted: Matcher) -> None:
    expert = ExpertRecord(
        "x",
        "漁協の水揚げデータのデジタル化",
        modes=("onsite",),
        prefecture="01",
        lat=42.98,
        lon=144.38,
        travel_range="regional",
    )
    assert fitted.rank_issues(expert)[0].id == "sea"


def test_rank_issues_scores_are_the_expert_view_sum(fitted: Matcher) -> None:
    for c in fitted.rank_issues("pm"):
        assert sum(EXPERT_VIEW[k] * v for k, v in c.parts.items()) == __import__("pytest").approx(
            c.score, abs=2e-6
        )


def test_rank_issues_leaves_out_issues_the_expert_cannot_reach(fitted: Matcher) -> None:
    assert "plan" not in [c.id for c in fitted.rank_issues("rpa")]


def test_two_sided_ranking_lowers_a_match_only_the_town_wants() -> None:
    # Same text fit; "reluctant" is far away and works in another sector, so only the town would want it.
    experts = [
        ExpertRecord(
            "keen",
            "RPAの導入支援",
            roles=("engineer",),
            sectors=("business_process",),
            modes=("hybrid",),
            prefecture="01",
            lat=43.06,
            lon=141.35,
            travel_range="prefecture",
            monthly_capacity=3,
        ),
        ExpertRecord(
            "reluctant",
            "RPAの導入支援",
            roles=("engineer",),
            sectors=("tourism",),
            modes=("hybrid",),
            prefecture="47",
            lat=26.21,
            lon=127.68,
            travel_range="nationwide",
            monthly_capacity=1,
        ),
    ]
    issue = IssueRecord(
        "i",
        "RPAを導入したい",
        wanted_roles=("engineer",),
        mode="hybrid",
        prefecture="01",
        lat=43.06,
        lon=141.35,
        sector="business_process",
    )
    matcher = Matcher().fit(experts)
    one, two = matcher.rank_experts(issue), matcher.rank_experts(issue, two_sided=True)
    gap_one = one[0].score - one[1].score
    gap_two = two[0].score - two[1].score
    assert [c.id for c in two] == ["keen", "reluctant"] and gap_two > gap_one
