"""Requests (依頼): an officer (or a coordinator for a town) asks an expert; the expert accepts or declines once.

An answer is a compare-and-swap on the pending row (``UPDATE … WHERE id = :id AND status = 'pending'``): of two
tabs, a double click or twenty concurrent accepts, one changes the row and the others get "already answered"
(409, rule ``already_answered``). Acceptance creates the engagement and its visit plan in the same unit of work;
the cap ledger and the expert's monthly load are checked when the request is sent and booked at acceptance, so a
plan that breaks a rule is refused before anything is written.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from web.codes import DECLINE_REASONS, MENUS
from web.dates import JST, fiscal_year_of, format_date_weekday, today_jst
from web.extensions import db
from web.models import (
    CandidateCuration,
    Engagement,
    EngagementRequest,
    ExpertProfile,
    Issue,
    SupportProgram,
    User,
    Visit,
)
from web.models.base import utcnow
from web.services import audit, ledger
from web.services.booking import access, capacity, notify, plans, schedule, sweeps
from web.services.booking import visits as visits_service
from web.services.errors import Conflict, NotFound, ServiceError
from web.services.issue_intake import lock_issue
from web.services.issues import get_visible_issue
from web.services.validation import Checker, InvalidInput

REQUESTABLE_ISSUE_STATUSES = ("open", "matching", "engaged")
MAX_MESSAGE = 2000
SPOT_MINUTES = (60, 120)
MAX_SLOTS = 3
EARLIEST_HOUR, LATEST_HOUR = 8, 19
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class PlanRefused(InvalidInput):
    """The plan breaks a program's cap or the expert's monthly capacity (messages under "plan")."""

    def __init__(self, preview: Preview) -> None:
        super().__init__({"plan": preview.problems})
        self.preview = preview


class AlreadyAnswered(Conflict):
    """The request is no longer pending (HTTP 409, rule "already_answered")."""

    rule = "already_answered"


@dataclass
class RequestInput:
    """What an officer fills in (form or API); strings as typed, checked by `validate`."""

    issue_id: int
    expert_id: int
    menu: str = "accompaniment"
    program_id: int | None = None
    first_month: str = ""
    months: object = 6
    onsite_months: list[int] | None = None
    weekdays: list[int] = field(default_factory=list)
    start_time: str = "14:00"
    duration_minutes: object = 120
    slots: list[datetime] = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True)
class ValidRequest:
    issue: Issue
    expert: ExpertProfile
    program: SupportProgram | None
    menu: str
    first_month: date
    months: int
    onsite_months: list[int]
    weekdays: list[int]
    start_time: str
    duration_minutes: int
    slots: list[datetime]
    message: str


@dataclass(frozen=True)
class Preview:
    """The plan a request asks for, by month and mode, and the cap ledger's verdict on it."""

    plan: list[plans.PlanItem]
    cap_check: ledger.PlanCheck | None
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


# ------------------------------------------------------------------ validation


