"""Ranked candidates for an issue, recommended issues for an expert, and the coordinator's desk."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from web.auth.access import role_required
from web.auth.forms import EmptyForm
from web.codes import MODES, ROLES, TRAVEL_RANGES
from web.matches import bp
from web.matches.forms import CurationForm, JointSuggestionForm
from web.models import Issue
from web.services import curation, matching
from web.services.errors import NotFound, ServiceError
from web.services.experts import get_own_profile
from web.services.issues import get_visible_issue, list_visible_issues
from web.services.validation import InvalidInput, parse_integer
from web.transaction import transaction

STAFF = ("officer", "coordinator", "admin")


def _staff_issue(issue_id: int) -> Issue:
    """Load an issue the current officer/coordinator/admin may see, or 404."""
    try:
        return get_visible_issue(current_user, issue_id)
    except NotFound:
        abort(404)


def _open_issue(issue_id: int) -> Issue:
    """Load a visible issue that is open (the plan and joint suggestions only concern open issues), or 404."""
    issue = _staff_issue(issue_id)
    if issue.status != "open":
        abort(404)
    return issue


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


@bp.route("/coordinator/")
@role_required("coordinator")
def coordinator_overview() -> str:
    # Issues still looking for an expert: published, or back in matching after a decline or an expiry.
    issues = list_visible_issues(current_user, status="open") + list_visible_issues(current_user, status="matching")
    try:
        tops, notice = {i.id: matching.rank_candidates(i, limit=3) for i in issues}, None
    except ServiceError as error:
        tops, notice = {}, str(error)
    return render_template("matches/coordinator_overview.html", issues=issues, tops=tops, notice=notice)


@bp.route("/coordinator/plan", methods=["GET", "POST"])
@role_required("coordinator")
def monthly_plan() -> str | Response:
    form = EmptyForm()
    month_label = f"{date.today().year}年{date.today().month}月"
    if form.validate_on_submit():
        return _accept_plan(month_label)
    try:
        plan, notice = matching.monthly_plan(current_user.prefecture_code), None
    except ServiceError as error:
        plan, notice = None, str(error)
    context = matching.plan_context(plan) if plan else {}
    return render_template("matches/plan.html", plan=plan, notice=notice, form=form, month_label=month_label,
                           **context)


def _accept_plan(month_label: str) -> Response:
    chosen = []
    for key, value in request.form.items():
        if key.startswith("choice-") and value:
            issue_id, expert_id = parse_integer(key.removeprefix("choice-")), parse_integer(value)
            if issue_id is None or expert_id is None:
                abort(400)
            chosen.append((_open_issue(issue_id), expert_id))
    try:
        with transaction():
            result = curation.accept_plan(current_user, chosen, month_label)
    except NotFound:
        abort(404)
    flash(f"{result.pinned}件の課題に、選んだ人材を優先候補（ピン留め）として設定しました。", "success")
    if result.kept:
        flash(f"{result.kept}件の課題は、手動のピン留めまたは除外の設定を優先し、変更しませんでした。"
              "変更するには候補の人材の画面で設定を解除してください。", "info")
    return redirect(url_for("matches.monthly_plan"))


@bp.route("/coordinator/joint", methods=["GET", "POST"])
@role_required("coordinator")
def joint() -> str | Response:
    form = JointSuggestionForm()
    if form.validate_on_submit():
        ids = dict.fromkeys(parse_integer(v) for v in (form.issue_ids.data or "").split(","))
        issues = [_open_issue(i) for i in ids if i is not None]
        try:
            with transaction():
                notified = curation.suggest_joint(current_user, issues)
        except ServiceError as error:
            flash(str(error), "error")
            return redirect(url_for("matches.joint"))
        flash(f"{len(issues)}件の課題の市町村担当者（{notified}人）に連携を提案しました。", "success")
        return redirect(url_for("matches.joint"))
    try:
        groups, notice = matching.joint_group_views(current_user.prefecture_code), None
    except ServiceError as error:
        groups, notice = [], str(error)
    return render_template("matches/joint.html", groups=groups, notice=notice, form=form)
