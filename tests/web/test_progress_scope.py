"""The progress figures' filters and access scope (web/services/progress/scope.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from web.extensions import db
from web.models import Engagement, SupportProgram, User
from web.services.errors import NotFound
from web.services.progress.scope import ProgressFilters, issue_ids_query, parse_filters
from web.services.validation import InvalidInput

JST = ZoneInfo("Asia/Tokyo")


def _ids(user: Any, filters: ProgressFilters) -> set[int]:
    return set(db.session.scalars(issue_ids_query(user, filters)))


@freeze_time("2027-03-31 14:59:00")  # 2027-03-31 23:59 JST: still fiscal 2026
def test_the_fiscal_year_defaults_to_the_current_one_in_japan(make_user: Any) -> None:
    coordinator = make_user("coordinator")
    assert parse_filters(coordinator, {}).fiscal_year == 2026


@freeze_time("2027-03-31 15:00:00")  # 2027-04-01 00:00 JST: fiscal 2027 has begun
def test_the_fiscal_year_turns_at_midnight_on_the_first_of_april_in_japan(make_user: Any) -> None:
    coordinator = make_user("coordinator")
    assert parse_filters(coordinator, {}).fiscal_year == 2027


def test_fiscal_year_bounds_run_from_april_to_march_in_japan_time() -> None:
    start, end = ProgressFilters("01", 2026).fy_bounds_utc
    assert start == datetime(2026, 4, 1, tzinfo=JST)
    assert end == datetime(2027, 4, 1, tzinfo=JST)
    assert ProgressFilters("01", 2026).fy_end.isoformat() == "2027-03-31"


def test_a_coordinator_defaults_to_their_prefecture_and_cannot_ask_for_another(make_user: Any) -> None:
    coordinator = make_user("coordinator", prefecture_code="01")
    assert parse_filters(coordinator, {}).prefecture_code == "01"
    with pytest.raises(NotFound):
        parse_filters(coordinator, {"prefecture_code": "04"})


def test_an_officer_sees_only_their_own_town(make_user: Any) -> None:
    officer = make_user("officer", municipality_code="012106")
    assert parse_filters(officer, {"municipality_code": "012106"}).municipality_code == "012106"
    with pytest.raises(NotFound):
        parse_filters(officer, {"municipality_code": "012068"})  # 釧路市: same prefecture, another town
    with pytest.raises(NotFound):
        parse_filters(officer, {"prefecture_code": "04"})


def test_a_town_of_another_prefecture_looks_missing(make_user: Any) -> None:
    admin = make_user("admin")
    with pytest.raises(NotFound):
        parse_filters(admin, {"prefecture_code": "01", "municipality_code": "041009"})  # 仙台市 is in 04


@pytest.mark.parametrize("args, field", [
    ({"fiscal_year": "二〇二六"}, "fiscal_year"),
    ({"fiscal_year": "1999"}, "fiscal_year"),
    ({"fiscal_year": "2026; drop table issue"}, "fiscal_year"),
    ({"sector": "weapons"}, "sector"),
    ({"program_id": "-1"}, "program_id"),
    ({"program_id": "999999"}, "program_id"),
])
def test_bad_filters_are_refused_in_japanese(make_user: Any, args: dict[str, str], field: str) -> None:
    coordinator = make_user("coordinator")
    with pytest.raises(InvalidInput) as refused:
        parse_filters(coordinator, args)
    assert field in refused.value.errors
    assert all(any("\u3040" <= ch <= "\u30ff" for ch in m) for m in refused.value.errors[field])


def test_odd_prefecture_codes_look_missing_rather_than_failing(make_user: Any) -> None:
    admin = make_user("admin")
    for odd in ("1", "０１", "01\x00", "\ud800\ud800", "ab"):
        with pytest.raises(NotFound):
            parse_filters(admin, {"prefecture_code": odd})


def test_a_known_program_is_accepted(make_user: Any) -> None:
    program = SupportProgram(code="advisor", name="地域情報化アドバイザー")
    db.session.add(program)
    db.session.commit()
    assert parse_filters(make_user("coordinator"), {"program_id": str(program.id)}).program_id == program.id


def test_issues_count_for_their_town_and_for_every_co_owning_town(make_user: Any, make_issue: Any) -> None:
    own = make_issue(municipality_code="012106")
    joint = make_issue(municipality_code="012068", co_municipality_codes=("012106",))
    elsewhere = make_issue(municipality_code="012068")
    coordinator = make_user("coordinator", prefecture_code="01")
    whole = ProgressFilters("01", 2026)
    assert _ids(coordinator, whole) == {own.id, joint.id, elsewhere.id}
    assert _ids(coordinator, ProgressFilters("01", 2026, municipality_code="012106")) == {own.id, joint.id}
    assert _ids(coordinator, ProgressFilters("01", 2026, subprefecture="釧路総合振興局")) == {joint.id, elsewhere.id}
    officer = make_user("officer", municipality_code="012106")
    assert _ids(officer, whole) == {own.id, joint.id}


def test_the_sector_filter_narrows_issues(make_user: Any, make_issue: Any) -> None:
    farming = make_issue(sector="agriculture")
    make_issue(sector="tourism")
    assert _ids(make_user("coordinator"), ProgressFilters("01", 2026, sector="agriculture")) == {farming.id}


def test_an_expert_counts_only_issues_they_work_on(make_user: Any, make_issue: Any, make_expert: Any) -> None:
    worked = make_issue(status="engaged")
    make_issue()
    expert = make_expert()
    db.session.add(Engagement(issue_id=worked.id, expert_id=expert.id, start_on=datetime(2026, 5, 1).date(),
                              end_on=datetime(2026, 10, 31).date()))
    db.session.commit()
    user = db.session.get(User, expert.user_id)
    assert _ids(user, ProgressFilters("01", 2026)) == {worked.id}
