"""Forms of the engagement, visit, report and schedule pages: fields only; the booking services decide what is valid.

The one rule kept here is reading what a person typed into a date and a time (年・月・日 and 「14:00」): a
day that does not exist (2026年2月30日) or a time like 25:00 gets a Japanese message under its field before any
service is called.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time
from types import MappingProxyType
from typing import ClassVar

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField

from web.codes import ENGAGEMENT_OUTCOMES, STAGES
from web.dates import JST
from web.issues.forms import DatePartsField
from web.services.issue_intake import DateParts
from web.services.validation import Checker

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
RATINGS = {str(n): f"{n}（{label}）" for n, label in
           ((5, "とても満足"), (4, "満足"), (3, "ふつう"), (2, "やや不満"), (1, "不満"))}


def _choices(pairs: Mapping[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs.items()]


class PlacedErrorsForm(FlaskForm):
    """A form that shows a service's InvalidInput messages under its fields."""

    #: Service field names that belong to another form field (e.g. the service's starts_at is our date).
    FIELD_ALIASES: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def show_errors(self, errors: Mapping[str, list[str]]) -> list[str]:
        """Put the messages under their fields; return those that belong to no field (to flash)."""
        unplaced: list[str] = []
        for name, messages in errors.items():
            field = self._fields.get(self.FIELD_ALIASES.get(name, name))
            if field is None or name == "csrf_token":
                unplaced.extend(messages)
            else:
                field.errors = [*field.errors, *messages]
        return unplaced


def parse_day(checker: Checker, field: str, label: str, parts: DateParts | None) -> date | None:
    """The typed 年・月・日 as a date (full-width digits accepted), or None after a Japanese message."""
    typed = DateParts(*(unicodedata.normalize("NFKC", part or "").strip() for part in (parts or DateParts())))
    if not any(typed):
        checker.add(field, f"{label}を入力してください。")
        return None
    if not all(typed):
        checker.add(field, f"{label}は年・月・日をすべて入力してください。")
        return None
    if not all(p.isascii() and p.isdigit() for p in typed) or len(typed.year) != 4 \
            or len(typed.month) > 2 or len(typed.day) > 2:
        checker.add(field, f"{label}は、年を西暦の4桁、月と日を1〜2桁の数字で入力してください。例）2026年5月13日")
        return None
    year, month, day = int(typed.year), int(typed.month), int(typed.day)
    try:
        return date(year, month, day)
    except ValueError:
        checker.add(field, f"{year}年{month}月{day}日は存在しない日付です。月は1〜12、日はその月にある日で入力してください。")
        return None


def parse_time(checker: Checker, field: str, label: str, value: str | None) -> time | None:
    """「14:00」 (full-width accepted) as a time, or None after a Japanese message."""
    typed = unicodedata.normalize("NFKC", value or "").strip().replace("：", ":")
    match = _TIME.match(typed)
    if not typed:
        checker.add(field, f"{label}を入力してください（例: 14:00）。")
    elif not match or int(match[1]) > 23 or int(match[2]) > 59:
        checker.add(field, f"{label}は「14:00」のように、0:00〜23:59の時刻で入力してください。")
    else:
        return time(int(match[1]), int(match[2]))
    return None


class MoveForm(PlacedErrorsForm):
    """Propose another time for a visit."""

    FIELD_ALIASES: ClassVar[Mapping[str, str]] = MappingProxyType({"starts_at": "day"})

    day = DatePartsField("日付")
    start_time = StringField("開始時刻", render_kw={"autocomplete": "off"})
    meeting_url = StringField("会議のURL（オンラインの場合）", render_kw={"inputmode": "url", "autocomplete": "off"})
    note = TextAreaField("相手へのメッセージ", render_kw={"rows": 4})

    def starts_at(self) -> datetime | None:
        """The typed date and time in Japan time, or None with the messages under the fields."""
        checker = Checker()
        day = parse_day(checker, "day", "日付", self.day.data)
        start = parse_time(checker, "start_time", "開始時刻", self.start_time.data)
        self.show_errors(checker.errors)
        if day is None or start is None:
            return None
        return datetime.combine(day, start, JST)


class ReasonForm(PlacedErrorsForm):
    """Cancel a visit or an engagement: the reason is told to the other side."""

    reason = TextAreaField("中止の理由", render_kw={"rows": 4})


class ReportForm(PlacedErrorsForm):
    """The expert's report of a visit."""

    summary = TextAreaField("実施内容", render_kw={"rows": 6})
    decisions = TextAreaField("決まったこと", render_kw={"rows": 4})
    next_actions = TextAreaField("次の作業", render_kw={"rows": 4})
    hours = StringField("時間（時間単位）", render_kw={"inputmode": "decimal", "autocomplete": "off"})
    stage = SelectField("課題が今いるDXの段階", choices=_choices({"": "選んでください", **STAGES}),
                        validate_choice=False)


class QuestionForm(PlacedErrorsForm):
    """The town asks the expert about a report."""

    question = TextAreaField("質問", render_kw={"rows": 4})


class CompleteForm(PlacedErrorsForm):
    """The town completes an engagement: outcome, rating and comment."""

    outcome = RadioField("支援の成果", choices=_choices(ENGAGEMENT_OUTCOMES), validate_choice=False)
    rating = RadioField("外部人材の支援への評価", choices=_choices(RATINGS), validate_choice=False)
    comment = TextAreaField("コメント（外部人材に伝わります）", render_kw={"rows": 4})


class ExtendForm(PlacedErrorsForm):
    """The town extends an active engagement by a number of months."""

    months = StringField("延長する月数", render_kw={"inputmode": "numeric", "autocomplete": "off"})


class UnavailableForm(PlacedErrorsForm):
    """The expert declares a day on which they take no visits."""

    FIELD_ALIASES: ClassVar[Mapping[str, str]] = MappingProxyType({"starts_at": "day"})

    day = DatePartsField("対応できない日")
    note = StringField("メモ（任意・自分用）")
