"""Auth forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from web.services.validation import half_width


def strip_text(value: str | None) -> str | None:
    """Drop surrounding spaces (including full-width ones) that people paste with addresses."""
    return value.strip() if isinstance(value, str) else value


def fold_email(value: str | None) -> str | None:
    """Trim a typed address and make full-width characters half-width (ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ → taro@example.jp)."""
    return half_width(value) if isinstance(value, str) else value


def email_field(autocomplete: str = "email") -> EmailField:
    """Return the email field every account form uses (trimmed, checked, Japanese messages)."""
    return EmailField(
        "メールアドレス",
        filters=[fold_email],
        render_kw={"autocomplete": autocomplete},
        validators=[
            DataRequired("メールアドレスを入力してください。"),
            Length(max=254, message="メールアドレスは254文字以内で入力してください。"),
            Email("メールアドレスの形式で入力してください（例: taro@example.jp）。", check_deliverability=False),
        ],
    )


def password_field(
    label: str = "パスワード", autocomplete: str = "current-password", *extra: object
) -> PasswordField:
    """Return a required password field (at most 256 characters, Japanese messages naming ``label``)."""
    return PasswordField(
        label,
        render_kw={"autocomplete": autocomplete},
        validators=[
            DataRequired(f"{label}を入力してください。"),
            Length(max=256, message=f"{label}は256文字以内で入力してください。"),
            *extra,
        ],
    )


class LoginForm(FlaskForm):
    email = email_field("username")
    password = password_field()


class PasswordChangeForm(FlaskForm):
    current_password = password_field("現在のパスワード", "current-password")
    new_password = password_field("新しいパスワード", "new-password")
    new_password_confirm = password_field(
        "新しいパスワード（確認）", "new-password",
        EqualTo("new_password", message="新しいパスワードが確認用と一致しません。同じものを2回入力してください。"),
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for state-changing buttons."""
