"""Experts: utilisation this month (visits booked / monthly capacity, from the expert_load rows the booking flow
keeps), idle experts and experts whose profiles are stale.

Which experts: a coordinator's or admin's figures cover the experts registered in the prefecture (and in the
filter's sector, when one is chosen); an officer sees the experts of their town's engagements; an expert only
themselves. Idle: no active engagement and nothing booked this month. Stale: availability not confirmed for
RECONFIRM_AFTER_DAYS (the rule that stops recommending them). One query, one row per expert.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, select

from web.extensions import db
from web.models import Engagement, ExpertLoad, ExpertProfile, ExpertSector, User
from web.services.progress.common import engagement_ids_query
from web.services.progress.scope import ProgressFilters, expert_ids_query


@dataclass(frozen=True)
class ExpertUse:
    expert_id: int
    name: str
    booked: int
    capacity: int
    active_engagements: int
    last_confirmed: date
    idle: bool
    stale: bool

    @property
    def utilisation(self) -> float | None:
        return None if self.capacity == 0 else round(self.booked / self.capacity, 2)


@dataclass(frozen=True)
class Experts:
    month: date
    rows: tuple[ExpertUse, ...]  # the busiest first (visits booked this month), then by name
    booked: int
    capacity: int
    idle: int
    stale: int
    stale_after_days: int

    @property
    def utilisation(self) -> float | None:
        return None if self.capacity == 0 else round(self.booked / self.capacity, 2)


def experts_use(user: User, filters: ProgressFilters, month: date, now: datetime) -> Experts:
    stale_days = int(current_app.config["RECONFIRM_AFTER_DAYS"])
    first = month.replace(day=1)
    active = (select(func.count(Engagement.id)).where(Engagement.expert_id == ExpertProfile.id,
                                                      Engagement.status == "active")
              .correlate(ExpertProfile).scalar_subquery())
    query = (select(ExpertProfile.id, ExpertProfile.display_name, func.coalesce(ExpertLoad.booked, 0),
                    func.coalesce(ExpertLoad.capacity, ExpertProfile.monthly_capacity), active,
                    ExpertProfile.last_confirmed_at)
             .outerjoin(ExpertLoad, and_(ExpertLoad.expert_id == ExpertProfile.id, ExpertLoad.month == first))
             .order_by(func.coalesce(ExpertLoad.booked, 0).desc(), ExpertProfile.display_name, ExpertProfile.id))
    mine = expert_ids_query(user)
    if mine is not None:
        query = query.where(ExpertProfile.id.in_(mine))
    elif user.role == "officer":
        engaged = select(Engagement.expert_id).where(Engagement.id.in_(engagement_ids_query(user, filters)))
        query = query.where(ExpertProfile.id.in_(engaged))
    else:
        query = query.where(ExpertProfile.prefecture_code == filters.prefecture_code)
        if filters.sector:
            query = query.where(exists().where(ExpertSector.expert_id == ExpertProfile.id,
                                               ExpertSector.sector == filters.sector))
    stale_before = now - timedelta(days=stale_days)
    rows: list[ExpertUse] = []
    for expert_id, name, booked, capacity, engagements, confirmed in db.session.execute(query):
        confirmed = confirmed if confirmed.tzinfo else confirmed.replace(tzinfo=UTC)
        rows.append(ExpertUse(expert_id, name, int(booked), int(capacity), int(engagements or 0),
                              confirmed.date(), engagements == 0 and booked == 0, confirmed < stale_before))
    return Experts(first, tuple(rows), sum(r.booked for r in rows), sum(r.capacity for r in rows),
                   sum(r.idle for r in rows), sum(r.stale for r in rows), stale_days)
