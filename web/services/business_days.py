"""Business days (営業日) of a town hall: not a Saturday or Sunday, not a public holiday, not a closure day.

- Public holidays (国民の祝日, 振替休日 and 国民の休日) come from the maintained `holidays` package (Japan, 1949–2099);
  there is no holiday table in this code base. A day outside those years is refused with ValueError.
- Closure days (閉庁日) are data per municipality (the closure_day table, web/models/closure.py). A municipality
  with no rows of its own follows DEFAULT_CLOSURE_DAYS, 12/29–1/3; one with rows follows exactly its rows.
- Days are `datetime.date` in Japan (web/dates.py: JST; convert a datetime with `.astimezone(JST).date()` first).
  A datetime is refused with TypeError, because its calendar day depends on a time zone it does not state.

Counting. `add_business_days(start, n, code)` is the n-th business day strictly after `start`, the way a Japanese
office counts 「3営業日後」: the next business day after `start` is day 1, `start` itself never counts (whether or not it
is a business day). A request sent on Friday 2026-05-01 is reminded "after 3 business days" on Monday 2026-05-11
(5/2–5/6 are a weekend and Golden Week; 5/7 is day 1, 5/8 day 2, 5/11 day 3). n = 0 returns `start` unchanged.
`business_days_between(a, b, code)` counts the business days in (a, b], so that
`business_days_between(d, add_business_days(d, n, code), code) == n`; it is negative when b is before a.

Cache. `BusinessCalendar.load(session)` reads every closure row with one query; a sweep builds one calendar and asks
it about 1,000 requests without touching the database again. The module-level functions use the calendar of the
current app context (`current_calendar()`: loaded once per request, job run or CLI command); `replace_closure_days`
forgets it, so a change is seen at once. Holidays are computed once per year per process.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from types import MappingProxyType

import holidays
from flask import g
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from web.extensions import db
from web.models import ClosureDay
from web.services.validation import InvalidInput

MonthDay = tuple[int, int]

# The common rule of town-hall ordinances (年末年始の閉庁日), used when a municipality has no rows of its own.
DEFAULT_CLOSURE_DAYS: Mapping[MonthDay, str] = MappingProxyType({
    (12, 29): "年末年始", (12, 30): "年末年始", (12, 31): "年末年始",
    (1, 1): "年末年始", (1, 2): "年末年始", (1, 3): "年末年始",
})

FIRST_YEAR: int = holidays.Japan.start_year
LAST_YEAR: int = holidays.Japan.end_year
_G_KEY = "_business_calendar"
LABEL_MAX = ClosureDay.__table__.c.label.type.length


def _require_date(day: date) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"a datetime.date in Japan time is expected, got {day!r}")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day.year}年は祝日を判定できる範囲（{FIRST_YEAR}〜{LAST_YEAR}年）の外です。")
    return day


@cache
def _holidays_of(year: int) -> Mapping[date, str]:
    return MappingProxyType(dict(holidays.Japan(years=year, language="ja")))


def holiday_name(day: date) -> str | None:
    """Return the Japanese name of the public holiday on `day` (e.g. 振替休日), or None."""
    day = _require_date(day)
    return _holidays_of(day.year).get(day)


@dataclass(frozen=True)
class BusinessCalendar:
    """Business days of every municipality, from its own closure days or the default ones (no database access)."""

    closures: Mapping[str, Mapping[MonthDay, str]] = field(default_factory=dict)
    default_closures: Mapping[MonthDay, str] = field(default_factory=lambda: DEFAULT_CLOSURE_DAYS)

    @classmethod
    def load(cls, session: Session) -> BusinessCalendar:
        """Read every municipality's closure days with one query."""
        closures: dict[str, dict[MonthDay, str]] = {}
        for row in session.scalars(select(ClosureDay)):
            closures.setdefault(row.municipality_code, {})[(row.month, row.day)] = row.label
        return cls(closures=closures)

    def closure_days_of(self, municipality_code: str) -> Mapping[MonthDay, str]:
        """Return the (month, day) → label closure days that apply to the municipality."""
        return self.closures.get(municipality_code, self.default_closures)

    def closed_because(self, day: date, municipality_code: str) -> str | None:
        """Return why the town hall is closed on `day` (土曜日, 日曜日, a holiday's or a closure's name), or None."""
        day = _require_date(day)
        if day.weekday() >= 5:
            return "土曜日" if day.weekday() == 5 else "日曜日"
        return holiday_name(day) or self.closure_days_of(municipality_code).get((day.month, day.day))

    def is_business_day(self, day: date, municipality_code: str) -> bool:
        return self.closed_because(day, municipality_code) is None

    def business_days_after(self, start: date, municipality_code: str) -> Iterator[date]:
        """Yield the business days strictly after `start`, in order (ValueError on passing LAST_YEAR)."""
        day = _require_date(start)
        while True:
            day += timedelta(days=1)
            if self.is_business_day(day, municipality_code):
                yield day

    def add_business_days(self, start: date, n: int, municipality_code: str) -> date:
        """Return the n-th business day strictly after `start` (n ≥ 0; n = 0 returns `start`)."""
        if n < 0:
            raise ValueError("n must be 0 or more; count backwards with previous_business_day")
        day = _require_date(start)
        days = self.business_days_after(start, municipality_code)
        for _ in range(n):
            day = next(days)
        return day

    def next_business_day(self, day: date, municipality_code: str) -> date:
        """Return `day` itself when it is a business day, otherwise the first business day after it."""
        if self.is_business_day(day, municipality_code):
            return day
        return self.add_business_days(day, 1, municipality_code)

    def previous_business_day(self, day: date, municipality_code: str) -> date:
        """Return the last business day strictly before `day` (e.g. when to remind of a visit on `day`)."""
        day = _require_date(day) - timedelta(days=1)
        while not self.is_business_day(day, municipality_code):
            day -= timedelta(days=1)
        return day

    def business_days_between(self, a: date, b: date, municipality_code: str) -> int:
        """Count the business days in (a, b]; negative when b is before a, 0 when they are equal."""
        if b < a:
            return -self.business_days_between(b, a, municipality_code)
        _require_date(a)
        _require_date(b)
        days = (a + timedelta(days=i) for i in range(1, (b - a).days + 1))
        return sum(1 for day in days if self.is_business_day(day, municipality_code))

    def business_days_in_month(self, year: int, month: int, municipality_code: str) -> list[date]:
        """Return every business day of a month, in order (where the visit plan may place a visit)."""
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        days = (first + timedelta(days=i) for i in range((following - first).days))
        return [day for day in days if self.is_business_day(day, municipality_code)]


