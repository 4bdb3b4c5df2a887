"""The cap ledger: fiscal years, joint plans, the Japanese message, reserve/release/consume and the CHECKs."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from web.extensions import db
from web.models import CapLedger, SupportProgram
from web.services import ledger
from web.services.errors import Conflict
from web.services.ledger import (
    CapExceeded,
    PlannedVisit,
    check_plan,
    consume,
    release,
    reserve,
    usage,
)
from web.transaction import transaction

TOWN, NEIGHBOUR = "012106", "012068"  # 岩見沢市, 釧路市


@pytest.fixture
def program(geo) -> SupportProgram:
    program = SupportProgram(code="advisor", name="地域情報化アドバイザー", max_onsite_visits_per_fy=3,
                             max_online_hours_per_fy=10)
    db.session.add(program)
    db.session.commit()
    return program


@pytest.fixture
def uncapped(geo) -> SupportProgram:
    program = SupportProgram(code="free", name="県独自の伴走支援", max_onsite_visits_per_fy=None,
                             max_online_hours_per_fy=None)
    db.session.add(program)
    db.session.commit()
    return program


def monthly(first: date, months: int, mode: str = "onsite", minutes: int = 120) -> list[PlannedVisit]:
    days = []
    for n in range(months):
        year, month = divmod(first.month - 1 + n, 12)
        days.append(PlannedVisit(date(first.year + year, month + 1, 13), mode, minutes))
    return days


def committed(program: SupportProgram, town: str, plan: list[PlannedVisit], **kwargs) -> None:
    with transaction():
        reserve(program, town, plan, **kwargs)


def test_a_plan_from_january_to_june_reserves_in_two_fiscal_years(program):
    committed(program, TOWN, monthly(date(2027, 1, 1), 6, "online", 60))
    assert usage(program, TOWN, 2026).online.reserved == 3 * 60
    assert usage(program, TOWN, 2027).online.reserved == 3 * 60


def test_on_site_visits_over_the_boundary_fit_where_one_fiscal_year_would_not(program):
    plan = monthly(date(2027, 1, 1), 6)  # three on-site visits in each fiscal year, the cap is 3
    assert check_plan(program, TOWN, plan).ok
    committed(program, TOWN, plan)
    assert (usage(program, TOWN, 2026).onsite.remaining, usage(program, TOWN, 2027).onsite.remaining) == (0, 0)


def test_a_joint_plan_shares_online_hours_and_counts_on_site_only_in_the_town_visited(program):
    plan = [PlannedVisit(date(2026, 5, 13), "online", 120), PlannedVisit(date(2026, 6, 10), "onsite", 120, NEIGHBOUR)]
    committed(program, TOWN, plan, towns=[TOWN, NEIGHBOUR])
    ours, theirs = usage(program, TOWN, 2026), usage(program, NEIGHBOUR, 2026)
    assert (ours.online.reserved, theirs.online.reserved) == (60, 60)
    assert (ours.onsite.reserved, theirs.onsite.reserved) == (0, 1)


def test_a_plan_over_the_cap_gives_the_exact_japanese_message(program):
    committed(program, TOWN, monthly(date(2026, 5, 1), 2))
    with transaction():
        consume(program, TOWN, monthly(date(2026, 5, 1), 1))
    check = check_plan(program, TOWN, monthly(date(2026, 9, 1), 2))
    assert check.messages == [("令和8年度 地域情報化アドバイザー（現地訪問）: "
                              "上限3回・実施済み1回・予定1回、この計画で2回 → 1回超過します")]
    line = check.lines[0]
    assert (line.fiscal_year, line.tally.allowed, line.tally.used, line.tally.reserved, line.planned, line.excess) \
        == (2026, 3, 1, 1, 2, 1)


def test_online_hours_over_the_cap_are_told_in_hours(program):
    check = check_plan(program, TOWN, monthly(date(2026, 4, 1), 6, "online", 110))
    assert check.messages == [("令和8年度 地域情報化アドバイザー（オンライン）: "
                              "上限10時間・実施済み0時間・予定0時間、この計画で11時間 → 1時間超過します")]


def test_a_refused_plan_writes_nothing_in_any_fiscal_year(program):
    committed(program, TOWN, [PlannedVisit(date(2027, 5, 13), "onsite", 120)] * 3)
    with pytest.raises(CapExceeded, match="令和9年度 地域情報化アドバイザー（現地訪問）: 上限3回・実施済み0回・予定3回"):
        committed(program, TOWN, monthly(date(2027, 1, 1), 6))
    assert usage(program, TOWN, 2026).onsite.reserved == 0
    assert usage(program, TOWN, 2027).onsite.reserved == 3


def test_an_uncapped_program_reserves_without_limit_and_shows_no_remaining(uncapped):
    committed(uncapped, TOWN, monthly(date(2026, 4, 1), 12) + monthly(date(2026, 4, 1), 12, "online", 600))
    counted = usage(uncapped, TOWN, 2026)
    assert (counted.onsite.allowed, counted.onsite.reserved, counted.onsite.remaining) == (None, 12, None)
    assert counted.online_hours == {"allowed": None, "used": 0, "reserved": 120, "remaining": None}


def test_releasing_a_cancelled_visit_frees_its_reservation(program):
    committed(program, TOWN, monthly(date(2026, 5, 1), 3))
    with transaction():
        release(program, TOWN, monthly(date(2026, 5, 1), 1))
    assert usage(program, TOWN, 2026).onsite.remaining == 1
    committed(program, TOWN, monthly(date(2026, 9, 1), 1))
    assert usage(program, TOWN, 2026).onsite.remaining == 0


def test_consuming_a_reported_visit_moves_it_from_reserved_to_used(program):
    committed(program, TOWN, [PlannedVisit(date(2026, 5, 13), "online", 90)])
    with transaction():
        consume(program, TOWN, [PlannedVisit(date(2026, 5, 13), "online", 90)])
    counted = usage(program, TOWN, 2026)
    assert (counted.online.used, counted.online.reserved, counted.online_hours["remaining"]) == (90, 0, 8.5)


def test_releasing_what_was_never_reserved_is_refused_in_japanese(program):
    with pytest.raises(Conflict, match="予定として確保されていない訪問は取り消せません"), transaction():
        release(program, TOWN, monthly(date(2026, 5, 1), 1))


def _row(program: SupportProgram, **counts: int) -> None:
    values = {"onsite_reserved": 0, "onsite_used": 0, "online_reserved_minutes": 0, "online_used_minutes": 0,
              "onsite_cap": 3, "online_cap_minutes": 600, **counts}
    db.session.execute(insert(CapLedger).values(program_id=program.id, municipality_code=TOWN, fiscal_year=2026,
                                                **values))


@pytest.mark.parametrize("counts", [
    {"onsite_used": 2, "onsite_reserved": 2},
    {"online_used_minutes": 500, "online_reserved_minutes": 101},
    {"onsite_reserved": -1},
    {"online_used_minutes": -30},
])
def test_the_database_refuses_an_over_cap_or_negative_row_written_directly(program, counts):
    with pytest.raises(IntegrityError):
        _row(program, **counts)
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_an_update_past_the_cap_written_directly(program):
    _row(program, onsite_used=3)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(update(CapLedger).values(onsite_reserved=CapLedger.onsite_reserved + 1))
    db.session.rollback()


def test_a_null_cap_row_holds_any_count(program):
    _row(program, onsite_cap=None, online_cap_minutes=None, onsite_used=50, online_used_minutes=99_999)
    db.session.commit()
    assert db.session.scalar(select(CapLedger.onsite_used)) == 50


def test_a_joint_plan_over_one_towns_cap_names_that_town(program):
    plan = [PlannedVisit(date(2026, 5, 13), "onsite", 120, NEIGHBOUR)] * 4
    check = check_plan(program, TOWN, plan, towns=[TOWN, NEIGHBOUR])
    assert check.messages == [("令和8年度 釧路市 地域情報化アドバイザー（現地訪問）: "
                              "上限3回・実施済み0回・予定0回、この計画で4回 → 1回超過します")]


def test_odd_online_minutes_of_a_joint_plan_are_shared_without_losing_a_minute(program):
    committed(program, TOWN, [PlannedVisit(date(2026, 5, 13), "online", 100)], towns=[TOWN, NEIGHBOUR, "041009"])
    shares = [usage(program, town, 2026).online.reserved for town in (TOWN, NEIGHBOUR, "041009")]
    assert shares == [34, 33, 33]


N = 20


@pytest.fixture
def race_app(make_app, database_url: str) -> Flask:
    """A second app on the same PostgreSQL database, with a connection for each of the N threads."""
    if database_url.startswith("sqlite"):
        pytest.skip("races need PostgreSQL: in-memory SQLite gives every thread one shared connection")
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": N + 2})


def test_twenty_threads_racing_for_the_last_on_site_visit_leave_exactly_one_reservation(race_app, program):
    committed(program, TOWN, monthly(date(2026, 5, 1), 1))
    with transaction():
        consume(program, TOWN, monthly(date(2026, 5, 1), 1))
    committed(program, TOWN, monthly(date(2026, 6, 1), 1))  # used 1, reserved 1: one visit left of 3
    program_id = program.id
    barrier = threading.Barrier(N)

    def one(_: int) -> str:
        with race_app.app_context():
            mine = db.session.get(SupportProgram, program_id)
            barrier.wait(timeout=30)
            try:
                committed(mine, TOWN, monthly(date(2026, 9, 1), 1))
            except CapExceeded as refusal:
                return str(refusal)
            return "reserved"

    with ThreadPoolExecutor(N) as pool:
        results = list(pool.map(one, range(N)))
    db.session.rollback()
    assert results.count("reserved") == 1
    refusals = [r for r in results if r != "reserved"]
    assert len(refusals) == N - 1
    assert all(r.startswith("令和8年度 地域情報化アドバイザー（現地訪問）: 上限3回") and r.endswith("超過します")
               for r in refusals)
    row = db.session.scalars(select(CapLedger)).one()
    assert (row.onsite_used, row.onsite_reserved, row.onsite_used + row.onsite_reserved) == (1, 2, 3)


def test_online_time_that_is_not_whole_hours_is_told_in_hours_and_minutes(program):
    check = check_plan(program, TOWN, monthly(date(2026, 4, 1), 7, "online", 90))
    assert check.messages[0].endswith("上限10時間・実施済み0時間・予定0時間、この計画で10時間30分 → 30分超過します")


def test_a_cap_filled_after_the_check_is_refused_by_the_update_naming_only_that_fiscal_year(program, monkeypatch):
    committed(program, TOWN, [PlannedVisit(date(2027, 5, 13), "onsite", 120)] * 3)
    real_rows, reads = ledger._rows, []

    def first_read_stale(*args):  # as if another plan committed right after our check read the ledger
        reads.append(args)
        return {} if len(reads) == 1 else real_rows(*args)

    monkeypatch.setattr(ledger, "_rows", first_read_stale)
    with pytest.raises(CapExceeded) as refusal, transaction():
        reserve(program, TOWN, monthly(date(2027, 1, 1), 6))
    assert str(refusal.value) == ("令和9年度 地域情報化アドバイザー（現地訪問）: "
                                  "上限3回・実施済み0回・予定3回、この計画で3回 → 3回超過します")
    assert (usage(program, TOWN, 2026).onsite.reserved, usage(program, TOWN, 2027).onsite.reserved) == (0, 3)
