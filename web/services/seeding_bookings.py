"""Booking demo data (seed_data/bookings.json): requests, engagements, visits and reports, relative to today.

Dates are data relative to the day the seed runs, so the demo looks the same on any date: a month is an offset
from this month (-1 = last month) or ``"fy0:N"`` / ``"fy-1:N"`` (the N-th month, April = 1, of this or last fiscal
year); a day is the N-th business day of the visited town in that month (negative: from the end). A visit whose
status is ``"auto"`` is done (with its report) when its day is past, confirmed otherwise.

Two kinds of rows:

- ``live``: a request of these weeks, sent and answered through the booking services (send_request, accept,
  decline, withdraw), then dated back by ``sent`` business days (the services stamp "now");
- ``history``: what the services refuse to create (plans in past months, reports, completed and cancelled
  engagements, an expired request) as model rows, each visit held in the cap ledger and the expert's monthly load
  with plans.hold and each reported visit consumed with plans.use_up, so the ledger and the loads stay exact.

Idempotent: a row whose issue and expert already have a request is skipped (an (issue, expert) pair appears once
in the file). Mail the services queue while seeding is dropped: the demo has in-app notifications, no mail.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from web.dates import JST, fiscal_year_of, today_jst
from web.extensions import db
from web.models import (
    Engagement,
    EngagementRequest,
    ExpertProfile,
    Issue,
    SupportProgram,
    UnavailableDay,
    User,
    Visit,
    VisitReport,
)
from web.models.base import utcnow
from web.services.booking import plans, requests, schedule, sweeps
from web.services.business_days import current_calendar
from web.services.mailer import drop_pending_mail, pending_mail

_FY_MONTH = re.compile(r"^fy(-?\d+):(\d{1,2})$")
_ISSUE_PATH = ("open", "matching", "engaged", "closed")


class SeedDataError(ValueError):
    """A row of bookings.json that cannot be loaded as written (named in the message)."""


# ------------------------------------------------------------------ dates relative to today


def month_of_spec(spec: int | str, today: date) -> date:
    """The first day of the month a spec names: an offset from this month, or "fy<offset>:<N>" (April = 1)."""
    this_month = today.replace(day=1)
    if isinstance(spec, int):
        return plans.add_months(this_month, spec)
    match = _FY_MONTH.match(str(spec))
    if not match or not 1 <= int(match[2]) <= 12:
        raise SeedDataError(f"bookings.json: month {spec!r} is neither an offset nor fy<offset>:<1-12>")
    april = date(fiscal_year_of(today) + int(match[1]), 4, 1)
    return plans.add_months(april, int(match[2]) - 1)


def business_day(month: date, n: int, town: str) -> date:
    """The n-th business day of the town in the month (1 = the first, -1 = the last), clipped to the month."""
    days = current_calendar().business_days_in_month(month.year, month.month, town)
    index = n - 1 if n > 0 else len(days) + n
    return days[max(0, min(index, len(days) - 1))]


def business_days_back(today: date, n: int, town: str) -> date:
    """The n-th business day of the town before today (0: today)."""
    day = today
    for _ in range(n):
        day = current_calendar().previous_business_day(day, town)
    return day


def at(day: date, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), JST)


def months_between(first: date, month: date) -> int:
    return (month.year - first.year) * 12 + month.month - first.month


# ------------------------------------------------------------------ context


@dataclass
class Context:
    issues: dict[str, Issue]
    experts: dict[str, ExpertProfile]
    programs: dict[str, SupportProgram]
    today: date
    now: datetime

    def issue(self, key: str) -> Issue:
        if key not in self.issues:
            raise SeedDataError(f"bookings.json: unknown issue {key!r}")
        return self.issues[key]

    def expert(self, key: str) -> ExpertProfile:
        if key not in self.experts:
            raise SeedDataError(f"bookings.json: unknown expert {key!r}")
        return self.experts[key]

    def program(self, code: str | None) -> SupportProgram | None:
        if code is None:
            return None
        if code not in self.programs:
            raise SeedDataError(f"bookings.json: unknown program {code!r}")
        return self.programs[code]

    def earlier(self, moment: datetime) -> datetime:
        """`moment`, or now when it would lie in the future (nothing is stamped after the seed ran)."""
        return min(moment, self.now)


def requester_of(issue: Issue) -> User:
    """The town's demo officer who posted the issue, else the prefecture's coordinator (acting for the town)."""
    if issue.created_by_id is not None:
        return db.session.get_one(User, issue.created_by_id)
    coordinator: User | None = db.session.scalar(select(User).where(
        User.role == "coordinator", User.prefecture_code == issue.municipality.prefecture_code).order_by(User.id))
    if coordinator is None:
        raise SeedDataError(f"bookings.json: no officer or coordinator can send requests for {issue.title!r}")
    return coordinator


def expert_user(expert: ExpertProfile) -> User:
    return db.session.get_one(User, expert.user_id)


def already_seeded(issue: Issue, expert: ExpertProfile) -> bool:
    return db.session.scalar(select(EngagementRequest.id).where(
        EngagementRequest.issue_id == issue.id, EngagementRequest.expert_id == expert.id).limit(1)) is not None


def advance_issue(issue: Issue, target: str) -> None:
    """Move the issue along open → matching → engaged → closed up to `target` (never backwards)."""
    if issue.status not in _ISSUE_PATH or target not in _ISSUE_PATH:
        return
    for status in _ISSUE_PATH[_ISSUE_PATH.index(issue.status) + 1:_ISSUE_PATH.index(target) + 1]:
        issue.transition_to(status)


# ------------------------------------------------------------------ loading


def load_bookings(rows: list[dict[str, Any]], issues: dict[str, Issue], experts: dict[str, ExpertProfile],
                  inserted: Counter[str]) -> None:
    """Load the unavailable days, then the history, then the live requests (which plan around the history) and the
    experts' last profile confirmations."""
    pairs = Counter((row["issue"], row["expert"]) for row in rows if row["kind"] in ("history", "live"))
    twice = [pair for pair, n in pairs.items() if n > 1]
    if twice:
        raise SeedDataError(f"bookings.json: issue and expert {twice[0]} appear more than once")
    programs = {p.code: p for p in db.session.scalars(select(SupportProgram))}
    context = Context(issues, experts, programs, today_jst(), utcnow())
    queued_before = len(pending_mail())
    for row in rows:
        if row["kind"] == "unavailable":
            _unavailable(row, context, inserted)
    touched = [_history(row, context, inserted) for row in rows if row["kind"] == "history"]
    db.session.flush()
    for issue in dict.fromkeys(issue for issue in touched if issue is not None):
        advance_issue(issue, _status_for(issue))
    for row in rows:
        if row["kind"] == "live":
            _live(row, context, inserted)
        elif row["kind"] == "profile_confirmed":
            _profile_confirmed(row, context)
    db.session.flush()
    drop_pending_mail(keep=queued_before)  # demo accounts get in-app notifications only


