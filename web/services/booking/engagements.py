"""Engagements: the town completes one (outcome, rating, comment), either side cancels it, the town extends it.

Completing or cancelling cancels the visits that have not happened (future proposed/confirmed visits, and past
proposals that were never confirmed) and frees what they hold; visits that took place keep theirs (a confirmed
past visit can still be reported). When no active engagement is left, the issue closes (completed) or, when
none was ever completed, goes back to matching. An extension adds visits for the following months, planned
like the first ones, inside the program's months and caps; a refusal writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from web.codes import ENGAGEMENT_OUTCOMES, STAGES
from web.dates import JST, fiscal_year_of, format_date, today_jst
from web.extensions import db
from web.models import Engagement, Issue, User, Visit
from web.models.base import utcnow
from web.models.lifecycle import IllegalTransition
from web.services import audit
from web.services.booking import access, plans, schedule
from web.services.booking.visits import (
    OPEN_STATUSES,
    actor_label,
    cancel_visits,
    lock_expert,
    lock_ledger,
    other_side,
    tell_cancel_invitations,
    tell_side,
)
from web.services.errors import Conflict, ServiceError
from web.services.validation import Checker, InvalidInput

COMMENT_MAX = 2000
REASON_MAX = 1000
MONTHS_LIMIT = 36  # the request's CHECK (months BETWEEN 1 AND 36) when the program sets no maximum


def _locked(user: User, engagement_id: int, side: str | None, action: str) -> tuple[Engagement, str]:
    engagement = access.get_engagement(user, engagement_id)
    acting = access.side_of(user, engagement.expert_id)
    if side is not None:
        access.require_side(user, engagement.expert_id, side, action)
    schedule.lock_for_writing()
    db.session.refresh(engagement.issue, with_for_update=True)  # issue, then expert: the order accept takes them
    lock_expert(engagement.expert_id)
    db.session.refresh(engagement, with_for_update=True)
    if engagement.status != "active":
        raise Conflict(f"この支援はすでに「{engagement.status_label}」です。画面を再読み込みしてください。",
                       rule="engagement_state")
    return engagement, acting


def _not_happened(engagement: Engagement) -> list[Visit]:
    """Visits that will not take place any more: future proposed/confirmed ones and past unconfirmed proposals."""
    now = utcnow()
    return [visit for visit in _visits(engagement)
            if visit.status in OPEN_STATUSES and (visit.starts_at > now or visit.status == "proposed")]


def _visits(engagement: Engagement) -> list[Visit]:
    query = select(Visit).where(Visit.engagement_id == engagement.id).order_by(Visit.starts_at, Visit.id)
    return list(db.session.scalars(query.with_for_update()))


def _end_visits(engagement: Engagement, reason: str) -> list[Visit]:
    """Cancel the visits that have not happened and free what they hold; return the previously confirmed ones."""
    remaining = _not_happened(engagement)
    lock_ledger(engagement, remaining)
    return cancel_visits(remaining, engagement, reason)


def _settle_issue(engagement: Engagement) -> None:
    """With no other active engagement: the issue closes if any engagement was completed, else back to matching."""
    issue = engagement.issue
    db.session.refresh(issue, with_for_update=True)
    others = db.session.scalars(select(Engagement.status).where(Engagement.issue_id == issue.id,
                                                                Engagement.id != engagement.id)).all()
    if "active" in others:
        return
    target = "closed" if "completed" in [*others, engagement.status] else "matching"
    try:
        issue.transition_to(target)
    except IllegalTransition as error:
        raise ServiceError(str(error)) from error


def complete(user: User, engagement_id: int, outcome: str, rating: int | str | None, comment: str) -> Engagement:
    """The town completes the engagement with an outcome, an optional rating (1-5) and a comment."""
    checker = Checker()
    outcome = checker.choice("outcome", "成果", outcome, ENGAGEMENT_OUTCOMES)
    score = None if rating in (None, "") else checker.integer("rating", "評価", rating, 1, 5)
    text = checker.text("comment", "コメント", comment, required=False, max_len=COMMENT_MAX)
    checker.raise_if_any()
    engagement, _ = _locked(user, engagement_id, "town", "支援の完了")
    was_confirmed = _end_visits(engagement, "支援の完了に伴い中止")
    engagement.outcome, engagement.rating, engagement.town_comment = outcome, score, text
    engagement.transition_to("completed")
    engagement.ended_at = utcnow()
    db.session.flush()
    _settle_issue(engagement)
    db.session.flush()
    audit.record("engagement_completed", actor_id=user.id, object_type="engagement", object_id=engagement.id,
                 outcome=outcome, rating=score)
    tell_cancel_invitations(was_confirmed, "支援の完了に伴い中止しました。")
    tell_side(engagement, "expert", f"engagement:{engagement.id}:completed", kind="engagement_completed",
              title="支援が完了しました",
              body=f"「{engagement.issue.title}」の支援を市町村が完了しました。\n"
                   f"成果: {ENGAGEMENT_OUTCOMES[outcome]}" + (f"\n評価: {score}／5" if score else "")
                   + (f"\nコメント: {text}" if text else ""))
    return engagement


def cancel_engagement(user: User, engagement_id: int, reason: str) -> Engagement:
    """Either side cancels the engagement with a reason; visits that have not happened are cancelled."""
    checker = Checker()
    text = checker.text("reason", "中止の理由", reason, max_len=REASON_MAX)
    checker.raise_if_any()
    engagement, side = _locked(user, engagement_id, None, "支援の中止")
    was_confirmed = _end_visits(engagement, "支援の中止に伴い中止")
    engagement.cancel_reason = text
    engagement.transition_to("cancelled")
    engagement.ended_at = utcnow()
    db.session.flush()
    _settle_issue(engagement)
    db.session.flush()
    audit.record("engagement_cancelled", actor_id=user.id, object_type="engagement", object_id=engagement.id,
                 side=side)
    why = f"{actor_label(side)}が支援を中止しました。理由: {text}"
    tell_cancel_invitations(was_confirmed, why)
    tell_side(engagement, other_side(side), f"engagement:{engagement.id}:cancelled", kind="engagement_cancelled",
              title="支援が中止されました", body=f"「{engagement.issue.title}」の支援は中止になりました。\n{why}")
    return engagement


# ---------------------------------------------------------------- extension

@dataclass(frozen=True)
class Pattern:
    """How the engagement's visits are planned: from the request, or read off its visits when there is none."""

    weekdays: list[int]
    start_time: str
    minutes: int
    onsite_months: list[int]


