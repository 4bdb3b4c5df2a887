"""Forms of the request pages: fields and choices only; web.services.booking.requests decides what is valid.

The plan's on-site months are checkboxes for the months the form was shown with (`onsite_for`); when the
officer changes the number of months, the standard pattern for the new number is used until they check again.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)

from web.codes import DECLINE_REASONS, MENUS, WEEKDAYS
from web.dates import JST, today_jst
from web.issues.forms import MultiCheckboxField, _choices
from web.models import SupportProgram
from web.services.booking import plans
from web.services.booking.requests import MAX_SLOTS, RequestInput, parse_month
from web.services.validation import parse_integer

MONTHS_AHEAD = 24
_DAY = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")


def start_times() -> list[SelectChoice]:
    """08:00 to 18:45 in 15-minute steps (what the service accepts)."""
    return [SelectChoice(f"{h:02d}:{m:02d}", f"{h}:{m:02d}") for h in range(8, 19) for m in (0, 15, 30, 45)]


def month_choices(selected: str | None) -> list[SelectChoice]:
    """This month and the next 24, as 「2026年5月」 with the value 2026-05; a posted month outside them is kept."""
    first = today_jst().replace(day=1)
    months = [plans.add_months(first, i) for i in range(MONTHS_AHEAD + 1)]
    choices = [SelectChoice(f"{m.year}-{m.month:02d}", f"{m.year}年{m.month}月") for m in months]
    if selected and selected not in {c.value for c in choices}:
        picked = parse_month(selected)
        label = f"{picked.year}年{picked.month}月" if picked else selected[:20]
        choices.insert(0, SelectChoice(selected, label))
    return choices


DURATIONS = [SelectChoice(str(m), f"{m // 60}時間{'' if m % 60 == 0 else f'{m % 60}分'}") for m in
             (60, 90, 120, 150, 180, 240)]


class RequestForm(FlaskForm):
    menu = RadioField("支援メニュー", choices=_choices(MENUS), validate_choice=False)
    program_id = SelectField("支援制度", validate_choice=False)
    first_month = SelectField("開始月", validate_choice=False)
    months = StringField("月数", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    onsite_months = MultiCheckboxField("現地訪問する月")
    onsite_for = HiddenField()
    weekdays = MultiCheckboxField("希望する曜日", choices=_choices((k, f"{v}曜日") for k, v in WEEKDAYS.items()))
    start_time = SelectField("開始時刻", choices=start_times(), validate_choice=False)
    duration_minutes = SelectField("1回の時間", choices=DURATIONS, validate_choice=False)
    slot1_date = StringField("候補日時1の日付", render_kw={"type": "date"})
    slot1_time = SelectField("候補日時1の開始時刻", validate_choice=False)
    slot2_date = StringField("候補日時2の日付", render_kw={"type": "date"})
    slot2_time = SelectField("候補日時2の開始時刻", validate_choice=False)
    slot3_date = StringField("候補日時3の日付", render_kw={"type": "date"})
    slot3_time = SelectField("候補日時3の開始時刻", validate_choice=False)
    message = TextAreaField("メッセージ", render_kw={"rows": 6})
    check = SubmitField("内容を確認する")
    send = SubmitField("この内容で依頼する")

    def __init__(self, programs: list[SupportProgram], months_shown: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.program_id.choices = [SelectChoice("", "選んでください（スポット相談では不要）"),
                                   *(SelectChoice(str(p.id), p.name) for p in programs)]
        self.first_month.choices = month_choices(self.first_month.data)
        self.onsite_months.choices = [SelectChoice(str(n), f"{n}か月目") for n in range(1, months_shown + 1)]
        for n in range(1, MAX_SLOTS + 1):
            self[f"slot{n}_time"].choices = [SelectChoice("", "選んでください"), *start_times()]

    def slot_fields(self) -> list[tuple[Any, Any]]:
        return [(self[f"slot{n}_date"], self[f"slot{n}_time"]) for n in range(1, MAX_SLOTS + 1)]

    def to_input(self, issue_id: int, expert_id: int) -> tuple[RequestInput, dict[str, list[str]]]:
        """The service's input, and the messages of what could not even be read (a date like 2026-02-30)."""
        slots, errors = self._slots()
        onsite: list[int] | None = [_number(v) for v in self.onsite_months.data or []]
        if (self.onsite_for.data or "") != (self.months.data or "").strip():
            onsite = None  # the number of months changed: the standard pattern for the new number
        data = RequestInput(
            issue_id=issue_id, expert_id=expert_id, menu=self.menu.data or "",
            program_id=parse_integer(self.program_id.data or ""), first_month=self.first_month.data or "",
            months=(self.months.data or "").strip(), onsite_months=onsite,
            weekdays=[_number(v) for v in self.weekdays.data or []], start_time=self.start_time.data or "",
            duration_minutes=self.duration_minutes.data or "", slots=slots, message=self.message.data or "")
        return data, errors

    def _slots(self) -> tuple[list[datetime], dict[str, list[str]]]:
        slots: list[datetime] = []
        problems: list[str] = []
        if self.menu.data != "spot":
            return slots, {}
        for n, (day_field, time_field) in enumerate(self.slot_fields(), start=1):
            typed, at = (day_field.data or "").strip(), (time_field.data or "").strip()
            if not typed and not at:
                continue
            day = parse_day(typed)
            clock = _clock(at)
            if day is None:
                problems.append(f"候補日時{n}の日付を「2027-02-03」の形で、実在する日付で入力してください。")
            elif clock is None:
                problems.append(f"候補日時{n}の開始時刻を選んでください。")
            else:
                slots.append(datetime.combine(day, clock, JST))
        return slots, ({"slots": problems} if problems else {})

    def show_errors(self, errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
        """Put the service's messages under their fields; return the others (slots, the plan, the issue) by name."""
        others: dict[str, list[str]] = {}
        for name, messages in errors.items():
            field = self._fields.get(name)
            if field is None:
                others.setdefault(name, []).extend(messages)
            else:
                field.errors = [*field.errors, *messages]
        return others


def request_form_data(issue_months: int, issue_mode: str, menu: str) -> dict[str, object]:
    """Initial values: next month, the issue's months (within 1-12), the standard on-site pattern, 14:00, 2 hours."""
    months = min(max(issue_months or 6, 1), 12)
    first = plans.add_months(today_jst().replace(day=1), 1)
    return {"menu": menu if menu in MENUS else "accompaniment", "first_month": f"{first.year}-{first.month:02d}",
            "months": str(months), "onsite_for": str(months),
            "onsite_months": [str(n) for n in plans.default_onsite_months(months, issue_mode)],
            "start_time": "14:00", "duration_minutes": "120"}


def parse_day(value: str) -> date | None:
    match = _DAY.match(value)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _clock(value: str) -> time | None:
    match = re.match(r"^(\d{1,2}):(\d{2})$", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return time(int(match[1]), int(match[2]))


def _number(value: str) -> int:
    number = parse_integer(value)
    return number if number is not None else -1


class AcceptForm(FlaskForm):
    slot = RadioField("相談の日時", validate_choice=False)
    proposed_date = StringField("提案する日付", render_kw={"type": "date"})
    proposed_time = SelectField("提案する開始時刻", validate_choice=False)
    meeting_url = StringField("オンライン会議のURL", render_kw={"inputmode": "url", "autocomplete": "off"})
    accept = SubmitField("承諾する")

    def __init__(self, offered: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.slot.choices = [*(SelectChoice(v, label) for v, label in offered),
                             SelectChoice("other", "別の日時を提案する")]
        self.proposed_time.choices = [SelectChoice("", "選んでください"), *start_times()]

    def answer(self) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """The service's keyword arguments for accept, and what could not be read."""
        values: dict[str, Any] = {"meeting_url": self.meeting_url.data or ""}
        choice = self.slot.data or ""
        if choice == "other":
            day, clock = parse_day((self.proposed_date.data or "").strip()), _clock(self.proposed_time.data or "")
            if day is None or clock is None:
                return values, {"proposed_date": ["提案する日付（実在する日付）と開始時刻を入力してください。"]}
            values["proposed_start"] = datetime.combine(day, clock, JST)
        elif choice:
            values["slot_index"] = parse_integer(choice)
        return values, {}


class DeclineForm(FlaskForm):
    reason = RadioField("辞退の理由", choices=_choices(DECLINE_REASONS), validate_choice=False)
    note = TextAreaField("補足", render_kw={"rows": 4})
    decline = SubmitField("辞退する")
