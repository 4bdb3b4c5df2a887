"""Engagement pages: the engagement (plan, visits, reports), its visits' confirm / move / cancel, the expert's
report, the town's acknowledgement, question, completion and extension; the engagements list; the 「予定」
(list and month calendar) and the expert's unavailable days.

Who may see what is the booking service's rule (web.services.booking.access): anything another town, prefecture
or expert owns is a 404 on every route, GET and POST. A page or button meant for the other side of the engagement
(the report form for the town, the completion for the expert) is a 404 too: it is not offered there.
Bad input re-renders the form with 422 and a Japanese message under each field; a conflict (someone acted
first, a cap, the expert's capacity or another visit at that time) is flashed by web.errors and redirected (303).
"""
from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from web.auth.access import role_required
from web.auth.forms import EmptyForm
from web.booking import bp
from web.booking.engagement_forms import (
    CompleteForm,
    ExtendForm,
    MoveForm,
    PlacedErrorsForm,
    QuestionForm,
    ReasonForm,
    ReportForm,
    UnavailableForm,
    parse_day,
)
from web.codes import STAGES
from web.dates import JST, fiscal_year_of, format_date_weekday, format_fiscal_year, today_jst
from web.extensions import db
from web.models import Engagement, ExpertProfile, Issue, IssueCoOwner, Municipality, User, Visit, VisitReport
from web.models.base import utcnow
from web.services.booking import access, engagements, plans, reports, schedule, visits
from web.services.booking.reports import ReportInput
from web.services.errors import Conflict, NotFound, ServiceError
from web.services.experts import get_own_profile
from web.services.validation import Checker, InvalidInput, parse_integer
from web.transaction import transaction

logger = logging.getLogger(__name__)

OPEN_VISIT_STATUSES = ("proposed", "confirmed")
UPCOMING_DAYS = 183
UPCOMING_SHOWN = 50
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CALENDAR_YEARS = (2000, 2100)


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.app_template_filter("time_jst")
def time_jst(value: datetime | None) -> str:
    """14:00 or 9:30 (Japan time; the hour without a leading zero, like datetime_jst)."""
    if value is None:
        return ""
    local = value.astimezone(JST)
    return f"{local.hour}:{local.minute:02d}"


# ------------------------------------------------------------------ loading what the user may see (else 404)


def _engagement(engagement_id: int) -> Engagement:
    try:
        return access.get_engagement(_me(), engagement_id)
    except NotFound:
        logger.info("engagement %d hidden from user %d", engagement_id, _me().id)
        abort(404)


def _visit(visit_id: int) -> Visit:
    try:
        return access.get_visit(_me(), visit_id)
    except NotFound:
        logger.info("visit %d hidden from user %d", visit_id, _me().id)
        abort(404)


def _report(report_id: int) -> VisitReport:
    report = db.session.get(VisitReport, report_id)
    if report is None:
        abort(404)
    _visit(report.visit_id)
    return report


def _side(expert_id: int) -> str:
    try:
        return access.side_of(_me(), expert_id)
    except NotFound:
        abort(404)


def _only_for(expert_id: int, side: str) -> None:
    """A page or button of the other side of the engagement is not offered: 404."""
    if _side(expert_id) != side:
        abort(404)


def _back_to(visit: Visit) -> Response:
    return redirect(url_for("booking.engagement_detail", engagement_id=visit.engagement_id,
                            _anchor=f"visit-{visit.id}"), code=303)


def _refused(form: PlacedErrorsForm, error: InvalidInput) -> None:
    for message in form.show_errors(error.errors):
        flash(message, "error")


def _refusal(error: ServiceError, back: Response) -> Response:
    """A refusal that is neither bad input nor a conflict (those re-render / go to web.errors): flash it."""
    if isinstance(error, Conflict):
        raise error
    if isinstance(error, NotFound):
        abort(404)
    flash(str(error), "error")
    return back


def _form_page(template: str, status: int = 200, **context: object) -> tuple[str, int]:
    return render_template(template, **context), status


# ------------------------------------------------------------------ the engagement page


@dataclass(frozen=True)
class StageStep:
    code: str
    label: str
    at_start: bool
    current: bool
    reached: bool


