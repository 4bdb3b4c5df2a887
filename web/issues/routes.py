"""Views of the issues blueprint: list, post, read, edit, publish and withdraw issues; the town's history."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from web.auth.access import role_required
from web.auth.forms import EmptyForm
from web.codes import ISSUE_STATUSES, STAGES
from web.dates import fiscal_year_of
from web.extensions import db
from web.issues import bp
from web.issues.forms import IssueForm, issue_form_data, stage_suggestion
from web.models import Issue, Municipality, User
from web.services.errors import NotFound, ServiceError
from web.services.issue_intake import (
    EDITABLE_STATUSES,
    IssueInput,
    change_issue_status,
    create_issue,
    issue_input_from,
    update_issue,
)
from web.services.issues import engagements_by_issue, get_visible_issue, list_visible_issues
from web.services.validation import InvalidInput
from web.transaction import transaction

logger = logging.getLogger(__name__)

WRITERS = ("officer", "coordinator")
STAFF = ("officer", "coordinator", "admin")


@dataclass(frozen=True)
class TownGroup:
    """The towns of one 振興局 (subprefecture), as shown in the co-owner checkboxes."""

    name: str
    codes: list[str]
    own: bool


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _visible_issue(issue_id: int) -> Issue:
    """Load an issue the current user may see, or 404 (a missing id and a foreign one look the same)."""
    try:
        return get_visible_issue(_me(), issue_id)
    except NotFound:
        logger.info("issue %d hidden from user %d", issue_id, _me().id)
        abort(404)


def _writable_issue(issue_id: int) -> Issue:
    """Load an issue the current officer or coordinator may change, or 404 for everyone else."""
    if _me().role not in WRITERS:
        logger.info("issue %d not writable by user %d (%s)", issue_id, _me().id, _me().role)
        abort(404)
    return _visible_issue(issue_id)


def _towns_of(prefecture_code: str | None) -> list[Municipality]:
    query = select(Municipality).where(Municipality.prefecture_code == prefecture_code)
    return list(db.session.scalars(query.order_by(Municipality.kana, Municipality.code)))


def _town_groups(towns: list[Municipality], owner: Municipality | None) -> list[TownGroup]:
    """Group towns by 振興局: the owner's own first (shown open), the others in local-code order."""
    own = (owner.subprefecture or "") if owner is not None else None
    groups: dict[str, list[Municipality]] = {}
    for town in towns:
        groups.setdefault(town.subprefecture or "", []).append(town)
    ordered = sorted(groups.items(), key=lambda item: (item[0] != own, min(t.code for t in item[1])))
    return [TownGroup(name, [t.code for t in members], name == own) for name, members in ordered]


def _issue_form(towns: list[Municipality], choose_owner: bool, initial: IssueInput) -> IssueForm:
    """Build the form; choices follow the grouped order, and initial values apply to GET only."""
    by_code = {t.code: t for t in towns}
    ordered = [by_code[code] for group in _town_groups(towns, None) for code in group.codes]
    choices = [(t.code, t.name, t.subprefecture or "") for t in ordered]
    data = issue_form_data(initial) if request.method == "GET" else None
    return IssueForm(choices, choose_owner=choose_owner, data=data)


def _render_form(template: str, form: IssueForm, towns: list[Municipality], owner: Municipality | None,
                 **context: object) -> str:
    return render_template(template, form=form, town_groups=_town_groups(towns, owner),
                           stage_notes={code: stage_suggestion(code) for code in STAGES}, **context)


def _show_errors(form: IssueForm, error: InvalidInput) -> None:
    for message in form.show_errors(error.errors):
        flash(message, "error")


def _scope_name(user: User) -> str:
    """Return whose issues a list shows: the officer's town, the coordinator's prefecture, or everyone's."""
    if user.municipality is not None:
        return user.municipality.name
    return user.prefecture.name if user.prefecture is not None else "すべての市町村"


def _saved_message(issue: Issue, published: bool) -> str:
    if published:
        return f"課題「{issue.title}」を公開しました。外部人材とコーディネーターに表示されます。"
    if issue.status == "draft":
        return f"課題「{issue.title}」を下書きとして保存しました。内容を確かめて、準備ができたら公開してください。"
    return f"課題「{issue.title}」の変更を保存しました。"


