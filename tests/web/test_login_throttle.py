"""Login throttling: one count per account in the database, a per-IP limit on failures only, shared limits."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.web.conftest import PASSWORD
from tests.web.test_api import request_token
from tests.web.test_api_experts import PROFILE
from tests.web.test_experts_ui import _consented, _password_entered_an_hour_ago, _profile
from web.extensions import db
from web.models import AuditEvent, LoginThrottle, Notification
from web.models.base import utcnow
from web.services.login_throttle import lock_until

WRONG = "wrong-password-123"
LOCKED = "ログインを一時的に止めています"


def _login_message(client, email: str, password: str = WRONG) -> str:
    page = client.post("/auth/login", data={"email": email, "password": password}).get_data(as_text=True)
    return re.search(r'<p class="flash flash-error">(.*?)</p>', page, re.DOTALL).group(1).strip()


def _at_once(n: int, call) -> list:
    """Run `call` in n threads released together by a barrier; return what each returned."""
    barrier, results = threading.Barrier(n), []

    def run() -> None:
        barrier.wait()
        results.append(call())

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _row() -> LoginThrottle:
    row = db.session.scalars(select(LoginThrottle)).one()
    db.session.refresh(row)
    return row


def test_the_fifth_wrong_password_locks_the_account_and_says_when_to_retry(make_user, client):
    user = make_user("officer")
    messages = [_login_message(client, user.email) for _ in range(5)]
    assert messages[0] == "メールアドレスまたはパスワードが正しくありません。"
    assert "以降に、もう一度お試しください" in messages[4]
    assert LOCKED in _login_message(client, user.email, PASSWORD)  # even the right password waits
    assert client.get("/me").status_code == 302


def test_an_unknown_address_is_answered_exactly_like_an_account(make_user, client):
    user = make_user("officer")
    known = [_login_message(client, user.email) for _ in range(6)]
    unknown = [_login_message(client, "nobody@example.jp") for _ in range(6)]
    assert [re.sub(r"\d", "0", m) for m in known] == [re.sub(r"\d", "0", m) for m in unknown]


def test_the_account_holder_is_notified_once_when_the_lock_starts(make_user, client):
    user = make_user("officer")
    for _ in range(7):
        _login_message(client, user.email)
    notices = db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()
    assert [n.kind for n in notices] == ["login_locked"] and "パスワードを変更" in notices[0].body
    assert "login_locked" in db.session.scalars(select(AuditEvent.action)).all()


def test_a_correct_password_resets_the_count(make_user, client, auth):
    user = make_user("officer")
    for _ in range(4):
        _login_message(client, user.email)
    assert auth.login(user.email).status_code == 302
    auth.logout()
    for _ in range(4):
        _login_message(client, user.email)
    assert auth.login(user.email).status_code == 302


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize(("number", "minutes"), [(4, None), (5, 1), (6, 2), (7, 4), (8, 8), (9, 15), (30, 15)])
def test_the_lock_doubles_with_each_further_failure_up_to_fifteen_minutes(number, minutes):
    now = utcnow()
    assert lock_until(number, now) == (None if minutes is None else now + timedelta(minutes=minutes))


def test_after_a_lock_ends_one_more_failure_locks_again_for_twice_as_long(make_user, client):
    user = make_user("officer")
    for _ in range(5):
        _login_message(client, user.email)
    db.session.execute(update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert "約2分後" in _login_message(client, user.email)
    assert _row().failed_count == 6


def test_failures_older_than_a_day_are_forgotten(make_user, client):
    user = make_user("officer")
    for _ in range(4):
        _login_message(client, user.email)
    db.session.execute(update(LoginThrottle).values(last_failed_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    _login_message(client, user.email)
    assert _row().failed_count == 1 and _row().locked_until is None


def test_login_form_token_endpoint_password_change_and_api_reauth_share_one_count(make_expert, auth, client, app):
    user = make_expert(contact_email="a@example.jp").user
    auth.login(user.email)
    token = request_token(client, user.email).get_json()["token"]
    assert request_token(client, user.email, WRONG).status_code == 401
    wrong_change = {"current_password": WRONG, "new_password": "a-new-passphrase", "new_password_confirm": "a-new-passphrase"}
    assert client.post("/auth/password", data=wrong_change).status_code == 200
    reauth = client.put("/api/v1/experts/me", headers={"Authorization": f"Bearer {token}"},
                        json={**PROFILE, "current_password": WRONG})
    assert reauth.get_json()["errors"] == {"current_password": ["現在のパスワードが正しくありません。"]}
    assert request_token(client, user.email, WRONG).status_code == 401
    other_browser = app.test_client()
    assert "以降に" in _login_message(other_browser, user.email)  # the fifth failure
    locked = request_token(client, user.email)  # the right password, but locked
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) <= 60
    assert LOCKED in locked.get_json()["detail"]


def test_wrong_passwords_in_the_profile_form_count_towards_the_login_lock(make_expert, auth, client):
    expert = make_expert(**_consented())
    auth.login(expert.user.email)
    _password_entered_an_hour_ago(client)
    wrong = _profile(contact_email="x@example.jp", current_password=WRONG)
    for _ in range(5):
        client.post("/experts/profile/edit", data=wrong)
    assert request_token(client, expert.user.email).status_code == 429


def test_a_locked_password_change_says_when_to_retry(make_user, auth, client):
    user = make_user("officer")
    auth.login(user.email)
    for _ in range(5):
        _login_message(client.application.test_client(), user.email)
    data = {"current_password": PASSWORD, "new_password": "a-new-passphrase", "new_password_confirm": "a-new-passphrase"}
    assert LOCKED in client.post("/auth/password", data=data).get_data(as_text=True)


def test_twenty_concurrent_wrong_passwords_let_only_five_be_checked(make_user, app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole database)")
    email = make_user("officer").email
    codes = _at_once(20, lambda: request_token(app.test_client(), email, WRONG).status_code)
    assert sorted(codes) == [401] * 5 + [429] * 15
    assert _row().failed_count == 5 and _row().locked_until > utcnow()
    failures = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert len(failures) == 20


def test_a_full_width_spelling_of_the_address_shares_the_lock(make_user, client):
    user = make_user("officer", email="iwamizawa@example.jp")
    for _ in range(5):
        request_token(client, user.email, WRONG)
    assert request_token(client, "ｉwamizawa@example.jp", PASSWORD).status_code == 429
    assert request_token(client, "ＩＷＡＭＩＺＡＷＡ＠ＥＸＡＭＰＬＥ．ＪＰ", PASSWORD).status_code == 429


def test_concurrent_right_passwords_after_one_failure_are_never_told_the_account_is_locked(
        make_user, app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole database)")
    email = make_user("officer").email
    request_token(app.test_client(), email, WRONG)
    assert _at_once(10, lambda: request_token(app.test_client(), email, PASSWORD).status_code) == [200] * 10


def test_the_profile_form_says_the_account_is_locked_instead_of_wrong_password(make_expert, auth, client):
    expert = make_expert(**_consented())
    auth.login(expert.user.email)
    _password_entered_an_hour_ago(client)
    for _ in range(5):
        request_token(client.application.test_client(), expert.user.email, WRONG)
    page = client.post("/experts/profile/edit", data=_profile(contact_email="x@example.jp",
                                                              current_password=PASSWORD)).get_data(as_text=True)
    assert LOCKED in page and "現在のパスワードが正しくありません" not in page


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per hour")
def test_wrong_current_passwords_in_the_api_and_the_profile_form_draw_on_the_login_budget_of_the_ip(
        make_expert, auth, client, app):
    expert = make_expert(**_consented())
    token = request_token(client, expert.user.email, PASSWORD).get_json()["token"]
    body = {**PROFILE, "contact": {"email": "new@example.jp", "phone": None}, "current_password": WRONG}
    put = app.test_client().put("/api/v1/experts/me", json=body, headers={"Authorization": f"Bearer {token}"})
    assert put.status_code == 422
    auth.login(expert.user.email)
    _password_entered_an_hour_ago(client)
    client.post("/experts/profile/edit", data=_profile(contact_email="x@example.jp", current_password=WRONG))
    assert request_token(app.test_client(), "someone@example.jp", WRONG).status_code == 401
    assert request_token(app.test_client(), "someone@example.jp", WRONG).status_code == 429
