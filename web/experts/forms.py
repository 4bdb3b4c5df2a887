"""Forms of the experts blueprint: sign-up (checked here) and the profile (checked by services.experts)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from web.auth.forms import email_field, password_field, strip_text
from web.codes import MODES, ROLES, SECTORS, SKILLS, TRAVEL_RANGES
from web.services import accounts
from web.services.errors import ServiceError
from web.services.experts import ExpertInput
from web.services.validation import Checker

DUPLICATE_EMAIL = "このメールアドレスは登録できません。別のアドレスを使うか、ログインしてください。"


def _choices(pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Return WTForms choices from a code vocabulary (WTForms 3.3 deprecates plain tuples)."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return [SelectChoice(value, label) for value, label in items]


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes; unknown codes are left to the service so its Japanese message is shown."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str, choices: Any, **kwargs: Any) -> None:
        super().__init__(label, choices=choices, validate_choice=False, **kwargs)


class SignupForm(FlaskForm):
    email = email_field()
    password = password_field(autocomplete="new-password")
    password_again = PasswordField(
        "パスワード（確認）",
        render_kw={"autocomplete": "new-password"},
        validators=[
            DataRequired("確認のため、パスワードをもう一度入力してください。"),
            EqualTo("password", "パスワード（確認）がパスワードと一致しません。同じものを入力してください。"),
        ],
    )
    display_name = StringField(
        "表示名", filters=[strip_text], render_kw={"autocomplete": "name"},
        validators=[DataRequired("表示名を入力してください。")],
    )
    accept_privacy = BooleanField(
        "個人情報の取扱い（利用目的）に同意する",
        validators=[DataRequired("登録するには、個人情報の取扱い（利用目的）への同意が必要です。")],
    )

    def validate_email(self, field: Field) -> None:
        # Sign-up cannot avoid telling that an address is taken; the wording at least names no account.
        if accounts.find_user_by_email(field.data or "") is not None:
            raise ValidationError(DUPLICATE_EMAIL)

    def validate_password(self, field: Field) -> None:
        try:
            accounts.validate_password(field.data or "")
        except ServiceError as error:
            raise ValidationError(str(error)) from error

    def validate_display_name(self, field: Field) -> None:
        # The same rule as the profile's 表示名 (60 characters, no HTML tags).
        checker = Checker()
        checker.text("display_name", "表示名", field.data, max_len=60)
        if checker.errors:
            raise ValidationError(checker.errors["display_name"][0])


# Free skill tags are typed into other_skills, so the service's "skills" problems are shown there.
_FIELD_OF_ERROR = {"skills": "other_skills"}


class ProfileForm(FlaskForm):
    """The profile against the MIC skill standard; every rule lives in services.experts.validate_profile."""

    display_name = StringField("表示名", render_kw={"autocomplete": "name"})
    roles = MultiCheckboxField("役割（人材類型）", choices=_choices(ROLES))
    skills = MultiCheckboxField("スキル", choices=_choices((skill, skill) for skill in SKILLS))
    other_skills = StringField("その他のスキル（読点・カンマ区切り）")
    sectors = MultiCheckboxField("得意な分野", choices=_choices(SECTORS))
    bio = TextAreaField("自己紹介・経歴", render_kw={"rows": 8})
    prefecture_code = SelectField("活動拠点の都道府県", validate_choice=False)
    home_label = StringField("活動拠点の市区町村", render_kw={"autocomplete": "address-level2"})
    travel_range = RadioField("出張できる範囲", choices=_choices(TRAVEL_RANGES), validate_choice=False)
    modes = MultiCheckboxField("対応できる形態", choices=_choices(MODES))
    monthly_capacity = StringField("1か月に対応できる回数", render_kw={"inputmode": "numeric"})
    certifications = TextAreaField("資格", render_kw={"rows": 4})
    contact_email = EmailField("連絡先メールアドレス", render_kw={"autocomplete": "email"})
    contact_phone = TelField("電話番号", render_kw={"autocomplete": "tel"})
    contact_consent = BooleanField("連絡先を市町村・都道府県の担当者に公開することに同意する")
    current_password = PasswordField(
        "現在のパスワード",
        render_kw={"autocomplete": "current-password"},
        validators=[Length(max=256, message="現在のパスワードは256文字以内で入力してください。")],
    )

    def __init__(self, prefectures: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefecture_code.choices = _choices([("", "選んでください"), *prefectures])

    def to_input(self) -> ExpertInput:
        """Return the submitted values as the service's input (checked and free skills joined)."""
        return ExpertInput(
            display_name=self.display_name.data or "", roles=list(self.roles.data or []),
            skills=[*(self.skills.data or []), self.other_skills.data or ""],
            sectors=list(self.sectors.data or []), bio=self.bio.data or "",
            prefecture_code=self.prefecture_code.data or "", home_label=self.home_label.data or "",
            travel_range=self.travel_range.data or "", modes=list(self.modes.data or []),
            monthly_capacity=self.monthly_capacity.data or "",
            certifications=(self.certifications.data or "").splitlines(),
            contact_email=self.contact_email.data or "", contact_phone=self.contact_phone.data or "",
            contact_consent=bool(self.contact_consent.data),
        )

    def show_errors(self, errors: dict[str, list[str]]) -> list[str]:
        """Put the service's messages under their fields; return those that belong to no field."""
        unplaced: list[str] = []
        for name, messages in errors.items():
            field = self._fields.get(_FIELD_OF_ERROR.get(name, name))
            if field is None:
                unplaced.extend(messages)
            else:
                field.errors = [*field.errors, *messages]
        return unplaced



def profile_form_data(data: ExpertInput) -> dict[str, object]:
    """Return the form's initial values for an existing (or a new, empty) profile."""
    listed = [skill for skill in data.skills if skill in SKILLS]
    others = [skill for skill in data.skills if skill not in SKILLS]
    return {
        "display_name": data.display_name, "roles": data.roles, "skills": listed,
        "other_skills": "、".join(others), "sectors": data.sectors, "bio": data.bio,
        "prefecture_code": data.prefecture_code, "home_label": data.home_label,
        "travel_range": data.travel_range or None, "modes": data.modes,
        "monthly_capacity": str(data.monthly_capacity), "certifications": "\n".join(data.certifications),
        "contact_email": data.contact_email, "contact_phone": data.contact_phone,
        "contact_consent": data.contact_consent,
    }
