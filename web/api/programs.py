"""/api/v1/programs: the support programs with their caps, and a town's usage of one program in a fiscal year.

Every signed-in role reads the programs. Usage is read through web.services.ledger.visible_usage: officers their
own town, coordinators the towns of their prefecture, admins every town; experts, unknown programs and towns
outside the caller's scope are 404, like a missing id.
"""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE

from web.api.auth import ID, api_blueprint, current_api_user
from web.api.schemas import ProgramSchema, UsageArgsSchema, UsageSchema
from web.models import SupportProgram
from web.services.ledger import Usage, list_programs, visible_usage

bp = api_blueprint("api_programs", "/programs", "支援制度と上限の利用状況")


@bp.route("", methods=["GET"])
@bp.response(200, ProgramSchema(many=True))
@bp.alt_response(401, response="UNAUTHORIZED")
def get_programs() -> list[SupportProgram]:
    """List the support programs with their caps per municipality and fiscal year (null = uncapped)."""
    return list_programs()


@bp.route(f"/<{ID}:program_id>/usage", methods=["GET"])
@bp.arguments(UsageArgsSchema, location="query", unknown=RAISE)
@bp.response(200, UsageSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
def get_usage(args: dict[str, Any], program_id: int) -> Usage:
    """What the program allows the town in the fiscal year, and what is used, reserved and remaining."""
    return visible_usage(current_api_user(), program_id, args["municipality_code"], args["fiscal_year"])