@bp.route("/")
@role_required(*STAFF)
def list_issues() -> str:
    status = request.args.get("status", "")
    status = status if status in ISSUE_STATUSES else ""
    issues = list_visible_issues(_me())
    shown = [issue for issue in issues if not status or issue.status == status]
    return render_template("issues/list.html", issues=shown, status=status, scope=_scope_name(_me()),
                           total=len(issues), counts=Counter(issue.status for issue in issues))


@bp.route("/new", methods=["GET", "POST"])
@role_required(*WRITERS)
def new_issue() -> str | Response:
    user = _me()
    choose_owner = user.role == "coordinator"
    towns = [t for t in _towns_of(user.scope_prefecture_code) if t.code != user.municipality_code]
    form = _issue_form(towns, choose_owner, IssueInput())
    if form.validate_on_submit():
        try:
            with transaction():
                issue = create_issue(user, form.to_input(), publish=bool(form.publish.data))
        except InvalidInput as error:
            _show_errors(form, error)
        else:
            flash(_saved_message(issue, published=issue.status == "open"), "success")
            return redirect(url_for("issues.detail", issue_id=issue.id))
    owner = user.municipality
    if choose_owner:
        owner = db.session.get(Municipality, form.municipality_code.data or "")
    return _render_form("issues/new.html", form, towns, owner)


@bp.route("/<int:issue_id>")
@login_required
def detail(issue_id: int) -> str:
    issue = _visible_issue(issue_id)
    return render_template(
        "issues/detail.html", issue=issue, form=EmptyForm(), can_write=_me().role in WRITERS,
        editable=issue.status in EDITABLE_STATUSES, engagements=engagements_by_issue([issue.id]).get(issue.id, []),
        has_candidates="matches.candidates" in current_app.view_functions,
    )


@bp.route("/<int:issue_id>/edit", methods=["GET", "POST"])
@login_required
def edit(issue_id: int) -> str | Response:
    issue = _writable_issue(issue_id)
    if issue.status not in EDITABLE_STATUSES:
        flash(f"「{issue.status_label}」の課題は編集できません。", "error")
        return redirect(url_for("issues.detail", issue_id=issue.id))
    towns = [t for t in _towns_of(issue.municipality.prefecture_code) if t.code != issue.municipality_code]
    form = _issue_form(towns, False, issue_input_from(issue))
    if form.validate_on_submit():
        publishing = bool(form.publish.data) and issue.status == "draft"
        try:
            with transaction():
                update_issue(_me(), issue, form.to_input())
                if publishing:
                    change_issue_status(_me(), issue, "open")
        except InvalidInput as error:
            _show_errors(form, error)
        except ServiceError as error:  # another tab published or withdrew it meanwhile
            flash(str(error), "error")
            return redirect(url_for("issues.detail", issue_id=issue_id))
        else:
            flash(_saved_message(issue, publishing), "success")
            return redirect(url_for("issues.detail", issue_id=issue.id))
    return _render_form("issues/edit.html", form, towns, issue.municipality, issue=issue)


@bp.route("/<int:issue_id>/publish", methods=["POST"])
@login_required
def publish(issue_id: int) -> Response:
    issue = _writable_issue(issue_id)
    if EmptyForm().validate_on_submit():
        _change_status(issue, "open", f"課題「{issue.title}」を公開しました。外部人材とコーディネーターに表示されます。")
    return redirect(url_for("issues.detail", issue_id=issue.id))


@bp.route("/<int:issue_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(issue_id: int) -> str | Response:
    """GET shows what withdrawing means (a confirmation step without script); POST withdraws."""
    issue = _writable_issue(issue_id)
    form = EmptyForm()
    if not issue.can_transition_to("withdrawn"):
        flash(f"「{issue.status_label}」の課題は取り下げられません。", "error")
    elif form.validate_on_submit():
        _change_status(issue, "withdrawn", f"課題「{issue.title}」を取り下げました。")
    else:
        return render_template("issues/withdraw.html", issue=issue, form=form)
    return redirect(url_for("issues.detail", issue_id=issue.id))


def _change_status(issue: Issue, target: str, done: str) -> None:
    try:
        with transaction():
            change_issue_status(_me(), issue, target)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(done, "success")


@bp.route("/history")
@role_required(*STAFF)
def history() -> str:
    issues = list_visible_issues(_me())
    years: dict[int, list[Issue]] = {}
    for issue in issues:  # newest first, so the fiscal years come out newest first too
        years.setdefault(fiscal_year_of(issue.created_at), []).append(issue)
    return render_template("issues/history.html", years=years, scope=_scope_name(_me()),
                           engagements=engagements_by_issue([issue.id for issue in issues]))

