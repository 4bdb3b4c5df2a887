"""Supply gaps (open issues whose best candidate is weak, counted by role, sector and region) and joint-issue
candidates with the towns they would join (web/services/progress/gaps.py, coordinator/_gaps.html)."""
from __future__ import annotations

import pytest
from flask import render_template

from web.extensions import db
from web.models import Municipality
from web.services import matching
from web.services.progress import gaps
from web.services.progress.scope import ProgressFilters

SAME_NEED = ("鳥獣被害の罠の見回りを減らしたい", "鳥獣被害の対策として、罠にセンサーを付けて見回りの負担を減らしたい。")


@pytest.fixture
def world(make_user, make_expert, make_issue):
    """A drone expert; a drone issue (strong match), a disaster-prevention issue nobody fits (a gap), the same
    wildlife need in two towns of 北海道 (joint), and a gap in 宮城県 (another prefecture)."""
    db.session.add(Municipality(code="012173", name="江別市", kana="えべつし", prefecture_code="01",
                                subprefecture="石狩振興局", lat=43.1036, lon=141.5361))
    db.session.commit()
    drone = make_expert(bio="ドローン防除と農薬散布の実証、水田の散布計画づくりが得意。", roles=("engineer",),
                        sectors=("agriculture",), modes=("hybrid", "onsite"))
    issues = {
        "drone": make_issue(title="水田のドローン防除を始めたい", body="水稲の農薬散布をドローンで行う散布計画を作りたい。",
                            wanted_roles=("engineer",)),
        "gap": make_issue(title="避難所の受付を電子化したい", body="災害時の避難所で住民の受付と安否確認を電子化したい。",
                          sector="disaster", municipality_code="012068", wanted_roles=("service_designer", "producer"),
                          status="matching"),
        "wild_a": make_issue(title=SAME_NEED[0], body=SAME_NEED[1], sector="wildlife",
                             wanted_roles=("service_designer",)),
        "wild_b": make_issue(title="獣害のワナ見回りをセンサーで", body="獣害対策でワナの見回りをセンサーで減らしたい。",
                             sector="wildlife", municipality_code="012173", wanted_roles=("service_designer",)),
        "draft": make_issue(title="下書きの課題", body="避難所の受付を電子化したい。", sector="disaster", status="draft"),
        "miyagi": make_issue(title="仙台の避難所の受付", body="災害時の避難所で受付を電子化したい。", sector="disaster",
                             municipality_code="041009", wanted_roles=("producer",)),
    }
    return {"pilot": drone, **issues}


def _filters(**kw) -> ProgressFilters:
    return ProgressFilters(prefecture_code=kw.pop("prefecture_code", "01"), fiscal_year=2026, **kw)


def test_issues_whose_best_candidate_is_below_the_threshold_are_gaps_and_strong_ones_are_not(world, make_user, app):
    coordinator = make_user("coordinator")
    with app.test_request_context():
        found = gaps.supply_gaps(coordinator, _filters())
        best = {i.id: (v[0].score if v else None) for i, v in zip(
            [world["drone"], world["gap"]], [matching.rank_candidates(world[k], limit=1) for k in ("drone", "gap")])}
    weak = {w.issue_id: w for w in found.issues}
    assert found.threshold == 0.5 and found.ranked == 4  # open + matching in 北海道; not the draft, not 宮城
    assert best[world["drone"].id] >= 0.5 and world["drone"].id not in weak
    gap = weak[world["gap"].id]
    assert gap.best_score == best[world["gap"].id] and (gap.best_score is None or gap.best_score < 0.5)
    assert gap.municipality_name == "釧路市" and gap.subprefecture == "釧路総合振興局"
    assert gap.wanted_roles == ("producer", "service_designer")
    assert world["draft"].id not in weak and world["miyagi"].id not in weak


def test_gaps_are_counted_by_wanted_role_sector_and_region(world, make_user, app):
    with app.test_request_context():
        found = gaps.supply_gaps(make_user("coordinator"), _filters())
    weak_ids = {w.issue_id for w in found.issues}
    assert weak_ids == {world["gap"].id, world["wild_a"].id, world["wild_b"].id}
    assert found.by_role == (("service_designer", "サービスデザイナー", 3), ("producer", "プロデューサー", 1))
    assert found.by_sector == (("wildlife", "鳥獣対策", 2), ("disaster", "防災", 1))
    assert found.by_subprefecture == (("石狩振興局", "石狩振興局", 1), ("空知総合振興局", "空知総合振興局", 1),
                                      ("釧路総合振興局", "釧路総合振興局", 1))


