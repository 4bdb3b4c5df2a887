"""Twenty moves at the same moment, in real threads on PostgreSQL: one expert is never in two visits at once and
never booked beyond their monthly capacity; the losers get the named conflict and nothing is half-written.

The dates are a few months ahead of the real today (the threads run unfrozen)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.web import booking_world
from tests.web.booking_world import TOWN, World, add_visits, engagement_for, load
from web.dates import JST, fiscal_year_of, today_jst
from web.extensions import db
from web.models import CapLedger, SupportProgram, User, Visit
from web.services.booking import plans, schedule, visits
from web.services.business_days import current_calendar
from web.services.errors import Conflict
from web.transaction import RULES, transaction

N = 20
request_ctx, world = booking_world.request_ctx, booking_world.world  # fixtures, by name


@pytest.fixture
def race_app(make_app: Callable[..., Flask], database_url: str) -> Flask:
    """A second app on the same PostgreSQL database, with a connection for each of the N threads."""
    if database_url.startswith("sqlite"):
        pytest.skip("races need PostgreSQL: in-memory SQLite gives every thread one shared connection")
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": N + 2})


@pytest.fixture
def uncapped(world: World) -> SupportProgram:
    program = SupportProgram(code="free", name="県独自の伴走支援", max_onsite_visits_per_fy=None,
                             max_online_hours_per_fy=None)
    db.session.add(program)
    db.session.commit()
    return program


def month_ahead(n: int) -> date:
    return plans.add_months(today_jst().replace(day=1), n)


def slots(month: date, n: int) -> list[datetime]:
    """n distinct two-hour slots on the town's business days of `month` (9, 11, 14 and 16 o'clock)."""
    days = current_calendar().business_days_in_month(month.year, month.month, TOWN)
    return [datetime.combine(day, time(hour), JST) for day in days for hour in (9, 11, 14, 16)][:n]


def race(race_app: Flask, user_id: int, moves: list[tuple[int, datetime]]) -> list[str]:
    """Each thread moves one visit as the user; return "moved" or the refusing rule, one per thread."""
    barrier = threading.Barrier(len(moves))

    def one(move: tuple[int, datetime]) -> str:
        visit_id, starts_at = move
        with race_app.test_request_context():
            user = db.session.get(User, user_id)
            barrier.wait(timeout=30)
            try:
                with transaction():
                    visits.move(user, visit_id, starts_at, "")
            except Conflict as refusal:
                return f"{refusal.rule}:{refusal}"
            return "moved"

    with ThreadPoolExecutor(len(moves)) as pool:
        results = list(pool.map(one, moves))
    db.session.rollback()  # read what the threads committed
    db.session.expire_all()
    return results


def reserved_minutes(program: SupportProgram, *months: date) -> int:
    years = {fiscal_year_of(month) for month in months}
    return db.session.scalar(select(func.sum(CapLedger.online_reserved_minutes))
                             .where(CapLedger.program_id == program.id, CapLedger.fiscal_year.in_(years))) or 0


@pytest.mark.parametrize("python_check", [True, False], ids=["checked", "database-only"])
def test_twenty_moves_of_one_experts_visits_onto_one_slot_leave_exactly_one_there(
        race_app, world, uncapped, monkeypatch, python_check):
    month = month_ahead(3)
    world.expert.monthly_capacity = N + 5
    db.session.commit()
    engagement = engagement_for(world, start_on=month, end_on=plans.add_months(month, 1), program=uncapped)
    *own, target = slots(month, N + 1)
    made = add_visits(engagement, own, mode="online")
    if not python_check:  # prove the exclusion constraint holds the rule by itself
        monkeypatch.setattr(schedule, "require_free", lambda *args, **kwargs: None)
    results = race(race_app, world.expert_user.id, [(visit.id, target) for visit in made])
    assert results.count("moved") == 1
    refusals = [r for r in results if r != "moved"]
    assert len(refusals) == N - 1 and all(r.startswith("expert_overlap:") for r in refusals)
    if python_check:
        assert all("から別の訪問が入っています" in r for r in refusals)
    else:
        assert all(r == f"expert_overlap:{RULES['ex_visit_expert_overlap'][1]}" for r in refusals)
    at_target = db.session.scalars(select(Visit).where(Visit.starts_at == target)).all()
    assert len(at_target) == 1 and at_target[0].sequence == 1
    unmoved = [db.session.get(Visit, visit.id) for visit in made if visit.id != at_target[0].id]
    assert sorted((v.starts_at, v.sequence) for v in unmoved) == sorted(
        (start, 0) for visit, start in zip(made, own, strict=True) if visit.id != at_target[0].id)
    assert load(world.expert, month) == N  # one let go and held again; nothing half-written
    assert reserved_minutes(uncapped, month) == N * 120


def test_twenty_moves_into_the_last_free_visit_of_the_experts_month_book_it_once(race_app, world, uncapped):
    full, crowded = month_ahead(3), month_ahead(4)
    world.expert.monthly_capacity = N + 1
    db.session.commit()
    engagement = engagement_for(world, start_on=full, end_on=plans.add_months(crowded, 1), program=uncapped)
    first, *free_slots = slots(full, N + 1)
    add_visits(engagement, [first], mode="online")
    movers = add_visits(engagement, slots(crowded, N), mode="online")
    world.expert.monthly_capacity = 2  # the expert lowered it: one visit left in `full`
    db.session.commit()
    results = race(race_app, world.expert_user.id, list(zip([v.id for v in movers], free_slots, strict=True)))
    assert results.count("moved") == 1
    refusals = [r for r in results if r != "moved"]
    assert len(refusals) == N - 1 and all(r.startswith("expert_capacity:") for r in refusals)
    assert (load(world.expert, full), load(world.expert, crowded)) == (2, N - 1)
    in_full = db.session.scalar(select(func.count()).select_from(Visit).where(
        Visit.starts_at >= datetime.combine(full, time(), JST), Visit.starts_at < datetime.combine(crowded, time(), JST)))
    assert in_full == 2
    assert reserved_minutes(uncapped, full, crowded) == (N + 1) * 120
