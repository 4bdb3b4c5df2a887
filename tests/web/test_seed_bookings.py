"""The booking demo data (seed_data/bookings.json): every state each page shows, with the ledger, the experts'
monthly loads and the timetable exact. Read-only checks share one seeded database per backend (seeding takes
seconds); the idempotency and other-day checks, which need a fresh database, are in test_seed.py."""
from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.web.conftest import _empty_tables, _test_config
from web import create_app
from web.dates import JST, fiscal_year_of, today_jst
from web.extensions import db
from web.models import (
    CandidateCuration,
    CapLedger,
    Engagement,
    EngagementRequest,
    ExpertLoad,
    ExpertProfile,
    SupportProgram,
    UnavailableDay,
    User,
    Visit,
    VisitReport,
)
from web.services.booking import access, plans
from web.services.business_days import current_calendar
from web.services.seeding import load_seed

SEED = Path(__file__).resolve().parents[2] / "seed_data"


@pytest.fixture(scope="module")
def demo(database_url: str) -> Iterator[None]:
    """One app per backend with the demo data loaded, shared by this module's read-only tests."""
    app = create_app(_test_config(SQLALCHEMY_DATABASE_URI=database_url))
    with app.app_context():
        db.create_all()
        load_seed(SEED)
        db.session.commit()
        yield
        db.session.remove()
        if database_url.startswith("postgresql"):
            _empty_tables()
        db.engine.dispose()


def _all(model):
    return db.session.scalars(select(model)).all()


def test_seed_has_requests_in_every_state_and_declines_with_every_reason(demo):
    from web.codes import DECLINE_REASONS, REQUEST_STATUSES
    found = _all(EngagementRequest)
    assert {r.status for r in found} == set(REQUEST_STATUSES)
    assert {r.decline_reason for r in found if r.status == "declined"} == set(DECLINE_REASONS)
    now = datetime.now(JST)
    answered = [r for r in found if r.status != "pending"]
    assert all(r.created_at < r.responded_at <= now for r in answered)
    expired = next(r for r in found if r.status == "expired")
    assert expired.expires_at < now and expired.expired_at is not None


def test_one_pending_request_is_recent_and_one_is_due_for_its_reminder_next(demo):
    calendar = current_calendar()
    today = today_jst()
    pending = [r for r in _all(EngagementRequest) if r.status == "pending"]
    ages = {calendar.business_days_between(r.created_at.astimezone(JST).date(), today, r.issue.municipality_code)
            for r in pending}
    assert ages & {0, 1} and 2 in ages  # the reminder goes out on the 3rd business day after sending
    assert all(r.expires_at > datetime.now(JST) for r in pending)


def test_an_outside_my_field_decline_excludes_the_expert_from_the_issue(demo):
    declined = next(r for r in _all(EngagementRequest) if r.decline_reason == "outside_field")
    exclusion = db.session.get(CandidateCuration, (declined.issue_id, declined.expert_id))
    assert exclusion is not None and (exclusion.action, exclusion.origin) == ("exclude", "decline")


def test_seed_has_visits_in_every_state_and_the_variants_each_page_shows(demo):
    from web.codes import VISIT_STATUSES
    visits = _all(Visit)
    assert {v.status for v in visits} == set(VISIT_STATUSES)
    proposed = [v for v in visits if v.status == "proposed"]
    assert any(v.proposed_by == "system" and not v.town_confirmed_at and not v.expert_confirmed_at for v in proposed)
    assert any(v.town_confirmed_at and not v.expert_confirmed_at for v in proposed)
    assert any(v.expert_confirmed_at and not v.town_confirmed_at for v in proposed)
    moved = [v for v in proposed if v.proposed_by in ("town", "expert")]
    assert {v.proposed_by for v in moved} == {"town", "expert"} and all(v.note and v.sequence >= 1 for v in moved)
    assert all(v.cancel_reason and v.cancelled_at for v in visits if v.status == "cancelled")
    assert all(v.report is not None for v in visits if v.status == "done")
    assert all(v.report is None for v in visits if v.status != "done")
    now = datetime.now(JST)
    assert any(v.status == "confirmed" and v.ends_at < now for v in visits)  # waits for its report
    reports = _all(VisitReport)
    assert any(r.acknowledged_at and r.acknowledged_by_id for r in reports)
    assert any(r.question and r.question_at and not r.acknowledged_at for r in reports)
    assert any(not r.acknowledged_at and not r.question for r in reports)


def test_seed_has_completed_cancelled_joint_and_spot_engagements(demo):
    engagements = _all(Engagement)
    completed = [e for e in engagements if e.status == "completed"]
    assert {e.outcome for e in completed} >= {"solved", "partly"}
    assert all(e.rating and e.town_comment and all(v.status == "done" for v in e.visits) for e in completed)
    cancelled = [e for e in engagements if e.status == "cancelled"]
    assert cancelled and all(e.cancel_reason and e.ended_at for e in cancelled)
    assert all(v.status in ("done", "cancelled") for e in cancelled for v in e.visits)
    joint = [e for e in engagements if e.status == "active" and len(plans.towns_of(e.issue)) > 1]
    assert joint and any(len({v.municipality_code for v in e.visits if v.mode == "onsite"}) > 1 for e in joint)
    assert any(e.menu == "spot" and e.program_id is None for e in engagements)
    assert all(e.issue.status == "engaged" for e in engagements if e.status == "active")


