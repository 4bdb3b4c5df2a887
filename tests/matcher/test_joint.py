from __future__ import annotations

from matcher import IssueRecord, Matcher, find_joint_issues

from .conftest import EXPERTS

SAME_NEED = "鳥獣被害の対策として、罠にセンサーを付けて見回りの負担を減らしたい。"


def _matcher(*issues: IssueRecord) -> Matcher:
    return Matcher().fit(EXPERTS, list(issues))


def test_the_same_need_in_two_towns_is_one_joint_group() -> None:
    matcher = _matcher(
        IssueRecord("a", SAME_NEED, municipality="美瑛町"),
        IssueRecord("b", "獣害対策でワナの見回りをセンサーで減らしたい。", municipality="東川町"),
        IssueRecord("c", "観光客向けの多言語案内", municipality="美瑛町"),
    )
    groups = find_joint_issues(matcher)
    assert [g.issue_ids for g in groups] == [("a", "b")]
    assert groups[0].municipalities == ("東川町", "美瑛町")
    assert groups[0].pairs[0].shared_terms


def test_issues_of_the_same_municipality_are_not_joint() -> None:
    matcher = _matcher(
        IssueRecord("a", SAME_NEED, municipality="美瑛町"), IssueRecord("b", SAME_NEED, municipality="美瑛町")
    )
    assert find_joint_issues(matcher) == []


def test_threshold_controls_what_counts_as_the_same_need() -> None:
    matcher = _matcher(
        IssueRecord("a", SAME_NEED, municipality="x"), IssueRecord("b", "罠の見回り", municipality="y")
    )
    assert find_joint_issues(matcher, threshold=0.99) == []
