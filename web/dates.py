"""Date display for Japanese officials: 2026年4月1日（水）, 和暦 (令和8年4月1日) and 年度 (fiscal years)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
WEEKDAYS = "月火水木金土日"

# (era name, first day); the table is the whole converter (QUALITY.md §2.8).
ERAS: tuple[tuple[str, date], ...] = (
    ("令和", date(2019, 5, 1)),
    ("平成", date(1989, 1, 8)),
    ("昭和", date(1926, 12, 25)),
    ("大正", date(1912, 7, 30)),
    ("明治", date(1873, 1, 1)),
)


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return value.astimezone(JST).date() if value.tzinfo else value.date()
    return value


def to_wareki(value: date) -> tuple[str, int]:
    """Return (era, year of era) for a date from 1873 on."""
    for era, start in ERAS:
        if value >= start:
            return era, value.year - start.year + 1
    raise ValueError("明治6年より前の日付は和暦に変換できません。")


def from_wareki(era: str, year: int, month: int, day: int) -> date:
    """Return the Gregorian date of an era date, refusing dates outside the era."""
    starts = dict(ERAS)
    if era not in starts or year < 1:
        raise ValueError(f"元号「{era}」{year}年は正しくありません。")
    result = date(starts[era].year + year - 1, month, day)
    if to_wareki(result) != (era, year):
        raise ValueError(f"{era}{year}年{month}月{day}日は存在しない日付です。")
    return result


def _era_year_text(era: str, year: int) -> str:
    return f"{era}{'元' if year == 1 else year}年"


def format_date(value: date | datetime | None) -> str:
    """Format as 2026年4月1日 (datetimes shown in Japan time)."""
    if value is None:
        return ""
    d = _as_date(value)
    return f"{d.year}年{d.month}月{d.day}日"


def format_date_weekday(value: date | datetime | None) -> str:
    """Format as 2027年3月31日（水）, the style of deadlines and appointments."""
    if value is None:
        return ""
    d = _as_date(value)
    return f"{format_date(d)}（{WEEKDAYS[d.weekday()]}）"


def format_datetime_weekday(value: datetime | None) -> str:
    """Format a moment as 2026年5月13日（水）14:00 in Japan time (appointments, deadlines, sent times)."""
    if value is None:
        return ""
    local = value.astimezone(JST) if value.tzinfo else value
    return f"{format_date_weekday(local.date())}{local.hour}:{local.minute:02d}"


def today_jst() -> date:
    """Return today's date in Japan (what "today" means to a town hall, whatever the server's zone)."""
    return datetime.now(JST).date()


def format_wareki(value: date | datetime | None) -> str:
    """Format as 令和8年4月1日（2026年）, the style municipal documents use."""
    if value is None:
        return ""
    d = _as_date(value)
    era, year = to_wareki(d)
    return f"{_era_year_text(era, year)}{d.month}月{d.day}日（{d.year}年）"


def fiscal_year_of(value: date | datetime) -> int:
    """Return the Japanese fiscal year (April-March) a date belongs to, by its starting year."""
    d = _as_date(value)
    return d.year if d.month >= 4 else d.year - 1


def format_fiscal_year(fiscal_year: int) -> str:
    """Format a fiscal year as 令和8年度（2026年度）."""
    era, year = to_wareki(date(fiscal_year, 4, 1))
    return f"{_era_year_text(era, year)}度（{fiscal_year}年度）"
