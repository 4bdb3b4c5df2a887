"""PUT /api/v1/experts/me: contact details change only with current_password (a token is not a fresh login)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.conftest import PASSWORD
from tests.web.test_api import api_as, assert_problem
from tests.web.test_api_experts import CONTACT, PROFILE
from web.extensions import db
from web.models import AuditEvent, ExpertProfile, LoginThrottle
from web.services.experts import REAUTH_FOR_CONTACT

NEW_CONTACT = {"email": "thief@example.jp", "phone": "090-0000-0000"}


@pytest.fixture
def api(client, make_expert):
    expert = make_expert(contact_email=CONTACT["email"], contact_phone=CONTACT["phone"])
    return api_as(client, expert.user)


def _saved_contact() -> tuple[str | None, str | None]:
    profile = db.session.scalars(select(ExpertProfile)).one()
    db.session.refresh(profile)
    return profile.contact_email, profile.contact_phone


def test_contact_change_without_current_password_is_refused(api):
    problem = assert_problem(api.put("/experts/me", json={**PROFILE, "contact": NEW_CONTACT}), 422)
    assert problem["errors"] == {"current_password": [REAUTH_FOR_CONTACT]}
    assert _saved_contact() == (CONTACT["email"], CONTACT["phone"])


def test_contact_change_with_the_right_current_password_is_saved(api):
    body = {**PROFILE, "contact": NEW_CONTACT, "current_password": PASSWORD}
    response = api.put("/experts/me", json=body)
    assert response.status_code == 200 and "current_password" not in response.get_json()
    assert _saved_contact() == (NEW_CONTACT["email"], NEW_CONTACT["phone"])


def test_a_wrong_current_password_is_422_audited_counted_and_saves_nothing(api):
    body = {**PROFILE, "bio": PROFILE["bio"] + "追記", "contact": NEW_CONTACT, "current_password": "guess-1234"}
    problem = assert_problem(api.put("/experts/me", json=body), 422)
    assert problem["errors"] == {"current_password": ["現在のパスワードが正しくありません。"]}
    assert _saved_contact() == (CONTACT["email"], CONTACT["phone"])
    assert "reauth_failed" in db.session.scalars(select(AuditEvent.action)).all()
    assert db.session.scalars(select(LoginThrottle.failed_count)).one() == 1


def test_other_changes_need_no_password(api):
    body = {**PROFILE, "contact": CONTACT, "monthly_capacity": 5}
    assert api.put("/experts/me", json=body).status_code == 200


def test_the_first_profile_may_set_contact_details_without_a_password(client, make_user):
    api = api_as(client, make_user("expert"))
    assert api.put("/experts/me", json=PROFILE).status_code == 200


def test_the_openapi_document_offers_current_password_as_a_write_only_field(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    put = next(s for name, s in schemas.items() if name.startswith("ExpertPut"))
    assert put["properties"]["current_password"]["writeOnly"] is True


def test_a_password_with_a_zero_width_joiner_works_at_the_token_endpoint(client, make_user, app_ctx):
    from tests.web.test_api import request_token
    user = make_user("expert")
    user.set_password("家族👨\u200d👩\u200d👧で旅行", method="pbkdf2:sha256:1000")
    db.session.commit()
    assert request_token(client, user.email, "家族👨\u200d👩\u200d👧で旅行").status_code == 200