def stage_steps(stage_at_start: str, latest_stage: str | None) -> list[StageStep]:
    """The DX stages i–vii in order, marking the stage at the start and the latest stage a report names."""
    current = latest_stage or stage_at_start
    order = list(STAGES)
    reached_until = order.index(current) if current in order else -1
    return [StageStep(code, label, code == stage_at_start, code == current, i <= reached_until)
            for i, (code, label) in enumerate(STAGES.items())]


def _towns(issue: Issue) -> list[Municipality]:
    codes = plans.towns_of(issue)
    towns = {t.code: t for t in db.session.scalars(select(Municipality).where(Municipality.code.in_(codes)))}
    return [towns[code] for code in codes if code in towns]


@dataclass(frozen=True)
class TownLink:
    name: str
    url: str | None  # the town's record (municipality page) when the user may open it


def town_links(user: User, towns: list[Municipality]) -> list[TownLink]:
    """The engagement's towns, each linked to its municipality page for those who may see it (else plain text)."""
    def may_open(town: Municipality) -> bool:
        return (user.role == "admin" or (user.role == "coordinator" and user.prefecture_code == town.prefecture_code)
                or (user.role == "officer" and user.municipality_code == town.code))
    return [TownLink(t.full_name, url_for("coordinator.municipality", code=t.code) if may_open(t) else None)
            for t in towns]


@dataclass(frozen=True)
class StageMoment:
    """One point of the stage history: the stage at the start, then each report that names a stage."""

    on: date
    stage_label: str
    source: str
    visit_id: int | None
    changed: bool  # a different stage from the point before


def stage_history(engagement: Engagement, visit_list: list[Visit]) -> list[StageMoment]:
    """The DX stage over time, from the visits already loaded with their reports (no further query)."""
    moments = [StageMoment(engagement.start_on, STAGES.get(engagement.stage_at_start, engagement.stage_at_start),
                           "支援開始時", None, False)]
    previous = engagement.stage_at_start
    for visit in visit_list:
        report = visit.report
        if report is None or not report.stage:
            continue
        moments.append(StageMoment(visit.starts_at.astimezone(JST).date(), STAGES.get(report.stage, report.stage),
                                   "訪問の報告", visit.id, report.stage != previous))
        previous = report.stage
    return moments


def stages_moved(stage_at_start: str, latest_stage: str | None) -> int:
    """How many stages the issue moved since the start (negative: it went back), 0 without a later stage."""
    order = list(STAGES)
    if latest_stage is None or latest_stage not in order or stage_at_start not in order:
        return 0
    return order.index(latest_stage) - order.index(stage_at_start)


def place_text(visit: Visit) -> str:
    if visit.mode == "onsite":
        return visit.place or plans.place_of(visit.municipality_code)
    return ""


def meeting_link(visit: Visit) -> str:
    """The online meeting link, only when it is a web address (anything else is shown as text, never linked)."""
    url = visit.meeting_url or visit.engagement.meeting_url
    return url if url.startswith(("https://", "http://")) else ""


def fiscal_years(engagement: Engagement) -> str:
    """令和8年度（2026年度）, or 令和8年度（2026年度）〜令和9年度（2027年度） for a period across two."""
    first, last = fiscal_year_of(engagement.start_on), fiscal_year_of(engagement.end_on)
    return format_fiscal_year(first) if first == last else f"{format_fiscal_year(first)}〜{format_fiscal_year(last)}"


@bp.route("/engagements/<int:engagement_id>")
@login_required
def engagement_detail(engagement_id: int) -> str:
    engagement = _engagement(engagement_id)
    side = _side(engagement.expert_id)
    visit_list = visits.visits_of(engagement)
    towns = _towns(engagement.issue)
    progress = engagements.engagement_progress(engagement)
    return render_template(
        "booking/engagement_detail.html", engagement=engagement, side=side, visits=visit_list,
        towns=town_links(_me(), towns), joint=len(towns) > 1, progress=progress, form=EmptyForm(), now=utcnow(),
        history=stage_history(engagement, visit_list),
        moved=stages_moved(progress.stage_at_start, progress.latest_stage),
        reports=[v.report for v in visit_list if v.report is not None],
        steps=stage_steps(progress.stage_at_start, progress.latest_stage), fiscal_years=fiscal_years(engagement),
        active=engagement.status == "active", place_text=place_text, meeting_link=meeting_link,
        can_see_issue=_me().role in ("officer", "coordinator", "admin"),
    )


# ------------------------------------------------------------------ visits: confirm, move, cancel


