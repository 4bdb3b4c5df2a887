"""GET /api/v1/dashboard: the hand-counted figures as JSON for each role, scope, and problem+json for bad input."""
from __future__ import annotations

import freezegun
import pytest
from flask.testing import FlaskClient

from tests.web import progress_world as world_module
from tests.web.progress_world import IWAMIZAWA, ProgressWorld
from tests.web.test_api import api_as

URL = "/dashboard"  # ApiClient prefixes /api/v1
NOON_18_NOVEMBER_JST = "2026-11-18 03:00:00"  # UTC

progress_world = world_module.progress_world  # the fixture, by name


@pytest.fixture(autouse=True)
def frozen() -> object:
    with freezegun.freeze_time(NOON_18_NOVEMBER_JST, tz_offset=0) as clock:
        yield clock


def counts(items: list[dict[str, object]]) -> dict[str, object]:
    return {item["key"]: item["count"] for item in items}


def test_a_coordinator_gets_every_figure_of_their_prefecture(client: FlaskClient, progress_world: ProgressWorld) -> None:
    response = api_as(client, progress_world.coordinator).get(URL + "?fiscal_year=2026&month=2026-11")
    assert response.status_code == 200
    body = response.get_json()
    pipeline = body["pipeline"]
    assert pipeline["issues_total"] == 7 and counts(pipeline["issues_by_status"])["engaged"] == 3
    assert counts(pipeline["requests_by_status"]) == {"pending": 1, "accepted": 3, "declined": 2, "expired": 1,
                                                      "withdrawn": 0}
    assert pipeline["to_acceptance"] == {"count": 3, "median": 5.0, "p90": 12.0, "unit": "days"}
    assert pipeline["expert_response"] == {"count": 5, "median": 24.0, "p90": 48.0, "unit": "hours"}
    assert body["engagements"]["active"] == 3 and body["engagements"]["cancelled"] == 1
    assert sorted(row["status"] for row in body["progress"]) == ["attention", "on_track", "stalled"]
    assert body["visit_counts"] == {"month": "2026-11-01", "planned": 5, "proposed": 2, "confirmed": 2, "done": 1,
                                    "cancelled": 1, "overdue": 2, "moved": 1}
    assert len(body["calendar"]) == 6
    assert body["caps"]["towns_at"] == ["岩見沢市"] and body["caps"]["towns_near"] == ["釧路市"]
    assert (body["experts"]["booked"], body["experts"]["capacity"], body["experts"]["idle"],
            body["experts"]["stale"]) == (3, 6, 1, 1)


def test_an_officer_gets_their_town_and_an_expert_their_own_engagements(client: FlaskClient,
                                                                       progress_world: ProgressWorld) -> None:
    officer = api_as(client, progress_world.officer).get(URL + "?fiscal_year=2026").get_json()
    assert officer["pipeline"]["issues_total"] == 5
    assert [row["municipality_code"] for row in officer["caps"]["rows"]] == [IWAMIZAWA]
    expert = api_as(client, progress_world.expert_user).get(URL + "?fiscal_year=2026").get_json()
    assert expert["pipeline"]["requests_sent"] == 3 and expert["engagements"]["active"] == 2
    assert expert["caps"]["rows"] == [] and [row["name"] for row in expert["experts"]["rows"]] == ["人材 一郎"]


def test_an_admin_chooses_any_prefecture(client: FlaskClient, progress_world: ProgressWorld) -> None:
    body = api_as(client, progress_world.admin).get(URL + "?prefecture_code=04&fiscal_year=2026").get_json()
    assert body["filters"]["prefecture_code"] == "04" and body["pipeline"]["issues_total"] == 1


@pytest.mark.parametrize("query", ["prefecture_code=04", "municipality_code=041009", "municipality_code=999999",
                                   "program_id=99999"])
def test_outside_the_callers_scope_is_404(client: FlaskClient, progress_world: ProgressWorld, query: str) -> None:
    response = api_as(client, progress_world.coordinator).get(f"{URL}?{query}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_an_officer_asking_for_another_town_is_404(client: FlaskClient, progress_world: ProgressWorld) -> None:
    assert api_as(client, progress_world.officer).get(URL + "?municipality_code=012068").status_code == 404


@pytest.mark.parametrize(("query", "field"), [
    ("fiscal_year=abc", "fiscal_year"), ("fiscal_year=1999", "fiscal_year"), ("sector=nope", "sector"),
    ("month=2026-13", "month"), ("month=11", "month"), ("month=0882-07", "month"), ("program_id=0", "program_id"),
("prefecture_code=1", "prefecture_code"), ("unknown=1", "unknown"),
])
def test_bad_arguments_are_422_problem_json_in_japanese(client: FlaskClient, progress_world: ProgressWorld,
                                                       query: str, field: str) -> None:
    response = api_as(client, progress_world.coordinator).get(f"{URL}?{query}")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    body = response.get_json()
    assert field in str(body.get("errors")) and body["title"] == "入力内容に誤りがあります"


def test_the_dashboard_needs_a_token(client: FlaskClient, progress_world: ProgressWorld) -> None:
    assert client.get("/api/v1" + URL).status_code == 401


def test_the_openapi_document_describes_the_dashboard(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/dashboard"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "prefecture_code", "fiscal_year", "subprefecture", "municipality_code", "sector", "program_id", "month"}
    assert {"200", "401", "404", "422"} <= set(operation["responses"])


def test_the_matchers_figures_come_with_the_others(client: FlaskClient, progress_world: ProgressWorld) -> None:
    body = api_as(client, progress_world.coordinator).get(URL + "?fiscal_year=2026").get_json()
    gaps = body["supply_gaps"]
    # I3 (matching) and I4 (open) are the prefecture's issues still looking for an expert; 仙台's I7 is not ours.
    assert gaps["ranked"] == 2 and body["matching_notice"] is None
    assert {w["title"] for w in gaps["issues"]} <= {"課題I3", "課題I4"}
    assert sum(c["count"] for c in gaps["by_sector"]) == len(gaps["issues"])
    assert isinstance(body["joint_candidates"], list)
    expert = api_as(client, progress_world.expert_user).get(URL + "?fiscal_year=2026").get_json()
    assert expert["supply_gaps"]["issues"] == [] and expert["joint_candidates"] == []
