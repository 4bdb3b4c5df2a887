"""Visits: either side confirms a proposed time, proposes another one (a move) or cancels.

Each write locks the expert's timetable first (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the expert's row, then
the visit's row, then the cap ledger rows in a fixed order), so concurrent moves of one expert take turns and
never deadlock; the exclusion constraint on ``visit`` still refuses an overlap a check could not see.
A move frees what the old time held (ledger and monthly load) and holds the new time; a cancellation frees it.
Every change tells the other side once (dedupe keys carry ``visit.sequence``); a visit that becomes confirmed
mails both sides an .ics REQUEST, a confirmed visit that is cancelled a CANCEL; a proposal never carries an .ics.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from web.codes import SIDES
from web.dates import JST, fiscal_year_of, format_date_weekday
from web.extensions import db
from web.models import CapLedger, Engagement, ExpertProfile, Issue, User, Visit
from web.models.base import utcnow
from web.models.lifecycle import IllegalTransition
from web.services import audit, calendars
from web.services.booking import access, notify, plans, schedule
from web.services.booking.capacity import month_of
from web.services.business_days import FIRST_YEAR, LAST_YEAR, current_calendar
from web.services.errors import Conflict, ServiceError
from web.services.validation import Checker

OPEN_STATUSES = ("proposed", "confirmed")
#: The page every notification about an engagement links to.
ENGAGEMENT_PAGE = "booking.engagement_detail"
NOTE_MAX = 1000
REASON_MAX = 1000
#: upcoming_visits refuses a longer window (a month calendar asks for ~6 weeks, a list for a few months).
UPCOMING_MAX_DAYS = 400
UPCOMING_LIMIT = 2000


# ---------------------------------------------------------------- wording shared by the booking services

def when(moment: datetime) -> str:
    """2026年5月13日（水）14:00 (Japan time)."""
    local = moment.astimezone(JST)
    return f"{format_date_weekday(local)}{local:%H:%M}"


def page_of(engagement: Engagement) -> tuple[str, dict[str, object]]:
    """The endpoint (and its values) a notification about the engagement links to."""
    return ENGAGEMENT_PAGE, {"engagement_id": engagement.id}


def users_of_side(engagement: Engagement, side: str) -> list[User]:
    """The people of one side: the expert's account, or the officers of the issue's towns."""
    if side == "expert":
        user = notify.expert_user(engagement.expert)
        return [user] if user is not None else []
    return notify.town_users(engagement.issue)


def other_side(side: str) -> str:
    return "town" if side == "expert" else "expert"


def tell_side(engagement: Engagement, side: str, key: str, *, kind: str, title: str, body: str,
              ics: bytes | None = None, method: str | None = None) -> int:
    """Tell everyone of `side` once under `key`; return how many were told now."""
    endpoint, values = page_of(engagement)
    return sum(notify.tell(user, key, kind=kind, title=title, body=body, endpoint=endpoint, ics=ics, method=method,
                           **values) for user in users_of_side(engagement, side))


def actor_label(side: str) -> str:
    return SIDES["town"] if side == "town" else SIDES["expert"]


def _subject(visit: Visit) -> str:
    engagement = visit.engagement
    mode = calendars.MODE_LABELS.get(visit.mode, visit.mode)
    return f"「{engagement.issue.title}」の{mode}（{when(visit.starts_at)}）"


# ---------------------------------------------------------------- locking

def lock_expert(expert_id: int) -> None:
    """Writers of one expert's timetable take turns (SQLite: the write lock; PostgreSQL: the expert's row)."""
    schedule.lock_for_writing()
    db.session.execute(select(ExpertProfile.id).where(ExpertProfile.id == expert_id).with_for_update())


def lock_ledger(engagement: Engagement, visits: Iterable[Visit | plans.PlanItem]) -> None:
    """Lock the cap ledger rows the visits touch, in (fiscal year, town) order, so two writers never deadlock."""
    if engagement.program_id is None:
        return
    years = sorted({fiscal_year_of(v.starts_at) for v in visits if v.starts_at is not None})
    if not years:
        return
    db.session.execute(select(CapLedger.id)
                       .where(CapLedger.program_id == engagement.program_id,
                              CapLedger.municipality_code.in_(plans.towns_of(engagement.issue)),
                              CapLedger.fiscal_year.in_(years))
                       .order_by(CapLedger.fiscal_year, CapLedger.municipality_code).with_for_update())


def _locked(user: User, visit_id: int) -> tuple[Visit, str]:
    """The visit (visible to `user`) read again under its row lock, and the side the user acts for."""
    visit = access.get_visit(user, visit_id)
    side = access.side_of(user, visit.expert_id)
    lock_expert(visit.expert_id)
    db.session.refresh(visit, with_for_update=True)
    db.session.refresh(visit.engagement)
    return visit, side


def require_open(visit: Visit, action: str) -> None:
    """Only a proposed or confirmed visit of an active engagement can be confirmed, moved or cancelled."""
    engagement = visit.engagement
    if engagement.status != "active":
        raise Conflict(f"この支援は「{engagement.status_label}」のため、訪問の{action}はできません。",
                       rule="engagement_state")
    if visit.status not in OPEN_STATUSES:
        raise Conflict(f"この訪問は「{visit.status_label}」のため、{action}できません。画面を再読み込みしてください。",
                       rule="visit_state")


def _transition(visit: Visit, target: str) -> None:
    try:
        visit.transition_to(target)
    except IllegalTransition as error:  # guarded by require_open; kept so a new status never becomes a 500
        raise Conflict(str(error), rule="visit_state") from error


# ---------------------------------------------------------------- confirm

def confirm(user: User, visit_id: int) -> Visit:
    """Record the acting side's agreement to the proposed time; with both sides agreed the visit is confirmed.

    Confirming again what one has already confirmed changes nothing and tells no one.
    """
    visit, side = _locked(user, visit_id)
    require_open(visit, "確認")
    column = f"{side}_confirmed_at"
    if getattr(visit, column) is not None:
        return visit
    setattr(visit, column, utcnow())
    if visit.town_confirmed_at is not None and visit.expert_confirmed_at is not None:
        _transition(visit, "confirmed")
    db.session.flush()
    audit.record("visit_confirmed", actor_id=user.id, object_type="visit", object_id=visit.id, side=side,
                 status=visit.status)
    if visit.status == "confirmed":
        _tell_confirmed(visit)
    else:
        _tell_half_confirmed(visit, side)
    return visit


def _tell_confirmed(visit: Visit) -> None:
    ics = calendars.visit_ics(visit, "REQUEST")
    body = (f"{_subject(visit)}の日程が双方の確認により確定しました。\n"
            f"日時: {when(visit.starts_at)}〜{visit.ends_at.astimezone(JST):%H:%M}\n"
            f"場所: {_where(visit)}\n"
            "カレンダーに登録できる招待状（.ics）を添付しています。")
    for side in ("town", "expert"):
        tell_side(visit.engagement, side, f"visit:{visit.id}:confirmed:{visit.sequence}", kind="visit_confirmed",
                  title="訪問の日程が確定しました", body=body, ics=ics, method="REQUEST")


def _tell_half_confirmed(visit: Visit, side: str) -> None:
    body = (f"{actor_label(side)}が{_subject(visit)}の日程を確認しました。\n"
            "あなたが確認すると日程が確定します。都合が悪い場合は別の日時を提案してください。")
    tell_side(visit.engagement, other_side(side), f"visit:{visit.id}:confirmed_by_{side}:{visit.sequence}",
              kind="visit_confirm_requested", title="訪問日程の確認をお願いします", body=body)


def _where(visit: Visit) -> str:
    if visit.mode == "online":
        return f"オンライン（{visit.meeting_url}）" if visit.meeting_url else "オンライン（接続先は追ってお知らせします）"
    return visit.place or plans.place_of(visit.municipality_code) or "役場"


# ---------------------------------------------------------------- move

def check_time(checker: Checker, visit: Visit, starts_at: datetime | None, minutes: int) -> None:
    """The new time: aware, in the future, on a business day of the visited town, not a day the expert is off."""
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        checker.add("starts_at", "日時を正しく入力してください（例: 2026年5月13日 14:00）。")
        return
    if starts_at <= utcnow():
        checker.add("starts_at", f"{when(starts_at)}はすでに過ぎています。これから先の日時を選んでください。")
        return
    day = starts_at.astimezone(JST).date()
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        checker.add("starts_at", f"{day.year}年の日付は選べません。")
        return
    closed = current_calendar().closed_because(day, visit.municipality_code)
    if closed:
        checker.add("starts_at", f"{format_date_weekday(day)}は{closed}のため役場の営業日ではありません。"
                                 "営業日を選んでください。")
    elif day in schedule.unavailable_days(visit.expert_id, day, day):
        checker.add("starts_at", f"{format_date_weekday(day)}は外部人材が対応できない日として登録されています。"
                                 "別の日を選んでください。")
    ends = (starts_at + timedelta(minutes=minutes)).astimezone(JST)
    if ends.date() != day:
        checker.add("starts_at", "訪問は開始した日のうちに終わる時間にしてください。")


def _check_move(visit: Visit, starts_at: datetime, note: str, duration_minutes: int | None,
                meeting_url: str | None, place: str | None) -> tuple[int, dict[str, object]]:
    """Validate a move; return the new length in minutes and the fields to set (InvalidInput otherwise)."""
    checker = Checker()
    minutes = visit.duration_minutes if duration_minutes is None else checker.integer(
        "duration_minutes", "所要時間（分）", duration_minutes, 15, 600)
    values: dict[str, object] = {
        "note": checker.text("note", "メッセージ", note, required=False, max_len=NOTE_MAX),
        "duration_minutes": minutes,
    }
    if meeting_url is not None:
        url = checker.text("meeting_url", "会議のURL", meeting_url, required=False, max_len=300)
        if url and not url.startswith(("https://", "http://")):
            checker.add("meeting_url", "会議のURLは https:// で始まるURLを入力してください。")
        values["meeting_url"] = url
    if place is not None:
        values["place"] = checker.text("place", "場所", place, required=False, max_len=200)
    if not checker.errors:
        check_time(checker, visit, starts_at, minutes)
    checker.raise_if_any()
    return minutes, values


def move(user: User, visit_id: int, starts_at: datetime, note: str, *, duration_minutes: int | None = None,
         meeting_url: str | None = None, place: str | None = None) -> Visit:
    """Propose another time (and length, link or place): the mover has agreed to it, the other side must confirm.

    Raises InvalidInput (field starts_at, in Japanese) for a past time, a day the town hall is closed or the
    expert is off; Overlap (rule expert_overlap) for a clash with another visit of the expert; CapacityExceeded /
    CapExceeded when the new month or fiscal year has no room. Nothing is written then.
    """
    visit, side = _locked(user, visit_id)
    require_open(visit, "日時の変更")
    minutes, values = _check_move(visit, starts_at, note, duration_minutes, meeting_url, place)
    schedule.require_free(visit.expert_id, starts_at, starts_at + timedelta(minutes=minutes), ignore=[visit.id])
    engagement = visit.engagement
    lock_ledger(engagement, [visit, plans.PlanItem(month_of(starts_at), 1, visit.mode, "", starts_at)])
    old_sequence = visit.sequence
    plans.let_go([visit], engagement)
    _apply_move(visit, side, starts_at, values)
    db.session.flush()  # the exclusion constraint answers here on PostgreSQL
    plans.hold([visit], engagement)
    if visit.sequence == old_sequence:  # only the place, link or note changed: still a new version to announce
        visit.sequence = old_sequence + 1
    db.session.flush()
    audit.record("visit_moved", actor_id=user.id, object_type="visit", object_id=visit.id, side=side,
                 starts_at=visit.starts_at.isoformat())
    _tell_moved(visit, side)
    return visit


def _apply_move(visit: Visit, side: str, starts_at: datetime, values: dict[str, object]) -> None:
    if visit.status == "confirmed":
        _transition(visit, "proposed")
    visit.starts_at = starts_at
    visit.fiscal_year = fiscal_year_of(starts_at)
    for name, value in values.items():
        setattr(visit, name, value)
    now = utcnow()
    visit.town_confirmed_at = now if side == "town" else None
    visit.expert_confirmed_at = now if side == "expert" else None
    visit.proposed_by = side
    visit.reminded_at = None
    visit.report_nudged_at = None


def _tell_moved(visit: Visit, side: str) -> None:
    note = f"\n\nメッセージ:\n{visit.note}" if visit.note else ""
    body = (f"{actor_label(side)}が{_subject(visit)}の日時の変更を提案しました。\n"
            f"新しい日時: {when(visit.starts_at)}〜{visit.ends_at.astimezone(JST):%H:%M}\n"
            f"場所: {_where(visit)}\n"
            f"内容を確認して、確認するか別の日時を提案してください。{note}")
    tell_side(visit.engagement, other_side(side), f"visit:{visit.id}:moved:{visit.sequence}", kind="visit_moved",
              title="訪問日時の変更が提案されました", body=body)


# ---------------------------------------------------------------- cancel

def cancel(user: User, visit_id: int, reason: str) -> Visit:
    """Cancel a proposed or confirmed visit with a reason; what it held in the ledger and the load is freed."""
    checker = Checker()
    cleaned = checker.text("reason", "中止の理由", reason, max_len=REASON_MAX)
    checker.raise_if_any()
    visit, side = _locked(user, visit_id)
    require_open(visit, "中止")
    lock_ledger(visit.engagement, [visit])
    was_confirmed = cancel_visits([visit], visit.engagement, cleaned)
    audit.record("visit_cancelled", actor_id=user.id, object_type="visit", object_id=visit.id, side=side)
    why = f"{actor_label(side)}が中止しました。理由: {cleaned}"
    if was_confirmed:  # both calendars hold it: both sides get the CANCEL (which is the notice too)
        tell_cancel_invitations(was_confirmed, why)
    else:
        tell_side(visit.engagement, other_side(side), f"visit:{visit.id}:cancelled:{visit.sequence}",
                  kind="visit_cancelled", title="訪問が中止されました", body=f"{_subject(visit)}は中止になりました。\n{why}")
    return visit


def cancel_visits(visits: Sequence[Visit], engagement: Engagement, reason: str) -> list[Visit]:
    """Cancel the visits and free what they hold (flush); return those that had been confirmed."""
    if not visits:
        return []
    plans.let_go(visits, engagement)
    was_confirmed = [visit for visit in visits if visit.status == "confirmed"]
    now = utcnow()
    for visit in visits:
        _transition(visit, "cancelled")
        visit.cancel_reason = reason
        visit.cancelled_at = now
    db.session.flush()
    return was_confirmed


def tell_cancel_invitations(visits: Iterable[Visit], why: str) -> None:
    """Both sides had the confirmed visits in their calendars: send each a CANCEL .ics."""
    for visit in visits:
        ics = calendars.visit_ics(visit, "CANCEL")
        body = (f"{_subject(visit)}は中止になりました。\n{why}\n"
                "カレンダーから削除するための招待状（.ics）を添付しています。")
        for side in ("town", "expert"):
            tell_side(visit.engagement, side, f"visit:{visit.id}:cancel_ics:{visit.sequence}",
                      kind="visit_cancelled_invitation", title="確定していた訪問が中止されました", body=body,
                      ics=ics, method="CANCEL")


# ---------------------------------------------------------------- reading

def upcoming_visits(user: User, start: datetime, end: datetime, *, limit: int = UPCOMING_LIMIT) -> list[Visit]:
    """The user's visits (not cancelled) starting in [start, end), with engagement, issue and expert loaded in
    the same query: the 「予定」 list and month calendar. A window over UPCOMING_MAX_DAYS is refused."""
    if end <= start or end - start > timedelta(days=UPCOMING_MAX_DAYS):
        raise ServiceError(f"表示する期間は{UPCOMING_MAX_DAYS}日以内で指定してください。")
    query = (access.visits_query(user)
             .where(Visit.status != "cancelled", Visit.starts_at >= start, Visit.starts_at < end)
             .options(joinedload(Visit.engagement).joinedload(Engagement.issue).joinedload(Issue.municipality),
                      joinedload(Visit.engagement).joinedload(Engagement.expert))
             .order_by(Visit.starts_at, Visit.id).limit(limit))
    return list(db.session.scalars(query).unique())


def visits_of(engagement: Engagement) -> list[Visit]:
    """Every visit of the engagement in time order, with its report."""
    query = (select(Visit).where(Visit.engagement_id == engagement.id)
             .options(selectinload(Visit.report)).order_by(Visit.starts_at, Visit.id))
    return list(db.session.scalars(query))