@bp.route("/visits/<int:visit_id>/confirm", methods=["POST"])
@login_required
def confirm_visit(visit_id: int) -> Response:
    visit = _visit(visit_id)
    if EmptyForm().validate_on_submit():
        try:
            with transaction():
                done = visits.confirm(_me(), visit.id)
        except ServiceError as error:
            return _refusal(error, _back_to(visit))
        if done.status == "confirmed":
            flash(f"{format_date_weekday(done.starts_at)}{time_jst(done.starts_at)}の訪問の日程が確定しました。"
                  "カレンダーの招待状をメールでお送りしました。", "success")
        else:
            flash("この日程を了承しました。相手の確認を待っています。", "success")
    return _back_to(visit)


@bp.route("/visits/<int:visit_id>/move", methods=["GET", "POST"])
@login_required
def move_visit(visit_id: int) -> str | Response | tuple[str, int]:
    visit = _visit(visit_id)
    local = visit.starts_at.astimezone(JST)
    initial = {"day": local.date(), "start_time": f"{local:%H:%M}", "meeting_url": visit.meeting_url}
    form = MoveForm(data=initial if request.method == "GET" else None)
    if visit.status not in OPEN_VISIT_STATUSES or visit.engagement.status != "active":
        flash(f"この訪問は「{visit.status_label}」のため、日時を変更できません。", "error")
        return _back_to(visit)
    if form.validate_on_submit():
        starts_at = form.starts_at()
        if starts_at is not None:
            try:
                with transaction():
                    visits.move(_me(), visit.id, starts_at, form.note.data or "",
                                meeting_url=(form.meeting_url.data or "") if visit.mode == "online" else None)
            except InvalidInput as error:
                _refused(form, error)
            except ServiceError as error:
                return _refusal(error, _back_to(visit))
            else:
                flash("新しい日時を提案しました。相手が確認すると日程が確定します。", "success")
                return _back_to(visit)
    status = 422 if form.errors else 200
    return _form_page("booking/visit_move.html", status, visit=visit, form=form, place_text=place_text)


