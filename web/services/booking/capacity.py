"""The expert's monthly load: visits booked per month (Japan time) never exceed their monthly capacity.

One ``expert_load`` row per expert × month holds ``booked`` and a copy of the capacity with a CHECK
(booked <= capacity). Booking is ``INSERT … ON CONFLICT DO NOTHING`` then one conditional
``UPDATE … SET booked = booked + n, capacity = :cap WHERE … AND booked + n <= :cap`` per month, months in order,
so concurrent plans cannot together overbook (the same pattern as the cap ledger, web/services/ledger.py).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select, update

from web.dates import JST, today_jst
from web.extensions import db
from web.models import ExpertLoad, ExpertProfile
from web.services.errors import Conflict
from web.transaction import insert


class CapacityExceeded(Conflict):
    """The expert's monthly capacity would be exceeded (HTTP 409, rule "expert_capacity")."""

    rule = "expert_capacity"


def month_of(moment: datetime | date) -> date:
    """The first day of the month of `moment` in Japan time."""
    day = moment.astimezone(JST).date() if isinstance(moment, datetime) else moment
    return day.replace(day=1)


def _label(month: date) -> str:
    return f"{month.year}年{month.month}月"


def booked(expert_id: int, months: Iterable[date]) -> dict[date, int]:
    wanted = sorted(set(months))
    rows = db.session.execute(select(ExpertLoad.month, ExpertLoad.booked)
                              .where(ExpertLoad.expert_id == expert_id, ExpertLoad.month.in_(wanted)))
    found = {month: count for month, count in rows}
    return {month: found.get(month, 0) for month in wanted}


def check(expert: ExpertProfile, months: Iterable[date]) -> list[str]:
    """Read only: a Japanese message for each month the visits would overbook."""
    wanted = Counter(months)
    current = booked(expert.id, wanted)
    return [f"{expert.display_name}さんの{_label(month)}の予定は月{expert.monthly_capacity}回までです"
            f"（予定済み{current[month]}回、この計画で{count}回）。"
            for month, count in sorted(wanted.items()) if current[month] + count > expert.monthly_capacity]


def book(expert: ExpertProfile, months: Iterable[date]) -> None:
    """Book one visit per item of `months` (first days of months); raise CapacityExceeded and change nothing."""
    wanted = Counter(months)
    problems = check(expert, wanted.elements())
    if problems:
        raise CapacityExceeded(problems[0])
    for month, count in sorted(wanted.items()):
        db.session.execute(insert(ExpertLoad).values(expert_id=expert.id, month=month, booked=0,
                                                     capacity=expert.monthly_capacity)
                           .on_conflict_do_nothing(index_elements=["expert_id", "month"]))
        result = db.session.execute(
            update(ExpertLoad)
            .where(ExpertLoad.expert_id == expert.id, ExpertLoad.month == month,
                   ExpertLoad.booked + count <= expert.monthly_capacity)
            .values(booked=ExpertLoad.booked + count, capacity=expert.monthly_capacity)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise CapacityExceeded(f"{expert.display_name}さんの{_label(month)}の予定は、ほぼ同時に入った別の予定で"
                                   f"月{expert.monthly_capacity}回に達しました。")


def unbook(expert_id: int, months: Iterable[date]) -> None:
    """Free one booked visit per item of `months` (a cancelled visit, or one moved to another month)."""
    for month, count in sorted(Counter(months).items()):
        db.session.execute(update(ExpertLoad)
                           .where(ExpertLoad.expert_id == expert_id, ExpertLoad.month == month,
                                  ExpertLoad.booked >= count)
                           .values(booked=ExpertLoad.booked - count)
                           .execution_options(synchronize_session=False))


def remaining_this_month(expert_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Each expert's free visits this month: capacity minus visits booked (the matcher receives this as data)."""
    month = today_jst().replace(day=1)
    query = (select(ExpertProfile.id, ExpertProfile.monthly_capacity, ExpertLoad.booked)
             .outerjoin(ExpertLoad, (ExpertLoad.expert_id == ExpertProfile.id) & (ExpertLoad.month == month)))
    if expert_ids is not None:
        query = query.where(ExpertProfile.id.in_(list(expert_ids)))
    return {str(pk): max(0, capacity - (count or 0)) for pk, capacity, count in db.session.execute(query)}
