"""Expert sign-up, profile and contact visibility."""
from __future__ import annotations

from datetime import date

import pytest

from web.extensions import db
from web.models import Engagement
from web.services.errors import NotFound, ServiceError
from web.services.experts import (
    ExpertInput, can_see_contact, get_visible_expert, reconfirm_availability, register_expert, save_profile,
)
from web.services.validation import InvalidInput

BIO = "札幌のSIerで自治体向けシステムの要件定義を10年担当しました。RPAとkintoneが得意です。"


def _input(**overrides) -> ExpertInput:
    fields = dict(display_name="山田 太郎", roles=["engineer"], skills=["RPA", "kintone、ローコード/ノーコード開発"],
                  sectors=["business_process"], bio=BIO, prefecture_code="01", home_label="岩見沢市",
                  travel_range="prefecture", modes=["hybrid", "online"], monthly_capacity="２",
                  contact_email="taro@example.jp", contact_phone="０９０-0000-1234", contact_consent=True)
    fields.update(overrides)
    return ExpertInput(**fields)


def test_sign_up_records_privacy_consent_version_and_time(geo):
    user = register_expert("New@Example.jp", "a-long-password", "山田 太郎", accepted_privacy=True)
    assert user.role == "expert" and user.privacy_notice_version and user.privacy_accepted_at


def test_sign_up_without_privacy_consent_is_refused(geo):
    with pytest.raises(ServiceError, match="同意"):
        register_expert("new@example.jp", "a-long-password", "山田", accepted_privacy=False)


def test_profile_is_saved_with_tags_split_and_location_resolved(make_user):
    profile = save_profile(make_user("expert"), _input())
    assert profile.skills == ["RPA", "kintone", "ローコード/ノーコード開発"]
    assert profile.monthly_capacity == 2 and profile.contact_phone == "090-0000-1234"
    assert (round(profile.lat, 1), round(profile.lon, 1)) == (43.2, 141.8)
    assert profile.contact_consent and profile.contact_consent_version == "2026-11"


@pytest.mark.parametrize("overrides, field", [
    ({"roles": []}, "roles"), ({"bio": "短い"}, "bio"), ({"travel_range": "none"}, "modes"),
    ({"contact_email": "not-an-email"}, "contact_email"), ({"contact_phone": "abc"}, "contact_phone"),
    ({"prefecture_code": "99"}, "prefecture_code"), ({"monthly_capacity": "11"}, "monthly_capacity"),
    ({"skills": ["<b>x</b>"]}, "skills"),
])
def test_bad_profile_input_is_refused(make_user, overrides, field):
    with pytest.raises(InvalidInput) as caught:
        save_profile(make_user("expert"), _input(**overrides))
    assert field in caught.value.errors


def test_contact_is_hidden_without_consent_or_engagement(make_user, make_expert):
    expert = make_expert()
    assert not can_see_contact(make_user("officer"), expert)


def test_contact_is_shown_with_consent(make_user, make_expert):
    expert = make_expert()
    expert.record_contact_consent(True, "2026-11")
    db.session.commit()
    assert can_see_contact(make_user("officer"), expert)


def test_contact_is_shown_to_the_town_with_an_accepted_engagement(make_user, make_expert, make_issue):
    expert, issue = make_expert(), make_issue()
    db.session.add(Engagement(issue_id=issue.id, expert_id=expert.id, start_on=date(2026, 4, 1),
                              end_on=date(2026, 9, 30)))
    db.session.commit()
    assert can_see_contact(make_user("officer"), expert)
    assert not can_see_contact(make_user("officer", municipality_code="041009"), expert)


def test_other_experts_cannot_read_a_profile(make_user, make_expert):
    with pytest.raises(NotFound):
        get_visible_expert(make_user("expert"), make_expert().id)


def test_reconfirming_moves_last_confirmed_forward(make_expert):
    expert = make_expert()
    before = expert.last_confirmed_at
    reconfirm_availability(expert)
    assert expert.last_confirmed_at >= before


def test_showing_contact_details_to_someone_else_is_audited(make_user, make_expert, auth, client):
    from sqlalchemy import select

    from web.models import AuditEvent
    expert = make_expert()
    expert.record_contact_consent(True, "2026-11")
    db.session.commit()
    officer = make_user("officer")
    auth.login(officer.email)
    client.get(f"/experts/{expert.id}")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "contact_viewed")).all()
    assert [(e.actor_id, e.object_id) for e in events] == [(officer.id, str(expert.id))]


def test_hidden_contact_details_leave_no_disclosure_record(make_user, make_expert, auth, client):
    from sqlalchemy import select

    from web.models import AuditEvent
    expert = make_expert()
    auth.login(make_user("officer").email)
    client.get(f"/experts/{expert.id}")
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "contact_viewed")).all() == []
