"""API bearer tokens end with the sessions: password change, logout (sign out everywhere) and deactivation."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.conftest import PASSWORD
from tests.web.test_api import api_as
from web.extensions import db
from web.models import ApiToken, AuditEvent, User

NEW_PASSWORD = "another-long-passphrase"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _token_works(api) -> bool:
    return api.get("/issues").status_code == 200


def test_a_password_change_revokes_every_api_token_of_the_user(make_user, auth, client):
    user = make_user("officer")
    api = api_as(client, user)
    auth.login(user.email)
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
    assert client.post("/auth/password", data=data).status_code == 302
    assert not _token_works(api)


def test_logout_signs_out_everywhere_including_api_tokens(make_user, auth, client):
    user = make_user("officer")
    api = api_as(client, user)
    auth.login(user.email)
    auth.logout()
    assert not _token_works(api)
    assert "api_tokens_revoked" in db.session.scalars(select(AuditEvent.action)).all()


def test_logout_leaves_other_users_tokens_alone(make_user, auth, client):
    other = api_as(client, make_user("officer"))
    auth.login(make_user("officer").email)
    auth.logout()
    assert _token_works(other)


def test_a_wrong_current_password_keeps_the_tokens(make_user, auth, client):
    user = make_user("officer")
    api = api_as(client, user)
    auth.login(user.email)
    data = {"current_password": "not-my-password", "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
    assert client.post("/auth/password", data=data).status_code == 200
    assert _token_works(api)


def test_users_deactivate_ends_sessions_and_tokens_and_is_audited(make_user, auth, client, runner):
    user = make_user("officer")
    api = api_as(client, user)
    auth.login(user.email)
    result = runner.invoke(args=["users", "deactivate", "--email", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert not _token_works(api)
    assert [t.revoked_at is not None for t in db.session.scalars(select(ApiToken))] == [True]  # not only inactive
    assert client.get("/me").status_code == 302  # the browser session ended too
    assert db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "user_deactivated")).all() == [
        str(user.id)]


def test_a_deactivated_user_can_neither_log_in_nor_get_a_token(make_user, auth, client, runner):
    user = make_user("officer")
    runner.invoke(args=["users", "deactivate", "--email", user.email])
    assert auth.login(user.email).status_code == 200
    assert client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}).status_code == 401
    assert db.session.get(User, user.id).active is False


def test_users_deactivate_names_an_unknown_address(geo, runner):
    result = runner.invoke(args=["users", "deactivate", "--email", "nobody@example.jp"])
    assert result.exit_code == 1 and "--email を確認してください" in result.output
