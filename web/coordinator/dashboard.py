"""The progress dashboard: /coordinator/dashboard (coordinators: their prefecture; admins: any).

The route reads the filters (web/services/progress/scope.py), builds the typed figures once
(web/services/progress/dashboard.build_dashboard) and renders them; each figure links to the list behind it.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import abort, render_template, request, url_for
from flask_login import current_user

from web.auth.access import role_required
from web.codes import SECTORS
from web.coordinator import bp, refused
from web.services.errors import NotFound
from web.services.progress.common import Count
from web.services.progress.dashboard import build_dashboard, parse_month
from web.services.progress.gaps import matching_figures
from web.services.progress.scope import ProgressFilters, filter_choices, parse_filters
from web.services.validation import InvalidInput

#: The list pages behind the figures (web/coordinator/lists.py, route coordinator.list_rows).
#: How many experts the page lists (the busiest first); the list behind the figure has them all.
EXPERT_ROWS = 30
LIST_KINDS = ("issues", "requests", "engagements", "visits", "reports", "caps", "experts")


def list_url(kind: str, filters: ProgressFilters, **narrow: object) -> str:
    """The list behind a figure: the same filters plus the figure's narrowing arguments (e.g. status=declined)."""
    args: dict[str, Any] = {**filters.query_args(), **{k: str(v) for k, v in narrow.items() if v is not None}}
    return url_for("coordinator.list_rows", kind=kind, **args)


def count_text(found: Iterable[Count], unit: str = "件") -> str:
    """「公開中 3件、支援中 2件」: the non-zero counts of a figure in its order, or 「なし」 (a figure's text summary)."""
    parts = [f"{c.label} {c.count}{unit}" for c in found if c.count]
    return "、".join(parts) if parts else "なし"


@bp.route("/coordinator/dashboard")
@role_required("coordinator", "admin")
def dashboard() -> tuple[str, int] | str:
    try:
        filters = parse_filters(current_user, request.args)
        month = parse_month(request.args.get("month"))
    except NotFound:
        abort(404)
    except InvalidInput as error:
        return refused(error, "絞り込みの条件を確認してください")
    board = build_dashboard(current_user, filters, month=month)
    previous = (board.month - timedelta(days=1)).replace(day=1)
    following = (board.month + timedelta(days=32)).replace(day=1)
    return render_template("coordinator/dashboard.html", board=board, filters=filters, list_url=list_url,
                           prev_month=f"{previous:%Y-%m}", next_month=f"{following:%Y-%m}", expert_rows=EXPERT_ROWS,
                           count_text=count_text, matching=matching_figures(current_user, filters),
                           choices=filter_choices(current_user, filters), sectors=SECTORS)
