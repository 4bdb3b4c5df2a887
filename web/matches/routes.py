"""Ranked candidates for an issue, curation and shortlists, and recommended issues for an expert (the coordinator's
desk moved to web/coordinator/desk.py)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from web.auth.access import role_required
from web.auth.forms import EmptyForm
from web.codes import MODES, ROLES, TRAVEL_RANGES
from web.matches import bp
from web.matches.forms import CurationForm
from web.models import Issue
from web.services import curation, matching
from web.services.errors import NotFound, ServiceError
from web.services.experts import get_own_profile
from web.services.issues import get_visible_issue
from web.services.validation import InvalidInput, parse_integer
from web.transaction import transaction

STAFF = ("officer", "coordinator", "admin")


def _staff_issue(issue_id: int) -> Issue:
    """Load an issue the current officer/coordinator/admin may see, or 404."""
    try:
        return get_visible_issue(current_user, issue_id)
    except NotFound:
        abort(404)


def _filters() -> matching.CandidateFilters:
    args = request.args
    return matching.CandidateFilters(
        roles=[r for r in args.getlist("role") if r in ROLES],
        modes=[m for m in args.getlist("mode") if m in MODES],
        travel_ranges=[t for t in args.getlist("travel") if t in TRAVEL_RANGES],
        min_remaining=max(0, min(parse_integer(args.get("min_remaining", "0")) or 0, 10)),
    )


@bp.route("/issues/<int:issue_id>/candidates")
@role_required(*STAFF)
def candidates(issue_id: int) -> str:
    issue = _staff_issue(issue_id)
    filters = _filters()
    # The shortlist and the coordinators' exclusions (with reasons) are shown whatever the ranking says.
    context = {"issue": issue, "filters": filters, "form": EmptyForm(), "curation_form": CurationForm(),
               "shortlist": matching.shortlist(issue), "exclusions": matching.exclusions(issue)}
    try:
        views = matching.rank_candidates(issue, limit=20, filters=filters,
                                         include_excluded=current_user.role == "coordinator")
    except ServiceError as error:
        return render_template("matches/candidates.html", views=[], notice=str(error), **context)
    return render_template("matches/candidates.html", views=views, notice=None, today=date.today(), **context)


@bp.route("/issues/<int:issue_id>/shortlist/<int:expert_id>", methods=["POST"])
@role_required(*STAFF)
def toggle_shortlist(issue_id: int, expert_id: int) -> Response:
    issue = _staff_issue(issue_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    wanted = {"add": True, "remove": False}.get(request.form.get("want", ""))  # the button the user saw
    try:
        with transaction():
            added = curation.toggle_shortlist(current_user, issue, expert_id, wanted)
    except NotFound:
        abort(404)
    flash("候補リストに追加しました。" if added else "候補リストから外しました。", "success")
    return redirect(url_for("matches.candidates", issue_id=issue.id, _anchor=f"expert-{expert_id}"))


@bp.route("/issues/<int:issue_id>/curation/<int:expert_id>", methods=["POST"])
@role_required("coordinator", "admin")
def curate(issue_id: int, expert_id: int) -> Response | tuple[str, int]:
    issue = _staff_issue(issue_id)
    form = CurationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with transaction():
            curation.curate(current_user, issue, expert_id, form.action.data or "", form.reason.data or "")
    except InvalidInput as error:
        # Show the list again with the error under the field of this card, the chosen action and the typed
        # reason kept, and the focus on the field (candidates.html reads g.curation_retry).
        g.curation_retry = {"expert_id": expert_id, "action": form.action.data or "",
                            "reason": form.reason.data or "", "errors": error.errors}
        return candidates(issue_id), 422
    except NotFound:
        abort(404)
    flash("候補の設定を保存しました。理由は記録に残ります。", "success")
    return redirect(url_for("matches.candidates", issue_id=issue.id, _anchor=f"expert-{expert_id}"))


@bp.route("/issues/<int:issue_id>/curation/<int:expert_id>/clear", methods=["POST"])
@role_required("coordinator", "admin")
def clear_curation(issue_id: int, expert_id: int) -> Response:
    issue = _staff_issue(issue_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with transaction():
            curation.clear_curation(current_user, issue, expert_id)
    except NotFound:
        abort(404)
    flash("候補の設定を解除しました。", "success")
    return redirect(url_for("matches.candidates", issue_id=issue.id, _anchor=f"expert-{expert_id}"))


@bp.route("/recommended")
@role_required("expert")
def recommended() -> str | Response:
    profile = get_own_profile(current_user)
    if profile is None:
        flash("おすすめの課題を表示するには、先にプロフィールを登録してください。", "info")
        return redirect(url_for("main.index"))
    try:
        views, notice = matching.recommend_issues(profile, limit=15), None
    except ServiceError as error:
        views, notice = [], str(error)
    return render_template("matches/recommended.html", profile=profile, views=views, notice=notice)
