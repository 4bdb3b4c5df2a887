"""/api/v1/issues: list, create, read, patch and publish issues, and rank candidates for one.

Who sees what is decided by web.services.issues (officers: their town and joint issues it co-owns;
coordinators: their prefecture; experts: open issues; admins: all). Writing is for officers and
coordinators, on issues they can see; anything they cannot see is 404, exactly like a missing id.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from marshmallow import RAISE

from web.api.auth import ID, api_blueprint, current_api_user, requires_role
from web.api.schemas import (
    CandidateListSchema,
    IssueCreateSchema,
    IssueListArgsSchema,
    IssuePageSchema,
    IssuePatchSchema,
    IssueSchema,
    LimitArgsSchema,
)
from web.models import Issue
from web.services.issue_intake import (
    IssueInput,
    change_issue_status,
    create_issue,
    issue_input_from,
    lock_issue,
    update_issue,
)
from web.services.issues import get_visible_issue, page_visible_issues
from web.services.matching import exclusions, rank_candidates
from web.transaction import transaction

writers_only = requires_role(frozenset({"officer", "coordinator"}),
                             "課題を登録・編集できるのは市町村職員と都道府県コーディネーターです。")
candidate_readers_only = requires_role(frozenset({"officer", "coordinator", "admin"}),
                                       "候補者の一覧を見られるのは市町村職員・コーディネーター・管理者です。")

bp = api_blueprint("api_issues", "/issues", "自治体のDX課題")


@bp.route("", methods=["GET"])
@bp.arguments(IssueListArgsSchema, location="query", unknown=RAISE)
@bp.response(200, IssuePageSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
def list_issues(args: dict[str, Any]) -> dict[str, Any]:
    """List the issues the caller may see, newest first, a page at a time (per_page at most 100)."""
    page, per_page = args["page"], args["per_page"]
    items, total = page_visible_issues(current_api_user(), args.get("status"), page, per_page)
    return {"items": items, "page": page, "per_page": per_page, "total": total}


@bp.route("", methods=["POST"])
@writers_only
@bp.arguments(IssueCreateSchema)
@bp.response(201, IssueSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def post_issue(payload: dict[str, Any]) -> Issue:
    """Create a draft issue for the caller's town (officer) or a town of their prefecture (coordinator)."""
    with transaction():
        issue = create_issue(current_api_user(), IssueInput(**payload))
    return issue


@bp.route(f"/<{ID}:issue_id>", methods=["GET"])
@bp.response(200, IssueSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
def get_issue(issue_id: int) -> Issue:
    """Return one issue the caller may see."""
    return get_visible_issue(current_api_user(), issue_id)


@bp.route(f"/<{ID}:issue_id>", methods=["PATCH"])
@writers_only
@bp.arguments(IssuePatchSchema)
@bp.response(200, IssueSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def patch_issue(payload: dict[str, Any], issue_id: int) -> Issue:
    """Change only the given fields; the whole issue is validated again, as in the edit form."""
    user = current_api_user()
    issue = get_visible_issue(user, issue_id)
    with transaction():
        lock_issue(issue)  # the fields kept are read under the lock: a concurrent PATCH is never undone
        update_issue(user, issue, dataclasses.replace(issue_input_from(issue), **payload))
    return issue


@bp.route(f"/<{ID}:issue_id>/publish", methods=["POST"])
@writers_only
@bp.response(200, IssueSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def publish_issue(issue_id: int) -> Issue:
    """Publish a draft (status "open"); any other starting status is a 409 with the reason."""
    user = current_api_user()
    issue = get_visible_issue(user, issue_id)
    with transaction():
        change_issue_status(user, issue, "open")
    return issue


@bp.route(f"/<{ID}:issue_id>/candidates", methods=["GET"])
@candidate_readers_only
@bp.arguments(LimitArgsSchema, location="query", unknown=RAISE)
@bp.response(200, CandidateListSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(503, response="SERVICE_UNAVAILABLE")
def list_candidates(args: dict[str, int], issue_id: int) -> dict[str, Any]:
    """Rank experts for an issue, pinned first, then by score (503 + Retry-After while the index builds).

    Experts a coordinator excluded are left out of `candidates` and listed in `excluded` with the reason."""
    issue = get_visible_issue(current_api_user(), issue_id)
    return {"issue_id": issue.id, "candidates": rank_candidates(issue, limit=args["limit"]),
            "excluded": exclusions(issue)}
