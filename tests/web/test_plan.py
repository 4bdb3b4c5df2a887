"""The monthly plan keeps pins (hand-set ones are never overwritten), never leaves two pins on an issue, and shows
its fit on the 0-100 scale of the candidate list."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from web.extensions import db
from web.models import AuditEvent, CandidateCuration
from web.services import matching


@pytest.fixture
def desk(make_user, make_issue, make_expert, auth):
    """A drone issue of 岩見沢市, the drone expert who fits it best, a clerk who fits less, a signed-in coordinator."""
    drone = make_expert(user=make_user("expert", display_name="ドローン 太郎"),
                        bio="十勝の農協でドローン防除と農薬散布の実証を担当。散布計画づくりと操縦者育成が得意。")
    clerk = make_expert(user=make_user("expert", display_name="窓口 次郎"), roles=("engineer",),
                        bio="住民票の書かない窓口とオンライン申請の業務改革を多数支援。", sectors=("resident_services",))
    issue = make_issue(title="水田のドローン防除を始めたい", wanted_roles=("engineer",),
                       body="水稲の農薬散布を無人航空機で行いたいが、操縦できる人材も散布計画の作り方も分からない。")
    coordinator = make_user("coordinator")
    auth.login(coordinator.email)
    return {"drone": drone, "clerk": clerk, "issue": issue, "coordinator": coordinator}


def _curate(desk, expert, action="pin", reason="面談して適任と判断", origin="manual"):
    db.session.add(CandidateCuration(issue_id=desk["issue"].id, expert_id=expert.id, action=action, reason=reason,
                                     origin=origin, curated_by_id=desk["coordinator"].id))
    db.session.commit()


def _plan_choice(client, desk):
    with client.application.test_request_context():
        plan = matching.monthly_plan("01")
    return {a.issue_id: a.expert_id for a in plan.assignments}.get(str(desk["issue"].id))


def _pins(desk):
    db.session.expire_all()
    return db.session.scalars(select(CandidateCuration.expert_id).where(
        CandidateCuration.issue_id == desk["issue"].id, CandidateCuration.action == "pin")).all()


def _accept(client, desk, expert):
    return client.post("/coordinator/plan", data={f"choice-{desk['issue'].id}": str(expert.id)},
                       follow_redirects=True).get_data(as_text=True)


def test_plan_proposes_the_best_fit_when_nothing_is_pinned(desk, client):
    assert _plan_choice(client, desk) == str(desk["drone"].id)


def test_plan_proposes_the_pinned_expert_even_when_another_fits_better(desk, client):
    _curate(desk, desk["clerk"])
    assert _plan_choice(client, desk) == str(desk["clerk"].id)


def test_plan_never_proposes_an_excluded_expert(desk, client):
    _curate(desk, desk["drone"], action="exclude", reason="利害関係あり")
    assert _plan_choice(client, desk) != str(desk["drone"].id)


def test_a_pinned_expert_uses_their_capacity_in_the_plan(desk, client, make_issue):
    desk["clerk"].monthly_capacity = 1
    make_issue(title="書かない窓口を導入したい", body="住民票の申請書を窓口で書かずに済むようにし、オンライン申請も広げたい。",
               sector="resident_services", wanted_roles=("engineer",))
    _curate(desk, desk["clerk"])
    with client.application.test_request_context():
        plan = matching.monthly_plan("01")
    assert [a.expert_id for a in plan.assignments].count(str(desk["clerk"].id)) == 1


def test_plan_page_shows_a_hand_set_pin_as_pinned_without_a_choice(desk, client):
    _curate(desk, desk["clerk"])
    page = client.get("/coordinator/plan").get_data(as_text=True)
    assert "ピン留め済み" in page and "窓口 次郎" in page and f'name="choice-{desk["issue"].id}"' not in page


def test_accepting_the_plan_twice_leaves_one_pin(desk, client):
    _accept(client, desk, desk["drone"])
    _accept(client, desk, desk["drone"])
    assert _pins(desk) == [desk["drone"].id]


def test_accepting_another_expert_replaces_the_earlier_plan_pin_with_the_reason_recorded(desk, client):
    _curate(desk, desk["drone"], reason="2026年4月の月次提案で採用", origin="plan")
    _accept(client, desk, desk["clerk"])
    assert _pins(desk) == [desk["clerk"].id]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "candidate_cleared")).one()
    assert event.detail["expert_id"] == desk["drone"].id and event.detail["replaced_by"] == desk["clerk"].id
    assert "別の人材を採用" in event.detail["reason"]


def test_a_hand_set_pin_whose_reason_reads_like_a_plan_pin_is_still_kept(desk, client):
    _curate(desk, desk["drone"], reason="2026年4月の月次提案で採用")
    _accept(client, desk, desk["clerk"])
    assert _pins(desk) == [desk["drone"].id]


def test_accepting_the_plan_marks_its_pin_as_a_plan_pin(desk, client):
    _accept(client, desk, desk["drone"])
    assert db.session.scalars(select(CandidateCuration.origin)).all() == ["plan"]


def test_accepting_the_plan_never_overwrites_a_hand_set_pin(desk, client):
    _curate(desk, desk["drone"])
    page = _accept(client, desk, desk["clerk"])
    assert _pins(desk) == [desk["drone"].id] and "変更しませんでした" in page


def test_accepting_the_plan_never_turns_an_exclusion_into_a_pin(desk, client):
    _curate(desk, desk["clerk"], action="exclude", reason="利害関係あり")
    _accept(client, desk, desk["clerk"])
    assert _pins(desk) == []


def test_plan_shows_the_mean_fit_on_the_0_to_100_scale(desk, client):
    with client.application.test_request_context():
        plan = matching.monthly_plan("01")
    page = client.get("/coordinator/plan").get_data(as_text=True)
    mean = round(100 * plan.total_score / len(plan.assignments))
    assert "適合度の合計" not in page
    assert re.search(rf"適合度の平均 <strong>{mean}</strong>／100", page)
