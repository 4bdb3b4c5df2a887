from __future__ import annotations

from matcher import IssueRecord, Matcher, find_joint_issues, group_terms

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


def _three_towns() -> Matcher:
    return _matcher(
        IssueRecord("a", SAME_NEED, municipality="美瑛町"),
        IssueRecord("b", "獣害対策でワナの見回りをセンサーで減らしたい。", municipality="東川町"),
        IssueRecord("c", "鳥獣被害の罠の見回りをセンサーと通知で減らしたい。", municipality="上富良野町"),
        IssueRecord("d", "観光客向けの多言語案内", municipality="美瑛町"),
    )


def test_groups_found_without_terms_are_the_same_groups_with_no_terms_computed() -> None:
    matcher = _three_towns()
    with_terms, without = find_joint_issues(matcher), find_joint_issues(matcher, top_terms=0)
    assert [(g.issue_ids, g.similarity) for g in without] == [(g.issue_ids, g.similarity) for g in with_terms]
    assert all(p.shared_terms == () for g in without for p in g.pairs)


def test_group_terms_equal_the_first_distinct_terms_of_every_pair_in_order() -> None:
    matcher = _three_towns()
    [group] = find_joint_issues(matcher)
    every = list(dict.fromkeys(t.label for pair in group.pairs for t in pair.shared_terms))
    [bare] = find_joint_issues(matcher, top_terms=0)
    for limit in (1, 3, 8):
        assert group_terms(matcher, bare, limit=limit) == every[:limit]
    assert len(group.pairs) > 1 and every


def test_group_terms_explain_only_the_pairs_needed(monkeypatch) -> None:
    from matcher import joint

    matcher = _three_towns()
    [bare] = find_joint_issues(matcher, top_terms=0)
    calls = []
    real = joint.shared_terms
    monkeypatch.setattr(joint, "shared_terms", lambda *a, **k: calls.append(a) or real(*a, **k))
    group_terms(matcher, bare, limit=1)
    assert len(calls) == 1 < len(bare.pairs)