def _unavailable(row: dict[str, Any], context: Context, inserted: Counter[str]) -> None:
    expert = context.expert(row["expert"])
    day = business_day(month_of_spec(row["month"], context.today), row["day"], row.get("town", ""))
    if db.session.get(UnavailableDay, (expert.id, day)) is None:
        schedule.set_unavailable(expert.id, day, row.get("note", ""))
        inserted["unavailable_day"] += 1


def _profile_confirmed(row: dict[str, Any], context: Context) -> None:
    """An expert who last confirmed their profile `days_ago` days ago (the dashboard's stale profiles); a second
    seeding leaves an already older confirmation alone, so seeding twice changes nothing."""
    expert = context.expert(row["expert"])
    target = context.now - timedelta(days=int(row["days_ago"]))
    if expert.last_confirmed_at > target + timedelta(days=1):
        expert.last_confirmed_at = target


# ------------------------------------------------------------------ history: model rows


def _history(row: dict[str, Any], context: Context, inserted: Counter[str]) -> Issue | None:
    """Insert one history row; return its issue (None when it was there already)."""
    issue, expert = context.issue(row["issue"]), context.expert(row["expert"])
    if already_seeded(issue, expert):
        return None
    requester = requester_of(issue)
    first = month_of_spec(row["first_month"], context.today)
    status = row.get("request", "accepted")
    if status == "expired":
        request = _expired_request(row, issue, expert, requester, context)
    else:
        created = context.earlier(at(business_days_back(first - timedelta(days=14), 1, issue.municipality_code),
                                     "10:00"))
        request = _request_row(row, issue, expert, requester, first, created)
        request.status, request.responded_at = "accepted", context.earlier(created + timedelta(hours=26))
        request.answered_by_id = expert.user_id
    db.session.add(request)
    db.session.flush()
    inserted["engagement_request"] += 1
    if status == "accepted":
        engagement = _engagement_row(row, request, context)
        inserted["engagement"] += 1
        for spec in row.get("visits", []):
            _visit_row(spec, engagement, requester, first, context, inserted)
    return issue


