"""Request pages (依頼): the list, the request form with its plan and cap panel, the detail with the answers.

Views are short: form → service → flash → 303. Refused input re-renders with 422 and each Japanese message
under its field; a Conflict (already answered, a cap or the expert's calendar filled meanwhile) is flashed and
the user is sent back to the request; anything the user may not see is a 404.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from web.auth.access import role_required
from web.auth.forms import EmptyForm
from web.booking import bp
from web.booking.request_forms import AcceptForm, DeclineForm, RequestForm, request_form_data
from web.dates import format_date_weekday, format_datetime_weekday, today_jst
from web.extensions import db
from web.models import EngagementRequest, ExpertProfile, Issue, SupportProgram, User
from web.services.booking import access, plans, request_views
from web.services.booking import requests as service
from web.services.errors import Conflict, NotFound, ServiceError
from web.services.issues import get_visible_issue, list_visible_issues
from web.services.ledger import Usage
from web.services.validation import InvalidInput, parse_integer
from web.transaction import transaction

STAFF = ("officer", "coordinator", "admin")


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _found(load: Any, *args: Any) -> Any:
    """Call a loader; a NotFound (missing, or not the user's to see) is a 404."""
    try:
        return load(*args)
    except NotFound:
        abort(404)


def _expert_from_args() -> ExpertProfile:
    expert_id = parse_integer(request.args.get("expert_id", ""))
    expert = db.session.get(ExpertProfile, expert_id) if expert_id and 0 < expert_id < 2**31 else None
    if expert is None:
        abort(404)
    return expert


# ------------------------------------------------------------------ the list


@bp.app_template_filter("response_time")
def response_time(seconds: int | None) -> str:
    """Seconds as 「2日3時間」「5時間20分」「15分」 (how long an answer took)."""
    if seconds is None:
        return ""
    minutes = max(seconds, 0) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}日{hours}時間" if hours else f"{days}日"
    if hours:
        return f"{hours}時間{minutes}分" if minutes else f"{hours}時間"
    return f"{minutes}分"


@bp.app_template_filter("due_date")
def due_date(expires_at: datetime | None) -> str:
    """The last day to answer, 「2026年12月9日（水）」 (a request expires at 0:00 Japan time the day after)."""
    return format_date_weekday(expires_at - timedelta(seconds=1)) if expires_at else ""


@bp.route("/requests")
@login_required
def request_list() -> str:
    me = _me()
    tab = request.args.get("status", "")
    tab = tab if tab in request_views.TABS else ""
    towns = request_views.prefecture_towns(me)
    town = request.args.get("municipality", "")
    town = town if town in {t.code for t in towns} else ""
    page = parse_integer(request.args.get("page", "1")) or 1
    result = request_views.request_page(me, tab, town or None, page)
    return render_template("booking/request_list.html", result=result, tab=tab, town=town, towns=towns,
                           tabs=request_views.TAB_LABELS)


# ------------------------------------------------------------------ the form


@bp.route("/requests/new")
@role_required(*STAFF)
def choose_issue() -> str | Response:
    """From an expert's profile: pick the issue to ask about (or go straight on with ?issue_id=)."""
    expert = _expert_from_args()
    issue_id = parse_integer(request.args.get("issue_id", ""))
    if issue_id is not None:
        issue = _found(get_visible_issue, _me(), issue_id if 0 < issue_id < 2**31 else 0)
        return redirect(url_for("booking.new_request", issue_id=issue.id, expert_id=expert.id), code=303)
    issues = [i for i in list_visible_issues(_me()) if i.status in service.REQUESTABLE_ISSUE_STATUSES]
    return render_template("booking/request_choose.html", expert=expert, issues=issues)


def _programs() -> list[SupportProgram]:
    return list(db.session.scalars(select(SupportProgram).where(SupportProgram.active.is_(True))
                                   .order_by(SupportProgram.id)))


def _months_shown(issue: Issue) -> int:
    """How many on-site checkboxes to show: the months typed (1-36), else the form's default."""
    typed = parse_integer(request.form.get("months", "")) if request.method == "POST" else None
    if typed is not None and 1 <= typed <= 36:
        return typed
    return int(str(request_form_data(issue.months, issue.mode, issue.menu)["months"]))


def _cap_panels(issue: Issue, form: RequestForm, programs: list[SupportProgram]) -> list[tuple[SupportProgram, list[Usage]]]:
    """The remaining caps for the chosen program (or, before one is chosen, each active program)."""
    chosen = parse_integer(form.program_id.data or "")
    shown = [p for p in programs if p.id == chosen] or programs
    first = service.parse_month(form.first_month.data or "") or today_jst().replace(day=1)
    months = parse_integer(form.months.data or "") or 1
    return [(p, service.cap_panel(_me(), issue, p, first, min(max(months, 1), 36))) for p in shown]


def _keep_onsite(form: RequestForm, issue: Issue, onsite: list[int] | None) -> None:
    """Show the on-site months the plan used (the standard pattern after the number of months changed)."""
    months = parse_integer(form.months.data or "")
    if months is None or not 1 <= months <= 36:
        return
    used = onsite if onsite is not None else plans.default_onsite_months(months, issue.mode)
    form.onsite_months.data = [str(n) for n in used]
    form.onsite_for.data = str(months)


