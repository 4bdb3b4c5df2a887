"""/api/v1/programs and /api/v1/programs/{id}/usage: caps, usage numbers and who may read which town."""
from __future__ import annotations

from datetime import date

import pytest

from tests.web.test_api import api_as
from web.extensions import db
from web.models import SupportProgram
from web.services.ledger import PlannedVisit, consume, reserve
from web.transaction import transaction

TOWN, NEIGHBOUR, OTHER_PREFECTURE = "012106", "012068", "041009"


@pytest.fixture
def programs(geo) -> tuple[SupportProgram, SupportProgram]:
    capped = SupportProgram(code="advisor", name="地域情報化アドバイザー", max_onsite_visits_per_fy=3,
                            max_online_hours_per_fy=10, max_months=12)
    uncapped = SupportProgram(code="free", name="県独自の伴走支援")
    db.session.add_all([capped, uncapped])
    db.session.commit()
    return capped, uncapped


def usage_url(program: SupportProgram, town: str = TOWN, year: int | str = 2026) -> str:
    return f"/programs/{program.id}/usage?municipality_code={town}&fiscal_year={year}"


@pytest.mark.parametrize("role", ["officer", "coordinator", "admin", "expert"])
def test_every_signed_in_role_reads_the_programs_with_null_where_uncapped(client, make_user, programs, role):
    response = api_as(client, make_user(role)).get("/programs")
    assert response.status_code == 200
    assert [(p["name"], p["onsite_visits_cap"], p["online_hours_cap"]) for p in response.get_json()] == [
        ("地域情報化アドバイザー", 3, 10.0), ("県独自の伴走支援", None, None)]


def test_the_programs_need_a_token(client, programs):
    assert client.get("/api/v1/programs").status_code == 401


def test_an_officer_reads_the_usage_of_their_town_in_visits_and_hours(client, make_user, programs):
    capped, _ = programs
    with transaction():
        reserve(capped, TOWN, [PlannedVisit(date(2026, 5, 13), "onsite", 120),
                               PlannedVisit(date(2026, 6, 10), "online", 90),
                               PlannedVisit(date(2026, 7, 8), "online", 60)])
        consume(capped, TOWN, [PlannedVisit(date(2026, 6, 10), "online", 90)])
    body = api_as(client, make_user("officer")).get(usage_url(capped)).get_json()
    assert body["fiscal_year_label"] == "令和8年度（2026年度）"
    assert body["onsite_visits"] == {"allowed": 3, "used": 0, "reserved": 1, "remaining": 2}
    assert body["online_hours"] == {"allowed": 10.0, "used": 1.5, "reserved": 1.0, "remaining": 7.5}


def test_an_uncapped_program_shows_null_allowed_and_remaining(client, make_user, programs):
    _, uncapped = programs
    body = api_as(client, make_user("coordinator")).get(usage_url(uncapped, NEIGHBOUR)).get_json()
    assert body["onsite_visits"] == {"allowed": None, "used": 0, "reserved": 0, "remaining": None}


@pytest.mark.parametrize(("role", "town", "status"), [
    ("officer", TOWN, 200), ("officer", NEIGHBOUR, 404),
    ("coordinator", NEIGHBOUR, 200), ("coordinator", OTHER_PREFECTURE, 404),
    ("admin", OTHER_PREFECTURE, 200), ("admin", "999999", 404),
    ("expert", TOWN, 404),
])
def test_usage_is_readable_only_for_towns_in_the_callers_scope(client, make_user, programs, role, town, status):
    response = api_as(client, make_user(role)).get(usage_url(programs[0], town))
    assert response.status_code == status
    if status == 404:
        assert response.mimetype == "application/problem+json"


def test_an_unknown_program_is_404(client, make_user, programs):
    response = api_as(client, make_user("admin")).get(f"/programs/9999/usage?municipality_code={TOWN}&fiscal_year=2026")
    assert response.status_code == 404 and response.get_json()["detail"] == "支援制度が見つかりません。"


@pytest.mark.parametrize(("query", "field", "message"), [
    ("municipality_code=12106&fiscal_year=2026", "municipality_code", "団体コードは半角数字6桁"),
    ("municipality_code=012106&fiscal_year=1999", "fiscal_year", "2000から2100まで"),
    ("municipality_code=012106&fiscal_year=令和8", "fiscal_year", "半角数字の整数"),
    ("fiscal_year=2026", "municipality_code", "市町村（municipality_code）を指定してください。"),
    ("municipality_code=012106&fiscal_year=2026&year=2026", "year", "この項目は受け付けていません"),
])
def test_a_bad_usage_query_is_422_in_japanese_naming_the_field(client, make_user, programs, query, field, message):
    response = api_as(client, make_user("officer")).get(f"/programs/{programs[0].id}/usage?{query}")
    assert response.status_code == 422
    assert any(message in text for text in response.get_json()["errors"][field])
