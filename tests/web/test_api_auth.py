"""Bearer tokens: issue, use, revocation, expiry, hashed storage, and no cookie or CSRF exposure."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import select, text

from tests.web.test_api import BASE, PROBLEM, assert_problem, request_token
from web.extensions import db
from web.models import ApiToken, AuditEvent


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_correct_credentials_get_a_token_valid_for_eight_hours(client, make_user):
    now = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    with freeze_time(now):
        body = request_token(client, make_user("officer").email).get_json()
    assert set(body) == {"token", "expires_at"} and len(body["token"]) >= 40
    assert datetime.fromisoformat(body["expires_at"]) == now + timedelta(hours=8)


def test_token_authenticates_api_requests(client, make_user):
    token = request_token(client, make_user("officer").email).get_json()["token"]
    assert client.get(f"{BASE}/issues", headers=_bearer(token)).status_code == 200


def test_database_holds_only_the_sha256_of_the_token(client, make_user):
    token = request_token(client, make_user("officer").email).get_json()["token"]
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    dump = db.session.execute(text("SELECT * FROM api_token")).all()
    assert token not in repr(dump)


def test_revoked_token_is_refused(client, make_user):
    token = request_token(client, make_user("officer").email).get_json()["token"]
    assert client.delete(f"{BASE}/auth/token", headers=_bearer(token)).status_code == 204
    assert_problem(client.get(f"{BASE}/issues", headers=_bearer(token)), 401)
    assert db.session.scalar(select(ApiToken)).revoked_at is not None


def test_revoking_one_token_leaves_the_others_working(client, make_user):
    user = make_user("officer")
    first, second = (request_token(client, user.email).get_json()["token"] for _ in range(2))
    client.delete(f"{BASE}/auth/token", headers=_bearer(first))
    assert client.get(f"{BASE}/issues", headers=_bearer(second)).status_code == 200


def test_token_expires_after_eight_hours(client, make_user):
    with freeze_time("2026-11-02 09:00:00"):
        token = request_token(client, make_user("officer").email).get_json()["token"]
    with freeze_time("2026-11-02 16:59:59"):
        assert client.get(f"{BASE}/issues", headers=_bearer(token)).status_code == 200
    with freeze_time("2026-11-02 17:00:01"):
        assert_problem(client.get(f"{BASE}/issues", headers=_bearer(token)), 401)


def test_token_lifetime_follows_api_token_hours(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "API_TOKEN_HOURS", 1)
    with freeze_time("2026-11-02 09:00:00"):
        token = request_token(client, make_user("officer").email).get_json()["token"]
    with freeze_time("2026-11-02 10:00:01"):
        assert_problem(client.get(f"{BASE}/issues", headers=_bearer(token)), 401)


def test_token_of_a_deactivated_user_is_refused(client, make_user):
    user = make_user("officer")
    token = request_token(client, user.email).get_json()["token"]
    user.active = False
    db.session.commit()
    assert_problem(client.get(f"{BASE}/issues", headers=_bearer(token)), 401)


def test_token_use_is_recorded(client, make_user):
    token = request_token(client, make_user("officer").email).get_json()["token"]
    client.get(f"{BASE}/issues", headers=_bearer(token))
    assert db.session.scalar(select(ApiToken)).last_used_at is not None


def test_wrong_password_and_unknown_email_get_the_same_generic_401(client, make_user):
    user = make_user("officer")
    wrong = assert_problem(request_token(client, user.email, "wrong-password-123"), 401)
    unknown = assert_problem(request_token(client, "nobody@example.jp", "wrong-password-123"), 401)
    assert wrong == unknown and wrong["detail"] == "メールアドレスまたはパスワードが正しくありません。"
    assert db.session.scalar(select(ApiToken)) is None


def test_failed_token_requests_are_audited(client, make_user):
    request_token(client, make_user("officer").email, "wrong-password-123")
    assert db.session.scalars(select(AuditEvent.action)).all() == ["login_failed"]


def test_missing_authorization_gets_a_401_problem_with_a_bearer_challenge(client):
    response = client.get(f"{BASE}/issues")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="dx-match"'


def test_malformed_or_unknown_tokens_get_401(client):
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer " + "x" * 43, "Bearer <script>"):
        response = client.get(f"{BASE}/issues", headers={"Authorization": header})
        assert_problem(response, 401)


def test_token_request_refuses_unknown_fields(client, make_user):
    body = {"email": make_user("officer").email, "password": "correct-horse-battery", "role": "admin"}
    problem = assert_problem(client.post(f"{BASE}/auth/token", json=body), 422)
    assert "受け付けていません" in problem["errors"]["role"][0]


def test_token_request_without_fields_names_them(client):
    problem = assert_problem(client.post(f"{BASE}/auth/token", json={}), 422)
    assert set(problem["errors"]) == {"email", "password"}


def test_token_endpoint_is_rate_limited_like_login(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="2 per minute")
    client = app.test_client()
    codes = [request_token(client, "a@example.jp", "x" * 8).status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    refused = request_token(client, "a@example.jp", "x" * 8)
    assert refused.mimetype == PROBLEM and "1分あたりの回数に上限があります" in refused.get_json()["detail"]


def test_session_cookie_never_authenticates_the_api(client, auth, make_user):
    auth.login(make_user("officer").email)
    response = client.get(f"{BASE}/issues")
    assert_problem(response, 401)
    assert "Set-Cookie" not in response.headers


def test_api_needs_no_csrf_token_when_csrf_is_on(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = request_token(app.test_client(), "a@example.jp", "x" * 8)
    assert_problem(response, 401)  # reached the credentials check: no CSRF 400


def test_web_forms_still_require_csrf_when_it_is_on(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    assert app.test_client().post("/auth/login", data={"email": "a@example.jp"}).status_code == 400
