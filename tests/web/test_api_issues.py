"""Creating, patching, publishing and listing issues through the API, and refusing bad input with no write."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.web.test_api import api_as, assert_problem
from web.extensions import db
from web.models import Issue

VALID = {
    "title": "鳥獣被害の通報を地図で共有したい",
    "body": "住民からの電話通報を紙で管理しており、出没場所の傾向がつかめない。",
    "sector": "wildlife",
    "stage": "issue_definition",
    "wanted_roles": ["project_manager", "engineer"],
}
ISSUE_FIELDS = {"id", "municipality_code", "co_municipality_codes", "title", "body", "sector", "stage",
                "wanted_roles", "menu", "mode", "months", "status", "goal", "constraints", "budget_deadline", "deadline",
                "counterpart"}


def _issue_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Issue))


@pytest.fixture
def officer_api(client, make_user):
    return api_as(client, make_user("officer", municipality_code="012106"))


def test_officer_creates_a_draft_for_their_own_town(officer_api):
    response = officer_api.post("/issues", json=VALID)
    body = response.get_json()
    assert response.status_code == 201 and set(body) == ISSUE_FIELDS
    assert (body["municipality_code"], body["status"]) == ("012106", "draft")
    assert body["wanted_roles"] == ["engineer", "project_manager"]  # sorted
    assert _issue_count() == 1


def test_coordinator_creates_for_a_town_of_their_prefecture(client, make_user):
    coordinator = api_as(client, make_user("coordinator"))
    response = coordinator.post("/issues", json={**VALID, "municipality_code": "012068"})
    assert response.status_code == 201 and response.get_json()["municipality_code"] == "012068"


@pytest.mark.parametrize("who, code", [
    ("coordinator", None), ("coordinator", "041009"), ("officer", "012068")])
def test_issue_outside_the_callers_scope_is_refused(client, make_user, who, code):
    payload = VALID if code is None else {**VALID, "municipality_code": code}
    problem = assert_problem(api_as(client, make_user(who)).post("/issues", json=payload), 422)
    assert "municipality_code" in problem["errors"] and _issue_count() == 0


def test_full_width_months_are_refused_because_the_api_takes_json_integers(officer_api):
    problem = assert_problem(officer_api.post("/issues", json={**VALID, "months": "６"}), 422)
    assert problem["errors"]["months"] == ["整数（例: 6）で指定してください。文字列は使えません。"]


BAD_INPUT = [
    ({"title": ""}, "title", "課題名を入力してください。"),
    ({"title": "あ" * 81}, "title", "80文字以内"),
    ({"body": "<script>alert(1)</script>がありますがこれは本文です。"}, "body", "HTMLタグは使えません"),
    ({"title": "<b>太字</b>の課題名"}, "title", "HTMLタグは使えません"),
    ({"sector": "space"}, "sector", "分野の値「space」は選べません"),
    ({"wanted_roles": ["wizard"]}, "wanted_roles", "選べない値があります: wizard"),
    ({"wanted_roles": []}, "wanted_roles", "1つ以上選んでください"),
    ({"co_municipality_codes": ["999999"]}, "co_municipality_codes", "登録されていません"),
    ({"menu": "spot", "months": 3}, "months", "スポット相談の期間は1か月です"),
    ({"months": 13}, "months", "1から12の間"),
    ({"months": "6"}, "months", "整数"),
    ({"months": True}, "months", "整数"),
    ({"title": None}, "title", "null は指定できません。"),
    ({"title": 123}, "title", "文字列で指定してください。"),
    ({"wanted_roles": "engineer"}, "wanted_roles", "配列で指定してください。"),
    ({"owner_id": 1}, "owner_id", "受け付けていません"),
    ({"status": "open"}, "status", "受け付けていません"),
]


@pytest.mark.parametrize("change, field, message", BAD_INPUT, ids=[f for _, f, _ in BAD_INPUT])
def test_bad_issue_input_is_a_422_problem_in_japanese_and_writes_nothing(officer_api, change, field, message):
    problem = assert_problem(officer_api.post("/issues", json={**VALID, **change}), 422)
    assert any(message in text for text in problem["errors"][field]), problem["errors"]
    assert _issue_count() == 0


def test_missing_required_fields_are_named(officer_api):
    problem = assert_problem(officer_api.post("/issues", json={}), 422)
    assert set(problem["errors"]) == {"title", "body", "sector", "stage", "wanted_roles"}
    assert problem["errors"]["title"] == ["課題名（title）を指定してください。"]


def test_body_that_is_not_a_json_object_is_refused(officer_api):
    problem = assert_problem(officer_api.post("/issues", json=["title"]), 422)
    assert problem["errors"] == {"body": ["JSONオブジェクトで送ってください。"]}


@pytest.fixture
def draft(officer_api) -> dict[str, Any]:
    return officer_api.post("/issues", json=VALID).get_json()


def test_patch_changes_only_the_given_fields(officer_api, draft):
    response = officer_api.patch(f"/issues/{draft['id']}", json={"title": "鳥獣被害の通報を地図にしたい", "months": 3})
    body = response.get_json()
    assert response.status_code == 200 and (body["title"], body["months"]) == ("鳥獣被害の通報を地図にしたい", 3)
    assert {k: body[k] for k in ("body", "sector", "wanted_roles")} == {
        k: draft[k] for k in ("body", "sector", "wanted_roles")}


def test_empty_patch_changes_nothing(officer_api, draft):
    assert officer_api.patch(f"/issues/{draft['id']}", json={}).get_json() == draft


@pytest.mark.parametrize("change, field", [
    ({"sector": "space"}, "sector"), ({"title": "短い"}, "title"), ({"status": "open"}, "status"),
    ({"municipality_code": "012068"}, "municipality_code"), ({"id": 99}, "id"),
])
def test_invalid_patch_is_refused_and_the_issue_stays_as_it_was(officer_api, draft, change, field):
    problem = assert_problem(officer_api.patch(f"/issues/{draft['id']}", json=change), 422)
    assert field in problem["errors"]
    assert officer_api.get(f"/issues/{draft['id']}").get_json() == draft


def test_publish_opens_a_draft(officer_api, draft):
    response = officer_api.post(f"/issues/{draft['id']}/publish")
    assert response.status_code == 200 and response.get_json()["status"] == "open"
    assert db.session.get(Issue, draft["id"]).published_at is not None


def test_publishing_an_open_issue_is_a_409_problem_with_the_reason(officer_api, draft):
    officer_api.post(f"/issues/{draft['id']}/publish")
    problem = assert_problem(officer_api.post(f"/issues/{draft['id']}/publish"), 409)
    assert problem["detail"].startswith("この課題はすでに「公開中」です。")


def test_closed_issue_cannot_be_patched(officer_api, make_issue):
    issue = make_issue(status="closed")
    problem = assert_problem(officer_api.patch(f"/issues/{issue.id}", json={"title": "閉じた課題を直す"}), 409)
    assert "編集できません" in problem["detail"]


def test_issue_list_is_paginated(officer_api, make_issue):
    for n in range(3):
        make_issue(title=f"課題その{n}")
    first = officer_api.get("/issues?per_page=2").get_json()
    second = officer_api.get("/issues?per_page=2&page=2").get_json()
    assert (len(first["items"]), len(second["items"]), first["total"]) == (2, 1, 3)
    assert {i["id"] for i in first["items"]}.isdisjoint(i["id"] for i in second["items"])


def test_issue_list_is_newest_first_and_filters_by_status(officer_api, make_issue):
    older, newer = make_issue(status="open"), make_issue(status="open")
    make_issue(status="draft")
    items = officer_api.get("/issues?status=open").get_json()["items"]
    assert [i["id"] for i in items] == [newer.id, older.id]


@pytest.mark.parametrize("query, field", [
    ("per_page=101", "per_page"), ("per_page=0", "per_page"), ("page=0", "page"), ("page=abc", "page"),
    ("status=lost", "status"),
])
def test_bad_list_parameters_are_a_422_problem(officer_api, query, field):
    problem = assert_problem(officer_api.get(f"/issues?{query}"), 422)
    assert field in problem["errors"]


@pytest.mark.parametrize("issue_id", ["0", "2147483648", "9223372036854775808", "-1"])
def test_ids_outside_the_database_range_are_a_plain_404(officer_api, issue_id):
    assert_problem(officer_api.get(f"/issues/{issue_id}"), 404)


def test_a_huge_page_number_is_a_422_not_a_server_error(client, make_user):
    api = api_as(client, make_user("officer"))
    assert_problem(api.get("/issues?page=461168601842738792"), 422)


def test_pages_split_the_visible_issues_and_count_them_all(client, make_user, make_issue):
    for n in range(3):
        make_issue(title=f"課題その{n + 1}の相談")
    make_issue(municipality_code="041009", title="仙台の課題")
    body = api_as(client, make_user("officer")).get("/issues?page=2&per_page=2").get_json()
    assert body["total"] == 3 and len(body["items"]) == 1


def test_unknown_query_parameters_are_refused(client, make_user):
    api = api_as(client, make_user("officer"))
    assert_problem(api.get("/issues?pgae=2"), 422)