def current_calendar() -> BusinessCalendar:
    """Return the calendar of this app context, reading the closure table on first use only."""
    calendar = g.get(_G_KEY)
    if calendar is None:
        calendar = BusinessCalendar.load(db.session)
        setattr(g, _G_KEY, calendar)
    return calendar


def forget_calendar() -> None:
    """Drop this app context's calendar, so the next question reads the closure table again."""
    g.pop(_G_KEY, None)


def is_business_day(day: date, municipality_code: str) -> bool:
    """Tell whether the municipality's town hall is open on `day`."""
    return current_calendar().is_business_day(day, municipality_code)


def add_business_days(start: date, n: int, municipality_code: str) -> date:
    """Return the n-th business day strictly after `start` (module docstring: how days are counted)."""
    return current_calendar().add_business_days(start, n, municipality_code)


def business_days_between(a: date, b: date, municipality_code: str) -> int:
    """Count the municipality's business days in (a, b]."""
    return current_calendar().business_days_between(a, b, municipality_code)


def replace_closure_days(municipality_code: str, days: Iterable[tuple[int, int, str]]) -> None:
    """Make (month, day, label) the municipality's closure days; none at all returns it to the default rule.

    Refuses with InvalidInput (field closure_days) a day that exists in no year (2/30, 4/31), a day given twice,
    and an empty or over-long label; flushes, never commits.
    """
    rows = [(month, day, label.strip()) for month, day, label in days]
    problems = [f"{month}月{day}日は存在しない日付です。月と日を確かめてください。"
                for month, day, _ in rows if not _exists_in_a_leap_year(month, day)]
    seen = Counter((month, day) for month, day, _ in rows)
    problems += [f"{month}月{day}日が{n}回指定されています。1回にしてください。" for (month, day), n in seen.items() if n > 1]
    problems += ["閉庁日の名称を入力してください（例: 年末年始）。" for *_, label in rows if not label]
    problems += [f"閉庁日の名称「{label[:10]}…」は{LABEL_MAX}文字以内にしてください。"
                 for *_, label in rows if len(label) > LABEL_MAX]
    if problems:
        raise InvalidInput({"closure_days": problems})
    db.session.execute(delete(ClosureDay).where(ClosureDay.municipality_code == municipality_code))
    db.session.add_all(ClosureDay(municipality_code=municipality_code, month=month, day=day, label=label)
                       for month, day, label in rows)
    db.session.flush()
    forget_calendar()


def _exists_in_a_leap_year(month: int, day: int) -> bool:
    try:
        date(2000, month, day)
    except ValueError:
        return False
    return True
