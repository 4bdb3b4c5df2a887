"""Login and logout views."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from web.auth import bp
from web.auth.forms import EmptyForm, LoginForm
from web.extensions import db, limiter
from web.services import accounts


def _safe_next(target: str | None) -> str:
    """Return `target` only if it is a local path, else the home page (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.index")


def _login_limit() -> str:
    return str(current_app.config["RATELIMIT_LOGIN"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data or "", form.password.data or "", request.remote_addr)
        if user is not None:
            session.clear()  # drop pre-login state (session fixation)
            login_user(user)
            db.session.commit()
            flash(f"{user.display_name} さん、ようこそ。", "success")
            return redirect(_safe_next(request.args.get("next")))
        db.session.commit()  # keep the audit record of the failure
        flash("メールアドレスまたはパスワードが正しくありません。", "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("main.index"))
    accounts.end_sessions(current_user._get_current_object(), request.remote_addr)
    db.session.commit()
    logout_user()
    session.clear()
    flash("ログアウトしました。", "success")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