def _request_row(row: dict[str, Any], issue: Issue, expert: ExpertProfile, requester: User, first: date,
                 created: datetime) -> EngagementRequest:
    program = db.session.scalar(select(SupportProgram).where(SupportProgram.code == row["program"])) \
        if row.get("program") else None
    return EngagementRequest(
        issue_id=issue.id, expert_id=expert.id, program_id=program.id if program else None,
        requested_by_id=requester.id, message=row.get("message", ""), menu=row.get("menu", "accompaniment"),
        first_month=first, months=row.get("months", 1), onsite_months=list(row.get("onsite_months", [])),
        weekdays=list(row.get("weekdays", [])), start_time=row.get("start_time", "14:00"),
        duration_minutes=row.get("minutes", 120), created_at=created,
        expires_at=sweeps.due_dates(created, issue.municipality_code)[1])


def _expired_request(row: dict[str, Any], issue: Issue, expert: ExpertProfile, requester: User,
                     context: Context) -> EngagementRequest:
    town = issue.municipality_code
    sent_on = current_calendar().next_business_day(context.today - timedelta(days=row["sent_days_ago"]), town)
    created = at(sent_on, "10:00")
    request = _request_row(row, issue, expert, requester, plans.add_months(sent_on.replace(day=1), 1), created)
    request.status = "expired"
    request.reminded_at = at(current_calendar().add_business_days(sent_on, 3, town), "09:00")
    request.expired_at = request.responded_at = request.expires_at
    if request.expires_at >= context.now:
        raise SeedDataError(f"bookings.json: the expired request on {row['issue']} has not expired yet")
    return request


def _engagement_row(row: dict[str, Any], request: EngagementRequest, context: Context) -> Engagement:
    spec = row["engagement"]
    end = plans.add_months(request.first_month, request.months) - timedelta(days=1)
    engagement = Engagement(
        request_id=request.id, issue_id=request.issue_id, expert_id=request.expert_id, program_id=request.program_id,
        start_on=request.first_month, end_on=end, status=spec["status"], menu=request.menu,
        stage_at_start=request.issue.stage, meeting_url=spec.get("meeting_url", ""), created_at=request.responded_at)
    if spec["status"] == "completed":
        engagement.outcome, engagement.rating = spec["outcome"], spec.get("rating")
        engagement.town_comment = spec.get("comment", "")
    if spec["status"] == "cancelled":
        engagement.cancel_reason = spec["cancel_reason"]
        ended = spec["ended"]
        engagement.ended_at = context.earlier(at(business_day(
            month_of_spec(ended["month"], context.today), ended["day"], request.issue.municipality_code), "17:00"))
    db.session.add(engagement)
    db.session.flush()
    return engagement


def _resolve_status(spec: dict[str, Any], starts: datetime, context: Context) -> str:
    status = spec["status"]
    if status == "auto":
        return "done" if starts.astimezone(JST).date() < context.today else "confirmed"
    return str(status)


def _visit_row(spec: dict[str, Any], engagement: Engagement, requester: User, first: date, context: Context,
               inserted: Counter[str]) -> None:
    issue, expert = engagement.issue, engagement.expert
    month = month_of_spec(spec["month"], context.today)
    town = spec.get("town", issue.municipality_code)
    starts = at(business_day(month, spec["day"], town), spec.get("time", "14:00"))
    minutes = spec.get("minutes", 120)
    ends = starts + timedelta(minutes=minutes)
    status = _resolve_status(spec, starts, context)
    where = f"bookings.json: visit {spec['month']}/{spec['day']} of {issue.title[:20]}"
    if status == "done" and ends >= context.now or status == "proposed" and starts <= context.now:
        raise SeedDataError(f"{where}: a {status} visit must be {'past' if status == 'done' else 'future'}")
    if status != "cancelled":
        if starts.astimezone(JST).date() in schedule.unavailable_days(expert.id, month, plans.add_months(month, 1)):
            raise SeedDataError(f"{where}: the expert is unavailable that day")
        if schedule.clashes(expert.id, starts, ends):
            raise SeedDataError(f"{where}: overlaps another visit of the expert")
    asked = context.earlier(starts - timedelta(days=10))
    visit = Visit(
        engagement_id=engagement.id, expert_id=expert.id, municipality_code=town, starts_at=starts,
        duration_minutes=minutes, mode=spec["mode"], status=status, fiscal_year=fiscal_year_of(starts.astimezone(JST)),
        plan_month=months_between(first, month) + 1, place=plans.place_of(town) if spec["mode"] == "onsite" else "",
        meeting_url=engagement.meeting_url if spec["mode"] == "online" else "",
        proposed_by=spec.get("proposed_by", "system"), note=spec.get("note", ""), created_at=engagement.created_at)
    if status in ("confirmed", "done"):
        visit.town_confirmed_at = visit.expert_confirmed_at = asked
    elif status == "proposed" and spec.get("confirmed_by"):
        setattr(visit, f"{spec['confirmed_by']}_confirmed_at", asked)
    if visit.proposed_by != "system":
        visit.sequence = 1  # moved once from the system's proposal
    if status == "cancelled":
        visit.cancel_reason = spec["cancel_reason"]
        visit.cancelled_at = min(context.earlier(starts - timedelta(days=3)), engagement.ended_at or context.now)
    db.session.add(visit)
    db.session.flush()
    inserted["visit"] += 1
    if status == "cancelled":
        return
    plans.hold([visit], engagement)
    if status == "done":
        _report_row(spec, visit, engagement, requester, ends, context)
        plans.use_up([visit], engagement)
        inserted["visit_report"] += 1


