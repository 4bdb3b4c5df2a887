"""The coordinator's map of the prefecture's municipalities and each town's page (its record across fiscal years).

The map: coordinators (their prefecture) and admins; the municipality page: the coordinator of its prefecture,
the town's officers and admins. Everyone else, and any malformed or unknown code, gets 404.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, render_template, request
from flask_login import current_user, login_required

from web.auth.access import role_required
from web.coordinator import bp, refused
from web.dates import fiscal_year_of, format_fiscal_year, today_jst
from web.extensions import db
from web.models import Prefecture, User
from web.services.errors import NotFound
from web.services.progress import towns
from web.services.progress.engagement_progress import engagement_progress
from web.services.progress.scope import ProgressFilters, filter_choices, parse_filters
from web.services.validation import InvalidInput


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


MAP_REFUSED = "表示する条件を確認してください"


@dataclass(frozen=True)
class MapRow:
    """One town of the map and its table: the figure, its text, its legend class."""

    town: towns.TownFigures
    value_text: str
    css_class: int


@bp.route("/coordinator/map", endpoint="map")
@role_required("coordinator", "admin")
def map_page() -> str | tuple[str, int]:
    metric = request.args.get("metric", "open_issues")
    if metric not in towns.METRICS:
        return refused(InvalidInput({"metric": ["表示する数値は「未解決の課題」「支援中の案件」「上限の使用率」から選んでください。"]}),
                       MAP_REFUSED)
    try:
        filters = parse_filters(_me(), request.args)
        figures = towns.town_figures(_me(), filters)
    except InvalidInput as error:
        return refused(error, MAP_REFUSED)
    except NotFound:
        abort(404)
    rows = [MapRow(t, towns.format_value(metric, t.value(metric)), towns.class_of(metric, t.value(metric)))
            for t in figures]
    classes = towns.map_classes(metric)
    counts = {c.index: sum(r.css_class == c.index for r in rows) for c in classes}
    prefecture = db.session.get(Prefecture, filters.prefecture_code)
    if prefecture is None:
        abort(404)
    choices = filter_choices(_me(), filters)
    return render_template(
        "coordinator/map.html", filters=filters, metric=metric, metric_label=towns.METRICS[metric],
        metrics=towns.METRICS, rows=rows, choices=choices,
        classes=classes, class_counts=counts, prefecture=prefecture,
        fiscal_year_label=format_fiscal_year(filters.fiscal_year),
        top=sorted((r for r in rows if (r.town.value(metric) or 0) > 0),
                   key=lambda r: (-(r.town.value(metric) or 0), r.town.code))[:3],
    )


@bp.route("/municipalities/<code>")
@login_required
def municipality(code: str) -> str:
    try:
        record = towns.municipality_record(_me(), code)
    except NotFound:
        abort(404)
    # The progress status of the town's active engagements (the dashboard's rule: on track / attention / stalled).
    today = today_jst()
    scope = ProgressFilters(record.prefecture_code, fiscal_year_of(today), municipality_code=record.code)
    progress = {row.engagement_id: row for row in engagement_progress(_me(), scope, today=today)}
    return render_template("coordinator/municipality.html", record=record, fiscal_year_of=fiscal_year_of,
                           progress=progress,
                           usage_text=lambda value: towns.format_value("cap_usage", value))
