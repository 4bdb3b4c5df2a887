"""Business days: weekends, Japanese public holidays (the `holidays` package) and each town's closure days."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import jpholiday
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from web.dates import JST
from web.extensions import db
from web.models import ClosureDay, Municipality, Prefecture
from web.services.business_days import (
    DEFAULT_CLOSURE_DAYS,
    BusinessCalendar,
    add_business_days,
    business_days_between,
    current_calendar,
    holiday_name,
    is_business_day,
    replace_closure_days,
)
from web.services.validation import InvalidInput

IWAMIZAWA = "012106"  # no rows of its own: the default 12/29–1/3
OWN_RULE = {(12, 30): "年末年始", (12, 31): "年末年始", (1, 1): "年末年始", (1, 2): "年末年始",
            (1, 3): "年末年始", (1, 4): "年末年始", (6, 23): "慰霊の日"}


@pytest.fixture
def town(geo) -> str:
    return IWAMIZAWA


@pytest.fixture
def naha(geo) -> str:
    """Naha with its own rule: 12/30–1/4 and 慰霊の日 (6/23)."""
    db.session.add(Prefecture(code="47", name="沖縄県", kana="おきなわけん", region="沖縄"))
    db.session.add(Municipality(code="472018", name="那覇市", kana="なはし", prefecture_code="47"))
    replace_closure_days("472018", [(m, d, label) for (m, d), label in OWN_RULE.items()])
    db.session.commit()
    return "472018"


@pytest.mark.parametrize("day, reason", [
    (date(2026, 4, 29), "昭和の日"), (date(2026, 4, 30), None), (date(2026, 5, 1), None),
    (date(2026, 5, 2), "土曜日"), (date(2026, 5, 3), "日曜日"), (date(2026, 5, 4), "みどりの日"),
    (date(2026, 5, 5), "こどもの日"), (date(2026, 5, 6), "振替休日"), (date(2026, 5, 7), None),
])
def test_golden_week_2026_closes_through_the_substitute_holiday_for_constitution_day(town, day, reason):
    assert current_calendar().closed_because(day, town) == reason
    assert is_business_day(day, town) is (reason is None)


@pytest.mark.parametrize("day, reason", [
    (date(2027, 4, 29), "昭和の日"), (date(2027, 4, 30), None), (date(2027, 5, 3), "憲法記念日"),
    (date(2027, 5, 4), "みどりの日"), (date(2027, 5, 5), "こどもの日"), (date(2027, 5, 6), None),
])
def test_golden_week_2027_has_no_substitute_holiday(town, day, reason):
    assert current_calendar().closed_because(day, town) == reason


def test_a_request_sent_on_the_friday_before_golden_week_2026_is_due_on_the_third_business_day_after(town):
    assert add_business_days(date(2026, 5, 1), 3, town) == date(2026, 5, 11)
    assert business_days_between(date(2026, 5, 1), date(2026, 5, 11), town) == 3


def test_the_day_after_a_showa_day_request_is_the_first_business_day(town):
    assert add_business_days(date(2026, 4, 29), 1, town) == date(2026, 4, 30)


def test_a_sunday_equinox_gives_a_substitute_holiday_on_monday(town):
    assert holiday_name(date(2027, 3, 21)) == "春分の日"
    assert holiday_name(date(2027, 3, 22)) == "振替休日"
    assert add_business_days(date(2027, 3, 19), 1, town) == date(2027, 3, 23)


def test_weekends_are_skipped(town):
    assert not is_business_day(date(2026, 6, 6), town) and not is_business_day(date(2026, 6, 7), town)
    assert add_business_days(date(2026, 6, 5), 1, town) == date(2026, 6, 8)
    assert add_business_days(date(2026, 6, 6), 1, town) == date(2026, 6, 8)


def test_the_default_new_year_closure_runs_from_12_29_to_1_3_across_the_year_boundary(town):
    closed = [date(2026, 12, 29) + timedelta(days=i) for i in range(6)]
    assert not any(is_business_day(day, town) for day in closed)
    assert current_calendar().closed_because(date(2026, 12, 29), town) == "年末年始"
    assert add_business_days(date(2026, 12, 28), 1, town) == date(2027, 1, 4)
    assert business_days_between(date(2026, 12, 25), date(2027, 1, 5), town) == 3


def test_a_town_with_its_own_rule_is_open_on_12_29_and_closed_on_1_4(naha):
    assert is_business_day(date(2026, 12, 29), naha)
    assert not is_business_day(date(2027, 1, 4), naha)
    assert add_business_days(date(2026, 12, 28), 2, naha) == date(2027, 1, 5)


def test_okinawa_closes_on_irei_no_hi_and_other_towns_do_not(naha, town):
    assert current_calendar().closed_because(date(2026, 6, 23), naha) == "慰霊の日"
    assert is_business_day(date(2026, 6, 23), town)


def test_zero_business_days_after_a_holiday_is_the_holiday_itself(town):
    assert add_business_days(date(2026, 5, 4), 0, town) == date(2026, 5, 4)


def test_a_negative_count_is_refused(town):
    with pytest.raises(ValueError):
        add_business_days(date(2026, 5, 1), -1, town)


def test_business_days_between_is_negative_backwards_and_zero_for_the_same_day(town):
    assert business_days_between(date(2026, 5, 11), date(2026, 5, 1), town) == -3
    assert business_days_between(date(2026, 5, 11), date(2026, 5, 11), town) == 0


def test_a_datetime_is_refused_because_its_day_depends_on_the_time_zone(town):
    with pytest.raises(TypeError):
        is_business_day(datetime(2026, 5, 1, 23, 30, tzinfo=JST), town)


def test_a_year_the_holiday_package_does_not_cover_is_refused_instead_of_guessed(town):
    with pytest.raises(ValueError, match="範囲"):
        is_business_day(date(2100, 1, 4), town)


def test_the_previous_and_next_business_days_skip_the_new_year_closure(town):
    calendar = current_calendar()
    assert calendar.previous_business_day(date(2027, 1, 4), town) == date(2026, 12, 28)
    assert calendar.next_business_day(date(2027, 1, 1), town) == date(2027, 1, 4)
    assert calendar.next_business_day(date(2027, 1, 4), town) == date(2027, 1, 4)


def test_the_business_days_of_may_2026_leave_out_golden_week(town):
    days = current_calendar().business_days_in_month(2026, 5, town)
    assert days[0] == date(2026, 5, 1) and days[1] == date(2026, 5, 7) and len(days) == 18


def test_emptying_a_towns_closure_days_returns_it_to_the_default_rule(naha):
    replace_closure_days(naha, [])
    assert not is_business_day(date(2026, 12, 29), naha) and is_business_day(date(2026, 6, 23), naha)


def test_a_closure_day_that_exists_in_no_year_is_refused_in_japanese_and_nothing_is_written(naha):
    with pytest.raises(InvalidInput) as refused:
        replace_closure_days(naha, [(2, 30, "年末年始"), (6, 23, " ")])
    assert refused.value.errors["closure_days"] == [
        "2月30日は存在しない日付です。月と日を確かめてください。", "閉庁日の名称を入力してください（例: 年末年始）。"]
    assert dict(current_calendar().closure_days_of(naha)) == OWN_RULE


def test_a_closure_day_given_twice_or_with_an_over_long_label_is_refused_in_japanese(naha):
    with pytest.raises(InvalidInput) as refused:
        replace_closure_days(naha, [(6, 23, "慰霊の日"), (6, 23, "慰霊の日"), (8, 15, "終" * 41)])
    assert refused.value.errors["closure_days"] == [
        "6月23日が2回指定されています。1回にしてください。", "閉庁日の名称「終終終終終終終終終終…」は40文字以内にしてください。"]


def test_the_database_refuses_a_closure_day_that_exists_in_no_year(town):
    db.session.add(ClosureDay(municipality_code=town, month=4, day=31, label="誤り"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_february_29_as_a_closure_day_counts_in_leap_years_only():
    calendar = BusinessCalendar(closures={"x": {(2, 29): "閉庁日"}})
    assert not calendar.is_business_day(date(2028, 2, 29), "x")
    assert calendar.is_business_day(date(2027, 3, 1), "x")


def test_a_sweep_over_a_thousand_requests_reads_the_closure_table_once(naha, town):
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        due = [add_business_days(date(2026, 4, 1) + timedelta(days=i % 300), 3, (naha, town)[i % 2])
               for i in range(1000)]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(due) == 1000 and sum("closure_day" in s for s in statements) <= 1


def test_a_town_without_rows_follows_the_default_closure_days(town):
    assert current_calendar().closure_days_of(town) == DEFAULT_CLOSURE_DAYS


def test_holidays_agree_with_jpholiday_from_fiscal_2025_to_fiscal_2030():
    days = [date(2025, 4, 1) + timedelta(days=i) for i in range((date(2031, 4, 1) - date(2025, 4, 1)).days)]
    assert [d for d in days if holiday_name(d)] == [d for d in days if jpholiday.is_holiday(d)]


PROPERTY_CALENDAR = BusinessCalendar(closures={"own": OWN_RULE})
some_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))
some_towns = st.sampled_from(["default", "own"])


@given(some_days, st.integers(min_value=1, max_value=60), some_towns)
def test_adding_one_or_more_business_days_always_lands_on_a_business_day(day, n, code):
    assert PROPERTY_CALENDAR.is_business_day(PROPERTY_CALENDAR.add_business_days(day, n, code), code)


@given(some_days, st.integers(min_value=0, max_value=60), some_towns)
def test_business_days_between_counts_back_what_add_business_days_added(day, n, code):
    later = PROPERTY_CALENDAR.add_business_days(day, n, code)
    assert PROPERTY_CALENDAR.business_days_between(day, later, code) == n
    assert PROPERTY_CALENDAR.business_days_between(later, day, code) == -n


@given(some_days, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30), some_towns)
def test_adding_business_days_in_two_steps_equals_adding_them_at_once(day, a, b, code):
    calendar = PROPERTY_CALENDAR
    assert calendar.add_business_days(calendar.add_business_days(day, a, code), b, code) == \
        calendar.add_business_days(day, a + b, code)
