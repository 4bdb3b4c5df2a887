"""/api/v1/dashboard: the progress figures of the coordinator's dashboard as JSON.

Every role may call it; the figures are scoped in SQL by web/services/progress/scope.py: a coordinator sees their
prefecture, an officer their town, an expert their own requests and engagements, an admin any prefecture. A
prefecture or town outside the caller's scope, or an unknown program, is 404 (like one that does not exist); bad arguments are 422.
"""
from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from marshmallow import RAISE

from web.api.auth import api_blueprint, current_api_user
from web.api.dashboard_schemas import DashboardArgsSchema, DashboardSchema
from web.services.progress.dashboard import (
    Dashboard,
    build_dashboard,
    parse_month,
    require_program,
)
from web.services.progress.gaps import MatchingFigures, matching_figures
from web.services.progress.scope import parse_filters

bp = api_blueprint("api_dashboard", "/dashboard", "進捗ダッシュボードの数字")


@bp.route("", methods=["GET"])
@bp.arguments(DashboardArgsSchema, location="query", unknown=RAISE)
@bp.response(200, DashboardSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def get_dashboard(args: dict[str, Any]) -> dict[str, Any]:
    """The pipeline, engagements with their progress status, the month's visits, caps, experts' utilisation, supply
    gaps and joint-issue candidates."""
    user = current_api_user()
    if args.get("program_id") is not None:
        require_program(args["program_id"])
    filters = parse_filters(user, {k: str(v) for k, v in args.items() if k != "month"})
    board = build_dashboard(user, filters, month=parse_month(args.get("month")))
    return _with_matching(board, matching_figures(user, filters))


def _with_matching(board: Dashboard, matching: MatchingFigures) -> dict[str, Any]:
    """The dashboard's figures plus the matcher's (gap counts are (key, label, count) tuples: named here)."""
    answer: dict[str, Any] = {f.name: getattr(board, f.name) for f in fields(board)}
    gaps = None
    if matching.gaps is not None:
        gaps = asdict(matching.gaps)
        for name in ("by_role", "by_sector", "by_subprefecture"):
            gaps[name] = [{"key": k, "label": label, "count": n} for k, label, n in gaps[name]]
    answer.update(supply_gaps=gaps, joint_candidates=[asdict(c) for c in matching.joint],
                  matching_notice=matching.notice)
    return answer
