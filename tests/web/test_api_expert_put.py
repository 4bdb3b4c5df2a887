"""PUT /api/v1/experts/me takes the expert object of the API: GET → modify → PUT works, lat/lon are kept."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.web.test_api import api_as, assert_problem
from tests.web.test_api_experts import PROFILE
from tests.web.test_experts_service import _input
from web.extensions import db
from web.models import ExpertProfile
from web.services.experts import save_profile
from web.services.validation import InvalidInput

NEAR_IWAMIZAWA = {"lat": 43.21, "lon": 141.79}


@pytest.fixture
def expert_api(client, make_user):
    return api_as(client, make_user("expert"))


def test_the_body_of_get_can_be_sent_back_with_put(expert_api):
    created = expert_api.put("/experts/me", json=PROFILE).get_json()
    fetched = expert_api.get("/experts/me").get_json()
    response = expert_api.put("/experts/me", json={**fetched, "monthly_capacity": 3})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == created["id"] and body["monthly_capacity"] == 3
    assert {k: v for k, v in body.items() if k != "monthly_capacity"} == {
        k: v for k, v in fetched.items() if k != "monthly_capacity"}


def test_read_only_id_is_ignored_and_never_changes_the_profile(expert_api):
    own = expert_api.put("/experts/me", json=PROFILE).get_json()["id"]
    body = expert_api.put("/experts/me", json={**PROFILE, "id": own + 100}).get_json()
    assert body["id"] == own and db.session.scalar(select(func.count()).select_from(ExpertProfile)) == 1


def test_given_coordinates_are_kept_instead_of_the_town_hall(expert_api):
    body = expert_api.put("/experts/me", json={**PROFILE, "home_label": "岩見沢市", **NEAR_IWAMIZAWA}).get_json()
    assert (body["lat"], body["lon"]) == (43.21, 141.79) and body["home_label"] == "岩見沢市"


def test_missing_home_label_is_the_nearest_town_of_the_prefecture(expert_api):
    payload = {k: v for k, v in PROFILE.items() if k != "home_label"}
    body = expert_api.put("/experts/me", json={**payload, **NEAR_IWAMIZAWA}).get_json()
    assert body["home_label"] == "岩見沢市" and (body["lat"], body["lon"]) == (43.21, 141.79)


@pytest.mark.parametrize("home_label", [None, ""])
def test_without_home_label_or_coordinates_the_prefecture_is_the_home(expert_api, home_label):
    body = expert_api.put("/experts/me", json={**PROFILE, "home_label": home_label}).get_json()
    assert body["home_label"] == "北海道" and (body["lat"], body["lon"]) == (43.0642, 141.3469)


def test_coordinates_are_kept_while_the_home_town_stays_the_same(expert_api):
    expert_api.put("/experts/me", json={**PROFILE, **NEAR_IWAMIZAWA})
    body = expert_api.put("/experts/me", json={**PROFILE, "bio": PROFILE["bio"] + "（更新）"}).get_json()
    assert (body["lat"], body["lon"]) == (43.21, 141.79)
    moved = expert_api.put("/experts/me", json={**PROFILE, "home_label": "釧路市"}).get_json()
    assert (round(moved["lat"], 2), round(moved["lon"], 2)) == (42.98, 144.38)


BAD_COORDINATES = [
    ({"lat": 10.0, "lon": 141.0}, "lat", "20から46まで"),
    ({"lat": 43.0, "lon": 200.0}, "lon", "122から154まで"),
    ({"lat": 43.0}, "lon", "両方指定する"),
    ({"lat": None, "lon": 141.0}, "lat", "両方指定する"),
    ({"lat": "43.0", "lon": 141.0}, "lat", "数値"),
    ({"lat": True, "lon": 141.0}, "lat", "数値"),
    ({"lat": 10 ** 400, "lon": 141.0}, "lat", "大きすぎます"),
]


@pytest.mark.parametrize("change, field, message", BAD_COORDINATES, ids=[str(c)[:40] for c, _, _ in BAD_COORDINATES])
def test_coordinates_outside_japan_or_not_numbers_are_a_422(expert_api, change, field, message):
    problem = assert_problem(expert_api.put("/experts/me", json={**PROFILE, **change}), 422)
    assert any(message in text for text in problem["errors"][field]), problem["errors"]
    assert db.session.scalar(select(func.count()).select_from(ExpertProfile)) == 0


def test_the_openapi_document_describes_the_put_fields(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["ExpertPut"]
    assert {"id", "lat", "lon", "home_label"} <= set(schema["properties"])
    assert "home_label" not in schema.get("required", []) and schema["properties"]["id"]["readOnly"] is True


@pytest.mark.parametrize("lat", [float("nan"), float("inf"), 10 ** 400, "43", True])
def test_the_service_refuses_coordinates_that_are_not_a_place_in_japan(make_user, lat):
    with pytest.raises(InvalidInput) as caught:
        save_profile(make_user("expert"), _input(lat=lat, lon=141.0))
    assert "20から46まで" in caught.value.errors["lat"][0]
