"""Login and logout views."""
from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from web.auth import bp
from web.auth.forms import EmptyForm, LoginForm, PasswordChangeForm
from web.auth.session import start_session
from web.extensions import password_failure_limit
from web.services import accounts
from web.services.errors import ServiceError
from web.services.login_throttle import LoginRefused
from web.transaction import commit
from web.urls import is_local_path


def _safe_next(target: str | None) -> str:
    """Return `target` only if it is a local path, else the home page (no open redirects)."""
    return target if target and is_local_path(target) else url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@password_failure_limit
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data or "", form.password.data or "", request.remote_addr)
        except LoginRefused as refusal:
            commit()  # keep the failure count and its audit record
            flash(str(refusal), "error")
        else:
            start_session(user)
            commit()
            # No names in flashes: they travel in the (signed, not encrypted) session cookie.
            flash("ログインしました。", "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, logged_out=request.args.get("logged_out") == "1")


@bp.route("/password", methods=["GET", "POST"])
@login_required
@password_failure_limit
def change_password() -> str | Response:
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                user, form.current_password.data or "", form.new_password.data or "", request.remote_addr
            )
        except ServiceError as error:
            commit()  # keep the failure count and audit record of a wrong password; nothing else changed
            getattr(form, error.field or "new_password").errors.append(str(error))
        else:
            commit()
            start_session(user)  # this browser stays signed in; every other session and API token has ended
            flash("パスワードを変更しました。ほかの端末ではログアウトされ、APIのアクセストークンも無効になりました。", "success")
            return redirect(url_for("main.me"))
    return render_template("auth/password.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("main.index"))
    accounts.end_sessions(current_user._get_current_object(), request.remote_addr)
    commit()
    logout_user()
    session.clear()
    # The browser drops every cookie (Clear-Site-Data), so the message cannot travel as a flash.
    response = redirect(url_for("auth.login", logged_out=1))
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.before_app_request
def end_expired_sessions() -> Response | None:
    """Log out sessions older than SESSION_MAX_HOURS, however active they are."""
    started = session.get("login_at")
    limit = current_app.config["SESSION_MAX_HOURS"] * 3600
    if current_user.is_authenticated and isinstance(started, int) and time.time() - started > limit:
        logout_user()
        session.clear()
        flash("一定時間が経過したため、ログアウトしました。もう一度ログインしてください。", "info")
        return redirect(url_for("auth.login"))
    return None
