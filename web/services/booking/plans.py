"""Visit plans: which months are on-site, on which business day and at what time each visit is proposed, and
what each visit holds in the cap ledger and the expert's monthly load."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from web.dates import JST, today_jst
from web.extensions import db
from web.models import (
    Engagement,
    EngagementRequest,
    ExpertProfile,
    Issue,
    IssueCoOwner,
    Municipality,
    SupportProgram,
    Visit,
)
from web.services import ledger
from web.services.booking import capacity, schedule
from web.services.business_days import current_calendar
from web.services.validation import InvalidInput

ONSITE_EVERY = 3  # default hybrid pattern: on-site in the first month and every third month after


@dataclass(frozen=True)
class PlanItem:
    """One visit of a plan: its month (first day), its place in the plan (1 = first month), mode and town."""

    month: date
    plan_month: int
    mode: str
    town: str
    starts_at: datetime | None = None

    @property
    def day(self) -> date:
        return self.starts_at.astimezone(JST).date() if self.starts_at else self.month


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def default_onsite_months(months: int, issue_mode: str = "hybrid") -> list[int]:
    """On-site in the first month and every third month after (1, 4, 7, ...); none for an online-only issue;
    every month for an on-site-only issue."""
    if issue_mode == "online":
        return []
    if issue_mode == "onsite":
        return list(range(1, months + 1))
    return list(range(1, months + 1, ONSITE_EVERY))


def towns_of(issue: Issue) -> list[str]:
    """The issue's town first, then its co-owner towns (a joint issue) in code order."""
    co_owners = db.session.scalars(select(IssueCoOwner.municipality_code)
                                   .where(IssueCoOwner.issue_id == issue.id).order_by(IssueCoOwner.municipality_code))
    return [issue.municipality_code, *(code for code in co_owners if code != issue.municipality_code)]


def place_of(code: str) -> str:
    town = db.session.get(Municipality, code)
    if town is None:
        return ""
    return town.hall_address or f"{town.prefecture.name}{town.name}役場"


def items_for(first_month: date, months: int, onsite_months: Iterable[int], towns: Sequence[str],
              visits_per_month: int = 1) -> list[PlanItem]:
    """The plan's visits by month and mode; on-site visits of a joint issue take turns among its towns."""
    onsite = set(onsite_months)
    items: list[PlanItem] = []
    onsite_count = 0
    for index in range(months):
        for _ in range(visits_per_month):
            if index + 1 in onsite:
                town = towns[onsite_count % len(towns)]
                onsite_count += 1
                items.append(PlanItem(add_months(first_month, index), index + 1, "onsite", town))
            else:
                items.append(PlanItem(add_months(first_month, index), index + 1, "online", towns[0]))
    return items


def visits_per_month(program: SupportProgram | None) -> int:
    """The program's visits per month; one when there is no program or it sets none."""
    return (program.visits_per_month if program is not None else None) or 1


def requested_items(request: EngagementRequest) -> list[PlanItem]:
    """The visits a sent request asks for, by month and mode (a spot consultation: its earliest offered slot)."""
    towns = towns_of(request.issue)
    if request.menu == "spot":
        first = min((datetime.fromisoformat(slot) for slot in request.slots), default=None)
        return [PlanItem(capacity.month_of(first) if first else request.first_month, 1, "online", towns[0])]
    return items_for(request.first_month, request.months, request.onsite_months, towns,
                     visits_per_month(request.program))


def planned_visits(items: Iterable[PlanItem], minutes: int) -> list[ledger.PlannedVisit]:
    return [ledger.PlannedVisit(item.day, item.mode, minutes, item.town if item.mode == "onsite" else None)
            for item in items]


def _ideal_order(days: list[date], slot: int, per_month: int) -> list[date]:
    """Days ordered by closeness to the slot's even share of the month (one visit a month: around the middle)."""
    if not days:
        return []
    target = (slot + 1) * len(days) // (per_month + 1)
    return sorted(days, key=lambda day: (abs(days.index(day) - target), day))


