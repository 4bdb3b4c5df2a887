"""The expert's timetable: no two visits at once, no visit on a declared unavailable day.

PostgreSQL holds the overlap rule itself (the exclusion constraint ``ex_visit_expert_overlap`` over the expert
and the visit's time range, web/models/visit.py); SQLite has no such constraint, so writers first take SQLite's
write lock (``BEGIN IMMEDIATE``: one writer at a time) and check inside it. The Python check runs on both so the
message can name the visit in the way; the database answers whoever lost a race the check could not see.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import delete, select

from web.dates import JST, format_date_weekday
from web.extensions import db
from web.models import UnavailableDay, Visit
from web.services.errors import Conflict
from web.services.validation import InvalidInput
from web.transaction import insert


class Overlap(Conflict):
    """The expert already has a visit at that time (HTTP 409, rule "expert_overlap")."""

    rule = "expert_overlap"


def lock_for_writing() -> None:
    """On SQLite, take the database's write lock now (BEGIN IMMEDIATE) so a check and the write it guards are
    one step for every other writer; on PostgreSQL do nothing (its constraints hold the rules)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.driver_connection
    if raw is not None and not raw.in_transaction:  # no write yet in this unit of work: start it as a writer
        raw.execute("BEGIN IMMEDIATE")


def clashes(expert_id: int, starts_at: datetime, ends_at: datetime, *, ignore: Iterable[int] = ()) -> list[Visit]:
    """The expert's visits (not cancelled) that overlap [starts_at, ends_at)."""
    query = select(Visit).where(Visit.expert_id == expert_id, Visit.status != "cancelled",
                                Visit.starts_at < ends_at, Visit.ends_at > starts_at)
    ignored = [pk for pk in ignore if pk is not None]
    if ignored:
        query = query.where(Visit.id.not_in(ignored))
    return list(db.session.scalars(query))


def busy_ranges(expert_id: int, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The expert's booked time ranges between start and end (for planning around them)."""
    rows = db.session.execute(select(Visit.starts_at, Visit.ends_at)
                              .where(Visit.expert_id == expert_id, Visit.status != "cancelled",
                                     Visit.starts_at < end, Visit.ends_at > start))
    return [(a, b) for a, b in rows]


def require_free(expert_id: int, starts_at: datetime, ends_at: datetime, *, ignore: Iterable[int] = ()) -> None:
    """Raise Overlap naming the visit in the way, if any."""
    found = clashes(expert_id, starts_at, ends_at, ignore=ignore)
    if found:
        other = found[0].starts_at.astimezone(JST)
        raise Overlap(f"この外部人材には{format_date_weekday(other)}{other:%H:%M}から別の訪問が入っています。"
                      "別の日時を選んでください。")


def unavailable_days(expert_id: int, start: date | None = None, end: date | None = None) -> set[date]:
    query = select(UnavailableDay.day).where(UnavailableDay.expert_id == expert_id)
    if start is not None:
        query = query.where(UnavailableDay.day >= start)
    if end is not None:
        query = query.where(UnavailableDay.day <= end)
    return set(db.session.scalars(query))


def require_available(expert_id: int, starts_at: datetime) -> None:
    day = starts_at.astimezone(JST).date()
    if day in unavailable_days(expert_id, day, day):
        raise InvalidInput({"starts_at": [f"{format_date_weekday(day)}は外部人材が対応できない日として登録されています。"]})


def list_unavailable(expert_id: int) -> list[UnavailableDay]:
    return list(db.session.scalars(select(UnavailableDay).where(UnavailableDay.expert_id == expert_id)
                                   .order_by(UnavailableDay.day)))


def set_unavailable(expert_id: int, day: date, note: str = "") -> None:
    """Declare a day unavailable (idempotent); visits already planned that day are not moved."""
    db.session.execute(insert(UnavailableDay).values(expert_id=expert_id, day=day, note=note)
                       .on_conflict_do_update(index_elements=["expert_id", "day"], set_={"note": note}))


def clear_unavailable(expert_id: int, day: date) -> None:
    db.session.execute(delete(UnavailableDay).where(UnavailableDay.expert_id == expert_id, UnavailableDay.day == day))