def plan_months(engagement: Engagement) -> int:
    """Months from the first month of the engagement to the month of its end, both counted."""
    start, end = engagement.start_on, engagement.end_on
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _pattern(engagement: Engagement, visits: list[Visit]) -> Pattern:
    request = engagement.request
    if request is not None:
        onsite = list(request.onsite_months) if request.onsite_months is not None else []
        return Pattern(list(request.weekdays or []), request.start_time, request.duration_minutes, onsite)
    last = visits[-1] if visits else None
    start = last.starts_at.astimezone(JST) if last else datetime.combine(today_jst(), time(14), JST)
    onsite = sorted({v.plan_month for v in visits if v.mode == "onsite"})
    return Pattern([], f"{start:%H:%M}", last.duration_minutes if last else 120, onsite)


def continued_onsite(onsite: list[int], current: int, added: int) -> list[int]:
    """The on-site months (1 = the first added month) that continue the pattern: the step between the last two
    on-site months (every third month by default, every month for an on-site issue); none for online only."""
    if not onsite:
        return []
    ordered = sorted(set(onsite))
    step = ordered[-1] - ordered[-2] if len(ordered) > 1 else plans.ONSITE_EVERY
    months, month = [], ordered[-1] + step
    while month <= current + added:
        if month > current:
            months.append(month - current)
        month += step
    return months


def _month_end(month: date) -> date:
    return plans.add_months(month, 1) - timedelta(days=1)


def _check_extension(engagement: Engagement, months: object) -> tuple[int, int]:
    checker = Checker()
    added = checker.integer("months", "延長する月数", months, 1, MONTHS_LIMIT)
    current = plan_months(engagement)
    program = engagement.program
    limit = program.max_months if program is not None and program.max_months else MONTHS_LIMIT
    if not checker.errors and current + added > limit:
        name = f"{program.name}の" if program is not None and program.max_months else ""
        checker.add("months", f"{name}支援期間は合計{limit}か月までです（現在{current}か月、延長{added}か月）。"
                              f"延長できるのはあと{max(limit - current, 0)}か月です。")
    checker.raise_if_any()
    return current, added


