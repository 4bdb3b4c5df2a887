"""/api/v1/experts: read a profile, read and replace one's own, and the issues recommended to an expert.

Visibility comes from web.services.experts: officers, coordinators and admins read every profile, an expert
only their own (others are 404). Contact details appear only where can_see_contact allows, otherwise null.
"""
from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import RAISE
from webargs.flaskparser import abort

from web.api.auth import ID, api_blueprint, current_api_user, requires_role
from web.api.schemas import (
    ExpertPutSchema,
    ExpertSchema,
    ExpertView,
    LimitArgsSchema,
    OwnExpertSchema,
    RecommendationListSchema,
)
from web.extensions import password_failure_limit_for
from web.models import ExpertProfile, User
from web.services import accounts
from web.services.experts import (
    ExpertInput,
    disclose_contact,
    get_own_profile,
    get_visible_expert,
    save_profile,
)
from web.services.login_throttle import LoginRefused
from web.services.matching import recommend_issues
from web.services.validation import InvalidInput
from web.transaction import commit

NO_PROFILE_YET = "プロフィールがまだ登録されていません。PUT /api/v1/experts/me で登録してください。"

experts_only = requires_role(frozenset({"expert"}), "この操作ができるのは外部人材のアカウントです。")

bp = api_blueprint("api_experts", "/experts", "外部デジタル人材のプロフィール")


def _view(viewer: User, profile: ExpertProfile) -> ExpertView:
    return ExpertView(profile, disclose_contact(viewer, profile))


def _own_profile(user: User) -> ExpertProfile:
    profile = get_own_profile(user)
    if profile is None:
        abort(404, message=NO_PROFILE_YET)
    return profile


def _expert_input(payload: dict[str, Any]) -> ExpertInput:
    """Return the service's input; `id` is read-only (ignored), an empty home_label is derived."""
    payload.pop("id", None)
    contact = payload.pop("contact") or {}
    email, phone = contact.get("email") or "", contact.get("phone") or ""
    home_label = payload.pop("home_label") or None
    return ExpertInput(**payload, home_label=home_label, contact_email=email, contact_phone=phone)


def _password_entered(user: User, password: str | None) -> bool:
    """Check `current_password` like the web form does; a wrong one is audited, counted with logins, and 422."""
    if not password:
        return False
    try:
        accounts.check_password_again(user, password, request.remote_addr)
    except LoginRefused as refusal:
        commit()  # keep the failure count and the audit record; nothing else is saved
        raise InvalidInput({"current_password": [str(refusal)]}) from refusal
    return True


@bp.route(f"/<{ID}:expert_id>", methods=["GET"])
@bp.response(200, ExpertSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
def get_expert(expert_id: int) -> ExpertView:
    """Return an expert's profile; contact is null unless consent or an accepted engagement allows it."""
    user = current_api_user()
    view = _view(user, get_visible_expert(user, expert_id))
    commit()  # keep the audit record of a disclosure
    return view


@bp.route("/me", methods=["GET"])
@experts_only
@bp.response(200, OwnExpertSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def get_my_profile() -> ExpertView:
    """Return the calling expert's own profile."""
    user = current_api_user()
    return _view(user, _own_profile(user))


@bp.route("/me", methods=["PUT"])
@experts_only
@password_failure_limit_for("PUT")  # a wrong current_password draws on the per-IP budget of failures
@bp.arguments(ExpertPutSchema)
@bp.response(200, OwnExpertSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
def put_my_profile(payload: dict[str, Any]) -> ExpertView:
    """Create or replace the calling expert's profile (consent changes are recorded with time and version).

    Changing the contact email or phone needs `current_password`: a bearer token alone is not a fresh login."""
    user = current_api_user()
    may_change_contact = _password_entered(user, payload.pop("current_password"))
    profile = save_profile(user, _expert_input(payload), may_change_contact=may_change_contact)
    commit()
    return _view(user, profile)


@bp.route("/me/recommended-issues", methods=["GET"])
@experts_only
@bp.arguments(LimitArgsSchema, location="query", unknown=RAISE)
@bp.response(200, RecommendationListSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(503, response="SERVICE_UNAVAILABLE")
def list_recommended_issues(args: dict[str, int]) -> dict[str, Any]:
    """Rank open issues for the calling expert, best first."""
    profile = _own_profile(current_api_user())
    return {"expert_id": profile.id, "issues": recommend_issues(profile, limit=args["limit"])}
