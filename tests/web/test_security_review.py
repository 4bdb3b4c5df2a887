"""Fixes from the security review: each test fails without its fix."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

from freezegun import freeze_time
from sqlalchemy import select

from web.extensions import db
from web.models import CandidateCuration, Notification
from web.urls import is_local_path


def _cookie_payload(client) -> bytes:
    value = client.get_cookie("dxm_session").value.lstrip(".")
    payload = value.split(".")[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))


def test_login_flash_carries_no_name_in_the_cookie(make_user, auth, client):
    user = make_user("officer", display_name="山田太郎")
    auth.login(user.email)
    assert "山田太郎".encode("unicode_escape") not in _cookie_payload(client)


def test_logout_clears_cookies_too(make_user, auth):
    auth.login(make_user("officer").email)
    assert '"cookies"' in auth.logout().headers["Clear-Site-Data"]


def test_sql_errors_do_not_copy_values_into_logs(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True


def test_protocol_relative_links_are_not_local():
    assert not is_local_path("//evil.example/x") and not is_local_path("/\\\\evil.example")
    assert is_local_path("/issues/3")


def test_notification_link_cannot_redirect_off_site(make_user, auth, client):
    user = make_user("officer")
    note = Notification(user_id=user.id, kind="x", title="t", link="//evil.example/x")
    db.session.add(note)
    db.session.commit()
    auth.login(user.email)
    assert client.post(f"/notifications/{note.id}/read").headers["Location"] == "/notifications"


def test_joint_suggestion_refuses_drafts_and_duplicates(make_user, make_issue, auth, client):
    draft = make_issue(status="draft", title="内部検討中の下書き")
    other = make_issue(municipality_code="012068")
    auth.login(make_user("coordinator").email)
    assert client.post("/coordinator/joint", data={"issue_ids": f"{draft.id},{other.id}"}).status_code == 404
    client.post("/coordinator/joint", data={"issue_ids": f"{other.id},{other.id}"})
    assert db.session.scalars(select(Notification)).all() == []


def test_plan_cannot_pin_on_a_withdrawn_issue(make_user, make_issue, make_expert, auth, client):
    issue, expert = make_issue(status="withdrawn"), make_expert()
    auth.login(make_user("coordinator").email)
    assert client.post("/coordinator/plan", data={f"choice-{issue.id}": str(expert.id)}).status_code == 404
    assert db.session.scalars(select(CandidateCuration)).all() == []


def _at(start: datetime, minutes: int):
    return freeze_time(start + timedelta(minutes=minutes))


def test_active_sessions_are_extended_while_idle_ones_expire(make_user, auth, client):
    start = datetime.now(timezone.utc)
    with _at(start, 0):
        auth.login(make_user("officer").email)
    with _at(start, 25):
        assert client.get("/me").status_code == 200
    with _at(start, 50):
        assert client.get("/me").status_code == 200
    with _at(start, 90):
        assert client.get("/me").status_code == 302


def test_sessions_end_after_the_absolute_limit_even_when_active(make_user, auth, client):
    start = datetime.now(timezone.utc)
    with _at(start, 0):
        auth.login(make_user("officer").email)
    for minutes in range(20, 13 * 60, 20):
        with _at(start, minutes):
            response = client.get("/me")
        if response.status_code == 302:
            break
    assert response.status_code == 302 and 12 * 60 <= minutes <= 12 * 60 + 20