def extend(user: User, engagement_id: int, months: int) -> Engagement:
    """The town extends the engagement by `months`: visits for the following months, planned like the first,
    held in the cap ledger and the expert's load (CapExceeded / CapacityExceeded: nothing written)."""
    engagement, _ = _locked(user, engagement_id, "town", "支援の延長")
    if engagement.menu == "spot":
        raise ServiceError("スポット相談は延長できません。続けて相談する場合は、伴走支援として新しく依頼してください。")
    current, added = _check_extension(engagement, months)
    visits = [v for v in _visits(engagement) if v.status != "cancelled"]
    pattern = _pattern(engagement, visits)
    per_month = plans.visits_per_month(engagement.program)
    towns = plans.towns_of(engagement.issue)
    first = plans.add_months(engagement.end_on.replace(day=1), 1)
    items = plans.items_for(first, added, continued_onsite(pattern.onsite_months, current, added), towns, per_month)
    try:
        placed = plans.propose_times(items, engagement.expert, towns[0], weekdays=pattern.weekdays,
                                     start_time=pattern.start_time, minutes=pattern.minutes,
                                     visits_per_month=per_month, not_before=max(first, today_jst() + timedelta(days=1)))
    except InvalidInput as refusal:  # the planner names its own field; here the months are what to change
        raise InvalidInput({"months": [m for ms in refusal.errors.values() for m in ms]}) from refusal
    new = [_new_visit(engagement, item, pattern.minutes, current) for item in placed]
    lock_ledger(engagement, new)
    plans.hold(new, engagement)  # refuses before writing when a cap or the expert's month is full
    db.session.add_all(new)
    db.session.expire(engagement, ["visits"])
    engagement.end_on = _month_end(placed[-1].month if placed else first)
    db.session.flush()
    audit.record("engagement_extended", actor_id=user.id, object_type="engagement", object_id=engagement.id,
                 months=added, end_on=engagement.end_on.isoformat())
    tell_side(engagement, "expert", f"engagement:{engagement.id}:extended:{engagement.end_on.isoformat()}",
              kind="engagement_extended", title="支援が延長されました",
              body=f"「{engagement.issue.title}」の支援が{added}か月延長され、{format_date(engagement.end_on)}までになりました。"
                   f"追加の訪問{len(new)}回の日程案を確認してください。")
    return engagement


def _new_visit(engagement: Engagement, item: plans.PlanItem, minutes: int, offset: int) -> Visit:
    assert item.starts_at is not None
    onsite = item.mode == "onsite"
    return Visit(engagement_id=engagement.id, expert_id=engagement.expert_id, municipality_code=item.town,
                 starts_at=item.starts_at, duration_minutes=minutes, plan_month=item.plan_month + offset,
                 mode=item.mode, status="proposed", proposed_by="system",
                 fiscal_year=fiscal_year_of(item.starts_at), place=plans.place_of(item.town) if onsite else "",
                 meeting_url="" if onsite else engagement.meeting_url)


# ---------------------------------------------------------------- progress

@dataclass(frozen=True)
class EngagementProgress:
    """What the engagement page shows at the top."""

    visits_done: int
    visits_planned: int
    visits_cancelled: int
    reports_missing: int
    reports_unacknowledged: int
    stage_at_start: str
    latest_stage: str | None
    last_contact: datetime | None
    next_visit: Visit | None

    @property
    def stage_at_start_label(self) -> str:
        return STAGES.get(self.stage_at_start, self.stage_at_start)

    @property
    def latest_stage_label(self) -> str:
        return STAGES.get(self.latest_stage, self.latest_stage) if self.latest_stage else ""


def engagement_progress(engagement: Engagement) -> EngagementProgress:
    """Visits done/planned/cancelled, reports missing (confirmed visits that started without one) and not yet
    acknowledged, the DX stage at the start and in the latest report, the last contact and the next visit."""
    now = utcnow()
    query = (select(Visit).where(Visit.engagement_id == engagement.id)
             .options(selectinload(Visit.report)).order_by(Visit.starts_at, Visit.id))
    visits = list(db.session.scalars(query))
    reports = [v.report for v in visits if v.report is not None]
    staged = [r for r in reports if r.stage]
    contacts: list[datetime] = [v.ends_at for v in visits if v.status in ("done", "confirmed") and v.ends_at <= now]
    contacts += [moment for r in reports for moment in (r.updated_at, r.question_at, r.acknowledged_at) if moment]
    upcoming = [v for v in visits if v.status in OPEN_STATUSES and v.starts_at > now]
    return EngagementProgress(
        visits_done=sum(v.status == "done" for v in visits),
        visits_planned=sum(v.status in OPEN_STATUSES for v in visits),
        visits_cancelled=sum(v.status == "cancelled" for v in visits),
        reports_missing=sum(v.status == "confirmed" and v.starts_at <= now for v in visits),
        reports_unacknowledged=sum(r.acknowledged_at is None for r in reports),
        stage_at_start=engagement.stage_at_start,
        latest_stage=staged[-1].stage if staged else None,
        last_contact=max(contacts) if contacts else None,
        next_visit=upcoming[0] if upcoming else None,
    )


def active_count(issue: Issue) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Engagement)
                                 .where(Engagement.issue_id == issue.id, Engagement.status == "active")) or 0)
