"""/api/v1/requests, /engagements and /visits: the booking flow over the API with bearer tokens.

Officer sends → expert accepts → both confirm → one side moves → the expert reports; the rules answer 409 with
their name (program_cap, expert_capacity, expert_overlap, already_answered), strangers get 404, bad input 422
in Japanese under its field, and nothing is written by a refused call.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.web.test_api import ApiClient, api_as, assert_problem
from web.dates import JST, today_jst
from web.extensions import db
from web.models import (
    Engagement,
    EngagementRequest,
    ExpertProfile,
    Issue,
    SupportProgram,
    User,
    Visit,
    VisitReport,
)
from web.services.booking import plans, reports
from web.services.business_days import is_business_day
from web.services.ledger import PlannedVisit, reserve
from web.transaction import transaction

TOWN, NEIGHBOUR = "012106", "012068"
JAPAN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$")


def month_text(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


NEXT_MONTH = plans.add_months(today_jst().replace(day=1), 1)


@dataclass
class Booking:
    program: SupportProgram
    issue: Issue
    expert: ExpertProfile
    officer: ApiClient
    expert_api: ApiClient


@pytest.fixture
def booking(client, make_user, make_issue, make_expert) -> Booking:
    program = SupportProgram(code="advisor", name="地域情報化アドバイザー", max_onsite_visits_per_fy=3,
                             max_online_hours_per_fy=10, max_months=12, visits_per_month=1)
    db.session.add(program)
    db.session.commit()
    officer = make_user("officer", municipality_code=TOWN)
    issue = make_issue(created_by_id=officer.id)
    expert = make_expert(monthly_capacity=2)
    expert_user = db.session.get(User, expert.user_id)
    return Booking(program, issue, expert, api_as(client, officer), api_as(client, expert_user))


def request_body(booking: Booking, **overrides: Any) -> dict[str, Any]:
    body = {"issue_id": booking.issue.id, "expert_id": booking.expert.id, "menu": "accompaniment",
            "program_id": booking.program.id, "first_month": month_text(NEXT_MONTH), "months": 3,
            "onsite_months": [1], "weekdays": [2], "start_time": "14:00", "message": "よろしくお願いします。"}
    body.update(overrides)
    return body


def send(booking: Booking, **overrides: Any) -> dict[str, Any]:
    response = booking.officer.post("/requests", json=request_body(booking, **overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def accept(booking: Booking, request_id: int, body: Any = None) -> int:
    response = booking.expert_api.post(f"/requests/{request_id}/accept", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["engagement_id"]


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# ---------------------------------------------------------------- the whole flow


def test_officer_request_expert_accept_confirm_move_and_report_through_the_api(booking, monkeypatch):
    sent = send(booking)
    assert sent["status"] == "pending"
    assert sent["plan"] == [{"month": month_text(plans.add_months(NEXT_MONTH, i)), "mode": mode}
                            for i, mode in enumerate(["onsite", "online", "online"])]
    assert sent["cap_check"]["ok"] is True and sent["cap_check"]["messages"] == []
    onsite = [line for line in sent["cap_check"]["lines"] if line["kind"] == "onsite"]
    assert onsite[0]["allowed"] == 3 and onsite[0]["planned"] == 1 and onsite[0]["unit"] == "visits"
    assert JAPAN_TIME.match(sent["expires_at"])

    engagement_id = accept(booking, sent["id"])
    assert booking.officer.get(f"/requests/{sent['id']}").get_json()["engagement_id"] == engagement_id

    engagement = booking.officer.get(f"/engagements/{engagement_id}").get_json()
    assert (engagement["status"], engagement["issue_id"], engagement["menu"]) == (
        "active", booking.issue.id, "accompaniment")
    visits = engagement["visits"]
    assert [v["mode"] for v in visits] == ["onsite", "online", "online"]
    assert all(JAPAN_TIME.match(v["starts_at"]) and JAPAN_TIME.match(v["ends_at"]) for v in visits)
    first = visits[0]
    assert first["starts_at"][11:16] == "14:00" and first["status"] == "proposed"
    assert first["place"].endswith("岩見沢市役場")
    assert (first["town_confirmed"], first["expert_confirmed"]) == (False, False)

    half = booking.officer.patch(f"/visits/{first['id']}", json={"action": "confirm"}).get_json()
    assert (half["status"], half["town_confirmed"], half["expert_confirmed"]) == ("proposed", True, False)
    both = booking.expert_api.patch(f"/visits/{first['id']}", json={"action": "confirm"}).get_json()
    assert both["status"] == "confirmed" and both["expert_confirmed"] is True

    new_start = datetime.fromisoformat(first["starts_at"]) + timedelta(days=1)
    while not is_business_day(new_start.date(), TOWN):
        new_start += timedelta(days=1)
    moved = booking.expert_api.patch(f"/visits/{first['id']}", json={
        "starts_at": new_start.isoformat(), "note": "翌営業日に変更をお願いします。"})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    moved_visit = moved.get_json()
    assert moved_visit["starts_at"] == new_start.isoformat()
    assert (moved_visit["status"], moved_visit["town_confirmed"], moved_visit["expert_confirmed"]) == (
        "proposed", False, True)
    again = booking.officer.patch(f"/visits/{first['id']}", json={"action": "confirm"}).get_json()
    assert again["status"] == "confirmed"

    # The visit has taken place: the report's clock is the day after.
    monkeypatch.setattr(reports, "utcnow", lambda: new_start + timedelta(days=1))
    too_long = booking.expert_api.post(f"/visits/{first['id']}/report", json={
        "summary": "現地で課題を整理しました。", "next_actions": "見積もりを取る。", "hours": 1000})
    assert assert_problem(too_long, 422)["errors"] == {"hours": [reports.HOURS_MESSAGE]}
    assert count(VisitReport) == 0

    filed = booking.expert_api.post(f"/visits/{first['id']}/report", json={
        "summary": "現地で課題を整理しました。", "next_actions": "見積もりを取る。", "hours": 2,
        "decisions": "ドローンの実証は来年度。", "stage": "business_model"})
    assert filed.status_code == 201, filed.get_data(as_text=True)
    report = filed.get_json()
    assert (report["visit_id"], report["hours"], report["stage"]) == (first["id"], 2.0, "business_model")
    visit = booking.officer.get(f"/engagements/{engagement_id}").get_json()["visits"][0]
    assert visit["status"] == "done" and visit["report_id"] == report["id"]

    asked = booking.officer.post(f"/reports/{report['id']}/question", json={"question": "見積もりの時期は？"})
    assert asked.status_code == 200 and asked.get_json()["question"] == "見積もりの時期は？"
    answered = booking.expert_api.post(f"/visits/{first['id']}/report", json={
        "summary": "現地で課題を整理しました。", "next_actions": "見積もりを12月中に取る。", "hours": 2})
    assert answered.status_code == 201 and answered.get_json()["id"] == report["id"]
    acknowledged = booking.officer.post(f"/reports/{report['id']}/acknowledge")
    assert acknowledged.status_code == 200 and JAPAN_TIME.match(acknowledged.get_json()["acknowledged_at"])
    locked = booking.expert_api.post(f"/visits/{first['id']}/report", json={"summary": "書き直し", "hours": 1})
    assert assert_problem(locked, 409)["rule"] == "report_acknowledged"

    completed = booking.officer.post(f"/engagements/{engagement_id}/complete", json={
        "outcome": "partly", "rating": 4, "comment": "進め方が明確になりました。"})
    assert completed.status_code == 200, completed.get_data(as_text=True)
    done = completed.get_json()
    assert (done["status"], done["outcome"], done["rating"]) == ("completed", "partly", 4)
    assert [v["status"] for v in done["visits"]] == ["done", "cancelled", "cancelled"]


def test_lists_show_the_callers_requests_and_engagements_filtered_by_status(booking):
    sent = send(booking)
    assert [r["id"] for r in booking.officer.get("/requests?status=pending").get_json()] == [sent["id"]]
    assert booking.officer.get("/requests?status=accepted").get_json() == []
    accept(booking, sent["id"])
    assert [r["status"] for r in booking.expert_api.get("/requests").get_json()] == ["accepted"]
    engagements = booking.expert_api.get("/engagements?status=active").get_json()
    assert len(engagements) == 1 and len(engagements[0]["visits"]) == 3


def test_a_visit_can_be_cancelled_with_a_reason_and_frees_its_reservation(booking):
    engagement_id = accept(booking, send(booking)["id"])
    visit_id = booking.officer.get(f"/engagements/{engagement_id}").get_json()["visits"][0]["id"]
    response = booking.officer.patch(f"/visits/{visit_id}", json={"status": "cancelled", "reason": "議会日程のため"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "cancelled" and response.get_json()["cancel_reason"] == "議会日程のため"


def test_either_side_cancels_an_engagement_with_a_reason(booking):
    engagement_id = accept(booking, send(booking)["id"])
    blank = assert_problem(booking.expert_api.post(f"/engagements/{engagement_id}/cancel", json={"reason": "  "}), 422)
    assert blank["errors"] == {"reason": ["中止の理由を入力してください。"]}
    response = booking.expert_api.post(f"/engagements/{engagement_id}/cancel", json={"reason": "体調不良のため"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["cancel_reason"]) == ("cancelled", "体調不良のため")
    assert {v["status"] for v in body["visits"]} == {"cancelled"}
    again = assert_problem(booking.officer.post(f"/engagements/{engagement_id}/cancel", json={"reason": "重複"}), 409)
    assert "中止" in again["detail"]


def test_only_the_town_completes_an_engagement(booking):
    engagement_id = accept(booking, send(booking)["id"])
    response = booking.expert_api.post(f"/engagements/{engagement_id}/complete", json={"outcome": "solved"})
    assert "市町村" in assert_problem(response, 409)["detail"]
    assert db.session.get(Engagement, engagement_id).status == "active"


def test_a_declined_request_answers_with_its_reason(booking):
    sent = send(booking)
    response = booking.expert_api.post(f"/requests/{sent['id']}/decline", json={"reason": "schedule", "note": "繁忙期です"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["decline_reason"], body["decline_note"]) == ("declined", "schedule", "繁忙期です")


def test_the_officer_withdraws_a_pending_request(booking):
    sent = send(booking)
    response = booking.officer.post(f"/requests/{sent['id']}/withdraw")
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"


def test_a_spot_consultation_is_accepted_on_an_offered_slot_and_is_confirmed_at_once(booking):
    day = today_jst() + timedelta(days=14)
    while not is_business_day(day, TOWN):
        day += timedelta(days=1)
    slot = datetime(day.year, day.month, day.day, 10, 0, tzinfo=JST)
    response = booking.officer.post("/requests", json={
        "issue_id": booking.issue.id, "expert_id": booking.expert.id, "menu": "spot", "slots": [slot.isoformat()],
        "duration_minutes": 90, "message": "1時間半ほどご相談させてください。"})
    assert response.status_code == 201, response.get_data(as_text=True)
    sent = response.get_json()
    assert sent["slots"] == [slot.isoformat()] and sent["cap_check"] is None
    engagement_id = accept(booking, sent["id"], {"slot_index": 0, "meeting_url": "https://meet.example.jp/a"})
    visit = booking.expert_api.get(f"/engagements/{engagement_id}").get_json()["visits"][0]
    assert (visit["starts_at"], visit["status"], visit["mode"]) == (slot.isoformat(), "confirmed", "online")


# ---------------------------------------------------------------- 409: the rules by name


def test_a_second_answer_is_409_already_answered(booking):
    sent = send(booking)
    accept(booking, sent["id"])
    body = assert_problem(booking.expert_api.post(f"/requests/{sent['id']}/accept"), 409)
    assert body["rule"] == "already_answered" and "回答済み" in body["detail"]
    declined = assert_problem(booking.expert_api.post(f"/requests/{sent['id']}/decline", json={"reason": "schedule"}), 409)
    assert declined["rule"] == "already_answered"
    assert count(Engagement) == 1


def test_a_plan_over_the_program_cap_is_409_program_cap_with_the_numbers_and_nothing_is_sent(booking):
    with transaction():
        reserve(booking.program, TOWN, [PlannedVisit(NEXT_MONTH.replace(day=20), "onsite", 120)] * 2)
    response = booking.officer.post("/requests", json=request_body(booking, months=2, onsite_months=[1, 2]))
    body = assert_problem(response, 409)
    assert body["rule"] == "program_cap"
    assert "地域情報化アドバイザー（現地訪問）: 上限3回・実施済み0回・予定2回、この計画で2回 → 1回超過します" in body["detail"]
    assert count(EngagementRequest) == 0


def test_a_plan_over_the_experts_monthly_capacity_is_409_expert_capacity(booking, make_issue):
    booking.expert.monthly_capacity = 1
    db.session.commit()
    accept(booking, send(booking)["id"])
    other_issue = make_issue(title="防災情報の配信")
    response = booking.officer.post("/requests", json=request_body(booking, issue_id=other_issue.id))
    body = assert_problem(response, 409)
    assert body["rule"] == "expert_capacity" and "月1回まで" in body["detail"]
    assert count(EngagementRequest) == 1


def test_moving_a_visit_onto_another_visit_of_the_expert_is_409_expert_overlap(booking):
    engagement_id = accept(booking, send(booking)["id"])
    first, second = booking.expert_api.get(f"/engagements/{engagement_id}").get_json()["visits"][:2]
    response = booking.officer.patch(f"/visits/{second['id']}", json={"starts_at": first["starts_at"]})
    body = assert_problem(response, 409)
    assert body["rule"] == "expert_overlap"
    assert db.session.get(Visit, second["id"]).starts_at.isoformat() != first["starts_at"]


def test_the_wrong_side_gets_409_with_the_reason(booking):
    sent = send(booking)
    assert "外部デジタル人材" in assert_problem(booking.officer.post(f"/requests/{sent['id']}/accept"), 409)["detail"]
    assert assert_problem(booking.expert_api.post(f"/requests/{sent['id']}/withdraw"), 409)


# ---------------------------------------------------------------- 404: strangers


@pytest.fixture
def strangers(client, make_user, make_expert) -> list[ApiClient]:
    other_expert = make_expert()
    return [api_as(client, make_user("officer", municipality_code=NEIGHBOUR)),
            api_as(client, make_user("coordinator", prefecture_code="04")),
            api_as(client, db.session.get(User, other_expert.user_id))]


def test_another_town_prefecture_or_expert_gets_404_everywhere(booking, strangers):
    sent = send(booking)
    engagement_id = accept(booking, sent["id"])
    visit_id = booking.officer.get(f"/engagements/{engagement_id}").get_json()["visits"][0]["id"]
    for stranger in strangers:
        calls = [stranger.get(f"/requests/{sent['id']}"), stranger.post(f"/requests/{sent['id']}/decline",
                                                                          json={"reason": "schedule"}),
                 stranger.post(f"/requests/{sent['id']}/withdraw"), stranger.get(f"/engagements/{engagement_id}"),
                 stranger.get(f"/visits/{visit_id}"), stranger.patch(f"/visits/{visit_id}", json={"action": "confirm"}),
                 stranger.post(f"/visits/{visit_id}/report", json={"summary": "報告", "hours": 1}),
                 stranger.post(f"/engagements/{engagement_id}/complete", json={"outcome": "solved"}),
                 stranger.post(f"/engagements/{engagement_id}/cancel", json={"reason": "中止"})]
        for response in calls:
            assert_problem(response, 404)
        assert stranger.get("/requests").get_json() == [] and stranger.get("/engagements").get_json() == []
    assert db.session.get(Visit, visit_id).town_confirmed_at is None


def test_an_officer_cannot_send_a_request_for_another_towns_issue(booking, client, make_user):
    neighbour = api_as(client, make_user("officer", municipality_code=NEIGHBOUR))
    assert_problem(neighbour.post("/requests", json=request_body(booking)), 404)
    assert count(EngagementRequest) == 0


# ---------------------------------------------------------------- 422: bad input, in Japanese under the field


@pytest.mark.parametrize(("overrides", "field"), [
    ({"first_month": "2020-04"}, "first_month"),  # a month in the past
    ({"first_month": "2027-13"}, "first_month"),
    ({"months": 0}, "months"),
    ({"months": 40}, "months"),
    ({"months": 13}, "months"),  # over the program's max_months
    ({"onsite_months": [1, 9]}, "onsite_months"),  # outside a 3-month plan
    ({"start_time": "25:00"}, "start_time"),
    ({"weekdays": [6]}, "weekdays.0"),
    ({"months": "6"}, "months"),
    ({"issue_id": 2**40}, "issue_id"),
    ({"menu": "spot", "slots": ["2026-02-30T10:00:00+09:00"]}, "slots.0"),
    ({"menu": "spot", "slots": ["2027-02-03T10:00:00"]}, "slots.0"),
    ({"menu": "spot", "slots": ["9999-12-31T23:00:00-12:00"]}, "slots.0"),
    ({"message": "<b>至急</b>"}, "message"),
    ({"colour": "red"}, "colour"),
])
def test_bad_request_input_is_422_in_japanese_under_the_field_and_nothing_is_written(booking, overrides, field):
    body = assert_problem(booking.officer.post("/requests", json=request_body(booking, **overrides)), 422)
    assert field in body["errors"], body
    assert all(re.search(r"[\u3040-\u9fff]", message) for message in body["errors"][field])
    assert count(EngagementRequest) == 0


def test_a_non_existent_date_for_a_new_visit_time_is_422_in_japanese(booking):
    engagement_id = accept(booking, send(booking)["id"])
    visit_id = booking.officer.get(f"/engagements/{engagement_id}").get_json()["visits"][0]["id"]
    body = assert_problem(booking.officer.patch(f"/visits/{visit_id}", json={"starts_at": "2027-02-30T14:00:00+09:00"}),
                          422)
    assert "存在しない日付" in body["errors"]["starts_at"][0]
    past = assert_problem(booking.officer.patch(f"/visits/{visit_id}", json={"starts_at": "2020-02-03T14:00:00+09:00"}),
                          422)
    assert "過ぎています" in past["errors"]["starts_at"][0]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body"),
    ({"action": "confirm", "status": "cancelled", "reason": "x"}, "body"),
    ({"action": "approve"}, "action"),
    ({"status": "done"}, "reason"),
    ({"status": "cancelled"}, "reason"),
    ({"action": "confirm", "note": "よろしく"}, "note"),
    ({"starts_at": "2027-02-03T14:00:00+09:00", "reason": "x"}, "reason"),
])
def test_a_visit_patch_takes_exactly_one_of_its_three_forms(booking, body, field):
    engagement_id = accept(booking, send(booking)["id"])
    visit_id = booking.officer.get(f"/engagements/{engagement_id}").get_json()["visits"][0]["id"]
    problem = assert_problem(booking.officer.patch(f"/visits/{visit_id}", json=body), 422)
    assert field in problem["errors"], problem


@pytest.mark.parametrize(("body", "field"), [
    ({"summary": "報告", "hours": 0}, "hours"),
    ({"summary": "報告", "hours": "2"}, "hours"),
    ({"hours": 2}, "summary"),
    ({"summary": "報告", "stage": "unknown"}, "stage"),
])
def test_bad_report_input_is_422_under_its_field(booking, body, field):
    engagement_id = accept(booking, send(booking)["id"])
    visit_id = booking.officer.get(f"/engagements/{engagement_id}").get_json()["visits"][0]["id"]
    assert field in assert_problem(booking.expert_api.post(f"/visits/{visit_id}/report", json=body), 422)["errors"]
    assert count(VisitReport) == 0


def test_the_decline_reason_other_needs_a_note(booking):
    sent = send(booking)
    body = assert_problem(booking.expert_api.post(f"/requests/{sent['id']}/decline", json={"reason": "other"}), 422)
    assert "note" in body["errors"]
    assert db.session.get(EngagementRequest, sent["id"]).status == "pending"