@bp.route("/visits/<int:visit_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_visit(visit_id: int) -> str | Response | tuple[str, int]:
    """GET asks for the reason (a confirmation step without script); POST cancels."""
    visit = _visit(visit_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            with transaction():
                visits.cancel(_me(), visit.id, form.reason.data or "")
        except InvalidInput as error:
            _refused(form, error)
        except ServiceError as error:
            return _refusal(error, _back_to(visit))
        else:
            flash("訪問を中止しました。相手にお知らせしました。", "success")
            return _back_to(visit)
    status = 422 if form.errors else 200
    return _form_page("booking/visit_cancel.html", status, visit=visit, form=form, place_text=place_text)


# ------------------------------------------------------------------ reports


def _report_input(form: ReportForm) -> ReportInput:
    return ReportInput(summary=form.summary.data or "", decisions=form.decisions.data or "",
                       next_actions=form.next_actions.data or "", hours=form.hours.data or None,
                       stage=form.stage.data or None)


@bp.route("/visits/<int:visit_id>/report", methods=["GET", "POST"])
@login_required
def report_visit(visit_id: int) -> str | Response | tuple[str, int]:
    visit = _visit(visit_id)
    _only_for(visit.expert_id, "expert")
    report = visit.report
    if report is not None and report.acknowledged_at is not None:
        flash("この報告は市町村が確認済みのため変更できません。", "error")
        return _back_to(visit)
    if report is None and (visit.status != "confirmed" or visit.starts_at > utcnow()):
        flash("報告は、日程が確定した訪問の開始後に書けます。", "error")
        return _back_to(visit)
    initial = None
    if request.method == "GET":
        initial = ({"summary": report.summary, "decisions": report.decisions, "next_actions": report.next_actions,
                    "hours": "" if report.hours is None else f"{report.hours:g}", "stage": report.stage or ""}
                   if report is not None else {"stage": _latest_stage(visit.engagement)})
    form = ReportForm(data=initial)
    if form.validate_on_submit():
        try:
            with transaction():
                reports.file_report(_me(), visit.id, _report_input(form))
        except InvalidInput as error:
            _refused(form, error)
        except ServiceError as error:
            return _refusal(error, _back_to(visit))
        else:
            flash("報告を送りました。市町村の担当者にお知らせしました。" if report is None
                  else "報告を更新しました。市町村の担当者にお知らせしました。", "success")
            return _back_to(visit)
    status = 422 if form.errors else 200
    return _form_page("booking/report_form.html", status, visit=visit, report=report, form=form,
                      place_text=place_text)


def _latest_stage(engagement: Engagement) -> str:
    return engagements.engagement_progress(engagement).latest_stage or engagement.stage_at_start


@bp.route("/reports/<int:report_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge_report(report_id: int) -> Response:
    report = _report(report_id)
    _only_for(report.visit.expert_id, "town")
    if EmptyForm().validate_on_submit():
        try:
            with transaction():
                reports.acknowledge(_me(), report.id)
        except ServiceError as error:
            return _refusal(error, _back_to(report.visit))
        flash("報告を確認済みにしました。外部人材にお知らせしました。", "success")
    return _back_to(report.visit)


@bp.route("/reports/<int:report_id>/question", methods=["GET", "POST"])
@login_required
def ask_report(report_id: int) -> str | Response | tuple[str, int]:
    report = _report(report_id)
    visit = report.visit
    _only_for(visit.expert_id, "town")
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            with transaction():
                reports.ask(_me(), report.id, form.question.data or "")
        except InvalidInput as error:
            _refused(form, error)
        except ServiceError as error:
            return _refusal(error, _back_to(visit))
        else:
            flash("質問を送りました。外部人材が報告を更新して回答します。", "success")
            return _back_to(visit)
    status = 422 if form.errors else 200
    return _form_page("booking/report_question.html", status, visit=visit, report=report, form=form)


# ------------------------------------------------------------------ the engagement: complete, cancel, extend


def _active_engagement(engagement_id: int, side: str | None = None) -> Engagement | Response:
    engagement = _engagement(engagement_id)
    if side is not None:
        _only_for(engagement.expert_id, side)
    if engagement.status != "active":
        flash(f"この支援は「{engagement.status_label}」です。", "error")
        return redirect(url_for("booking.engagement_detail", engagement_id=engagement.id), code=303)
    return engagement


def _to_engagement(engagement: Engagement) -> Response:
    return redirect(url_for("booking.engagement_detail", engagement_id=engagement.id), code=303)


@bp.route("/engagements/<int:engagement_id>/complete", methods=["GET", "POST"])
@login_required
def complete_engagement(engagement_id: int) -> str | Response | tuple[str, int]:
    engagement = _active_engagement(engagement_id, "town")
    if isinstance(engagement, Response):
        return engagement
    form = CompleteForm()
    if form.validate_on_submit():
        try:
            with transaction():
                engagements.complete(_me(), engagement.id, form.outcome.data or "", form.rating.data or None,
                                     form.comment.data or "")
        except InvalidInput as error:
            _refused(form, error)
        except ServiceError as error:
            return _refusal(error, _to_engagement(engagement))
        else:
            flash("支援を完了しました。ご協力ありがとうございました。", "success")
            return _to_engagement(engagement)
    status = 422 if form.errors else 200
    return _form_page("booking/engagement_complete.html", status, engagement=engagement, form=form,
                      remaining=_open_visits(engagement))


def _open_visits(engagement: Engagement) -> list[Visit]:
    now = utcnow()
    return [v for v in engagement.visits if v.status in OPEN_VISIT_STATUSES and v.starts_at > now]


@bp.route("/engagements/<int:engagement_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_engagement(engagement_id: int) -> str | Response | tuple[str, int]:
    engagement = _active_engagement(engagement_id)
    if isinstance(engagement, Response):
        return engagement
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            with transaction():
                engagements.cancel_engagement(_me(), engagement.id, form.reason.data or "")
        except InvalidInput as error:
            _refused(form, error)
        except ServiceError as error:
            return _refusal(error, _to_engagement(engagement))
        else:
            flash("支援を中止しました。これからの訪問も中止し、相手にお知らせしました。", "success")
            return _to_engagement(engagement)
    status = 422 if form.errors else 200
    return _form_page("booking/engagement_cancel.html", status, engagement=engagement, form=form,
                      remaining=_open_visits(engagement))


@bp.route("/engagements/<int:engagement_id>/extend", methods=["GET", "POST"])
@login_required
def extend_engagement(engagement_id: int) -> str | Response | tuple[str, int]:
    engagement = _active_engagement(engagement_id, "town")
    if isinstance(engagement, Response):
        return engagement
    form = ExtendForm()
    if form.validate_on_submit():
        months = parse_integer(form.months.data)
        try:
            if months is None:
                raise InvalidInput({"months": ["延長する月数は半角数字で入力してください（例: 3）。"]})
            with transaction():
                engagements.extend(_me(), engagement.id, months)
        except InvalidInput as error:
            _refused(form, error)
        except ServiceError as error:
            return _refusal(error, _to_engagement(engagement))
        else:
            flash(f"支援を{months}か月延長しました。追加した訪問の日程を確認してください。", "success")
            return _to_engagement(engagement)
    status = 422 if form.errors else 200
    return _form_page("booking/engagement_extend.html", status, engagement=engagement, form=form)


# ------------------------------------------------------------------ the engagements list


@dataclass(frozen=True)
class VisitCounts:
    done: int = 0
    planned: int = 0
    next_at: datetime | None = None


def visit_counts(engagement_ids: list[int]) -> dict[int, VisitCounts]:
    """Visits done and planned (proposed or confirmed) and the next visit, per engagement: two grouped queries."""
    if not engagement_ids:
        return {}
    done: dict[int, int] = {}
    planned: dict[int, int] = {}
    rows = db.session.execute(select(Visit.engagement_id, Visit.status, func.count())
                              .where(Visit.engagement_id.in_(engagement_ids))
                              .group_by(Visit.engagement_id, Visit.status))
    for engagement_id, status, count in rows:
        if status == "done":
            done[engagement_id] = count
        elif status in OPEN_VISIT_STATUSES:
            planned[engagement_id] = planned.get(engagement_id, 0) + count
    next_at: dict[int, datetime] = {
        pk: at for pk, at in db.session.execute(
            select(Visit.engagement_id, func.min(Visit.starts_at))
            .where(Visit.engagement_id.in_(engagement_ids), Visit.status.in_(OPEN_VISIT_STATUSES),
                   Visit.starts_at >= utcnow())
            .group_by(Visit.engagement_id))}
    return {pk: VisitCounts(done.get(pk, 0), planned.get(pk, 0), next_at.get(pk)) for pk in engagement_ids}


def _town_filter(user: User) -> tuple[list[Municipality], str]:
    """A coordinator (or admin) may narrow the list to one town of their prefecture."""
    if user.role != "coordinator":
        return [], ""
    towns = list(db.session.scalars(select(Municipality).where(Municipality.prefecture_code == user.prefecture_code)
                                    .order_by(Municipality.kana, Municipality.code)))
    wanted = request.args.get("town", "")
    return towns, wanted if any(t.code == wanted for t in towns) else ""


def _by_town(query: Select[tuple[Engagement]], code: str) -> Select[tuple[Engagement]]:
    co_owned = select(IssueCoOwner.issue_id).where(IssueCoOwner.municipality_code == code)
    in_town = select(Issue.id).where(or_(Issue.municipality_code == code, Issue.id.in_(co_owned)))
    return query.where(Engagement.issue_id.in_(in_town))


@bp.route("/engagements")
@login_required
def engagement_list() -> str:
    user = _me()
    towns, town = _town_filter(user)
    query = access.engagements_query(user)
    if town:
        query = _by_town(query, town)
    rows: list[Engagement] = list(db.session.scalars(
        query.options(joinedload(Engagement.issue).joinedload(Issue.municipality).joinedload(Municipality.prefecture),
                      joinedload(Engagement.expert), joinedload(Engagement.program))
        .order_by(Engagement.start_on.desc(), Engagement.id.desc())))
    counts = visit_counts([e.id for e in rows])
    return render_template("booking/engagement_list.html", current=[e for e in rows if e.status == "active"],
                           past=[e for e in rows if e.status != "active"], counts=counts, towns=towns, town=town)


# ------------------------------------------------------------------ 予定: list and month calendar


def month_from(value: str | None) -> date | None:
    match = _MONTH.match((value or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    return date(year, month, 1) if CALENDAR_YEARS[0] <= year <= CALENDAR_YEARS[1] and 1 <= month <= 12 else None


@dataclass(frozen=True)
class CalendarDay:
    day: date | None
    visits: list[Visit]
    today: bool = False


def month_grid(month: date, month_visits: list[Visit]) -> list[list[CalendarDay]]:
    """Weeks (Sunday first) of the month; days outside it are empty cells."""
    by_day: dict[date, list[Visit]] = {}
    for visit in month_visits:
        by_day.setdefault(visit.starts_at.astimezone(JST).date(), []).append(visit)
    today = today_jst()
    weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(month.year, month.month)
    return [[CalendarDay(d, by_day.get(d, []), d == today) if d.month == month.month else CalendarDay(None, [])
             for d in week] for week in weeks]


@bp.route("/schedule")
@login_required
def schedule_page() -> str:
    user = _me()
    asked = request.args.get("month")
    month = month_from(asked)
    this_month = today_jst().replace(day=1)
    wrong_month = bool(asked) and month is None
    month = month or this_month
    start = datetime.combine(month, time(), JST)
    end = datetime.combine(plans.add_months(month, 1), time(), JST)
    now = utcnow()
    month_visits = visits.upcoming_visits(user, start, end)
    upcoming = visits.upcoming_visits(user, now, now + timedelta(days=UPCOMING_DAYS), limit=UPCOMING_SHOWN)
    previous, following = plans.add_months(month, -1), plans.add_months(month, 1)
    return render_template(
        "booking/schedule.html", month=month, weeks=month_grid(month, month_visits), month_visits=month_visits,
        upcoming=upcoming, upcoming_limit=UPCOMING_SHOWN, wrong_month=wrong_month, this_month=this_month,
        previous=previous if previous.year >= CALENDAR_YEARS[0] else None,
        following=following if following.year <= CALENDAR_YEARS[1] else None,
        weekdays="日月火水木金土", truncated=len(month_visits) >= visits.UPCOMING_LIMIT,
    )


# ------------------------------------------------------------------ unavailable days (expert only)


def _own_profile() -> ExpertProfile | None:
    return get_own_profile(_me())


@bp.route("/schedule/unavailable", methods=["GET", "POST"])
@role_required("expert")
def unavailable_days() -> str | Response | tuple[str, int]:
    profile = _own_profile()
    if profile is None:
        flash("対応できない日を登録するには、先にプロフィールを登録してください。", "error")
        return redirect(url_for("experts.my_profile"))
    form = UnavailableForm()
    if form.validate_on_submit():
        checker = Checker()
        day = parse_day(checker, "day", "対応できない日", form.day.data)
        note = checker.text("note", "メモ", form.note.data, required=False, max_len=100)
        if day is not None and day < today_jst():
            checker.add("day", "過去の日付は登録できません。今日以降の日付を入力してください。")
        try:
            checker.raise_if_any()
            with transaction():
                schedule.set_unavailable(profile.id, day, note)  # type: ignore[arg-type]
        except InvalidInput as error:
            _refused(form, error)
        else:
            flash(f"{format_date_weekday(day)}を対応できない日として登録しました。"
                  "この日には新しい訪問が提案されません。", "success")
            return redirect(url_for("booking.unavailable_days"), code=303)
    status = 422 if form.errors else 200
    days = [row for row in schedule.list_unavailable(profile.id) if row.day >= today_jst()]
    return _form_page("booking/schedule_unavailable.html", status, form=form, days=days,
                      remove_form=EmptyForm(), clashes=_visits_on(profile.id, [row.day for row in days]))


def _visits_on(expert_id: int, days: list[date]) -> dict[date, int]:
    """How many planned visits fall on each declared day (they are not moved automatically)."""
    if not days:
        return {}
    start = datetime.combine(min(days), time(), JST)
    end = datetime.combine(max(days) + timedelta(days=1), time(), JST)
    rows = db.session.scalars(select(Visit.starts_at).where(
        Visit.expert_id == expert_id, Visit.status.in_(OPEN_VISIT_STATUSES),
        Visit.starts_at >= start, Visit.starts_at < end))
    wanted = set(days)
    found: dict[date, int] = {}
    for starts_at in rows:
        day = starts_at.astimezone(JST).date()
        if day in wanted:
            found[day] = found.get(day, 0) + 1
    return found


@bp.route("/schedule/unavailable/<day>/remove", methods=["POST"])
@role_required("expert")
def remove_unavailable_day(day: str) -> Response:
    profile = _own_profile()
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if profile is not None and EmptyForm().validate_on_submit():
        with transaction():
            schedule.clear_unavailable(profile.id, parsed)
        flash(f"{format_date_weekday(parsed)}を対応できない日から外しました。", "success")
    return redirect(url_for("booking.unavailable_days"), code=303)

