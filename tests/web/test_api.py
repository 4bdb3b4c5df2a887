"""The API as a whole: helpers for the test_api_* modules, the OpenAPI document and problem+json errors."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import PASSWORD
from web.models import User

PROBLEM = "application/problem+json"
BASE = "/api/v1"


class ApiClient:
    """The Flask test client speaking JSON to /api/v1 with one bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.token = client, token

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.client.open(BASE + path, method=method, json=json, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.call("PUT", path, json=json, **kwargs)

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)


def request_token(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post(f"{BASE}/auth/token", json={"email": email, "password": password})


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem with Japanese text and return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["type"] == "about:blank"
    assert any("\u3040" <= ch <= "\u9fff" for ch in body["title"] + body["detail"])  # kana or kanji
    return body


def api_as(client: FlaskClient, user: User) -> ApiClient:
    """Return an ApiClient holding a fresh token of `user`."""
    response = request_token(client, user.email)
    assert response.status_code == 200, response.get_data(as_text=True)
    return ApiClient(client, response.get_json()["token"])


# ---------------------------------------------------------------- the OpenAPI document

EXPECTED_OPERATIONS = {
    "/api/v1/auth/token": {"post", "delete"},
    "/api/v1/issues": {"get", "post"},
    "/api/v1/issues/{issue_id}": {"get", "patch"},
    "/api/v1/issues/{issue_id}/publish": {"post"},
    "/api/v1/issues/{issue_id}/candidates": {"get"},
    "/api/v1/experts/{expert_id}": {"get"},
    "/api/v1/experts/me": {"get", "put"},
    "/api/v1/experts/me/recommended-issues": {"get"},
    "/api/v1/programs": {"get"},
    "/api/v1/programs/{program_id}/usage": {"get"},
    "/api/v1/me/calendar": {"get"},
    "/api/v1/me/calendar/regenerate": {"post"},
    "/api/v1/requests": {"get", "post"},
    "/api/v1/requests/{request_id}": {"get"},
    "/api/v1/requests/{request_id}/accept": {"post"},
    "/api/v1/requests/{request_id}/decline": {"post"},
    "/api/v1/requests/{request_id}/withdraw": {"post"},
    "/api/v1/engagements": {"get"},
    "/api/v1/engagements/{engagement_id}": {"get"},
    "/api/v1/engagements/{engagement_id}/complete": {"post"},
    "/api/v1/engagements/{engagement_id}/cancel": {"post"},
    "/api/v1/reports/{report_id}/acknowledge": {"post"},
    "/api/v1/reports/{report_id}/question": {"post"},
    "/api/v1/visits/{visit_id}": {"get", "patch"},
    "/api/v1/visits/{visit_id}/report": {"post"},
    "/api/v1/dashboard": {"get"},
    "/api/v1/exports/{kind}.csv": {"get"},
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_openapi_document_is_openapi_3(spec):
    assert spec["openapi"].startswith("3.") and spec["info"]["title"]


def test_openapi_document_lists_every_path_with_its_methods(spec):
    operations = {path: set(item) & HTTP_METHODS for path, item in spec["paths"].items()}
    assert operations == EXPECTED_OPERATIONS


def test_openapi_document_declares_bearer_auth_everywhere_but_the_token_request(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token で取得したアクセストークン"}
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/api/v1/auth/token"]["post"]["security"] == []


def test_openapi_document_describes_errors_as_problem_json(spec):
    for name in ("NOT_FOUND", "UNPROCESSABLE_ENTITY", "DEFAULT_ERROR"):
        content = spec["components"]["responses"][name]["content"]
        assert list(content) == [PROBLEM]
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert set(problem) == {"type", "title", "status", "detail", "errors", "rule"}


def test_openapi_document_marks_issue_status_read_only(spec):
    assert "status" not in spec["components"]["schemas"]["IssueCreate"]["properties"]
    assert "status" not in spec["components"]["schemas"]["IssuePatch"]["properties"]


def test_openapi_document_documents_pagination_parameters(spec):
    params = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/issues"]["get"]["parameters"]}
    assert params["per_page"]["maximum"] == 100 and params["page"]["minimum"] == 1


# ---------------------------------------------------------------- problem+json for every kind of error


def test_unknown_api_path_is_a_404_problem(client):
    assert_problem(client.get(f"{BASE}/no-such-thing"), 404)


def test_wrong_method_is_a_405_problem_with_allow_header(client):
    response = client.delete(f"{BASE}/issues")
    assert_problem(response, 405)
    assert {"GET", "POST"} <= set(response.headers["Allow"].replace(" ", "").split(","))


def test_invalid_json_body_is_a_400_problem(client, make_user):
    officer = api_as(client, make_user("officer"))
    response = officer.post("/issues", data="{not json", content_type="application/json")
    assert_problem(response, 400)


def test_oversized_body_is_a_413_problem(client, make_user):
    response = api_as(client, make_user("officer")).post("/issues", json={"title": "あ" * 600_000})
    assert_problem(response, 413)


def test_unexpected_error_is_a_generic_500_problem_without_details(app, client, make_user, monkeypatch):
    from web.api import issues as api_issues

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api_issues, "page_visible_issues", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # behave as in production
    response = api_as(client, make_user("officer")).get("/issues")
    assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)


def test_html_pages_keep_their_html_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_api_responses_are_never_cached(client, make_user):
    assert api_as(client, make_user("officer")).get("/issues").headers["Cache-Control"] == "no-store"


def test_every_api_route_refuses_anonymous_requests_with_a_401_problem(app, client):
    public = {("POST", "/api/v1/auth/token"), ("GET", "/api/v1/openapi.json")}
    seen = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(BASE):
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) in public:
                continue
            response = client.open(path, method=method, json={})
            assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            seen += 1
    assert seen == sum(len(methods) for methods in EXPECTED_OPERATIONS.values()) - 1


def test_a_body_that_is_not_json_is_a_415_problem(client, make_user, make_issue):
    issue = make_issue(status="draft")
    response = api_as(client, make_user("officer")).patch(f"/issues/{issue.id}", data="title=x")
    assert_problem(response, 415)
