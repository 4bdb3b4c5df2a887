"""Expert profiles through the API: contact details only with consent or an engagement; one's own profile."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.web.conftest import PASSWORD
from tests.web.test_api import api_as, assert_problem
from web.extensions import db
from web.models import Engagement, ExpertProfile
from web.models.base import utcnow

CONTACT = {"email": "taro@example.jp", "phone": "011-123-4567"}
EXPERT_FIELDS = {"id", "display_name", "roles", "skills", "sectors", "bio", "prefecture_code", "home_label",
                 "lat", "lon", "travel_range", "modes", "monthly_capacity", "certifications", "contact"}
PROFILE = {
    "display_name": "山田 太郎",
    "roles": ["service_designer", "engineer"],
    "sectors": ["agriculture"],
    "modes": ["online"],
    "bio": "農業分野のデータ活用とドローン実証を十年担当してきました。自治体との協働経験があります。",
    "prefecture_code": "01",
    "home_label": "札幌市",
    "travel_range": "prefecture",
    "monthly_capacity": 2,
    "skills": ["データ分析", "UI/UX"],
    "contact": CONTACT,
    "contact_consent": True,
}


@pytest.fixture
def consenting(make_expert) -> ExpertProfile:
    return make_expert(contact_email=CONTACT["email"], contact_phone=CONTACT["phone"], contact_consent=True,
                       contact_consent_at=utcnow(), contact_consent_version="2026-11")


@pytest.fixture
def private(make_expert) -> ExpertProfile:
    return make_expert(contact_email=CONTACT["email"], contact_phone=CONTACT["phone"])


def test_officer_sees_no_contact_details_when_the_expert_did_not_consent(client, make_user, private):
    response = api_as(client, make_user("officer")).get(f"/experts/{private.id}")
    body = response.get_json()
    assert response.status_code == 200 and set(body) == EXPERT_FIELDS
    assert body["contact"] is None and CONTACT["email"] not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["officer", "coordinator"])
def test_contact_details_are_shown_when_the_expert_consented(client, make_user, consenting, role):
    assert api_as(client, make_user(role)).get(f"/experts/{consenting.id}").get_json()["contact"] == CONTACT


def test_contact_details_are_shown_to_the_town_of_an_engagement(client, make_user, make_issue, private):
    issue = make_issue()
    db.session.add(Engagement(issue_id=issue.id, expert_id=private.id, start_on=date(2026, 11, 1),
                              end_on=date(2027, 3, 31), status="active"))
    db.session.commit()
    assert api_as(client, make_user("officer")).get(f"/experts/{private.id}").get_json()["contact"] == CONTACT
    assert api_as(client, make_user("officer", municipality_code="012068")).get(
        f"/experts/{private.id}").get_json()["contact"] is None


def test_profile_lists_are_sorted(client, make_user, make_expert):
    expert = make_expert(roles=("service_designer", "engineer", "producer"), modes=("online", "hybrid"))
    body = api_as(client, make_user("officer")).get(f"/experts/{expert.id}").get_json()
    assert body["roles"] == ["engineer", "producer", "service_designer"]
    assert body["modes"] == ["hybrid", "online"]


def test_expert_reads_their_own_profile_with_contact_and_consent(client, private):
    body = api_as(client, private.user).get("/experts/me").get_json()
    assert body["id"] == private.id and body["contact"] == CONTACT and body["contact_consent"] is False


def test_expert_without_a_profile_is_told_to_create_one(client, make_user):
    problem = assert_problem(api_as(client, make_user("expert")).get("/experts/me"), 404)
    assert "PUT /api/v1/experts/me" in problem["detail"]


def test_expert_creates_their_profile_with_put(client, make_user):
    user = make_user("expert")
    response = api_as(client, user).put("/experts/me", json=PROFILE)
    body = response.get_json()
    assert response.status_code == 200 and body["roles"] == ["engineer", "service_designer"]
    assert body["contact"] == CONTACT and body["contact_consent"] is True and body["lat"] is not None
    profile = db.session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))
    assert profile.contact_consent_version and profile.contact_consent_at is not None


def test_put_replaces_the_whole_profile(client, private):
    client = api_as(client, private.user)
    client.put("/experts/me", json=PROFILE)
    replacement = {**PROFILE, "skills": [], "contact": None, "contact_consent": False, "current_password": PASSWORD}
    body = client.put("/experts/me", json=replacement).get_json()
    assert body["skills"] == [] and body["contact"] == {"email": None, "phone": None}
    assert body["contact_consent"] is False


BAD_PROFILE = [
    ({"bio": "短い自己紹介"}, "bio", "30文字以上"),
    ({"display_name": "<script>alert(1)</script>"}, "display_name", "HTMLタグ"),
    ({"prefecture_code": "99"}, "prefecture_code", "都道府県を選んでください"),
    ({"roles": ["wizard"]}, "roles", "選べない値"),
    ({"travel_range": "none", "modes": ["onsite"]}, "modes", "出張不可"),
    ({"contact": {"email": "not-an-email"}}, "contact_email", "形式が正しくありません"),
    ({"contact": {"email": "a@example.jp", "fax": "1"}}, "contact.fax", "受け付けていません"),
    ({"contact_consent": "yes"}, "contact_consent", "true または false"),
    ({"monthly_capacity": "２"}, "monthly_capacity", "整数"),
    ({"user_id": 1}, "user_id", "受け付けていません"),
]


@pytest.mark.parametrize("change, field, message", BAD_PROFILE, ids=[f for _, f, _ in BAD_PROFILE])
def test_bad_profile_is_a_422_problem_and_writes_nothing(client, make_user, change, field, message):
    expert = api_as(client, make_user("expert"))
    problem = assert_problem(expert.put("/experts/me", json={**PROFILE, **change}), 422)
    assert any(message in text for text in problem["errors"][field]), problem["errors"]
    assert db.session.scalar(select(func.count()).select_from(ExpertProfile)) == 0


def test_profile_without_required_fields_names_them(client, make_user):
    problem = assert_problem(api_as(client, make_user("expert")).put("/experts/me", json={}), 422)
    assert set(problem["errors"]) == {"display_name", "roles", "sectors", "modes", "bio", "prefecture_code",
                                      "travel_range"}  # home_label is optional: derived from lat/lon or the prefecture
