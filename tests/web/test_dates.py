"""Japanese date display: 西暦, 和暦 and 年度."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from web.dates import fiscal_year_of, format_date, format_fiscal_year, format_wareki, from_wareki, to_wareki


def test_dates_are_shown_in_japanese_style():
    assert format_date(date(2026, 4, 1)) == "2026年4月1日"


def test_datetimes_are_shown_in_japan_time():
    assert format_date(datetime(2026, 3, 31, 16, 0, tzinfo=timezone.utc)) == "2026年4月1日"


def test_first_year_of_an_era_is_gannen():
    assert format_wareki(date(2019, 5, 1)) == "令和元年5月1日（2019年）"


def test_last_day_of_heisei_is_heisei_31():
    assert to_wareki(date(2019, 4, 30)) == ("平成", 31)


@pytest.mark.parametrize("day, fiscal_year", [(date(2026, 3, 31), 2025), (date(2026, 4, 1), 2026)])
def test_fiscal_year_starts_in_april(day, fiscal_year):
    assert fiscal_year_of(day) == fiscal_year


def test_fiscal_year_label_uses_the_era():
    assert format_fiscal_year(2025) == "令和7年度（2025年度）"


def test_nonexistent_era_date_is_refused():
    with pytest.raises(ValueError):
        from_wareki("平成", 31, 5, 1)


@given(st.dates(min_value=date(1873, 1, 1), max_value=date(2100, 12, 31)))
def test_wareki_round_trips(day):
    era, year = to_wareki(day)
    assert from_wareki(era, year, day.month, day.day) == day