def test_reports_span_last_fiscal_year_and_this_one(demo):
    this_year = fiscal_year_of(today_jst())
    years = {v.fiscal_year for v in _all(Visit) if v.status == "done"}
    assert {this_year - 1, this_year} <= years


def test_the_cap_ledger_equals_a_recount_of_the_visits(demo):
    expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # onsite used/reserved, online used/reserved
    for visit in _all(Visit):
        engagement = visit.engagement
        if engagement.program_id is None or visit.status == "cancelled":
            continue
        used = visit.report is not None
        if visit.mode == "onsite":
            expected[(engagement.program_id, visit.municipality_code, visit.fiscal_year)][0 if used else 1] += 1
            continue
        towns = plans.towns_of(engagement.issue)
        share, remainder = divmod(visit.duration_minutes, len(towns))
        for index, town in enumerate(towns):
            expected[(engagement.program_id, town, visit.fiscal_year)][2 if used else 3] += \
                share + (1 if index < remainder else 0)
    ledger = {(row.program_id, row.municipality_code, row.fiscal_year):
              [row.onsite_used, row.onsite_reserved, row.online_used_minutes, row.online_reserved_minutes]
              for row in _all(CapLedger)}
    assert {key: value for key, value in ledger.items() if any(value)} == dict(expected)


def test_the_experts_monthly_loads_equal_a_recount_and_stay_within_capacity(demo):
    expected = Counter((v.expert_id, v.starts_at.astimezone(JST).date().replace(day=1))
                       for v in _all(Visit) if v.status != "cancelled")
    loads = {(row.expert_id, row.month): row.booked for row in _all(ExpertLoad) if row.booked}
    assert loads == dict(expected)
    assert all(row.booked <= db.session.get(ExpertProfile, row.expert_id).monthly_capacity for row in _all(ExpertLoad))


def test_one_town_is_exactly_at_its_mic_on_site_cap_this_fiscal_year(demo):
    mic = db.session.scalar(select(SupportProgram).where(SupportProgram.code == "mic_advisor"))
    rows = db.session.scalars(select(CapLedger).where(CapLedger.program_id == mic.id,
                                                       CapLedger.fiscal_year == fiscal_year_of(today_jst()))).all()
    full = [row for row in rows if row.onsite_used + row.onsite_reserved == 3]
    assert len(full) == 1 and full[0].onsite_cap == 3
    assert any(0 < row.onsite_used + row.onsite_reserved < 3 or row.online_used_minutes for row in rows)


def test_no_expert_has_two_visits_at_once_nor_one_on_an_unavailable_day(demo):
    by_expert = defaultdict(list)
    for visit in _all(Visit):
        if visit.status != "cancelled":
            by_expert[visit.expert_id].append(visit)
    for visits in by_expert.values():
        visits.sort(key=lambda v: v.starts_at)
        assert all(a.ends_at <= b.starts_at for a, b in itertools.pairwise(visits))
    unavailable = {(row.expert_id, row.day) for row in _all(UnavailableDay)}
    assert unavailable
    assert not any((v.expert_id, v.starts_at.astimezone(JST).date()) in unavailable
                   for visits in by_expert.values() for v in visits)


def test_every_visit_falls_on_a_business_day_of_the_town_visited(demo):
    calendar = current_calendar()
    assert all(calendar.is_business_day(v.starts_at.astimezone(JST).date(), v.municipality_code) for v in _all(Visit))


def test_every_demo_login_finds_requests_and_engagements(demo):
    logins = [a["email"] for a in json.loads((SEED / "accounts.json").read_text()) if a["role"] != "admin"]
    for email in logins:
        user = db.session.scalar(select(User).where(User.email == email))
        assert db.session.scalars(access.requests_query(user)).first() is not None, email
        assert db.session.scalars(access.engagements_query(user)).first() is not None, email
    now = datetime.now(JST)
    for expert in json.loads((SEED / "experts.json").read_text())[:3]:  # the experts `make run` shows
        user = db.session.scalar(select(User).where(User.email == expert["email"]))
        pending = db.session.scalars(access.requests_query(user).where(EngagementRequest.status == "pending")).all()
        upcoming = db.session.scalars(access.visits_query(user).where(
            Visit.starts_at > now, Visit.status.in_(("proposed", "confirmed")))).all()
        assert pending and upcoming, expert["email"]


def test_the_hokkaido_coordinator_sees_a_lively_prefecture(demo):
    user = db.session.scalar(select(User).where(User.email == "coord.hokkaido@demo.example.jp"))
    engagements = db.session.scalars(access.engagements_query(user)).all()
    assert len(engagements) >= 10 and {e.status for e in engagements} == {"active", "completed", "cancelled"}
