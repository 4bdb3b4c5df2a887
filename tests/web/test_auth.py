"""Login, logout and session handling through the real forms."""
from __future__ import annotations

import base64
import json
import logging

import pytest
from sqlalchemy import select

from tests.web.conftest import PASSWORD
from web.extensions import db
from web.models import AuditEvent

FAILED = "メールアドレスまたはパスワードが正しくありません。"


def _session_cookie(client):
    cookie = client.get_cookie("dxm_session")
    return cookie.value if cookie else None


def test_login_page_is_in_japanese(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="ja">' in page and "ログイン" in page and "※必須" in page


def test_officer_logs_in_and_sees_their_town(make_user, auth, client):
    user = make_user("officer")
    response = auth.login(user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "岩見沢市の課題" in client.get("/").get_data(as_text=True)


def test_login_accepts_email_in_any_case(make_user, auth):
    user = make_user("officer", email="sato@example.jp")
    assert auth.login("  SATO@Example.JP ").status_code == 302 and user.id


def test_wrong_password_gets_the_generic_message(make_user, auth):
    user = make_user("officer")
    response = auth.login(user.email, "wrong-password")
    assert response.status_code == 200 and FAILED in response.get_data(as_text=True)


def test_unknown_email_gets_the_same_message(geo, auth):
    response = auth.login("nobody@example.jp")
    assert response.status_code == 200 and FAILED in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(make_user, auth):
    user = make_user("officer", active=False)
    assert FAILED in auth.login(user.email).get_data(as_text=True)


def test_empty_form_shows_field_errors_in_japanese(geo, client):
    page = client.post("/auth/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "メールアドレスを入力してください。" in page and "パスワードを入力してください。" in page
    assert 'aria-invalid="true"' in page


def test_logout_invalidates_the_old_session_cookie(make_user, auth, client, app):
    user = make_user("officer")
    auth.login(user.email)
    stolen = _session_cookie(client)
    auth.logout()
    attacker = app.test_client()
    attacker.set_cookie("dxm_session", stolen)
    response = attacker.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_deactivating_a_user_ends_their_session(make_user, auth, client):
    user = make_user("officer")
    auth.login(user.email)
    user.active = False
    db.session.commit()
    assert client.get("/me").status_code == 302


def test_logout_asks_the_browser_to_clear_site_data(make_user, auth):
    user = make_user("officer")
    auth.login(user.email)
    assert "cache" in auth.logout().headers["Clear-Site-Data"]


def test_logout_by_get_is_not_allowed(make_user, auth, client):
    user = make_user("officer")
    auth.login(user.email)
    assert client.get("/auth/logout").status_code == 405


def test_session_cookie_carries_no_personal_data(make_user, auth, client):
    user = make_user("officer", email="private.person@example.jp")
    auth.login(user.email)
    payload = _session_cookie(client).split(".")[0].lstrip(".")
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"private.person" not in decoded and "利用者".encode() not in decoded


def test_session_cookie_is_http_only_and_same_site(make_user, auth):
    user = make_user("officer")
    header = auth.login(user.email).headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_login_never_redirects_off_site(make_user, client, target):
    user = make_user("officer")
    response = client.post(f"/auth/login?next={target}", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next_path(make_user, client):
    user = make_user("officer")
    response = client.post("/auth/login?next=/me", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/me"


def test_login_attempts_are_audited_without_the_password(make_user, auth, caplog):
    user = make_user("officer")
    with caplog.at_level(logging.INFO, logger="web.audit"):
        auth.login(user.email, "wrong-password-123")
        auth.login(user.email)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["login_failed", "login"]
    assert "wrong-password-123" not in caplog.text and user.email not in caplog.text
    assert "wrong-password-123" not in json.dumps([e.detail for e in db.session.scalars(select(AuditEvent))])


def test_sixth_login_attempt_within_a_minute_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="5 per minute")
    client = app.test_client()
    codes = [client.post("/auth/login", data={"email": "a@example.jp", "password": "x" * 8}).status_code
             for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert "しばらく" in client.post("/auth/login", data={}).get_data(as_text=True)


def test_post_without_csrf_token_is_rejected(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/auth/login", data={"email": "a@example.jp", "password": "x" * 8})
    assert response.status_code == 400 and "再読み込み" in response.get_data(as_text=True)


def test_login_form_carries_a_csrf_token_when_enabled(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    assert 'name="csrf_token"' in app.test_client().get("/auth/login").get_data(as_text=True)


# Password change (QUALITY.md A7)

NEW = "a-new-long-passphrase"


def _change(client, current=PASSWORD, new=NEW, confirm=None):
    data = {"current_password": current, "new_password": new,
            "new_password_confirm": new if confirm is None else confirm}
    return client.post("/auth/password", data=data)


def test_password_page_needs_a_login(client):
    assert client.get("/auth/password").headers["Location"].startswith("/auth/login")


def test_user_changes_the_password_and_logs_in_with_the_new_one(make_user, auth, client, make_app):
    user = make_user("officer")
    auth.login(user.email)
    response = _change(client)
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    assert client.get("/me").status_code == 200  # this browser stays signed in
    auth.logout()
    assert auth.login(user.email, NEW).status_code == 302
    auth.logout()
    assert FAILED in auth.login(user.email, PASSWORD).get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "password_changed")) is not None


def test_a_password_change_ends_the_other_sessions(make_user, auth, client, app):
    from tests.web.conftest import AuthActions

    user = make_user("officer")
    other = app.test_client()
    AuthActions(other).login(user.email)
    auth.login(user.email)
    assert _change(client).status_code == 302
    assert other.get("/me").status_code == 302  # the other browser is logged out


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("wrong-password", NEW, None, "current_password", "現在のパスワードが正しくありません。"),
        (PASSWORD, "short", None, "new_password", "8文字以上"),
        (PASSWORD, "password1", None, "new_password", "よく使われるパスワード"),
        (PASSWORD, PASSWORD, None, "new_password", "現在のものと違うもの"),
        (PASSWORD, NEW, NEW + "x", "new_password_confirm", "一致しません"),
        ("", NEW, None, "current_password", "現在のパスワードを入力してください。"),
    ],
)
def test_a_bad_password_change_is_refused_in_japanese_and_changes_nothing(
    make_user, auth, client, current, new, confirm, field, message
):
    user = make_user("officer")
    auth.login(user.email)
    before = user.password_hash
    response = _change(client, current, new, confirm)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page and f'id="{field}-error"' in page
    db.session.refresh(user)
    assert user.password_hash == before
