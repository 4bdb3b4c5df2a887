"""Candidates with reasons, curation, shortlist, recommendations, the monthly plan and joint issues."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from web.extensions import db
from web.models import CandidateCuration, Notification, ShortlistEntry
from web.services import matching

DRONE_ISSUE = ("水田のドローン防除を始めたい",
               "水稲の農薬散布を無人航空機で行いたいが、操縦できる人材も散布計画の作り方も分からない。農協と一緒に実証したい。")


@pytest.fixture
def corpus(make_user, make_issue, make_expert):
    """Three experts and two issues in 岩見沢市 and 釧路市 (北海道)."""
    drone = make_expert(user=make_user("expert", display_name="ドローン 太郎"),
                        bio="十勝の農協でドローン防除と農薬散布の実証を担当。散布計画づくりと操縦者育成が得意。",
                        roles=("engineer", "project_manager"), sectors=("agriculture",), modes=("hybrid", "onsite"))
    online = make_expert(user=make_user("expert", display_name="オンライン 花子"),
                         bio="ドローン空撮と農薬散布のデータ解析をオンラインで支援します。",
                         roles=("engineer",), sectors=("agriculture",), modes=("online",), travel_range="none")
    clerk = make_expert(user=make_user("expert", display_name="窓口 次郎"),
                        bio="住民票の書かない窓口とオンライン申請の業務改革を多数支援。", roles=("service_designer",),
                        sectors=("resident_services",), modes=("hybrid",))
    issue = make_issue(title=DRONE_ISSUE[0], body=DRONE_ISSUE[1], mode="onsite", stage="product_planning",
                       wanted_roles=("engineer",))
    other = make_issue(municipality_code="012068", title="書かない窓口を導入したい",
                       body="住民票の申請書を窓口で書かずに済むようにし、オンライン申請も広げたい。", sector="resident_services",
                       wanted_roles=("service_designer",))
    return {"drone": drone, "online": online, "clerk": clerk, "issue": issue, "other": other}


def _login(auth, make_user, role="officer", **kw):
    user = make_user(role, **kw)
    auth.login(user.email)
    return user


def test_officer_sees_ranked_candidates_with_japanese_reasons(corpus, auth, make_user, client):
    _login(auth, make_user)
    page = client.get(f"/issues/{corpus['issue'].id}/candidates").get_data(as_text=True)
    assert "ドローン 太郎" in page and "この人材をおすすめする理由" in page and "スコアの内訳" in page
    assert page.index("ドローン 太郎") < page.index("窓口 次郎") if "窓口 次郎" in page else True


def test_online_only_expert_is_filtered_out_for_on_site_work(corpus, auth, make_user, client):
    _login(auth, make_user)
    assert "オンライン 花子" not in client.get(f"/issues/{corpus['issue'].id}/candidates").get_data(as_text=True)


def test_role_filter_keeps_only_that_role(corpus, auth, make_user, client):
    _login(auth, make_user)
    page = client.get(f"/issues/{corpus['issue'].id}/candidates?role=service_designer").get_data(as_text=True)
    assert "ドローン 太郎" not in page


def test_other_towns_officer_gets_404_for_candidates(corpus, auth, make_user, client):
    _login(auth, make_user, municipality_code="041009")
    assert client.get(f"/issues/{corpus['issue'].id}/candidates").status_code == 404


@pytest.mark.parametrize("role", ["expert"])
def test_experts_cannot_see_candidate_lists(corpus, auth, make_user, client, role):
    _login(auth, make_user, role)
    assert client.get(f"/issues/{corpus['issue'].id}/candidates").status_code in (403, 404)


def test_coordinator_pins_a_candidate_with_a_kept_reason(corpus, auth, make_user, client):
    _login(auth, make_user, "coordinator")
    issue, clerk = corpus["issue"], corpus["clerk"]
    client.post(f"/issues/{issue.id}/curation/{clerk.id}", data={"action": "pin", "reason": "町長の意向で面談したい"})
    curation = db.session.get(CandidateCuration, (issue.id, clerk.id))
    assert curation.action == "pin" and curation.reason == "町長の意向で面談したい"
    views = matching.rank_candidates(issue)
    assert views[0].expert.id == clerk.id and views[0].pinned


def test_curation_without_a_reason_is_refused_and_nothing_is_written(corpus, auth, make_user, client):
    _login(auth, make_user, "coordinator")
    response = client.post(f"/issues/{corpus['issue'].id}/curation/{corpus['drone'].id}",
                           data={"action": "exclude", "reason": "  "}, follow_redirects=True)
    assert "理由を入力してください" in response.get_data(as_text=True)
    assert db.session.scalars(select(CandidateCuration)).all() == []


def test_officers_cannot_pin_or_exclude(corpus, auth, make_user, client):
    _login(auth, make_user)
    response = client.post(f"/issues/{corpus['issue'].id}/curation/{corpus['drone'].id}",
                           data={"action": "pin", "reason": "x"})
    assert response.status_code == 403


def test_shortlist_toggles(corpus, auth, make_user, client):
    _login(auth, make_user)
    url = f"/issues/{corpus['issue'].id}/shortlist/{corpus['drone'].id}"
    client.post(url)
    assert db.session.get(ShortlistEntry, (corpus["issue"].id, corpus["drone"].id)) is not None
    client.post(url)
    assert db.session.get(ShortlistEntry, (corpus["issue"].id, corpus["drone"].id)) is None


def test_profile_change_is_rankable_without_a_rebuild(corpus, app):
    with app.test_request_context():
        assert corpus["clerk"].id not in [v.expert.id for v in matching.rank_candidates(corpus["issue"], limit=1)]
        corpus["clerk"].bio = "ドローン防除と農薬散布の散布計画を専門に、水田の無人航空機活用を支援。"
        corpus["clerk"].roles.add("engineer")
        db.session.commit()
        top = matching.rank_candidates(corpus["issue"], limit=3)
        assert corpus["clerk"].id in [v.expert.id for v in top]


def test_expert_sees_recommended_open_issues(corpus, auth, client):
    auth.login(corpus["drone"].user.email)
    page = client.get("/recommended").get_data(as_text=True)
    assert DRONE_ISSUE[0] in page and "おすすめする理由" in page


def test_monthly_plan_respects_capacity(corpus, make_issue, auth, make_user, client):
    corpus["drone"].monthly_capacity = 1
    make_issue(title="畑作のドローン散布も検討", body="小麦の防除にドローンを使い、散布計画を作りたい。農薬散布の実証。",
               mode="hybrid", wanted_roles=("engineer",))
    db.session.commit()
    _login(auth, make_user, "coordinator")
    with client.application.test_request_context():
        plan = matching.monthly_plan("01")
    per_expert = {}
    for a in plan.assignments:
        per_expert[a.expert_id] = per_expert.get(a.expert_id, 0) + 1
    assert per_expert.get(str(corpus["drone"].id), 0) <= 1
    assert "割り当て案" in client.get("/coordinator/plan").get_data(as_text=True)


def test_accepting_the_plan_pins_the_chosen_experts(corpus, auth, make_user, client):
    _login(auth, make_user, "coordinator")
    client.post("/coordinator/plan", data={f"choice-{corpus['issue'].id}": str(corpus["drone"].id)})
    curation = db.session.get(CandidateCuration, (corpus["issue"].id, corpus["drone"].id))
    assert curation.action == "pin" and "月次提案" in curation.reason


def test_joint_suggestion_notifies_the_officers_of_each_town(make_issue, make_expert, make_user, auth, client):
    make_expert()
    body = "漁協の水揚げデータを紙で集計しており、魚種別の漁獲量をすぐに見える化できない。市場と共有したい。"
    a = make_issue(title="水揚げデータを見える化したい", body=body, sector="fishery")
    b = make_issue(municipality_code="012068", title="漁獲量と水揚げの見える化", body=body + "浜ごとに比較したい。",
                   sector="fishery")
    officers = [make_user("officer"), make_user("officer", municipality_code="012068")]
    _login(auth, make_user, "coordinator")
    assert "連携を提案する" in client.get("/coordinator/joint").get_data(as_text=True)
    client.post("/coordinator/joint", data={"issue_ids": f"{a.id},{b.id}"})
    notified = db.session.scalars(select(Notification.user_id).where(Notification.kind == "joint_suggestion")).all()
    assert sorted(notified) == sorted(o.id for o in officers)


def test_coordinator_of_another_prefecture_cannot_pin(corpus, auth, make_user, client):
    _login(auth, make_user, "coordinator", prefecture_code="04")
    response = client.post(f"/issues/{corpus['issue'].id}/curation/{corpus['drone'].id}",
                           data={"action": "pin", "reason": "x"})
    assert response.status_code == 404
