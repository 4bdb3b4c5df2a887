"""The expert's journey through the pages: sign-up, profile form, own profile, reconfirmation, profile pages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.web.conftest import PASSWORD
from web.experts.forms import SignupForm
from web.extensions import db
from web.models import ExpertProfile, User
from web.models.base import utcnow
from web.services.experts import PRIVACY_NOTICE_VERSION

BIO = "札幌のSIerで自治体向けシステムの要件定義を10年担当しました。RPAとkintoneが得意です。"
HIDDEN = "連絡先は、本人が公開に同意した場合、または支援の依頼を本人が承諾した後に表示されます。"


def _signup(client, **overrides):
    data = {"email": "new.expert@example.jp", "password": "a-long-password", "password_again": "a-long-password",
            "display_name": "山田 太郎", "accept_privacy": "y"}
    data.update(overrides)
    return client.post("/experts/signup", data={k: v for k, v in data.items() if v is not None})


def _profile(**overrides):
    data = {"display_name": "山田 太郎", "roles": ["engineer", "service_designer"], "skills": ["データ分析", "UI/UX"],
            "other_skills": "kintone、RPA", "sectors": ["agriculture", "business_process"], "bio": BIO,
            "prefecture_code": "01", "home_label": "岩見沢市", "travel_range": "prefecture",
            "modes": ["hybrid", "online"], "monthly_capacity": "３", "certifications": "応用情報技術者\nITコーディネータ",
            "contact_email": "taro@example.jp", "contact_phone": "090-0000-1234", "contact_consent": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _error_under(page, field, message):
    """Tell whether `message` is in the error text right below `field`."""
    found = re.search(rf'id="{field}-error">＊([^<]*)</p>', page)
    return found is not None and message in found.group(1)


def _user_count():
    return db.session.scalar(select(func.count()).select_from(User))


def _login_expert(make_expert, auth, **overrides):
    expert = make_expert(**overrides)
    auth.login(expert.user.email)
    return expert


def _consented(**overrides):
    return {"contact_email": "open@example.jp", "contact_phone": "011-222-3333", "contact_consent": True,
            "contact_consent_at": utcnow(), "contact_consent_version": PRIVACY_NOTICE_VERSION, **overrides}


# Sign-up

def test_sign_up_page_states_the_purpose_of_use_and_links_the_privacy_notice(client):
    page = client.get("/experts/signup").get_data(as_text=True)
    assert "個人情報の利用目的" in page and 'href="/privacy"' in page and PRIVACY_NOTICE_VERSION in page
    assert "個人情報の取扱い（利用目的）に同意する" in page and "8文字以上" in page


def test_expert_signs_up_with_consent_and_is_logged_in(geo, client):
    response = _signup(client)
    assert response.status_code == 302 and response.headers["Location"] == "/experts/profile/edit"
    user = db.session.scalar(select(User).where(User.email == "new.expert@example.jp"))
    assert user.role == "expert" and user.privacy_notice_version == PRIVACY_NOTICE_VERSION
    assert user.privacy_accepted_at is not None
    assert client.get("/experts/profile/edit").status_code == 200


@pytest.mark.parametrize("overrides, field, message", [
    ({"accept_privacy": None}, "accept_privacy", "個人情報の取扱い（利用目的）への同意が必要です"),
    ({"password": "short", "password_again": "short"}, "password", "8文字以上"),
    ({"password": "password", "password_again": "password"}, "password", "よく使われるパスワード"),
    ({"password_again": "another-password"}, "password_again", "一致しません"),
    ({"email": "not-an-address"}, "email", "メールアドレスの形式"),
    ({"display_name": "<b>山田</b>"}, "display_name", "HTMLタグは使えません"),
])
def test_bad_sign_up_is_refused_in_japanese_and_writes_nothing(geo, client, overrides, field, message):
    page = _signup(client, **overrides).get_data(as_text=True)
    assert _error_under(page, field, message) and "入力内容を確認してください" in page
    assert _user_count() == 0


def test_sign_up_with_a_taken_email_gets_a_neutral_message(make_user, client):
    make_user("officer", email="taken@example.jp")
    page = _signup(client, email="Taken@Example.jp").get_data(as_text=True)
    assert _error_under(page, "email", "このメールアドレスは登録できません。別のアドレスを使うか、ログインしてください。")
    assert _user_count() == 1


def test_sign_up_racing_another_with_the_same_email_gets_the_neutral_message(make_user, client, monkeypatch):
    make_user("officer", email="taken@example.jp")
    monkeypatch.setattr(SignupForm, "validate_email", lambda form, field: None)  # lose the race after the check
    page = _signup(client, email="taken@example.jp").get_data(as_text=True)
    assert _error_under(page, "email", "このメールアドレスは登録できません。") and _user_count() == 1


def test_sign_up_posts_are_rate_limited(make_app):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    codes = [client.post("/experts/signup", data={}).status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]


def test_sign_up_form_carries_a_csrf_token_and_refuses_a_post_without_it(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert 'name="csrf_token"' in client.get("/experts/signup").get_data(as_text=True)
    assert _signup(client).status_code == 400
    with app.app_context():
        assert _user_count() == 0


# The profile form

def test_expert_fills_the_profile_sees_it_and_reconfirms(geo, client):
    _signup(client)
    response = client.post("/experts/profile/edit", data=_profile())
    assert response.status_code == 302 and response.headers["Location"] == "/experts/profile"
    profile = db.session.scalar(select(ExpertProfile))
    assert profile.roles == {"engineer", "service_designer"} and profile.sectors == {"agriculture", "business_process"}
    assert profile.modes == {"hybrid", "online"} and profile.monthly_capacity == 3
    assert profile.skills == ["データ分析", "UI/UX", "kintone", "RPA"]
    assert profile.certifications == ["応用情報技術者", "ITコーディネータ"]
    page = client.get("/experts/profile").get_data(as_text=True)
    assert "最終確認日" in page and "サービスデザイナー" in page and "kintone" in page
    profile.last_confirmed_at = utcnow() - timedelta(days=90)
    db.session.commit()
    assert client.post("/experts/profile/confirm").status_code == 302
    assert utcnow() - db.session.scalar(select(ExpertProfile.last_confirmed_at)) < timedelta(minutes=1)


@pytest.mark.parametrize("overrides, field, message", [
    ({"bio": ""}, "bio", "自己紹介・経歴を入力してください。"),
    ({"bio": "あ" * 3001}, "bio", "3000文字以内"),
    ({"bio": BIO + "<script>alert(1)</script>"}, "bio", "HTMLタグは使えません"),
    ({"roles": ["engineer", "hacker"]}, "roles", "選べない値があります: hacker"),
    ({"roles": None}, "roles", "1つ以上選んでください"),
    ({"sectors": ["space"]}, "sectors", "選べない値があります: space"),
    ({"contact_phone": "abc-defg"}, "contact_phone", "電話番号は0から始まる数字とハイフンで"),
    ({"travel_range": "none", "modes": ["onsite"]}, "modes", "「出張不可」の場合は"),
    ({"travel_range": None}, "travel_range", "出張できる範囲を選んでください。"),
    ({"prefecture_code": ""}, "prefecture_code", "都道府県を選んでください"),
    ({"monthly_capacity": "たくさん"}, "monthly_capacity", "半角数字で入力してください"),
    ({"other_skills": "<b>x</b>"}, "other_skills", "HTMLタグを含めずに"),
])
def test_bad_profile_input_is_shown_under_the_field_and_nothing_is_saved(
        make_user, auth, client, overrides, field, message):
    auth.login(make_user("expert").email)
    page = client.post("/experts/profile/edit", data=_profile(**overrides)).get_data(as_text=True)
    assert _error_under(page, field, message) and 'id="error-summary"' in page
    assert "<script>alert(1)</script>" not in page
    assert db.session.scalar(select(func.count()).select_from(ExpertProfile)) == 0


def test_invalid_text_field_is_marked_for_assistive_technology(make_user, auth, client):
    auth.login(make_user("expert").email)
    page = client.post("/experts/profile/edit", data=_profile(bio="")).get_data(as_text=True)
    assert re.search(r'<textarea[^>]*aria-describedby="bio-support bio-error"[^>]*aria-invalid="true"', page)


def test_edit_form_is_pre_filled_from_the_saved_profile(make_expert, auth, client):
    _login_expert(make_expert, auth, skills=["データ分析", "ドローン"], monthly_capacity=4)
    page = client.get("/experts/profile/edit").get_data(as_text=True)
    assert re.search(r'value="engineer"[^>]*checked|checked[^>]*value="engineer"', page)
    assert 'value="ドローン"' in page and 'value="4"' in page and "農業ドローンの実証を担当。" in page


def test_contact_consent_can_be_withdrawn_in_the_form(make_expert, auth, client):
    expert = _login_expert(make_expert, auth, bio=BIO, **_consented())
    client.post("/experts/profile/edit", data=_profile(contact_consent=None))
    db.session.refresh(expert)
    assert expert.contact_consent is False and expert.contact_consent_version == PRIVACY_NOTICE_VERSION


def test_own_profile_shows_the_consent_state_and_is_not_cached(make_expert, auth, client):
    _login_expert(make_expert, auth, **_consented())
    response = client.get("/experts/profile")
    page = response.get_data(as_text=True)
    assert "公開に同意しています" in page and f"版: {PRIVACY_NOTICE_VERSION}" in page and "open@example.jp" in page
    assert response.headers["Cache-Control"] == "no-store"


def test_stale_availability_shows_a_reminder(make_expert, auth, client):
    _login_expert(make_expert, auth, last_confirmed_at=utcnow() - timedelta(days=61))
    assert "60日以上たっています" in client.get("/experts/profile").get_data(as_text=True)


def test_recent_availability_shows_no_reminder(make_expert, auth, client):
    _login_expert(make_expert, auth, last_confirmed_at=utcnow() - timedelta(days=59))
    assert "60日以上たっています" not in client.get("/experts/profile").get_data(as_text=True)


def test_own_profile_page_sends_an_expert_without_profile_to_the_form(make_user, auth, client):
    auth.login(make_user("expert").email)
    assert client.get("/experts/profile").headers["Location"] == "/experts/profile/edit"


# Home page and navigation

def test_home_invites_an_expert_without_profile_to_create_one(make_user, auth, client):
    auth.login(make_user("expert").email)
    page = client.get("/").get_data(as_text=True)
    assert "プロフィールを登録する" in page and 'href="/experts/profile/edit"' in page


def test_home_shows_the_profile_summary_and_the_reconfirm_button(make_expert, auth, client):
    _login_expert(make_expert, auth)
    page = client.get("/").get_data(as_text=True)
    assert "エンジニア" in page and 'action="/experts/profile/confirm"' in page and 'href="/recommended"' in page


def test_expert_menu_links_profile_and_recommended_issues(make_user, auth, client):
    auth.login(make_user("expert").email)
    page = client.get("/").get_data(as_text=True)
    assert ">プロフィール</a>" in page and ">おすすめの課題</a>" in page


# Profile pages for staff and contact visibility

def test_officer_sees_no_contact_details_without_consent(make_expert, make_user, auth, client):
    expert = make_expert(contact_email="hidden@example.jp", contact_phone="090-1111-2222")
    auth.login(make_user("officer").email)
    page = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert HIDDEN in page and "hidden@example.jp" not in page and "090-1111-2222" not in page


def test_officer_sees_consented_contact_details_on_an_uncached_page(make_expert, make_user, auth, client):
    expert = make_expert(**_consented())
    auth.login(make_user("officer").email)
    response = client.get(f"/experts/{expert.id}")
    page = response.get_data(as_text=True)
    assert "open@example.jp" in page and "011-222-3333" in page and HIDDEN not in page
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_can_open_profile_pages(make_expert, make_user, auth, client, role):
    expert = make_expert()
    auth.login(make_user(role).email)
    assert client.get(f"/experts/{expert.id}").status_code == 200


def test_another_expert_gets_404_on_a_profile_page(make_expert, auth, client):
    target = make_expert()
    _login_expert(make_expert, auth)
    assert client.get(f"/experts/{target.id}").status_code == 404


def test_missing_profile_gets_404(make_user, auth, client):
    auth.login(make_user("officer").email)
    assert client.get("/experts/999").status_code == 404


def test_anonymous_visitor_is_sent_to_login_from_a_profile_page(make_expert, client):
    expert = make_expert()
    response = client.get(f"/experts/{expert.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("method, path", [
    ("get", "/experts/profile/edit"), ("post", "/experts/profile/edit"), ("get", "/experts/profile"),
    ("post", "/experts/profile/confirm"),
])
def test_officer_cannot_reach_the_expert_own_pages(make_user, auth, client, method, path):
    auth.login(make_user("officer").email)
    assert getattr(client, method)(path).status_code == 403


def test_logged_in_user_is_sent_home_from_sign_up(make_user, auth, client):
    auth.login(make_user("expert").email, PASSWORD)
    assert client.get("/experts/signup").headers["Location"] == "/"


# Changing contact details needs a recent password (QUALITY.md A7)


def _password_entered_an_hour_ago(client):
    with client.session_transaction() as session:
        session["auth_at"] = session["auth_at"] - 3600


def test_contact_details_change_right_after_login_without_asking_the_password_again(
    make_expert, auth, client
):
    expert = _login_expert(make_expert, auth, bio=BIO, **_consented())
    response = client.post("/experts/profile/edit", data=_profile(contact_email="new@example.jp"))
    assert response.status_code == 302
    db.session.refresh(expert)
    assert expert.contact_email == "new@example.jp"


def test_contact_details_change_an_hour_after_login_is_refused_without_the_password(
    make_expert, auth, client
):
    expert = _login_expert(make_expert, auth, bio=BIO, **_consented())
    _password_entered_an_hour_ago(client)
    data = _profile(contact_email="thief@example.jp", bio=BIO + "追記")
    page = client.post("/experts/profile/edit", data=data)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _error_under(text, "current_password", "現在のパスワードを入力してください")
    db.session.refresh(expert)
    assert expert.contact_email == "open@example.jp" and expert.bio == BIO  # nothing was saved


def test_a_wrong_password_refuses_the_contact_change_and_is_audited(make_expert, auth, client):
    from web.models import AuditEvent

    expert = _login_expert(make_expert, auth, bio=BIO, **_consented())
    _password_entered_an_hour_ago(client)
    data = _profile(contact_phone="090-9999-9999", current_password="not-my-password")
    text = client.post("/experts/profile/edit", data=data).get_data(as_text=True)
    assert _error_under(text, "current_password", "現在のパスワードが正しくありません。")
    db.session.refresh(expert)
    assert expert.contact_phone == "011-222-3333"
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "reauth_failed")) == 1


def test_the_right_password_lets_the_contact_change_through(make_expert, auth, client):
    expert = _login_expert(make_expert, auth, bio=BIO, **_consented())
    _password_entered_an_hour_ago(client)
    data = _profile(contact_email="new@example.jp", current_password=PASSWORD)
    assert client.post("/experts/profile/edit", data=data).status_code == 302
    db.session.refresh(expert)
    assert expert.contact_email == "new@example.jp"
    # The password now counts as recent: a second change needs no password.
    again = _profile(contact_email="n2@example.jp")
    assert client.post("/experts/profile/edit", data=again).status_code == 302


def test_other_profile_changes_need_no_password_however_old_the_login(make_expert, auth, client):
    expert = _login_expert(make_expert, auth, bio=BIO, **_consented())
    _password_entered_an_hour_ago(client)
    data = _profile(contact_email="open@example.jp", contact_phone="011-222-3333", monthly_capacity="5")
    assert client.post("/experts/profile/edit", data=data).status_code == 302
    db.session.refresh(expert)
    assert expert.monthly_capacity == 5


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
def test_wrong_passwords_in_the_profile_form_are_rate_limited_but_saves_are_not(make_expert, auth, client):
    _login_expert(make_expert, auth, bio=BIO, **_consented())
    saves = [client.post("/experts/profile/edit", data=_profile(monthly_capacity=str(n % 9))).status_code
             for n in range(5)]
    assert saves == [302] * 5
    _password_entered_an_hour_ago(client)
    wrong = _profile(contact_email="x@example.jp", current_password="guess")
    codes = [client.post("/experts/profile/edit", data=wrong).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_wrong_password_saves_nothing_even_when_the_contact_details_stay_the_same(make_expert, auth, client):
    expert = _login_expert(make_expert, auth, bio=BIO, **_consented())
    _password_entered_an_hour_ago(client)
    data = _profile(contact_email="open@example.jp", contact_phone="011-222-3333", monthly_capacity="7",
                    current_password="not-my-password")
    text = client.post("/experts/profile/edit", data=data).get_data(as_text=True)
    assert _error_under(text, "current_password", "現在のパスワードが正しくありません。")
    db.session.refresh(expert)
    assert expert.monthly_capacity == 2


def test_sign_up_limit_is_a_setting(make_app):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGNUP="2 per hour").test_client()
    codes = [client.post("/experts/signup", data={}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_limit_page_says_which_window_the_limit_counts_in(make_app):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGNUP="1 per hour").test_client()
    client.post("/experts/signup", data={})
    page = client.post("/experts/signup", data={}).get_data(as_text=True)
    assert "1時間あたりの回数に上限があります" in page and "1分ほど" not in page
