"""Flask-Login wiring: alternative session ids so logout really ends a session."""
from __future__ import annotations

import time

from flask import Flask, current_app, session
from flask_login import LoginManager, login_user

from web.extensions import db
from web.models import User


def load_user(session_id: str) -> User | None:
    """Return the user of a session id "<id>:<session_version>", or None if it is stale or inactive."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def init_login(app: Flask, manager: LoginManager) -> None:
    """Configure the login manager in Japanese."""
    manager.init_app(app)
    manager.login_view = "auth.login"
    manager.login_message = "このページを見るにはログインしてください。"
    manager.login_message_category = "info"
    manager.session_protection = "basic"
    manager.user_loader(load_user)


def start_session(user: User) -> None:
    """Log the user in with a fresh session: sliding idle timeout plus an absolute limit."""
    session.clear()  # drop pre-login state (session fixation)
    login_user(user)
    session.permanent = True  # PERMANENT_SESSION_LIFETIME is then the idle timeout
    session["login_at"] = session["auth_at"] = int(time.time())


def recently_authenticated() -> bool:
    """Tell whether the password was entered (at login or since) within REAUTH_MINUTES."""
    entered = session.get("auth_at")
    limit = current_app.config["REAUTH_MINUTES"] * 60
    return isinstance(entered, int) and time.time() - entered <= limit


def mark_authenticated() -> None:
    """Record that the signed-in user has just entered their password again."""
    session["auth_at"] = int(time.time())
