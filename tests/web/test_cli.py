"""`flask seed` and `flask users create`."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from web.extensions import db
from web.models import User


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_users_create_makes_a_coordinator(geo, runner):
    result = runner.invoke(args=["users", "create", "--email", "New@Example.jp", "--password", "long-enough-pw",
                                 "--role", "coordinator", "--prefecture", "01"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "new@example.jp"))
    assert user.role == "coordinator" and user.prefecture_code == "01"
    assert user.password_hash.startswith("pbkdf2") and "long-enough-pw" not in user.password_hash


@pytest.mark.parametrize("args, message", [
    (["--role", "officer"], "--municipality"),
    (["--role", "officer", "--municipality", "999999"], "登録されていません"),
    (["--role", "coordinator", "--prefecture", "01", "--municipality", "012106"], "--prefecture"),
    (["--role", "admin", "--prefecture", "01"], "指定しません"),
])
def test_users_create_refuses_a_wrong_scope(geo, runner, args, message):
    result = runner.invoke(args=["users", "create", "--email", "a@example.jp", "--password", "long-enough-pw", *args])
    assert result.exit_code != 0 and message in result.output
    assert db.session.scalar(select(User).where(User.email == "a@example.jp")) is None


@pytest.mark.parametrize("password, message", [("short", "8文字以上"), ("password", "よく使われる")])
def test_users_create_refuses_weak_passwords(geo, runner, password, message):
    result = runner.invoke(args=["users", "create", "--email", "a@example.jp", "--password", password,
                                 "--role", "admin"])
    assert result.exit_code != 0 and message in result.output


def test_users_create_refuses_a_duplicate_email_in_another_case(make_user, runner):
    make_user("admin", email="taken@example.jp")
    result = runner.invoke(args=["users", "create", "--email", "TAKEN@example.jp", "--password", "long-enough-pw",
                                 "--role", "admin"])
    assert result.exit_code != 0 and "すでに登録" in result.output


def test_seed_command_reports_nothing_new_the_second_time(runner, app_ctx):
    first = runner.invoke(args=["seed"])
    second = runner.invoke(args=["seed"])
    assert first.exit_code == 0 and "を追加しました" in first.output
    assert second.exit_code == 0 and "変更なし" in second.output
