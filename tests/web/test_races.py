"""Twenty identical requests at the same moment, in real threads on PostgreSQL: no 500, exactly one effect,
and the others get the Japanese "already done" answer."""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.web.test_api import ApiClient, api_as
from tests.web.test_api_experts import PROFILE
from tests.web.test_api_issues import VALID
from tests.web.test_experts_ui import _profile
from web.extensions import db
from web.models import (
    AuditEvent,
    CandidateCuration,
    ExpertProfile,
    Issue,
    IssueRole,
    Notification,
    ShortlistEntry,
    User,
)

N = 20


@pytest.fixture(autouse=True)
def postgresql_only(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("races need PostgreSQL: in-memory SQLite gives every thread one shared connection, "
                    "so concurrent requests cannot overlap there")


def race(app: Flask, send: Callable[[FlaskClient], Any], cookie: str | None = None) -> list[Any]:
    """Send the same request from N threads at once (each its own client, so its own session)."""
    barrier = threading.Barrier(N)

    def one(_: int) -> Any:
        client = app.test_client()
        if cookie is not None:
            client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
        barrier.wait(timeout=30)
        return send(client)

    with ThreadPoolExecutor(N) as pool:
        results = list(pool.map(one, range(N)))
    db.session.rollback()  # read what the threads committed
    return results


def logged_in(auth, user) -> str:
    """Log in through the form once and return the session cookie the N tabs share."""
    auth.login(user.email)
    return auth.client.get_cookie(auth.client.application.config["SESSION_COOKIE_NAME"]).value


def count(model: type[Any], *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audits(action: str) -> int:
    return count(AuditEvent, AuditEvent.action == action)


def pages(responses: list[Any], text: str) -> int:
    return sum(text in r.get_data(as_text=True) for r in responses)


def test_twenty_identical_shortlist_adds_leave_one_entry(app, auth, make_user, make_issue, make_expert):
    issue, expert = make_issue(), make_expert()
    url, cookie = f"/issues/{issue.id}/shortlist/{expert.id}", logged_in(auth, make_user("officer"))
    responses = race(app, lambda c: c.post(url, data={"want": "add"}), cookie)
    assert {r.status_code for r in responses} == {302}
    assert count(ShortlistEntry, ShortlistEntry.issue_id == issue.id) == 1


def test_twenty_identical_plan_accepts_pin_once_with_one_audit_record(app, auth, make_user, make_issue,
                                                                       make_expert):
    issue, expert = make_issue(), make_expert()
    cookie, choice = logged_in(auth, make_user("coordinator")), {f"choice-{issue.id}": str(expert.id)}
    responses = race(app, lambda c: c.post("/coordinator/plan", data=choice), cookie)
    assert {r.status_code for r in responses} == {302}
    assert count(CandidateCuration, CandidateCuration.issue_id == issue.id) == 1 and audits("candidate_pin") == 1


def test_twenty_identical_wanted_roles_patches_leave_one_row_per_role(app, client, make_user):
    officer = api_as(client, make_user("officer", municipality_code="012106"))
    issue_id = officer.post("/issues", json=VALID).get_json()["id"]
    roles = {"wanted_roles": ["engineer", "service_designer"]}
    responses = race(app, lambda c: ApiClient(c, officer.token).patch(f"/issues/{issue_id}", json=roles))
    assert {r.status_code for r in responses} == {200}
    assert set(db.session.scalars(select(IssueRole.role).where(IssueRole.issue_id == issue_id))) == {
        "engineer", "service_designer"}
    assert count(IssueRole, IssueRole.issue_id == issue_id) == 2


def test_twenty_first_profile_puts_create_one_profile(app, client, make_user):
    user = make_user("expert")
    expert = api_as(client, user)
    responses = race(app, lambda c: ApiClient(c, expert.token).put("/experts/me", json=PROFILE))
    assert {r.status_code for r in responses} == {200}, [r.get_json() for r in responses if r.status_code != 200]
    assert count(ExpertProfile, ExpertProfile.user_id == user.id) == 1
    assert len({r.get_json()["id"] for r in responses}) == 1


def test_twenty_first_saves_of_the_profile_form_create_one_profile(app, auth, make_user):
    user = make_user("expert")
    cookie, form = logged_in(auth, user), _profile()
    responses = race(app, lambda c: c.post("/experts/profile/edit", data=form), cookie)
    assert {(r.status_code, r.headers["Location"]) for r in responses} == {(302, "/experts/profile")}
    assert count(ExpertProfile, ExpertProfile.user_id == user.id) == 1


def test_twenty_sign_ups_with_one_address_make_one_account(app, geo):
    form = {"email": "same@example.jp", "password": "a-long-password", "password_again": "a-long-password",
            "display_name": "山田 太郎", "accept_privacy": "y"}
    responses = race(app, lambda c: c.post("/experts/signup", data=form))
    assert sorted(r.status_code for r in responses) == [200] * (N - 1) + [302]
    assert pages(responses, "このメールアドレスは登録できません。") == N - 1
    assert count(User, User.email == "same@example.jp") == 1


def test_publishing_one_draft_from_twenty_tabs_publishes_once(app, auth, make_user, make_issue):
    issue = make_issue(status="draft")
    url, cookie = f"/issues/{issue.id}/publish", logged_in(auth, make_user("officer"))
    responses = race(app, lambda c: c.post(url, follow_redirects=True), cookie)
    assert {r.status_code for r in responses} == {200}
    assert pages(responses, "を公開しました") == 1 and pages(responses, "この課題はすでに「公開中」です") == N - 1
    assert audits("issue_status") == 1 and db.session.get(Issue, issue.id).status == "open"


def test_publishing_one_draft_twenty_times_through_the_api_is_one_200_and_409s(app, client, make_user):
    officer = api_as(client, make_user("officer", municipality_code="012106"))
    issue_id = officer.post("/issues", json=VALID).get_json()["id"]
    responses = race(app, lambda c: ApiClient(c, officer.token).post(f"/issues/{issue_id}/publish"))
    assert sorted(r.status_code for r in responses) == [200] + [409] * (N - 1)
    assert all("すでに「公開中」" in r.get_json()["detail"] for r in responses if r.status_code == 409)
    assert audits("issue_status") == 1


def test_one_joint_suggestion_sent_twenty_times_notifies_each_officer_once(app, auth, make_user, make_issue):
    first, second = make_issue(), make_issue(municipality_code="012068")
    make_user("officer", municipality_code="012106"), make_user("officer", municipality_code="012068")
    cookie = logged_in(auth, make_user("coordinator"))
    data = {"issue_ids": f"{first.id},{second.id}"}
    responses = race(app, lambda c: c.post("/coordinator/joint", data=data, follow_redirects=True), cookie)
    assert {r.status_code for r in responses} == {200}
    assert count(Notification, Notification.kind == "joint_suggestion") == 2 and audits("joint_suggested") == 1
    assert pages(responses, "に連携を提案しました") == 1 and pages(responses, "本日すでに提案しています") == N - 1


def test_concurrent_patches_of_different_fields_keep_both_changes(app, client, make_user):
    officer = api_as(client, make_user("officer", municipality_code="012106"))
    issue_id = officer.post("/issues", json=VALID).get_json()["id"]
    changes = iter([{"title": "鳥獣被害の通報を地図で見える化したい"}] + [{"wanted_roles": ["engineer"]}] * (N - 1))
    lock = threading.Lock()

    def patch(c: FlaskClient) -> Any:
        with lock:
            change = next(changes)
        return ApiClient(c, officer.token).patch(f"/issues/{issue_id}", json=change)

    assert {r.status_code for r in race(app, patch)} == {200}
    issue = db.session.get(Issue, issue_id)
    assert issue.title == "鳥獣被害の通報を地図で見える化したい" and issue.wanted_roles == {"engineer"}