def _merge(*sources: Mapping[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for source in sources:
        for name, messages in source.items():
            merged.setdefault(name, []).extend(messages)
    return merged


@bp.route("/issues/<int:issue_id>/requests/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_request(issue_id: int) -> str | Response | tuple[str, int]:
    issue: Issue = _found(get_visible_issue, _me(), issue_id)
    expert = _expert_from_args()
    programs = _programs()
    initial = request_form_data(issue.months, issue.mode, issue.menu) if request.method == "GET" else None
    form = RequestForm(programs, _months_shown(issue), data=initial)
    preview, errors = None, {}
    if form.validate_on_submit():
        data, unread = form.to_input(issue.id, expert.id)
        try:
            preview = service.preview(_me(), data)
        except InvalidInput as refused:
            errors = refused.errors
        except NotFound:
            abort(404)
        errors = _merge(unread, errors)
        if form.send.data and not errors:
            try:
                with transaction():
                    sent = service.send_request(_me(), data)
            except InvalidInput as refused:
                errors = refused.errors
            except NotFound:
                abort(404)
            except Conflict as refusal:  # e.g. a pending request for the pair sent from another tab meanwhile
                flash(str(refusal), "error")
                return redirect(url_for("booking.request_list", status="pending"), code=303)
            except ServiceError as refusal:
                errors = {"request": [str(refusal)]}
            else:
                flash(f"{expert.display_name}さんに依頼を送りました。回答期限は{due_date(sent.expires_at)}です"
                      "（期限までに回答がない場合は期限切れになります）。",
                      "success")
                return redirect(url_for("booking.request_detail", request_id=sent.id), code=303)
        _keep_onsite(form, issue, data.onsite_months)
    others = form.show_errors(errors)
    page = render_template("booking/request_form.html", issue=issue, expert=expert, form=form, preview=preview,
                           others=others, panels=_cap_panels(issue, form, programs),
                           pending=request_views.pending_between(_me(), issue.id, expert.id),
                           towns=plans.towns_of(issue), names=request_views.town_names(plans.towns_of(issue)))
    return (page, 422) if errors else page


# ------------------------------------------------------------------ the detail and the answers


def _offered(req: EngagementRequest) -> list[tuple[str, str]]:
    return [(str(i), format_datetime_weekday(datetime.fromisoformat(v))) for i, v in enumerate(req.slots)]


def _render_detail(req: EngagementRequest, *, accept_form: AcceptForm | None = None,
                   decline_form: DeclineForm | None = None, errors: Mapping[str, list[str]] | None = None,
                   ) -> str | tuple[str, int]:
    accept_form = accept_form or AcceptForm(_offered(req), formdata=None)
    decline_form = decline_form or DeclineForm(formdata=None)
    others: dict[str, list[str]] = {}
    for name, messages in (errors or {}).items():
        form = decline_form if name in ("reason", "note") else accept_form
        target = form._fields.get("proposed_date" if name == "proposed_start" else name)
        if target is None:
            others.setdefault(name, []).extend(messages)
        else:
            target.errors = [*target.errors, *messages]
    towns = plans.towns_of(req.issue)
    page = render_template(
        "booking/request_detail.html", req=req, side=access.side_of(_me(), req.expert_id),
        plan=request_views.requested_plan(req), offered=_offered(req), engagement=request_views.engagement_of(req),
        accept_form=accept_form, decline_form=decline_form, withdraw_form=EmptyForm(), others=others,
        names=request_views.town_names(towns), towns=towns)
    return (page, 422) if errors else page


@bp.route("/requests/<int:request_id>")
@login_required
def request_detail(request_id: int) -> str | tuple[str, int]:
    return _render_detail(_found(access.get_request, _me(), request_id))


def _back(request_id: int, error: ServiceError) -> Response:
    """A refusal that is not about a field (already answered, a rule that filled meanwhile): say it, show the request."""
    flash(str(error), "error")
    return redirect(url_for("booking.request_detail", request_id=request_id), code=303)


@bp.route("/requests/<int:request_id>/accept", methods=["POST"])
@login_required
def accept_request(request_id: int) -> Response | str | tuple[str, int]:
    req = _found(access.get_request, _me(), request_id)
    form = AcceptForm(_offered(req))
    if not form.validate_on_submit():
        abort(400)
    values, unread = form.answer()
    if unread:
        return _render_detail(req, accept_form=form, errors=unread)
    try:
        with transaction():
            engagement = service.accept(_me(), request_id, **values)
    except NotFound:
        abort(404)
    except InvalidInput as refused:
        return _render_detail(_found(access.get_request, _me(), request_id), accept_form=form, errors=refused.errors)
    except ServiceError as refusal:  # AlreadyAnswered, a cap, the expert's capacity or calendar: a Conflict
        return _back(request_id, refusal)
    flash("依頼を承諾しました。訪問の日程案を確かめ、都合のよい日程を確定してください。", "success")
    return redirect(url_for("booking.engagement_detail", engagement_id=engagement.id), code=303)


@bp.route("/requests/<int:request_id>/decline", methods=["POST"])
@login_required
def decline_request(request_id: int) -> Response | str | tuple[str, int]:
    req = _found(access.get_request, _me(), request_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with transaction():
            service.decline(_me(), request_id, form.reason.data or "", form.note.data or "")
    except NotFound:
        abort(404)
    except InvalidInput as refused:
        return _render_detail(_found(access.get_request, _me(), request_id), decline_form=form, errors=refused.errors)
    except ServiceError as refusal:
        return _back(request_id, refusal)
    flash("依頼を辞退しました。理由は市町村の担当者に伝わります。", "success")
    return redirect(url_for("booking.request_detail", request_id=req.id), code=303)


@bp.route("/requests/<int:request_id>/withdraw", methods=["POST"])
@login_required
def withdraw_request(request_id: int) -> Response:
    _found(access.get_request, _me(), request_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with transaction():
            service.withdraw(_me(), request_id)
    except NotFound:
        abort(404)
    except ServiceError as refusal:
        return _back(request_id, refusal)
    flash("依頼を取り下げました。外部人材に知らせました。", "success")
    return redirect(url_for("booking.request_detail", request_id=request_id), code=303)