def _report_row(spec: dict[str, Any], visit: Visit, engagement: Engagement, requester: User, ends: datetime,
                context: Context) -> None:
    data = spec.get("report")
    if not data:
        raise SeedDataError(f"bookings.json: the done visit {spec['month']}/{spec['day']} needs a report")
    written = context.earlier(ends + timedelta(days=1))
    answered = context.earlier(written + timedelta(days=1))
    report = VisitReport(
        visit_id=visit.id, author_id=engagement.expert.user_id, summary=data["summary"],
        decisions=data.get("decisions", ""), next_actions=data.get("next_actions", ""), hours=data.get("hours"),
        stage=data.get("stage"), created_at=written, updated_at=written)
    if data.get("acknowledged"):
        report.acknowledged_at, report.acknowledged_by_id = answered, requester.id
    if data.get("question"):
        report.question, report.question_at = data["question"], answered
    db.session.add(report)


def _status_for(issue: Issue) -> str:
    """Engaged while an engagement is active, closed when all of them ended, matching with requests only."""
    statuses = set(db.session.scalars(select(Engagement.status).where(Engagement.issue_id == issue.id)))
    if "active" in statuses:
        return "engaged"
    return "closed" if statuses else "matching"


# ------------------------------------------------------------------ live: the services


def _slots(row: dict[str, Any], town: str, context: Context) -> list[datetime]:
    calendar = current_calendar()
    return [at(calendar.add_business_days(context.today, slot["business_days"], town), slot["time"])
            for slot in row.get("slots", [])]


def _live(row: dict[str, Any], context: Context, inserted: Counter[str]) -> None:
    issue, expert = context.issue(row["issue"]), context.expert(row["expert"])
    if already_seeded(issue, expert):
        return
    town, sender, answer = issue.municipality_code, requester_of(issue), row.get("answer")
    program = context.program(row.get("program"))
    first = month_of_spec(row.get("first_month", 1), context.today)
    data = requests.RequestInput(
        issue_id=issue.id, expert_id=expert.id, menu=row.get("menu", "accompaniment"),
        program_id=program.id if program else None, first_month=f"{first:%Y-%m}", months=row.get("months", 6),
        onsite_months=row.get("onsite_months"), weekdays=list(row.get("weekdays", [])),
        start_time=row.get("start_time", "14:00"), duration_minutes=row.get("minutes", 120),
        slots=_slots(row, town, context), message=row.get("message", ""))
    request = requests.send_request(sender, data)
    inserted["engagement_request"] += 1
    engagement = None
    if answer is not None:
        action = answer["action"]
        if action == "accept":
            engagement = requests.accept(expert_user(expert), request.id, slot_index=answer.get("slot_index"),
                                         meeting_url=answer.get("meeting_url", ""))
            inserted["engagement"] += 1
            inserted["visit"] += len(engagement.visits)
        elif action == "decline":
            requests.decline(expert_user(expert), request.id, answer["reason"], answer.get("note", ""))
        elif action == "withdraw":
            requests.withdraw(sender, request.id)
        else:
            raise SeedDataError(f"bookings.json: unknown answer {action!r}")
    _date_back(request, engagement, row, town, context)


def _date_back(request: EngagementRequest, engagement: Engagement | None, row: dict[str, Any], town: str,
               context: Context) -> None:
    """Send the request `sent` business days ago (the services stamped now) and answer it `after_hours` later."""
    sent = row.get("sent", 0)
    if not sent:
        return
    created = at(business_days_back(context.today, sent, town), "10:00")
    request.created_at, request.expires_at = created, sweeps.due_dates(created, town)[1]
    if request.status == "pending":
        if request.expires_at <= context.now:
            raise SeedDataError(f"bookings.json: the pending request on {row['issue']} would have expired")
        return
    request.responded_at = context.earlier(created + timedelta(hours=row["answer"].get("after_hours", 24)))
    if engagement is not None:
        engagement.created_at = request.responded_at
    else:  # an answer that planned nothing: the plan was asked from the month after sending
        request.first_month = plans.add_months(created.date().replace(day=1), 1)


def read_rows(path: Path, reader: Any) -> list[dict[str, Any]]:
    """The file's rows without the comment rows (kind "note")."""
    return [row for row in reader(path) if row.get("kind") != "note"]
