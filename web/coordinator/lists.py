"""The lists behind the dashboard's figures: /coordinator/lists/<kind>, paged, with links to export the same rows."""
from __future__ import annotations

from datetime import date, datetime

from flask import abort, render_template, request
from flask_login import current_user

from web.auth.access import role_required
from web.coordinator import bp, refused
from web.dates import format_date_weekday, format_datetime_weekday
from web.services.errors import NotFound
from web.services.progress import rows
from web.services.progress.scope import parse_filters
from web.services.validation import InvalidInput

DESK = ("coordinator", "admin")


@bp.route("/coordinator/lists/<kind>")
@role_required(*DESK)
def list_rows(kind: str) -> str | tuple[str, int]:
    try:
        rows.get_kind(kind)
        filters = parse_filters(current_user, request.args)
        narrowing = rows.parse_narrowing(kind, request.args)
        page = rows.parse_page(request.args.get("page"))
        listing = rows.list_page(kind, current_user, filters, narrowing, page)
    except NotFound:
        abort(404)
    except InvalidInput as error:
        return refused(error)
    return render_template("coordinator/list.html", listing=listing, filters=filters,
                           args={**filters.query_args(), **narrowing.values}, labels=rows.NARROWING_LABELS,
                           kinds=rows.KINDS)


@bp.app_template_filter("list_cell")
def list_cell(value: object) -> str:
    """A list cell as text: dates and times in Japan time with the weekday, None empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime_weekday(value)
    if isinstance(value, date):
        return format_date_weekday(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
