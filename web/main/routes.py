"""Role-specific home pages and the public pages (privacy notice, accessibility policy)."""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from web.main import bp
from web.services import dashboard


@bp.route("/")
def index() -> str | Response:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template(f"main/home_{current_user.role}.html", **dashboard.home_context(current_user))


@bp.route("/privacy")
def privacy() -> str:
    return render_template("main/privacy.html")


@bp.route("/accessibility")
def accessibility() -> str:
    return render_template("main/accessibility.html")


@bp.route("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@bp.route("/me")
@login_required
def me() -> str:
    return render_template("main/me.html")
