"""Object-level access through the API: a role × path table, and lists never leaking another tenant's rows."""
from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.web.test_api import api_as, assert_problem
from web.extensions import db
from web.models import Issue

SECRET_TITLE = "岩見沢市の非公開の下書き"
BODY = "水田のドローン防除を検討したいが、庁内に知見がなく進め方が分からない。"


@pytest.fixture
def world(make_user, make_issue, make_expert) -> dict[str, Any]:
    """Issues in three towns of two prefectures, and one user of each kind (and tenant)."""
    return {
        "draft": make_issue(status="draft", title=SECRET_TITLE),
        "open": make_issue(status="open", title="岩見沢市の公開中の課題"),
        "joint": make_issue(municipality_code="012068", status="open", co_municipality_codes=["012106"],
                            body=BODY, menu="joint"),
        "kushiro": make_issue(municipality_code="012068", status="draft"),
        "sendai": make_issue(municipality_code="041009", status="open"),
        "officer": make_user("officer", municipality_code="012106"),
        "officer_of_another_town": make_user("officer", municipality_code="012068"),
        "officer_of_another_prefecture": make_user("officer", municipality_code="041009"),
        "coordinator": make_user("coordinator", prefecture_code="01"),
        "coordinator_of_another_prefecture": make_user("coordinator", prefecture_code="04"),
        "expert": make_expert().user,
        "other_expert_profile": make_expert(),
        "admin": make_user("admin"),
    }


PATCH = {"title": "書き換えようとした課題名"}

# (who, method, path, expected status). {draft} is the Iwamizawa draft, {expert} another expert's profile.
DENIALS = [
    (who, method, path, 404)
    for who in ("officer_of_another_town", "officer_of_another_prefecture",
                "coordinator_of_another_prefecture")
    for method, path in (("GET", "/issues/{draft}"), ("PATCH", "/issues/{draft}"),
                         ("POST", "/issues/{draft}/publish"), ("GET", "/issues/{draft}/candidates"))
] + [
    ("expert", "GET", "/issues/{draft}", 404),
    ("expert", "PATCH", "/issues/{draft}", 403),
    ("expert", "POST", "/issues/{draft}/publish", 403),
    ("expert", "GET", "/issues/{draft}/candidates", 403),
    ("expert", "PATCH", "/issues/{open}", 403),
    ("expert", "GET", "/issues/{open}/candidates", 403),
    ("expert", "POST", "/issues", 403),
    ("expert", "GET", "/experts/{expert}", 404),
    ("admin", "PATCH", "/issues/{draft}", 403),
    ("admin", "POST", "/issues/{draft}/publish", 403),
    ("admin", "POST", "/issues", 403),
] + [
    (who, method, path, 403)
    for who in ("officer", "coordinator", "admin")
    for method, path in (("GET", "/experts/me"), ("PUT", "/experts/me"),
                         ("GET", "/experts/me/recommended-issues"))
]


def _fill(path: str, world: dict[str, Any]) -> str:
    ids = {"draft": world["draft"].id, "open": world["open"].id, "expert": world["other_expert_profile"].id}
    return path.format(**ids)


@pytest.mark.parametrize("who, method, path, status", DENIALS, ids=[f"{w}-{m}-{p}" for w, m, p, _ in DENIALS])
def test_role_and_tenant_matrix_denies_without_revealing_data(client, world, who, method, path, status):
    body = PATCH if method != "GET" else None
    response = api_as(client, world[who]).call(method, _fill(path, world), json=body)
    assert_problem(response, status)
    assert SECRET_TITLE not in response.get_data(as_text=True)


def test_denied_writes_change_nothing(client, world):
    for who in ("officer_of_another_town", "coordinator_of_another_prefecture", "expert", "admin"):
        api_as(client, world[who]).patch(f"/issues/{world['draft'].id}", json=PATCH)
        api_as(client, world[who]).post(f"/issues/{world['draft'].id}/publish")
    db.session.expire_all()
    issue = db.session.get(Issue, world["draft"].id)
    assert (issue.title, issue.status) == (SECRET_TITLE, "draft")


def test_another_towns_issue_looks_exactly_like_a_missing_one(client, world):
    client = api_as(client, world["officer_of_another_town"])
    hidden = client.get(f"/issues/{world['draft'].id}")
    missing = client.get("/issues/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()


@pytest.mark.parametrize("who, path", [
    ("officer", "/issues/{draft}"), ("coordinator", "/issues/{draft}"), ("expert", "/issues/{open}"),
    ("admin", "/issues/{draft}"), ("officer", "/experts/{expert}"), ("coordinator", "/experts/{expert}"),
])
def test_allowed_reads_succeed(client, world, who, path):
    assert api_as(client, world[who]).get(_fill(path, world)).status_code == 200


def test_officer_of_a_co_owning_town_may_edit_the_joint_issue(client, world):
    officer = api_as(client, world["officer"])
    response = officer.patch(f"/issues/{world['joint'].id}", json={"title": "連携して取り組む課題"})
    assert response.status_code == 200 and response.get_json()["title"] == "連携して取り組む課題"


@pytest.mark.parametrize("who, expected", [
    ("officer", {"draft", "open", "joint"}),
    ("officer_of_another_town", {"joint", "kushiro"}),
    ("officer_of_another_prefecture", {"sendai"}),
    ("coordinator", {"draft", "open", "joint", "kushiro"}),
    ("coordinator_of_another_prefecture", {"sendai"}),
    ("expert", {"open", "joint", "sendai"}),
    ("admin", {"draft", "open", "joint", "kushiro", "sendai"}),
])
def test_issue_list_never_contains_another_tenants_issue(client, world, who, expected):
    items = api_as(client, world[who]).get("/issues?per_page=100").get_json()["items"]
    names = {name for name in ("draft", "open", "joint", "kushiro", "sendai")}
    ids = {world[name].id: name for name in names}
    assert {ids[item["id"]] for item in items} == expected


def test_denials_are_logged_without_personal_data(client, world, caplog):
    with caplog.at_level(logging.INFO, logger="web.api.errors"):
        api_as(client, world["officer_of_another_town"]).get(f"/issues/{world['draft'].id}")
    assert "api denied GET" in caplog.text and "-> 404" in caplog.text
    assert world["officer_of_another_town"].email not in caplog.text