def parse_month(value: str) -> date | None:
    match = _MONTH.match((value or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    return date(year, month, 1) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def _check_program(checker: Checker, program_id: int | None, menu: str) -> SupportProgram | None:
    if program_id is None:
        if menu != "spot":
            checker.add("program_id", "支援制度を選んでください。")
        return None
    program = db.session.get(SupportProgram, program_id)
    if program is None or not program.active:
        checker.add("program_id", "選べる支援制度から選んでください。")
        return None
    return program


def _check_months(checker: Checker, data: RequestInput, menu: str, program: SupportProgram | None) -> int:
    if menu == "spot":
        return 1
    limit = (program.max_months if program and program.max_months else 36)
    months = checker.integer("months", "月数", data.months, 1, limit)
    if months > limit and program is not None:
        checker.errors["months"] = [f"月数は1から{limit}の間で入力してください（{program.name}の上限は{limit}か月です）。"]
    return months


def _check_first_month(checker: Checker, value: str) -> date:
    first = parse_month(value)
    this_month = today_jst().replace(day=1)
    if first is None:
        checker.add("first_month", "開始月を「2026-05」の形で入力してください。")
        return this_month
    if first < this_month:
        checker.add("first_month", "開始月に過去の月は選べません。今月以降を選んでください。")
    elif first > plans.add_months(this_month, 24):
        checker.add("first_month", "開始月は2年以内にしてください。")
    return first


def _check_onsite(checker: Checker, value: list[int] | None, months: int, issue: Issue, menu: str) -> list[int]:
    if menu == "spot":
        return []
    if value is None:
        return plans.default_onsite_months(months, issue.mode)
    picked = sorted(set(value))
    outside = [m for m in picked if not isinstance(m, int) or not 1 <= m <= months]
    if outside:
        checker.add("onsite_months", f"現地訪問の月は計画の1〜{months}か月目から選んでください"
                                     f"（範囲外: {'、'.join(str(m) for m in outside[:5])}）。")
        return [m for m in picked if m not in outside]
    if picked and issue.mode == "online":
        checker.add("onsite_months", "この課題はオンラインのみの支援を希望しています。現地訪問の月は選べません。")
    return picked


def _check_time(checker: Checker, value: str) -> str:
    match = _TIME.match((value or "").strip())
    if not match or int(match[2]) >= 60 or not EARLIEST_HOUR <= int(match[1]) < LATEST_HOUR or int(match[2]) % 15:
        checker.add("start_time", f"開始時刻は{EARLIEST_HOUR}:00から{LATEST_HOUR - 1}:45の間で、15分単位で入力してください（例: 14:00）。")
        return "14:00"
    return f"{int(match[1]):02d}:{match[2]}"


def _check_slots(checker: Checker, slots: Sequence[datetime], minutes: int, town: str,
                 expert_id: int) -> list[datetime]:
    if not slots:
        checker.add("slots", "スポット相談の候補日時を1つ以上入力してください。")
        return []
    if len(slots) > MAX_SLOTS:
        checker.add("slots", f"候補日時は{MAX_SLOTS}つまでです。")
    now = utcnow()
    cleaned: list[datetime] = []
    for slot in slots[:MAX_SLOTS]:
        if slot.tzinfo is None:
            slot = slot.replace(tzinfo=JST)
        if slot <= now:
            checker.add("slots", f"候補日時 {format_date_weekday(slot)} は過ぎています。これからの日時を入力してください。")
        else:  # the rules of a visit's time: 2000-2099, a business day of the town, ends the same day
            rules = Checker()
            visits_service.check_time(rules, Visit(municipality_code=town, expert_id=expert_id), slot, minutes)
            for message in rules.errors.get("starts_at", []):
                checker.add("slots", f"候補日時{len(cleaned) + 1}: {message}")
        cleaned.append(slot.astimezone(JST))
    return cleaned


def _expert(expert_id: int) -> ExpertProfile:
    expert = db.session.get(ExpertProfile, expert_id)
    if expert is None:
        raise NotFound("外部人材が見つかりません。")
    return expert


def _require_requester(user: User) -> None:
    if user.role not in ("officer", "coordinator", "admin"):
        raise NotFound("課題が見つかりません。")


def validate(user: User, data: RequestInput) -> ValidRequest:
    """Check every field (all messages at once, under their fields) and the objects the user may use."""
    _require_requester(user)
    issue = get_visible_issue(user, data.issue_id)
    expert = _expert(data.expert_id)
    checker = Checker()
    data = checker.screen(data, "入力")
    menu = checker.choice("menu", "支援メニュー", data.menu, MENUS)
    program = _check_program(checker, data.program_id, menu)
    months = _check_months(checker, data, menu, program)
    first = _check_first_month(checker, data.first_month) if menu != "spot" else today_jst().replace(day=1)
    onsite = _check_onsite(checker, data.onsite_months, months, issue, menu)
    weekdays = sorted(set(data.weekdays or []))
    if any(not isinstance(day, int) or not 0 <= day <= 4 for day in weekdays):
        checker.add("weekdays", "希望曜日は月曜日から金曜日の中から選んでください。")
        weekdays = [day for day in weekdays if isinstance(day, int) and 0 <= day <= 4]
    start_time = _check_time(checker, data.start_time)
    low, high = SPOT_MINUTES if menu == "spot" else (60, 240)
    minutes = checker.integer("duration_minutes", "1回の時間（分）", data.duration_minutes, low, high)
    slots = (_check_slots(checker, data.slots, minutes, issue.municipality_code, expert.id)
             if menu == "spot" else [])
    if slots:  # a spot consultation lasts from the month of its earliest slot to that of its latest
        first = min(capacity.month_of(slot) for slot in slots)
        last = max(capacity.month_of(slot) for slot in slots)
        months = (last.year - first.year) * 12 + last.month - first.month + 1
    message = checker.text("message", "メッセージ", data.message, required=False, max_len=MAX_MESSAGE)
    if menu == "joint" and len(plans.towns_of(issue)) < 2:
        checker.add("menu", "連携プロジェクトは、複数の市町村が共同で登録した課題で選べます。")
    if issue.status not in REQUESTABLE_ISSUE_STATUSES:
        checker.add("issue_id", f"「{issue.status_label}」の課題には依頼を送れません。")
    checker.raise_if_any()
    return ValidRequest(issue, expert, program, menu, first, months, onsite, weekdays, start_time, minutes, slots,
                        message)


def _excluded(issue: Issue, expert: ExpertProfile) -> CandidateCuration | None:
    return db.session.scalar(select(CandidateCuration).where(
        CandidateCuration.issue_id == issue.id, CandidateCuration.expert_id == expert.id,
        CandidateCuration.action == "exclude"))


def _pending(issue: Issue, expert: ExpertProfile) -> bool:
    """A pending request for the pair exists (the partial unique index holds it under concurrency)."""
    return db.session.scalar(select(EngagementRequest.id).where(
        EngagementRequest.issue_id == issue.id, EngagementRequest.expert_id == expert.id,
        EngagementRequest.status == "pending").limit(1)) is not None


# ------------------------------------------------------------------ plan and caps


def _items(valid: ValidRequest) -> list[plans.PlanItem]:
    towns = plans.towns_of(valid.issue)
    if valid.menu == "spot":
        return [plans.PlanItem(capacity.month_of(slot), 1, "online", towns[0], slot) for slot in valid.slots[:1]]
    return plans.items_for(valid.first_month, valid.months, valid.onsite_months, towns,
                           plans.visits_per_month(valid.program))


def _cap_check(valid: ValidRequest, items: list[plans.PlanItem]) -> ledger.PlanCheck | None:
    if valid.program is None:
        return None
    towns = plans.towns_of(valid.issue)
    return ledger.check_plan(valid.program, towns[0], plans.planned_visits(items, valid.duration_minutes),
                             towns=towns if len(towns) > 1 else None)


def preview(user: User, data: RequestInput) -> Preview:
    """Validate and check the plan against the caps and the expert's monthly capacity; writes nothing."""
    return _preview(validate(user, data))


def _preview(valid: ValidRequest) -> Preview:
    items = _items(valid)
    check = _cap_check(valid, items)
    problems = list(check.messages) if check else []
    problems += capacity.check(valid.expert, [item.month for item in items])
    return Preview(items, check, problems)


def cap_panel(user: User, issue: Issue, program: SupportProgram, first_month: date, months: int) -> list[ledger.Usage]:
    """What the program allows, has used and reserved, per town of the issue and fiscal year of the plan."""
    years = sorted({fiscal_year_of(plans.add_months(first_month, i)) for i in range(max(1, months))})
    return [ledger.usage(program, town, year) for town in plans.towns_of(issue) for year in years]


# ------------------------------------------------------------------ sending


def send_request(user: User, data: RequestInput) -> EngagementRequest:
    """Send a request after checking the caps and the expert's capacity; the issue moves to matching."""
    return send(user, data)[0]


def send(user: User, data: RequestInput) -> tuple[EngagementRequest, Preview]:
    """`send_request`, also returning the plan and the cap check it was sent with (PlanRefused when it breaks
    a cap or the expert's capacity; nothing is written then)."""
    valid = validate(user, data)
    if _excluded(valid.issue, valid.expert) is not None:
        raise ServiceError("この外部人材はこの課題の候補から除外されています（理由は候補一覧で確認できます）。")
    if _pending(valid.issue, valid.expert):
        raise Conflict("この外部人材にはこの課題について回答待ちの依頼がすでにあります。", rule="request_pending")
    result = _preview(valid)
    if not result.ok:
        raise PlanRefused(result)
    lock_issue(valid.issue)
    if valid.issue.status == "open":
        valid.issue.transition_to("matching")
    now = utcnow()
    request = EngagementRequest(
        issue_id=valid.issue.id, expert_id=valid.expert.id, program_id=valid.program.id if valid.program else None,
        requested_by_id=user.id, message=valid.message, menu=valid.menu, first_month=valid.first_month,
        months=valid.months, onsite_months=valid.onsite_months, weekdays=valid.weekdays, start_time=valid.start_time,
        duration_minutes=valid.duration_minutes, slots=[slot.isoformat() for slot in valid.slots], created_at=now,
        expires_at=sweeps.due_dates(now, valid.issue.municipality_code)[1])
    db.session.add(request)
    db.session.flush()
    audit.record("request_sent", actor_id=user.id, object_type="engagement_request", object_id=request.id,
                 issue_id=valid.issue.id, expert_id=valid.expert.id)
    notify.tell(notify.expert_user(valid.expert), f"request:{request.id}:sent", kind="request",
                title="支援の依頼が届きました",
                body=f"{valid.issue.municipality.name}から「{valid.issue.title}」について支援の依頼が届きました。"
                     f"{format_date_weekday(sweeps.last_answer_day(request.expires_at))}までに回答してください。",
                endpoint="booking.request_detail", request_id=request.id)
    return request, result


# ------------------------------------------------------------------ answers


def _swap(request: EngagementRequest, target: str, user: User, **values: object) -> None:
    """Move a pending request to `target` with one conditional UPDATE; raise AlreadyAnswered when it was not
    pending any more (another tab, a double click, a concurrent answer or the expiry job got there first)."""
    now = utcnow()
    result = db.session.execute(
        update(EngagementRequest)
        .where(EngagementRequest.id == request.id, EngagementRequest.status.in_(EngagementRequest.sources_of(target)))
        .values(status=target, responded_at=now, answered_by_id=user.id, **values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(request)
        raise AlreadyAnswered(f"この依頼にはすでに回答済みです（現在の状態: {request.status_label}）。"
                              "画面を再読み込みしてください。")
    db.session.refresh(request)


def withdraw(user: User, request_id: int) -> EngagementRequest:
    """The town withdraws a pending request; the expert is told."""
    request = access.get_request(user, request_id)
    access.require_side(user, request.expert_id, "town", "依頼の取り下げ")
    _swap(request, "withdrawn", user)
    audit.record("request_withdrawn", actor_id=user.id, object_type="engagement_request", object_id=request.id)
    notify.tell(notify.expert_user(request.expert), f"request:{request.id}:withdrawn", kind="request",
                title="依頼が取り下げられました",
                body=f"「{request.issue.title}」の依頼は{request.issue.municipality.name}により取り下げられました。",
                endpoint="booking.request_detail", request_id=request.id)
    return request


def decline(user: User, request_id: int, reason: str, note: str = "") -> EngagementRequest:
    """The expert declines with a reason; "outside my field" excludes the pair from future candidate lists."""
    request = access.get_request(user, request_id)
    access.require_side(user, request.expert_id, "expert", "依頼への回答")
    checker = Checker()
    reason = checker.choice("reason", "辞退の理由", reason, DECLINE_REASONS)
    note = checker.text("note", "補足", note, required=(reason == "other"), max_len=1000)
    checker.raise_if_any()
    _swap(request, "declined", user, decline_reason=reason, response_note=note)
    audit.record("request_declined", actor_id=user.id, object_type="engagement_request", object_id=request.id,
                 reason=reason)
    if reason == "outside_field":
        from web.services.curation import curate
        curate(user, request.issue, request.expert_id, "exclude",
               f"外部人材が「{DECLINE_REASONS[reason]}」として辞退しました。", origin="decline")
    for officer in notify.town_users(request.issue):
        notify.tell(officer, f"request:{request.id}:declined", kind="request", title="依頼が辞退されました",
                    body=f"{request.expert.display_name}さんが「{request.issue.title}」の依頼を辞退しました"
                         f"（理由: {DECLINE_REASONS[reason]}）。次の候補を選べます。",
                    endpoint="matches.candidates", issue_id=request.issue_id)
    if reason == "no_capacity":
        notify.tell(user, f"request:{request.id}:capacity-hint", kind="profile",
                    title="月あたりの対応回数を見直しませんか",
                    body=f"「この期間は対応できる余裕がない」として辞退しました。現在の月あたりの対応回数は"
                         f"{request.expert.monthly_capacity}回です。下げると、余裕のない時期に依頼が届きにくくなります。",
                    endpoint="experts.edit_profile")
    return request


def _lock_expert(expert: ExpertProfile) -> None:
    """Writers of one expert's timetable take turns (PostgreSQL row lock; SQLite's write lock is already held)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(expert, with_for_update=True)


def accept(user: User, request_id: int, *, slot_index: int | None = None, proposed_start: datetime | None = None,
           meeting_url: str = "") -> Engagement:
    """The expert accepts: in one unit of work the answer, the engagement and its visit plan, inside the caps
    and the expert's capacity, with no overlapping visits; the issue moves to engaged; the town is told."""
    schedule.lock_for_writing()
    request = access.get_request(user, request_id)
    access.require_side(user, request.expert_id, "expert", "依頼への回答")
    checker = Checker()
    meeting_url = checker.text("meeting_url", "オンライン会議のURL", meeting_url, required=False, max_len=300)
    if meeting_url and not meeting_url.startswith("https://"):
        checker.add("meeting_url", "オンライン会議のURLは https:// で始まるものを入力してください。")
    checker.raise_if_any()
    _swap(request, "accepted", user)
    issue = request.issue
    lock_issue(issue)
    _lock_expert(request.expert)
    engagement = _engagement(request, meeting_url)
    visits = _visits(request, engagement, slot_index, proposed_start)
    db.session.add_all(visits)
    db.session.flush()
    plans.hold(visits, engagement)
    if issue.status != "engaged":
        if issue.status == "open":
            issue.transition_to("matching")
        issue.transition_to("engaged")
    db.session.flush()
    audit.record("request_accepted", actor_id=user.id, object_type="engagement_request", object_id=request.id,
                 engagement_id=engagement.id, visits=len(visits))
    for officer in notify.town_users(issue):
        notify.tell(officer, f"request:{request.id}:accepted", kind="engagement", title="依頼が承諾されました",
                    body=f"{request.expert.display_name}さんが「{issue.title}」の依頼を承諾しました。"
                         f"訪問{len(visits)}回の日程案ができています。日程を確認してください。",
                    endpoint="booking.engagement_detail", engagement_id=engagement.id)
    return engagement


def _engagement(request: EngagementRequest, meeting_url: str) -> Engagement:
    last = plans.add_months(request.first_month, request.months) - timedelta(days=1)
    engagement = Engagement(request_id=request.id, issue_id=request.issue_id, expert_id=request.expert_id,
                            program_id=request.program_id, start_on=request.first_month, end_on=last,
                            menu=request.menu, stage_at_start=request.issue.stage, meeting_url=meeting_url)
    db.session.add(engagement)
    db.session.flush()
    return engagement


def _visits(request: EngagementRequest, engagement: Engagement, slot_index: int | None,
            proposed_start: datetime | None) -> list[Visit]:
    issue, expert = request.issue, request.expert
    towns = plans.towns_of(issue)
    if request.menu == "spot":
        return [_spot_visit(request, engagement, towns[0], slot_index, proposed_start)]
    per_month = plans.visits_per_month(request.program)
    items = plans.requested_items(request)
    placed = plans.propose_times(items, expert, towns[0], weekdays=request.weekdays, start_time=request.start_time,
                                 minutes=request.duration_minutes, visits_per_month=per_month)
    return [_visit(engagement, item.starts_at, item.mode, item.town, item.plan_month, request.duration_minutes)
            for item in placed if item.starts_at is not None]


def _visit(engagement: Engagement, starts_at: datetime, mode: str, town: str, plan_month: int,
           minutes: int) -> Visit:
    return Visit(engagement_id=engagement.id, expert_id=engagement.expert_id, municipality_code=town,
                 starts_at=starts_at.astimezone(JST), duration_minutes=minutes, mode=mode, status="proposed",
                 fiscal_year=fiscal_year_of(starts_at.astimezone(JST)), plan_month=plan_month,
                 place=plans.place_of(town) if mode == "onsite" else "",
                 meeting_url=engagement.meeting_url if mode == "online" else "", proposed_by="system")


def _spot_visit(request: EngagementRequest, engagement: Engagement, town: str, slot_index: int | None,
                proposed_start: datetime | None) -> Visit:
    """A spot consultation: the expert picks an offered slot (agreed by both at once) or proposes another time."""
    offered = [datetime.fromisoformat(value) for value in request.slots]
    now = utcnow()
    if proposed_start is not None and slot_index is not None:
        raise InvalidInput({"slot": ["候補日時を選ぶか別の日時を提案するか、どちらか一方にしてください。"]})
    if proposed_start is not None:
        if proposed_start.tzinfo is None:
            proposed_start = proposed_start.replace(tzinfo=JST)
        if proposed_start <= now:
            raise InvalidInput({"proposed_start": ["提案する日時は、これからの日時を入力してください。"]})
        checker = Checker()  # the same rules as moving a visit: 2000-2099, a business day, ends the same day
        visits_service.check_time(checker, Visit(municipality_code=town, expert_id=engagement.expert_id),
                                  proposed_start, request.duration_minutes)
        if checker.errors:
            raise InvalidInput({"proposed_start": checker.errors["starts_at"]})
        visit = _visit(engagement, proposed_start, "online", town, 1, request.duration_minutes)
        visit.proposed_by, visit.expert_confirmed_at = "expert", now
    else:
        if slot_index is None or not 0 <= slot_index < len(offered):
            raise InvalidInput({"slot": ["候補日時から1つ選ぶか、別の日時を提案してください。"]})
        if offered[slot_index] <= now:
            raise InvalidInput({"slot": ["選んだ候補日時は過ぎています。別の日時を提案してください。"]})
        visit = _visit(engagement, offered[slot_index], "online", town, 1, request.duration_minutes)
        visit.proposed_by, visit.town_confirmed_at, visit.expert_confirmed_at = "town", now, now
        visit.status = "confirmed"
    schedule.require_free(engagement.expert_id, visit.starts_at, visit.starts_at + timedelta(minutes=visit.duration_minutes))
    schedule.require_available(engagement.expert_id, visit.starts_at)
    return visit


# ------------------------------------------------------------------ reading


def list_requests(user: User, status: str | None = None, limit: int = 500) -> list[EngagementRequest]:
    query = access.requests_query(user).options(
        selectinload(EngagementRequest.issue).selectinload(Issue.municipality),
        selectinload(EngagementRequest.expert), selectinload(EngagementRequest.program))
    if status:
        query = query.where(EngagementRequest.status == status)
    return list(db.session.scalars(query.order_by(EngagementRequest.created_at.desc(), EngagementRequest.id.desc())
                                   .limit(limit)))
