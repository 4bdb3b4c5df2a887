"""Role-specific home pages and the public pages (privacy notice, accessibility policy)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, send_from_directory, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from web.auth.forms import EmptyForm
from web.main import bp
from web.services import calendars, dashboard, notifications
from web.services.errors import NotFound
from web.transaction import transaction
from web.urls import is_local_path

FAVICON_MAX_AGE = 7 * 24 * 3600  # a week: the icon rarely changes


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


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Answer the browsers' default icon request with the site icon (pages also link favicon.svg)."""
    return send_from_directory(current_app.static_folder or "static", "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=FAVICON_MAX_AGE)


@bp.route("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@bp.route("/me")
@login_required
def me() -> str:
    secret = calendars.current_secret(current_user)
    calendar_url = calendars.feed_url(secret) if secret else None
    return render_template("main/me.html", calendar_url=calendar_url, form=EmptyForm())


@bp.route("/me/calendar", methods=["POST"])
@login_required
def regenerate_calendar() -> Response:
    """Issue the private calendar URL, or replace it (the old URL stops working)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    had_one = calendars.current_secret(current_user) is not None
    with transaction():
        calendars.regenerate(current_user)
    flash("カレンダー配信URLを再発行しました。以前のURLは使えなくなりました。" if had_one
          else "カレンダー配信URLを発行しました。", "success")
    return redirect(url_for("main.me") + "#calendar")


@bp.route("/notifications")
@login_required
def notification_list() -> str:
    items = notifications.list_notifications(current_user)
    return render_template("main/notifications.html", notifications=items, form=EmptyForm())


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read_notification(notification_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with transaction():
            item = notifications.mark_read(current_user, notification_id)
    except NotFound:
        abort(404)
    return redirect(item.link if is_local_path(item.link) else url_for("main.notification_list"))