def propose_times(items: Sequence[PlanItem], expert: ExpertProfile, town: str, *, weekdays: Sequence[int],
                  start_time: str, minutes: int, visits_per_month: int = 1,
                  not_before: date | None = None) -> list[PlanItem]:
    """Give each item a start time: a business day of the town in its month, on a preferred weekday when one is
    free, at the preferred time (Japan time), avoiding the expert's other visits, their unavailable days and the
    plan's own earlier visits. Raise InvalidInput naming the month when no day is left."""
    calendar = current_calendar()
    earliest = not_before or today_jst() + timedelta(days=1)
    hour, minute = (int(part) for part in start_time.split(":"))
    if not items:
        return []
    first, last = items[0].month, add_months(items[-1].month, 1)
    span = (datetime.combine(first, time(), JST), datetime.combine(last, time(), JST))
    taken = schedule.busy_ranges(expert.id, *span)
    unavailable = schedule.unavailable_days(expert.id, first, last)
    placed: list[PlanItem] = []
    slot_in_month: dict[date, int] = {}
    for item in items:
        slot = slot_in_month.get(item.month, 0)
        slot_in_month[item.month] = slot + 1
        days = [day for day in calendar.business_days_in_month(item.month.year, item.month.month, town)
                if day >= earliest and day not in unavailable]
        preferred = [day for day in days if not weekdays or day.weekday() in weekdays]
        others = [day for day in days if day not in preferred]
        chosen = None
        for day in _ideal_order(preferred, slot, visits_per_month) + _ideal_order(others, slot, visits_per_month):
            start = datetime.combine(day, time(hour, minute), JST)
            end = start + timedelta(minutes=minutes)
            if all(end <= a or start >= b for a, b in taken):
                chosen = start
                break
        if chosen is None:
            message = (f"{item.month.year}年{item.month.month}月には、外部人材の予定と重ならない"
                       "訪問可能な営業日が残っていません。開始月か月数を見直してください。")
            raise InvalidInput({"first_month": [message]})
        taken.append((chosen, chosen + timedelta(minutes=minutes)))
        placed.append(PlanItem(item.month, item.plan_month, item.mode, item.town, chosen.astimezone(JST)))
    return placed


def planned_visit(visit: Visit) -> ledger.PlannedVisit:
    day = visit.starts_at.astimezone(JST).date()
    town = visit.municipality_code if visit.mode == "onsite" else None
    return ledger.PlannedVisit(day, visit.mode, visit.reserved_minutes, town)


def _ledger_args(engagement: Engagement) -> tuple[str, list[str] | None]:
    towns = towns_of(engagement.issue)
    return towns[0], (towns if len(towns) > 1 else None)


def hold(visits: Sequence[Visit], engagement: Engagement) -> None:
    """Reserve the visits in the program's cap ledger and book them in the expert's monthly load.

    Sets each visit's reserved_minutes to its duration first (release and consume use the same amounts; the
    ledger counts minutes for online visits only).
    """
    for visit in visits:
        visit.reserved_minutes = visit.duration_minutes
    if engagement.program is not None:
        code, towns = _ledger_args(engagement)
        ledger.reserve(engagement.program, code, [planned_visit(v) for v in visits], towns=towns)
    capacity.book(engagement.expert, [capacity.month_of(v.starts_at) for v in visits])


def let_go(visits: Sequence[Visit], engagement: Engagement) -> None:
    """Free what the visits hold (a cancellation, or the old time of a moved visit)."""
    if engagement.program is not None:
        code, towns = _ledger_args(engagement)
        ledger.release(engagement.program, code, [planned_visit(v) for v in visits], towns=towns)
    capacity.unbook(engagement.expert_id, [capacity.month_of(v.starts_at) for v in visits])


def use_up(visits: Sequence[Visit], engagement: Engagement) -> None:
    """A reported visit moves from reserved to used in the cap ledger (it stays booked in the expert's month)."""
    if engagement.program is not None:
        code, towns = _ledger_args(engagement)
        ledger.consume(engagement.program, code, [planned_visit(v) for v in visits], towns=towns)
