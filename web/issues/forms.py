"""Forms of the issues blueprint: fields and choices only; every rule lives in services.issue_intake."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.utils import unset_value
from wtforms.widgets import CheckboxInput, ListWidget

from web.codes import MENUS, MODES, ROLES, SECTORS, STAGES
from web.services.issue_intake import DateParts, IssueInput, suggested_roles


def _choices(pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Return WTForms choices from a code vocabulary (WTForms 3.3 deprecates plain tuples)."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return [SelectChoice(value, label) for value, label in items]


def stage_suggestion(stage: str) -> str:
    """Return the skill standard's advice for a stage, e.g. 「課題特定の段階では、…が向いています。」."""
    name = STAGES[stage].split(" ", 1)[-1]
    roles = "または".join(ROLES[role] for role in suggested_roles(stage))
    return f"{name}の段階では、{roles}が向いています。"


def _stage_choices() -> list[SelectChoice]:
    # The suggested roles ride along on each radio so the optional script can pre-tick them.
    return [
        SelectChoice(code, label, render_kw={"data-suggested": " ".join(suggested_roles(code)),
                                             "data-suggestion": stage_suggestion(code)})
        for code, label in STAGES.items()
    ]


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes; unknown codes are left to the service so its Japanese message is shown."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str, choices: Any = None, **kwargs: Any) -> None:
        super().__init__(label, choices=choices, validate_choice=False, **kwargs)


class DatePartsField(Field):
    """A date typed into three inputs, 年・月・日 (the DADS date pattern); the service decides what is valid.

    The inputs are named ``<name>-year``, ``<name>-month`` and ``<name>-day``; ``data`` is a DateParts of
    the typed text, so a wrong entry is shown back as it was typed. The macro date_field renders it.
    """

    PARTS = ("year", "month", "day")

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors = []
        self.object_data = None if data is unset_value else data
        if formdata is not None and any(self.part_name(part) in formdata for part in self.PARTS):
            self.data = DateParts(*(formdata.get(self.part_name(part), "") for part in self.PARTS))
        elif isinstance(self.object_data, date):
            day = self.object_data
            self.data = DateParts(str(day.year), str(day.month), str(day.day))
        else:
            self.data = DateParts()
        self.raw_data = list(self.data)

    def part_name(self, part: str) -> str:
        return f"{self.name}-{part}"


class IssueForm(FlaskForm):
    """The 課題キャンバス and the support wanted; the service decides what is valid."""

    municipality_code = SelectField("課題を登録する市町村", validate_choice=False)
    title = StringField("課題名")
    body = TextAreaField("現状と困っていること", render_kw={"rows": 8})
    goal = TextAreaField("目指す姿", render_kw={"rows": 5})
    constraints = TextAreaField("制約・前提", render_kw={"rows": 4})
    budget_deadline = StringField("予算")
    deadline = DatePartsField("期限")
    counterpart = StringField("庁内の担当")
    sector = SelectField("分野", choices=_choices([("", "選んでください"), *SECTORS.items()]), validate_choice=False)
    stage = RadioField("DXの段階", choices=_stage_choices(), validate_choice=False)
    wanted_roles = MultiCheckboxField("求める人材の役割", choices=_choices(ROLES))
    menu = RadioField("支援メニュー", choices=_choices(MENUS), validate_choice=False)
    mode = RadioField("希望する形態", choices=_choices(MODES), validate_choice=False)
    months = StringField("支援期間（月数）", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    co_municipality_codes = MultiCheckboxField("共同で取り組む市町村")
    save = SubmitField("下書き保存")
    publish = SubmitField("公開する")

    def __init__(self, towns: list[tuple[str, str, str]], *, choose_owner: bool, **kwargs: Any) -> None:
        """`towns` are (code, name, 振興局) in display order; only coordinators choose the owner."""
        super().__init__(**kwargs)
        self.co_municipality_codes.choices = _choices((code, name) for code, name, _ in towns)
        if choose_owner:
            self.municipality_code.choices = [
                SelectChoice("", "選んでください"),
                *(SelectChoice(code, name, optgroup=group) for code, name, group in towns),
            ]
        else:
            del self.municipality_code

    def to_input(self) -> IssueInput:
        """Return the submitted values as the service's input."""
        owner = self._fields.get("municipality_code")
        return IssueInput(
            title=self.title.data or "", body=self.body.data or "", goal=self.goal.data or "",
            constraints=self.constraints.data or "", budget_deadline=self.budget_deadline.data or "",
            deadline=self.deadline.data,
            counterpart=self.counterpart.data or "", sector=self.sector.data or "",
            stage=self.stage.data or "",
            wanted_roles=list(self.wanted_roles.data or []), menu=self.menu.data or "",
            mode=self.mode.data or "", months=self.months.data or "",
            co_municipality_codes=list(self.co_municipality_codes.data or []),
            municipality_code=(owner.data or None) if owner is not None else None,
        )

    def show_errors(self, errors: Mapping[str, list[str]]) -> list[str]:
        """Put the service's messages under their fields; return those that belong to no field."""
        unplaced: list[str] = []
        for name, messages in errors.items():
            field = self._fields.get(name)
            if field is None:
                unplaced.extend(messages)
            else:
                field.errors = [*field.errors, *messages]
        return unplaced


def issue_form_data(data: IssueInput) -> dict[str, object]:
    """Return the form's initial values for an existing (or a new, empty) issue."""
    return {
        "municipality_code": data.municipality_code or "", "title": data.title, "body": data.body,
        "goal": data.goal, "constraints": data.constraints, "budget_deadline": data.budget_deadline,
        "deadline": data.deadline,
        "counterpart": data.counterpart, "sector": data.sector, "stage": data.stage or None,
        "wanted_roles": list(data.wanted_roles), "menu": data.menu, "mode": data.mode,
        "months": str(data.months), "co_municipality_codes": list(data.co_municipality_codes),
    }
