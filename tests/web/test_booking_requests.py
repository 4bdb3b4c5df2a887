"""Requests: sending within caps, answering once (also under concurrency), declines that teach, plans that fit."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from web.dates import JST
from web.extensions import db
from web.models import (
    CandidateCuration,
    CapLedger,
    Engagement,
    EngagementRequest,
    ExpertLoad,
    User,
    Visit,
)
from web.services.booking import requests
from web.services.booking.requests import AlreadyAnswered, RequestInput
from web.services.business_days import is_business_day
from web.services.errors import NotFound, ServiceError
from web.services.ledger import PlannedVisit, reserve
from web.services.validation import InvalidInput
from web.transaction import transaction

TOWN = "012106"
N = 20






def ask(officer, issue, expert, program, **overrides) -> EngagementRequest:
    fields = {"issue_id": issue.id, "expert_id": expert.id, "menu": "accompaniment", "program_id": program.id,
              "first_month": "2027-01", "months": 6, "weekdays": [2], "start_time": "14:00",
              "duration_minutes": 120, "message": "よろしくお願いします。"}
    fields.update(overrides)
    with transaction():
        return requests.send_request(officer, RequestInput(**fields))


def test_an_accepted_request_becomes_an_engagement_with_a_hybrid_plan_on_business_days(people, program):
    officer, issue, expert, expert_user = people
    sent = ask(officer, issue, expert, program)
    assert sent.status == "pending" and sent.onsite_months == [1, 4]
    with transaction():
        engagement = requests.accept(expert_user, sent.id)
    visits = db.session.scalars(select(Visit).where(Visit.engagement_id == engagement.id)
                                .order_by(Visit.starts_at)).all()
    assert [v.mode for v in visits] == ["onsite", "online", "online", "onsite", "online", "online"]
    local = [v.starts_at.astimezone(JST) for v in visits]
    assert [(t.year, t.month) for t in local] == [(2027, m) for m in (1, 2, 3)] + [(2027, m) for m in (4, 5, 6)]
    assert all(t.hour == 14 and t.minute == 0 and is_business_day(t.date(), TOWN) for t in local)
    assert all(v.status == "proposed" and v.ends_at - v.starts_at == timedelta(minutes=120) for v in visits)
    assert issue.status == "engaged" and db.session.get(EngagementRequest, sent.id).status == "accepted"
    rows = {row.fiscal_year: row for row in db.session.scalars(select(CapLedger))}
    assert (rows[2026].onsite_reserved, rows[2026].online_reserved_minutes) == (1, 240)
    assert (rows[2027].onsite_reserved, rows[2027].online_reserved_minutes) == (1, 240)
    assert db.session.scalar(select(func.sum(ExpertLoad.booked))) == 6


def test_a_second_answer_is_refused_as_already_answered_and_changes_nothing(people, program):
    officer, issue, expert, expert_user = people
    sent = ask(officer, issue, expert, program)
    with transaction():
        requests.accept(expert_user, sent.id)
    with pytest.raises(AlreadyAnswered, match="すでに回答済み"), transaction():
        requests.accept(expert_user, sent.id)
    with pytest.raises(AlreadyAnswered), transaction():
        requests.decline(expert_user, sent.id, "schedule")
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 1
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 6


def test_a_plan_that_breaks_the_cap_is_refused_before_it_is_sent_with_the_numbers(people, program):
    officer, issue, expert, _ = people
    with transaction():
        reserve(program, TOWN, [PlannedVisit(date(2027, 1, 20), "onsite", 120)] * 2)
    with pytest.raises(InvalidInput) as refused:
        ask(officer, issue, expert, program, months=3, onsite_months=[1, 2])
    assert refused.value.errors["plan"] == [
        "令和8年度 地域情報化アドバイザー（現地訪問）: 上限3回・実施済み0回・予定2回、この計画で2回 → 1回超過します"]
    assert db.session.scalar(select(func.count()).select_from(EngagementRequest)) == 0


@pytest.mark.parametrize(("overrides", "field"), [
    ({"first_month": "2020-04"}, "first_month"),
    ({"first_month": "2027-13"}, "first_month"),
    ({"months": 0}, "months"),
    ({"months": 40}, "months"),
    ({"onsite_months": [1, 9]}, "onsite_months"),
    ({"start_time": "25:00"}, "start_time"),
    ({"weekdays": [6]}, "weekdays"),
    ({"message": "あ" * 2001}, "message"),
    ({"message": "bad\x00text"}, "message"),
])
def test_bad_input_is_refused_under_its_field_and_nothing_is_written(people, program, overrides, field):
    officer, issue, expert, _ = people
    with pytest.raises(InvalidInput) as refused:
        ask(officer, issue, expert, program, **overrides)
    assert field in refused.value.errors
    assert all(message.endswith("。") or "）" in message for message in refused.value.errors[field])
    assert db.session.scalar(select(func.count()).select_from(EngagementRequest)) == 0


def test_declining_as_outside_my_field_excludes_the_pair_from_future_candidate_lists(people, program):
    officer, issue, expert, expert_user = people
    sent = ask(officer, issue, expert, program)
    with transaction():
        requests.decline(expert_user, sent.id, "outside_field", "防除は専門外です。")
    curation = db.session.get(CandidateCuration, (issue.id, expert.id))
    assert (curation.action, curation.origin) == ("exclude", "decline")
    with pytest.raises(ServiceError, match="除外"):
        ask(officer, issue, expert, program)


def test_declining_for_lack_of_capacity_suggests_a_lower_monthly_capacity(people, program, app):
    officer, issue, expert, expert_user = people
    sent = ask(officer, issue, expert, program)
    with transaction():
        requests.decline(expert_user, sent.id, "no_capacity")
    titles = [n.title for n in expert_user.notifications] if hasattr(expert_user, "notifications") else None
    from web.models import Notification
    titles = list(db.session.scalars(select(Notification.title).where(Notification.user_id == expert_user.id)))
    assert "月あたりの対応回数を見直しませんか" in titles
    assert db.session.get(EngagementRequest, sent.id).decline_reason == "no_capacity"


def test_only_the_town_withdraws_and_only_the_expert_answers(people, program):
    officer, issue, expert, expert_user = people
    sent = ask(officer, issue, expert, program)
    with pytest.raises(ServiceError, match="外部デジタル人材が行います"):
        requests.accept(officer, sent.id)
    with pytest.raises(ServiceError, match="市町村の担当者が行います"):
        requests.withdraw(expert_user, sent.id)
    with transaction():
        requests.withdraw(officer, sent.id)
    assert db.session.get(EngagementRequest, sent.id).status == "withdrawn"


def test_another_towns_officer_and_another_expert_see_nothing(people, program, make_user, make_expert):
    officer, issue, expert, _ = people
    sent = ask(officer, issue, expert, program)
    stranger = make_user("officer", municipality_code="012068")
    other_expert = db.session.get(User, make_expert().user_id)
    for user in (stranger, other_expert):
        with pytest.raises(NotFound):
            requests.withdraw(user, sent.id)
        with pytest.raises(NotFound):
            requests.accept(user, sent.id)


def test_a_spot_consultation_booked_on_an_offered_slot_is_confirmed_at_once(people, program):
    officer, issue, expert, expert_user = people
    slot = datetime(2027, 2, 3, 10, 0, tzinfo=JST)
    sent = ask(officer, issue, expert, program, menu="spot", program_id=None, duration_minutes=60,
               slots=[slot, slot + timedelta(days=1)])
    with transaction():
        engagement = requests.accept(expert_user, sent.id, slot_index=1)
    visit = db.session.scalars(select(Visit).where(Visit.engagement_id == engagement.id)).one()
    assert (visit.status, visit.mode, visit.starts_at) == ("confirmed", "online", slot + timedelta(days=1))


@pytest.fixture
def race_app(make_app, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("races need PostgreSQL: in-memory SQLite gives every thread one shared connection")
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": N + 2})


def _race(race_app, work) -> list[str]:
    barrier = threading.Barrier(N)

    def one(index: int) -> str:
        with race_app.app_context():
            barrier.wait(timeout=30)
            try:
                with transaction():
                    work(index)
            except ServiceError as refusal:
                return f"{getattr(refusal, 'rule', None)}:{refusal}"
            finally:
                db.session.remove()
            return "ok"

    with ThreadPoolExecutor(N) as pool:
        results = list(pool.map(one, range(N)))
    db.session.rollback()
    return results


def test_twenty_concurrent_accepts_give_one_engagement_and_nineteen_already_answered(race_app, people, program):
    officer, issue, expert, expert_user = people
    sent = ask(officer, issue, expert, program)
    request_id, user_id = sent.id, expert_user.id
    results = _race(race_app, lambda _: requests.accept(db.session.get(User, user_id), request_id))
    assert results.count("ok") == 1
    assert sum(r.startswith("already_answered:") for r in results) == N - 1
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 1
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 6


def test_twenty_requests_racing_for_the_last_on_site_visit_of_a_cap_leave_one_plan(race_app, make_user, make_issue,
                                                                                   make_expert, program):
    officer = make_user("officer", municipality_code=TOWN)
    with transaction():
        reserve(program, TOWN, [PlannedVisit(date(2027, 1, 20), "onsite", 120)] * 2)
    pending = []
    for index in range(N):
        issue = make_issue(title=f"課題{index}", created_by_id=officer.id)
        expert = make_expert(monthly_capacity=2)
        pending.append((ask(officer, issue, expert, program, months=1, onsite_months=[1],
                            first_month="2027-02").id, expert.user_id))
    results = _race(race_app, lambda i: requests.accept(db.session.get(User, pending[i][1]), pending[i][0]))
    assert results.count("ok") == 1
    assert all(r.startswith("program_cap:") for r in results if r != "ok")
    row = db.session.scalars(select(CapLedger).where(CapLedger.fiscal_year == 2026)).one()
    assert row.onsite_reserved == 3
    assert db.session.scalar(select(func.count()).select_from(Engagement)) == 1
    assert db.session.scalar(select(func.count()).select_from(EngagementRequest)
                             .where(EngagementRequest.status == "pending")) == N - 1
