"""GET /api/v1/exports/{kind}.csv: the lists and the open data as CSV, each role within its own scope."""
from __future__ import annotations

import csv
import io

import pytest

from tests.web import exports_world
from tests.web.exports_world import FORMULA
from tests.web.test_api import api_as

ex, frozen, request_ctx, world = (exports_world.ex, exports_world.frozen, exports_world.request_ctx,
                                  exports_world.world)  # fixtures, by name
KINDS = ("issues", "requests", "engagements", "visits", "reports", "caps", "opendata")


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and response.get_data().startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))[1:]


def count(client, user, kind: str, query: str = "fiscal_year=2026") -> int:
    return len(rows_of(api_as(client, user).get(f"/exports/{kind}.csv?{query}")))


@pytest.mark.parametrize(("kind", "expected"), [
    ("issues", 2), ("requests", 3), ("engagements", 1), ("visits", 3), ("reports", 1), ("caps", 1)])
def test_a_coordinator_exports_their_prefecture(client, ex, kind, expected):
    assert count(client, ex.coordinator, kind) == expected


def test_the_api_csv_neutralises_formulas(client, ex):
    visits = rows_of(api_as(client, ex.coordinator).get("/exports/visits.csv?fiscal_year=2026"))
    assert {row[2] for row in visits} == {"'" + FORMULA}


@pytest.mark.parametrize(("kind", "own_town", "neighbour"), [
    ("issues", 1, 1), ("requests", 1, 2), ("engagements", 1, 0), ("visits", 3, 0), ("caps", 1, 0)])
def test_officers_export_only_their_town(client, ex, kind, own_town, neighbour):
    assert count(client, ex.base.officer, kind) == own_town
    assert count(client, ex.neighbour_officer, kind) == neighbour


@pytest.mark.parametrize(("kind", "own", "other"), [
    ("issues", 1, 1), ("requests", 1, 2), ("engagements", 1, 0), ("visits", 3, 0), ("reports", 1, 0)])
def test_experts_export_only_what_hangs_off_their_own_engagements(client, ex, kind, own, other):
    assert count(client, ex.base.expert_user, kind) == own
    assert count(client, ex.other_expert_user, kind) == other


@pytest.mark.parametrize("kind", ["caps", "opendata"])
def test_experts_get_404_for_caps_and_open_data(client, ex, kind):
    assert api_as(client, ex.base.expert_user).get(f"/exports/{kind}.csv").status_code == 404


@pytest.mark.parametrize("query", ["prefecture_code=04", "municipality_code=012068", "municipality_code=041009"])
def test_outside_the_callers_scope_is_404(client, ex, query):
    response = api_as(client, ex.base.officer).get(f"/exports/visits.csv?{query}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_another_prefectures_coordinator_gets_404_and_an_admin_any_prefecture(client, ex):
    assert api_as(client, ex.other_coordinator).get("/exports/issues.csv?prefecture_code=01").status_code == 404
    assert count(client, ex.admin, "engagements", "prefecture_code=04&fiscal_year=2026") == 1


@pytest.mark.parametrize("path", ["/exports/experts.csv", "/exports/users.csv", "/exports/visits.xlsx"])
def test_unknown_kinds_are_404(client, ex, path):
    assert api_as(client, ex.coordinator).get(path).status_code == 404


@pytest.mark.parametrize(("query", "field", "message"), [
    ("fiscal_year=abc", "fiscal_year", "半角数字の整数"),
    ("fiscal_year=1999", "fiscal_year", "2000から2100まで"),
    ("sector=bogus", "sector", "sector は"),
    ("municipality_code=12", "municipality_code", "団体コードは半角数字6桁"),
    ("program_id=999", "program_id", "支援制度は一覧から選んでください"),
    ("colour=red", "colour", ""),
])
def test_bad_arguments_are_422_in_japanese(client, ex, query, field, message):
    response = api_as(client, ex.coordinator).get(f"/exports/visits.csv?{query}")
    body = response.get_json()
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert message in " ".join(body["errors"][field])


def test_the_exports_need_a_token(client, ex):
    assert client.get("/api/v1/exports/issues.csv").status_code == 401


def test_the_openapi_document_describes_the_csv(client):
    path = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/exports/{kind}.csv"]
    assert "text/csv" in path["get"]["responses"]["200"]["content"]
    kind = next(p for p in path.get("parameters", []) + path["get"]["parameters"] if p["name"] == "kind")
    assert kind["schema"]["enum"] == list(KINDS)


def test_the_open_data_is_scoped_like_the_rest(client, ex):
    assert [row[1] for row in rows_of(api_as(client, ex.coordinator).get("/exports/opendata.csv"))] == ["012106"]
    assert [row[1] for row in rows_of(api_as(client, ex.other_coordinator).get("/exports/opendata.csv"))] == [
        "041009"]