@pytest.mark.app_config(SUPPLY_GAP_SCORE=0.99)
def test_the_threshold_is_the_setting(world, make_user, app):
    with app.test_request_context():
        found = gaps.supply_gaps(make_user("coordinator"), _filters())
    assert found.threshold == 0.99 and world["drone"].id in {w.issue_id for w in found.issues}


def test_filters_and_scope_narrow_the_gaps(world, make_user, app):
    with app.test_request_context():
        kushiro = gaps.supply_gaps(make_user("coordinator"), _filters(municipality_code="012068"))
        wildlife = gaps.supply_gaps(make_user("coordinator"), _filters(sector="wildlife"))
        officer = gaps.supply_gaps(make_user("officer", municipality_code="041009"), _filters(prefecture_code="04"))
        expert = gaps.supply_gaps(world["pilot"].user, _filters())
    assert [w.issue_id for w in kushiro.issues] == [world["gap"].id]
    assert {w.issue_id for w in wildlife.issues} == {world["wild_a"].id, world["wild_b"].id}
    assert [w.issue_id for w in officer.issues] == [world["miyagi"].id]
    assert expert.issues == () and expert.ranked == 0


def test_joint_candidates_name_the_towns_they_would_join_and_the_shared_terms(world, make_user, app):
    with app.test_request_context():
        found = gaps.joint_candidates(make_user("coordinator"), _filters())
        in_sorachi = gaps.joint_candidates(make_user("coordinator"), _filters(subprefecture="空知総合振興局"))
        expert = gaps.joint_candidates(world["pilot"].user, _filters())
    assert [c.issue_ids for c in found] == [(world["wild_a"].id, world["wild_b"].id)]
    [candidate] = found
    assert candidate.municipality_names == ("岩見沢市", "江別市")
    assert candidate.titles == (SAME_NEED[0], "獣害のワナ見回りをセンサーで")
    assert 0 < candidate.score <= 1 and candidate.shared_terms
    assert in_sorachi == [] and expert == []  # one town left in the region: nothing to join


def test_joint_groups_kept_for_the_index_are_found_anew_when_an_issue_changes(world, make_user, app):
    with app.test_request_context():
        coordinator = make_user("coordinator")
        first = gaps.joint_candidates(coordinator, _filters())
        assert gaps.joint_candidates(coordinator, _filters()) == first  # kept: the same answer
        world["wild_b"].status = "withdrawn"  # the index takes the change in on the next call
        db.session.commit()
        assert gaps.joint_candidates(coordinator, _filters()) == []
        world["wild_b"].status = "open"
        db.session.commit()
        assert gaps.joint_candidates(coordinator, _filters()) == first


def test_the_partial_renders_both_tables_with_captions_and_links_to_candidate_pages(world, make_user, app):
    with app.test_request_context():
        coordinator = make_user("coordinator")
        html = render_template("coordinator/_gaps.html", gaps=gaps.supply_gaps(coordinator, _filters()),
                               joint=gaps.joint_candidates(coordinator, _filters()))
    assert "<caption>供給ギャップの件数（求められている役割別）</caption>" in html
    assert "<caption>連携できそうな課題の組み合わせ（類似度の高い順）</caption>" in html
    assert f'href="/issues/{world["gap"].id}/candidates"' in html
    assert f'href="/issues/{world["wild_b"].id}/candidates"' in html
    assert "岩見沢市・江別市" in html and 'scope="row"' in html
    assert "求められている役割で最も多いのは「サービスデザイナー」（3件）" in html


def test_the_partial_says_so_when_there_is_nothing(make_user, app_ctx, app):
    with app.test_request_context():
        html = render_template("coordinator/_gaps.html", gaps=gaps.SupplyGaps(0.5, 0, (), (), (), ()), joint=[])
    assert "<strong>0件</strong>" in html and "組み合わせは見つかりません" in html


def test_gaps_and_joint_candidates_issue_as_many_statements_for_3n_issues_as_for_n(world, make_user, make_issue,
                                                                                   app):
    from tests.web.test_batch_ranking import _statements

    coordinator = make_user("coordinator")

    def counted() -> int:
        with app.test_request_context():
            gaps.supply_gaps(coordinator, _filters()), gaps.joint_candidates(coordinator, _filters())  # warm
            db.session.expire_all()
            with _statements() as count:
                found = gaps.supply_gaps(coordinator, _filters()), gaps.joint_candidates(coordinator, _filters())
            assert found[0].issues and found[1]
            return count()

    small = counted()
    for k in range(8):  # 4 issues in scope -> 12
        make_issue(title=f"{SAME_NEED[0]}（{k}）", body=SAME_NEED[1], sector="wildlife",
                   municipality_code=("012106", "012068", "012173")[k % 3], wanted_roles=("service_designer",),
                   status=("open", "matching")[k % 2])
    assert counted() == small
