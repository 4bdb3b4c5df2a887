"""Regression tests from the review of the booking flow (issue #9)."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from web.dates import JST
from web.extensions import db
from web.models import Engagement, EngagementRequest, Visit
from web.services.booking import requests
from web.services.booking.requests import RequestInput
from web.transaction import transaction

TOWN = "012106"






def spot(officer, issue, expert):
    with transaction():
        return requests.send_request(officer, RequestInput(issue_id=issue.id, expert_id=expert.id, menu="spot",
                                     slots=[datetime(2027, 2, 3, 14, 0, tzinfo=JST)], duration_minutes=60))




@pytest.mark.parametrize("day,clock", [("9999-12-31", "23:45"), ("9999-12-31", "14:00"), ("2027-02-06", "14:00")])
def test_an_expert_proposing_a_spot_time_far_in_the_future_or_on_a_closed_day_gets_422_and_nothing_is_written(
        people, auth, client, day, clock):
    officer, issue, expert, expert_user = people
    req = spot(officer, issue, expert)
    auth.login(expert_user.email)
    response = client.post(f"/requests/{req.id}/accept",
                           data={"slot": "other", "proposed_date": day, "proposed_time": clock})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 0
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 0
    db.session.refresh(req)
    assert req.status == "pending"


def test_an_officer_offering_a_spot_slot_in_the_year_9999_gets_422_not_500(people, program, auth, client):
    officer, issue, expert, _ = people
    auth.login(officer.email)
    response = client.post(f"/issues/{issue.id}/requests/new?expert_id={expert.id}", data={
        "menu": "spot", "duration_minutes": "120", "slot1_date": "9999-12-31", "slot1_time": "23:45",
        "send": "この内容で依頼する"})
    assert response.status_code == 422
    assert "候補日時1: 9999年の日付は選べません。" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(EngagementRequest)) == 0


@pytest.mark.parametrize("slot", [datetime(2099, 12, 31, 23, 45, tzinfo=JST), datetime(2027, 2, 6, 14, 0, tzinfo=JST),
                                  datetime(2027, 2, 3, 23, 30, tzinfo=JST)])
def test_a_spot_slot_on_a_closed_day_or_running_past_midnight_is_refused_when_the_request_is_sent(
        people, slot):
    officer, issue, expert, _ = people
    with pytest.raises(requests.InvalidInput) as refused, transaction():
        requests.send_request(officer, RequestInput(issue_id=issue.id, expert_id=expert.id, menu="spot",
                                                    slots=[slot], duration_minutes=120))
    assert "slots" in refused.value.errors and refused.value.errors["slots"][0].startswith("候補日時1: ")
    assert db.session.scalar(select(func.count()).select_from(EngagementRequest)) == 0


def test_accepting_a_spot_with_both_an_offered_slot_and_another_time_is_refused_and_nothing_is_written(people):
    officer, issue, expert, expert_user = people
    req = spot(officer, issue, expert)
    with pytest.raises(requests.InvalidInput) as refused, transaction():
        requests.accept(expert_user, req.id, slot_index=0,
                        proposed_start=datetime(2027, 2, 4, 14, 0, tzinfo=JST))
    assert "slot" in refused.value.errors
    db.session.refresh(req)
    assert req.status == "pending"
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 0
