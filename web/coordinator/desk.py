"""The coordinator's desk (moved from web/matches): issues still looking for an expert with their top candidates,
this month's assignment plan, and joint-issue suggestions. The overview and the plan rank all their issues in one
batch call to the matcher (matching.top_candidates)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField

from web.auth.access import role_required
from web.auth.forms import EmptyForm
from web.coordinator import bp
from web.models import Issue
from web.services import curation, matching
from web.services.errors import NotFound, ServiceError
from web.services.issues import get_visible_issue, list_seeking_issues
from web.services.validation import parse_integer
from web.transaction import transaction


class JointSuggestionForm(FlaskForm):
    issue_ids = HiddenField()


def _open_issue(issue_id: int) -> Issue:
    """Load a visible issue that is open (the plan and joint suggestions only concern open issues), or 404."""
    try:
        issue = get_visible_issue(current_user, issue_id)
    except NotFound:
        abort(404)
    if issue.status != "open":
        abort(404)
    return issue


@bp.route("/coordinator/")
@role_required("coordinator")
def overview() -> str:
    # Issues still looking for an expert: published, or back in matching after a decline or an expiry.
    issues = list_seeking_issues(current_user)
    try:
        tops, notice = matching.top_candidates(issues, limit=3), None
    except ServiceError as error:
        tops, notice = {}, str(error)
    return render_template("coordinator/overview.html", issues=issues, tops=tops, notice=notice)


@bp.route("/coordinator/plan", methods=["GET", "POST"])
@role_required("coordinator")
def plan() -> str | Response:
    form = EmptyForm()
    month_label = f"{date.today().year}年{date.today().month}月"
    if form.validate_on_submit():
        return _accept_plan(month_label)
    try:
        proposed, notice = matching.monthly_plan(current_user.prefecture_code), None
    except ServiceError as error:
        proposed, notice = None, str(error)
    context = matching.plan_context(proposed) if proposed else {}
    return render_template("coordinator/plan.html", plan=proposed, notice=notice, form=form, month_label=month_label,
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
    return redirect(url_for("coordinator.plan"))


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
            return redirect(url_for("coordinator.joint"))
        flash(f"{len(issues)}件の課題の市町村担当者（{notified}人）に連携を提案しました。", "success")
        return redirect(url_for("coordinator.joint"))
    try:
        groups, notice = matching.joint_group_views(current_user.prefecture_code), None
    except ServiceError as error:
        groups, notice = [], str(error)
    return render_template("coordinator/joint.html", groups=groups, notice=notice, form=form)
