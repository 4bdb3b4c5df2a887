"""What the scheduled jobs do: request reminders and expiry, visit reminders, report nudges, reconfirmation.

Each sweep asks the database what is due at `now` (an aware datetime; the job passes the current time) and
claims each due row with a compare-and-set UPDATE on a state column of our own tables (``reminded_at``,
``expired_at``, ``report_nudged_at``) before telling anyone. Only the sweep whose UPDATE changed the row tells:
a second run finds nothing due, and a second scheduler running at the same moment waits for the first one's
row lock (PostgreSQL) or write lock (SQLite) and then matches no row. `notify.tell` is the second guard: one
notification and one mail per (user, key).

A sweep is one unit of work (the job wrapper's ``with transaction():`` commits): mail leaves after the commit,
and a failure rolls back every claim and drops every queued mail, so the next run tries again and nothing is
ever sent twice.

Days are counted in Japan time on the business-day calendar of the town concerned (web/services/business_days.py:
weekends, public holidays, the town's closure days). Reminders and nudges go out from 09:00 Japan time on their day
(not at midnight); a request expires at its ``expires_at`` (00:00 Japan time, see `due_dates`).
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import ColumnElement, exists, select, update

from web.codes import VISIT_MODES
from web.dates import JST, format_date_weekday
from web.extensions import db
from web.models import EngagementRequest, ExpertProfile, Issue, User, Visit, VisitReport
from web.models.base import utcnow
from web.services.booking import notify
from web.services.business_days import current_calendar

logger = logging.getLogger(__name__)

#: Reminders and nudges are sent from this time (Japan time) on the day they are due.
SEND_FROM = time(9, 0)
#: Visits starting further ahead than this are not looked at (the business day before a visit is never further
#: back than the longest closure: Golden Week or the New Year, about ten days).
VISIT_LOOKAHEAD = timedelta(days=16)
#: Business days after a visit before its expert is asked for the report.
REPORT_NUDGE_BUSINESS_DAYS = 2
#: Visit statuses that are reminded the business day before (a proposal is asked to be confirmed).
REMINDED_VISIT_STATUSES = ("proposed", "confirmed")

#: Booking pages (web/booking, helper P). A link points at the page once its endpoint is registered and at the
#: home page until then (the notification still says what to do).
REQUEST_ENDPOINT = "booking.request_detail"  # request_id
ENGAGEMENT_ENDPOINT = "booking.engagement_detail"  # engagement_id
FALLBACK_ENDPOINT = "main.index"


# ---------------------------------------------------------------- settings and dates


def _setting(name: str) -> int:
    return int(current_app.config[name])


def _aware(now: datetime | None) -> datetime:
    moment = now or utcnow()
    if moment.tzinfo is None:
        raise ValueError("a sweep needs an aware datetime (Japan time or UTC)")
    return moment.astimezone(UTC)


def _from(day: date) -> datetime:
    """The moment a reminder due on `day` may be sent: 09:00 Japan time that day."""
    return datetime.combine(day, SEND_FROM, JST)


def due_dates(sent_at: datetime, municipality_code: str) -> tuple[date, datetime]:
    """Return (the reminder day, expires_at) of a request sent at `sent_at` for an issue of `municipality_code`.

    The reminder is due on the BOOKING_REMIND_BUSINESS_DAYS-th business day after the sending day (Japan time,
    the town's calendar); the request expires at 00:00 Japan time of the day after the
    BOOKING_EXPIRE_BUSINESS_DAYS-th business day (returned in UTC). Sent Friday 2026-05-01 with 3 and 7: reminded
    Monday 2026-05-11, expires 2026-05-16 00:00 JST (Golden Week and weekends do not count).
    """
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be an aware datetime")
    calendar = current_calendar()
    sent_on = sent_at.astimezone(JST).date()
    remind_on = calendar.add_business_days(sent_on, _setting("BOOKING_REMIND_BUSINESS_DAYS"), municipality_code)
    last_day = calendar.add_business_days(sent_on, _setting("BOOKING_EXPIRE_BUSINESS_DAYS"), municipality_code)
    expires_at = datetime.combine(last_day + timedelta(days=1), time(0), JST).astimezone(UTC)
    return remind_on, expires_at


def last_answer_day(expires_at: datetime) -> date:
    """The last day (Japan time) on which a request expiring at `expires_at` can still be answered."""
    return (expires_at.astimezone(JST) - timedelta(microseconds=1)).date()


def _when(moment: datetime) -> str:
    """2026年5月11日（月）14:00 (Japan time)."""
    return f"{format_date_weekday(moment)}{moment.astimezone(JST):%H:%M}"


def _link(endpoint: str, **values: Any) -> dict[str, Any]:
    if endpoint in current_app.view_functions:
        return {"endpoint": endpoint, **values}
    return {"endpoint": FALLBACK_ENDPOINT}


Sweep = Callable[..., int]


def _with_urls(sweep: Sweep) -> Sweep:
    """Run a sweep where url_for works: jobs and the CLI have no request, so build links against PUBLIC_BASE_URL
    (or the development address) as notify.absolute does."""

    @functools.wraps(sweep)
    def run(now: datetime | None = None) -> int:
        if has_request_context():
            return sweep(now)
        base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
        with current_app.test_request_context("/", base_url=base):
            return sweep(now)

    return run


# ---------------------------------------------------------------- claiming a row


def _claim(model: type[EngagementRequest | Visit], row_id: int, values: dict[str, Any],
           *conditions: ColumnElement[bool]) -> bool:
    """Set `values` on the row if it still meets `conditions`; return whether this call changed it.

    The UPDATE's WHERE is re-checked against the committed row when a concurrent writer held it (PostgreSQL,
    READ COMMITTED), so of two schedulers exactly one claims each row.
    """
    result = db.session.execute(update(model).where(model.id == row_id, *conditions).values(**values)
                                .execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _reload(model: type[Any], row_id: int) -> Any:
    return db.session.get(model, row_id, populate_existing=True)


# ---------------------------------------------------------------- requests


@_with_urls
def remind_requests(now: datetime | None = None) -> int:
    """Remind the expert of each pending request whose reminder day has come; return how many were reminded."""
    now = _aware(now)
    query = (select(EngagementRequest.id, EngagementRequest.created_at, Issue.municipality_code)
             .join(Issue, Issue.id == EngagementRequest.issue_id)
             .where(EngagementRequest.status == "pending", EngagementRequest.reminded_at.is_(None),
                    EngagementRequest.created_at <= now, EngagementRequest.expires_at > now)
             .order_by(EngagementRequest.id))
    reminded = 0
    for request_id, created_at, code in db.session.execute(query).all():
        remind_on, _ = due_dates(created_at, code)
        if now < _from(remind_on):
            continue
        if not _claim(EngagementRequest, request_id, {"reminded_at": now},
                      EngagementRequest.reminded_at.is_(None), EngagementRequest.status == "pending"):
            continue
        _tell_request_reminder(_reload(EngagementRequest, request_id))
        reminded += 1
    return reminded


def _tell_request_reminder(request: EngagementRequest) -> None:
    issue = request.issue
    body = (f"{issue.municipality.full_name}から{format_date_weekday(request.created_at)}に届いた依頼"
            f"（課題「{issue.title}」）に、まだ回答がありません。\n"
            f"{format_date_weekday(last_answer_day(request.expires_at))}までに、承諾または辞退で回答してください。"
            "期限を過ぎると依頼は期限切れになり、市町村は別の人材を探します。")
    notify.tell(notify.expert_user(request.expert), f"request:{request.id}:reminder", kind="request_reminder",
                title="依頼への回答をお願いします", body=body, **_link(REQUEST_ENDPOINT, request_id=request.id))


@_with_urls
def expire_requests(now: datetime | None = None) -> int:
    """Expire each pending request past its expires_at; the issue returns to matching and both sides are told."""
    now = _aware(now)
    due = db.session.scalars(select(EngagementRequest.id)
                             .where(EngagementRequest.status == "pending", EngagementRequest.expires_at <= now)
                             .order_by(EngagementRequest.id)).all()
    expired = 0
    for request_id in due:
        if not _claim(EngagementRequest, request_id,
                      {"status": "expired", "expired_at": now, "responded_at": now},
                      EngagementRequest.status == "pending"):
            continue
        request = _reload(EngagementRequest, request_id)
        issue = request.issue
        if issue.status == "open":
            issue.transition_to("matching")
        _tell_expiry(request, issue)
        expired += 1
    db.session.flush()
    return expired


def _tell_expiry(request: EngagementRequest, issue: Issue) -> None:
    key = f"request:{request.id}:expired"
    last_day = format_date_weekday(last_answer_day(request.expires_at))
    to_town = (f"{request.expert.display_name}さんへの依頼（課題「{issue.title}」、"
               f"{format_date_weekday(request.created_at)}送信）は、回答期限の{last_day}までに回答がなかったため"
               "期限切れになりました。\n課題はマッチング中のままです。次の候補の人材は、下のリンクの候補一覧から"
               "確認して依頼できます。")
    for officer in notify.town_users(issue):
        notify.tell(officer, key, kind="request_expired", title="依頼が期限切れになりました（次の候補を確認できます）",
                    body=to_town, endpoint="matches.candidates", issue_id=issue.id)
    to_expert = (f"{issue.municipality.full_name}からの依頼（課題「{issue.title}」）は、回答期限の{last_day}を"
                 "過ぎたため期限切れになりました。この依頼に回答する必要はありません。")
    notify.tell(notify.expert_user(request.expert), key, kind="request_expired", title="依頼が期限切れになりました",
                body=to_expert, **_link(REQUEST_ENDPOINT, request_id=request.id))


# ---------------------------------------------------------------- visits


@_with_urls
def remind_visits(now: datetime | None = None) -> int:
    """Remind both sides of each visit whose business day before (of the town visited) has come.

    Confirmed visits are announced; proposed ones are asked to be confirmed. A moved visit has its reminded_at
    cleared (visits.move), so it is reminded again for its new time; the claim also requires the visit's
    `sequence` read here, so a visit moved meanwhile is left for the next run.
    """
    now = _aware(now)
    calendar = current_calendar()
    query = (select(Visit.id, Visit.starts_at, Visit.municipality_code, Visit.sequence)
             .where(Visit.status.in_(REMINDED_VISIT_STATUSES), Visit.reminded_at.is_(None),
                    Visit.starts_at > now, Visit.starts_at <= now + VISIT_LOOKAHEAD)
             .order_by(Visit.starts_at, Visit.id))
    reminded = 0
    for visit_id, starts_at, code, sequence in db.session.execute(query).all():
        remind_on = calendar.previous_business_day(starts_at.astimezone(JST).date(), code)
        if now < _from(remind_on):
            continue
        if not _claim(Visit, visit_id, {"reminded_at": now}, Visit.reminded_at.is_(None),
                      Visit.status.in_(REMINDED_VISIT_STATUSES), Visit.sequence == sequence):
            continue
        _tell_visit_reminder(_reload(Visit, visit_id))
        reminded += 1
    return reminded


def _visit_summary(visit: Visit) -> str:
    engagement = visit.engagement
    mode = VISIT_MODES[visit.mode]
    where = (f"場所: {visit.place}" if visit.mode == "onsite" and visit.place
             else f"会議のURL: {visit.meeting_url}" if visit.mode == "online" and visit.meeting_url
             else "場所・会議のURLは支援のページで確認してください。")
    return (f"日時: {_when(visit.starts_at)}〜{visit.ends_at.astimezone(JST):%H:%M}（{mode}）\n"
            f"課題: {engagement.issue.title}\n外部デジタル人材: {engagement.expert.display_name}さん\n{where}")


def _tell_visit_reminder(visit: Visit) -> None:
    engagement = visit.engagement
    if visit.status == "confirmed":
        title = f"訪問の予定: {_when(visit.starts_at)}"
        lead = "次の訪問が予定されています。"
    else:
        waiting = [side for side, confirmed in (("外部デジタル人材", visit.expert_confirmed_at),
                                                ("市町村", visit.town_confirmed_at)) if confirmed is None]
        title = f"訪問の日時が確定していません: {_when(visit.starts_at)}"
        lead = (f"次の訪問の日時は、{'と'.join(waiting)}の確認がまだのため確定していません。"
                "支援のページで日時を確認するか、別の日時を提案してください。")
    body = f"{lead}\n\n{_visit_summary(visit)}"
    key = f"visit:{visit.id}:reminder:{visit.sequence}"
    link = _link(ENGAGEMENT_ENDPOINT, engagement_id=engagement.id)
    for user in [notify.expert_user(engagement.expert), *notify.town_users(engagement.issue)]:
        notify.tell(user, key, kind="visit_reminder", title=title, body=body, **link)


@_with_urls
def nudge_reports(now: datetime | None = None) -> int:
    """Ask the expert for the report of each confirmed visit two business days (of the town visited) after it
    without one; once per visit."""
    now = _aware(now)
    calendar = current_calendar()
    no_report = ~exists().where(VisitReport.visit_id == Visit.id)
    query = (select(Visit.id, Visit.starts_at, Visit.municipality_code)
             .where(Visit.status == "confirmed", Visit.report_nudged_at.is_(None), no_report,
                    Visit.starts_at <= now - timedelta(days=REPORT_NUDGE_BUSINESS_DAYS))
             .order_by(Visit.starts_at, Visit.id))
    nudged = 0
    for visit_id, starts_at, code in db.session.execute(query).all():
        due = calendar.add_business_days(starts_at.astimezone(JST).date(), REPORT_NUDGE_BUSINESS_DAYS, code)
        if now < _from(due):
            continue
        if not _claim(Visit, visit_id, {"report_nudged_at": now}, Visit.report_nudged_at.is_(None),
                      Visit.status == "confirmed", no_report):
            continue
        visit = _reload(Visit, visit_id)
        body = (f"次の訪問の報告がまだありません。実施した内容、決まったこと、次にすること、かかった時間を報告して"
                f"ください。報告は市町村の担当者に届きます。\n\n{_visit_summary(visit)}")
        notify.tell(notify.expert_user(visit.engagement.expert), f"visit:{visit.id}:report-nudge",
                    kind="report_nudge", title=f"訪問の報告をお願いします（{format_date_weekday(visit.starts_at)}）",
                    body=body, **_link(ENGAGEMENT_ENDPOINT, engagement_id=visit.engagement_id))
        nudged += 1
    return nudged


# ---------------------------------------------------------------- reconfirmation


def reconfirmation_cutoff(now: datetime | None = None) -> datetime:
    """Profiles last confirmed at or before this moment are no longer recommended (RECONFIRM_AFTER_DAYS)."""
    return _aware(now) - timedelta(days=_setting("RECONFIRM_AFTER_DAYS"))


@_with_urls
def remind_reconfirmation(now: datetime | None = None) -> int:
    """Remind each active expert whose profile needs reconfirming within RECONFIRM_NOTICE_DAYS (or already does),
    once per confirmation: the key holds the day of the last confirmation, so reconfirming starts a new period."""
    now = _aware(now)
    after = _setting("RECONFIRM_AFTER_DAYS")
    notice_from = now - timedelta(days=after - _setting("RECONFIRM_NOTICE_DAYS"))
    query = (select(ExpertProfile).join(User, User.id == ExpertProfile.user_id)
             .where(User.active.is_(True), ExpertProfile.last_confirmed_at <= notice_from)
             .order_by(ExpertProfile.id))
    reminded = 0
    for profile in db.session.scalars(query).all():
        confirmed = profile.last_confirmed_at
        stops_at = confirmed + timedelta(days=after)
        if stops_at > now:
            consequence = (f"{format_date_weekday(stops_at)}までに確認がないと、市町村への候補として表示されなく"
                           "なります。")
        else:
            consequence = f"最終確認日から{after}日を過ぎたため、いまは市町村への候補として表示されていません。"
        body = (f"対応可能状況の最終確認日は{format_date_weekday(confirmed)}です。{consequence}\n"
                "プロフィールのページで、1か月に対応できる回数や活動拠点に変わりがないか確かめ、"
                "「対応可能状況を確認済みにする」を押してください。確認すると候補として表示されます。")
        key = f"expert:{profile.id}:reconfirm:{confirmed.astimezone(JST).date().isoformat()}"
        if notify.tell(profile.user, key, kind="reconfirm_reminder", title="対応可能状況の確認をお願いします",
                       body=body, endpoint="experts.my_profile"):
            reminded += 1
    return reminded


# ---------------------------------------------------------------- all of them

#: The sweepers by job id (web/jobs/scheduler.py registers each under this id; `flask jobs sweep --job ID`).
SWEEPS: dict[str, Sweep] = {
    "remind_requests": remind_requests,
    "expire_requests": expire_requests,
    "remind_visits": remind_visits,
    "nudge_reports": nudge_reports,
    "remind_reconfirmation": remind_reconfirmation,
}
