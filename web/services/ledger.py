"""The cap ledger: what a support program allows a town per fiscal year, what is used and reserved, and plans.

A plan is a list of `PlannedVisit` (visit day, mode, minutes). Each visit counts in the fiscal year (April-March)
of its own day, so a plan from January to June touches two fiscal years. On-site visits count against the town
visited (`PlannedVisit.town`, by default the plan's municipality); the online minutes of a joint engagement are
shared equally among its `towns` (the remainder of a division, in minutes, goes one each to the first towns in the
order given). Counts are stored per program × municipality × fiscal year in `CapLedger`; online time in minutes.

`check_plan` only reads. `reserve`, `release` and `consume` change the counts with one conditional UPDATE per
ledger row, in a fixed order (fiscal year, town), after upserting the row; a refused UPDATE raises, and the
caller's transaction rolls back, so nothing is half-written. These functions flush only (through `execute`).
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, select, update

from web.codes import VISIT_MODES
from web.dates import fiscal_year_of, format_fiscal_year
from web.extensions import db
from web.models import CapLedger, Municipality, SupportProgram, User
from web.services.errors import Conflict, NotFound
from web.transaction import insert

ONSITE, ONLINE = "onsite", "online"
KINDS = (ONSITE, ONLINE)
_KEY_COLUMNS = ["program_id", "municipality_code", "fiscal_year"]


class PlannedVisit(NamedTuple):
    """One visit of a plan; `town` is the town visited (on-site only; default: the plan's municipality)."""

    day: date
    mode: str
    minutes: int
    town: str | None = None


class CapExceeded(Conflict):
    """A plan would break a program's cap (HTTP 409); the message names the rule with the numbers."""

    rule = "program_cap"

    def __init__(self, lines: Sequence[CapLine]) -> None:
        self.lines = list(lines)
        super().__init__("\n".join(line.message or "" for line in self.lines))


@dataclass(frozen=True)
class Tally:
    """Allowed (None = uncapped), used and reserved, in visits or minutes."""

    allowed: int | None
    used: int
    reserved: int

    @property
    def remaining(self) -> int | None:
        return None if self.allowed is None else max(self.allowed - self.used - self.reserved, 0)

    def in_hours(self) -> dict[str, float | None]:
        hours = (lambda minutes: None if minutes is None else round(minutes / 60, 2))
        return {"allowed": hours(self.allowed), "used": hours(self.used), "reserved": hours(self.reserved),
                "remaining": hours(self.remaining)}


@dataclass(frozen=True)
class Usage:
    program_id: int
    municipality_code: str
    fiscal_year: int
    onsite: Tally  # visits
    online: Tally  # minutes

    @property
    def fiscal_year_label(self) -> str:
        return format_fiscal_year(self.fiscal_year)

    @property
    def onsite_visits(self) -> dict[str, int | None]:
        return {"allowed": self.onsite.allowed, "used": self.onsite.used, "reserved": self.onsite.reserved,
                "remaining": self.onsite.remaining}

    @property
    def online_hours(self) -> dict[str, float | None]:
        return self.online.in_hours()


@dataclass(frozen=True)
class CapLine:
    """What a plan adds to one town's count of one kind in one fiscal year, and the message when it breaks the cap."""

    fiscal_year: int
    municipality_code: str
    kind: str
    tally: Tally
    planned: int
    message: str | None = None

    @property
    def excess(self) -> int:
        if self.tally.allowed is None:
            return 0
        return max(self.tally.used + self.tally.reserved + self.planned - self.tally.allowed, 0)


@dataclass(frozen=True)
class PlanCheck:
    lines: list[CapLine]

    @property
    def ok(self) -> bool:
        return not self.breaches

    @property
    def breaches(self) -> list[CapLine]:
        return [line for line in self.lines if line.message]

    @property
    def messages(self) -> list[str]:
        return [line.message for line in self.lines if line.message]


# ------------------------------------------------------------------ caps and counts

def onsite_cap(program: SupportProgram) -> int | None:
    return program.max_onsite_visits_per_fy


def online_cap_minutes(program: SupportProgram) -> int | None:
    hours = program.max_online_hours_per_fy
    return None if hours is None else round(hours * 60)


def _cap(program: SupportProgram, kind: str) -> int | None:
    return onsite_cap(program) if kind == ONSITE else online_cap_minutes(program)


def _columns(kind: str) -> tuple[Any, Any, Any]:
    """(used, reserved, cap) columns of a kind."""
    if kind == ONSITE:
        return CapLedger.onsite_used, CapLedger.onsite_reserved, CapLedger.onsite_cap
    return CapLedger.online_used_minutes, CapLedger.online_reserved_minutes, CapLedger.online_cap_minutes


def _tally(program: SupportProgram, row: CapLedger | None, kind: str) -> Tally:
    if row is None:
        return Tally(_cap(program, kind), 0, 0)
    if kind == ONSITE:
        return Tally(_cap(program, kind), row.onsite_used, row.onsite_reserved)
    return Tally(_cap(program, kind), row.online_used_minutes, row.online_reserved_minutes)


Key = tuple[int, str]  # (fiscal year, municipality code)


def _deltas(municipality_code: str, planned: Iterable[PlannedVisit | tuple[Any, ...]],
            towns: Sequence[str] | None) -> dict[Key, dict[str, int]]:
    """Sum a plan per (fiscal year, town) and kind: on-site visits, online minutes."""
    sharing = list(dict.fromkeys([municipality_code, *(towns or ())]))
    deltas: dict[Key, dict[str, int]] = defaultdict(lambda: {ONSITE: 0, ONLINE: 0})
    for item in planned:
        visit = PlannedVisit(*item)
        if visit.mode not in VISIT_MODES:
            raise ValueError(f"unknown visit mode {visit.mode!r}")
        if visit.minutes <= 0:
            raise ValueError("a visit lasts at least one minute")
        year = fiscal_year_of(visit.day)
        if visit.mode == ONSITE:
            deltas[(year, visit.town or municipality_code)][ONSITE] += 1
            continue
        share, remainder = divmod(visit.minutes, len(sharing))
        for index, town in enumerate(sharing):
            deltas[(year, town)][ONLINE] += share + (1 if index < remainder else 0)
    return dict(sorted(deltas.items()))


def _key_filter(program: SupportProgram, key: Key) -> list[ColumnElement[bool]]:
    year, town = key
    return [CapLedger.program_id == program.id, CapLedger.municipality_code == town, CapLedger.fiscal_year == year]


def _rows(program: SupportProgram, keys: Iterable[Key]) -> dict[Key, CapLedger]:
    keys = list(keys)
    if not keys:
        return {}
    query = (select(CapLedger)
             .where(CapLedger.program_id == program.id,
                    CapLedger.municipality_code.in_({town for _, town in keys}),
                    CapLedger.fiscal_year.in_({year for year, _ in keys}))
             .execution_options(populate_existing=True))
    return {(row.fiscal_year, row.municipality_code): row for row in db.session.scalars(query)}


# ------------------------------------------------------------------ messages

def _amount(kind: str, value: int | None) -> str:
    if kind == ONSITE:
        return f"{value}回"
    hours, minutes = divmod(value or 0, 60)
    if not minutes:
        return f"{hours}時間"
    return f"{hours}時間{minutes}分" if hours else f"{minutes}分"


def _short_fiscal_year(year: int) -> str:
    return format_fiscal_year(year).split("（", 1)[0]  # 令和8年度


def _message(program: SupportProgram, line: CapLine, town_name: str | None) -> str:
    t, kind = line.tally, line.kind
    town = f" {town_name}" if town_name else ""
    return (f"{_short_fiscal_year(line.fiscal_year)}{town} {program.name}（{VISIT_MODES[kind]}）: "
            f"上限{_amount(kind, t.allowed)}・実施済み{_amount(kind, t.used)}・予定{_amount(kind, t.reserved)}、"
            f"この計画で{_amount(kind, line.planned)} → {_amount(kind, line.excess)}超過します")


def _lines(program: SupportProgram, municipality_code: str, deltas: dict[Key, dict[str, int]],
           towns: Sequence[str] | None) -> list[CapLine]:
    rows = _rows(program, deltas)
    lines = [CapLine(year, town, kind, _tally(program, rows.get((year, town)), kind), amounts[kind])
             for (year, town), amounts in deltas.items() for kind in KINDS if amounts[kind]]
    if not any(line.excess for line in lines):
        return lines
    names: dict[str, str] = {}
    if set(towns or ()) | {town for _, town in deltas} != {municipality_code}:  # joint: say which town's cap
        names = {code: name for code, name in db.session.execute(
            select(Municipality.code, Municipality.name).where(Municipality.code.in_({t for _, t in deltas})))}
    return [dataclasses.replace(line, message=_message(program, line, names.get(line.municipality_code)))
            if line.excess else line for line in lines]


# ------------------------------------------------------------------ use cases

def usage(program: SupportProgram, municipality_code: str, fiscal_year: int) -> Usage:
    """Return what `program` allows the town in the fiscal year, and what is used, reserved and remaining."""
    row = _rows(program, [(fiscal_year, municipality_code)]).get((fiscal_year, municipality_code))
    return Usage(program.id, municipality_code, fiscal_year, _tally(program, row, ONSITE), _tally(program, row, ONLINE))


def check_plan(program: SupportProgram, municipality_code: str, planned: Iterable[PlannedVisit | tuple[Any, ...]],
               towns: Sequence[str] | None = None) -> PlanCheck:
    """Return, per fiscal year, town and kind, the numbers a plan meets, with a Japanese message for each breach."""
    return PlanCheck(_lines(program, municipality_code, _deltas(municipality_code, planned, towns), towns))


def reserve(program: SupportProgram, municipality_code: str, planned: Iterable[PlannedVisit | tuple[Any, ...]],
            towns: Sequence[str] | None = None) -> PlanCheck:
    """Reserve a plan's visits and minutes, or raise CapExceeded (the caller's transaction then rolls back)."""
    deltas = _deltas(municipality_code, planned, towns)
    check = PlanCheck(_lines(program, municipality_code, deltas, towns))
    if not check.ok:
        raise CapExceeded(check.breaches)
    for key, amounts in deltas.items():
        db.session.execute(insert(CapLedger).values(
            program_id=program.id, municipality_code=key[1], fiscal_year=key[0], onsite_cap=onsite_cap(program),
            online_cap_minutes=online_cap_minutes(program), onsite_reserved=0, onsite_used=0,
            online_reserved_minutes=0, online_used_minutes=0,
        ).on_conflict_do_nothing(index_elements=_KEY_COLUMNS))
        if not _guarded_update(program, key, amounts, partial(_reserve_change, program)):
            # Another plan took the room after our check. Tell this row's numbers as they are now (the rows
            # before it hold our own uncommitted additions, which the caller's rollback undoes).
            lost = PlanCheck(_lines(program, municipality_code, {key: amounts}, towns)).breaches
            raise CapExceeded(lost or [_lost_race(program)])
    return check


Values = dict[Any, Any]
Guard = ColumnElement[bool] | None
Change = Callable[[str, int], tuple[Values, Guard]]


def _guarded_update(program: SupportProgram, key: Key, amounts: Mapping[str, int], change: Change) -> bool:
    """Apply `change` to every kind with an amount in one UPDATE of the row; False when a guard refused it.

    `change(kind, amount)` returns the new column values and the condition the row must meet (None: none).
    """
    statement = update(CapLedger).where(*_key_filter(program, key))
    values: Values = {}
    for kind in KINDS:
        if amounts[kind]:
            new, guard = change(kind, amounts[kind])
            values.update(new)
            if guard is not None:
                statement = statement.where(guard)
    result = db.session.execute(statement.values(values), execution_options={"synchronize_session": False})
    return bool(result.rowcount == 1)


def _reserve_change(program: SupportProgram, kind: str, amount: int) -> tuple[Values, Guard]:
    """Add to reserved, refresh the row's copy of the cap, and keep used + reserved within it."""
    used, reserved, cap_column = _columns(kind)
    cap = _cap(program, kind)
    return {reserved: reserved + amount, cap_column: cap}, (None if cap is None else used + reserved + amount <= cap)


def _move_change(to_used: bool, kind: str, amount: int) -> tuple[Values, Guard]:
    """Take off reserved (onto used when `to_used`); only what is reserved can be taken."""
    used, reserved, _cap_column = _columns(kind)
    values = {reserved: reserved - amount, **({used: used + amount} if to_used else {})}
    return values, reserved >= amount


def _lost_race(program: SupportProgram) -> CapLine:
    return CapLine(0, "", ONSITE, Tally(None, 0, 0), 0,
                   f"{program.name}の上限の残りが、同時に行われた別の予約で埋まりました。残りを確かめてください。")


def _move(program: SupportProgram, municipality_code: str, planned: Iterable[PlannedVisit | tuple[Any, ...]],
          towns: Sequence[str] | None, *, to_used: bool) -> None:
    """Take a plan's amounts off `reserved` (and add them to `used` when `to_used`), row by row."""
    for key, amounts in _deltas(municipality_code, planned, towns).items():
        if not _guarded_update(program, key, amounts, partial(_move_change, to_used)):
            raise Conflict(f"{_short_fiscal_year(key[0])} {program.name}: 予定として確保されていない訪問は"
                           f"{'実施済みにできません' if to_used else '取り消せません'}。訪問の状態を確かめてください。")


def release(program: SupportProgram, municipality_code: str, planned: Iterable[PlannedVisit | tuple[Any, ...]],
            towns: Sequence[str] | None = None) -> None:
    """Free the reservation of cancelled visits (the same visits, towns and minutes as reserved)."""
    _move(program, municipality_code, planned, towns, to_used=False)


def consume(program: SupportProgram, municipality_code: str, done: Iterable[PlannedVisit | tuple[Any, ...]],
            towns: Sequence[str] | None = None) -> None:
    """Move reported visits from reserved to used."""
    _move(program, municipality_code, done, towns, to_used=True)


# ------------------------------------------------------------------ reading, with object-level access

def list_programs() -> list[SupportProgram]:
    return list(db.session.scalars(select(SupportProgram).order_by(SupportProgram.id)))


def visible_usage(user: User, program_id: int, municipality_code: str, fiscal_year: int) -> Usage:
    """Usage for a town `user` may see (officer: their town; coordinator: their prefecture's; admin: all)."""
    program = db.session.get(SupportProgram, program_id) if user.role != "expert" else None
    if program is None:
        raise NotFound("支援制度が見つかりません。")
    town = db.session.get(Municipality, municipality_code)
    visible = town is not None and (
        user.role == "admin"
        or (user.role == "officer" and town.code == user.municipality_code)
        or (user.role == "coordinator" and town.prefecture_code == user.prefecture_code))
    if not visible:
        raise NotFound("市町村が見つかりません。")
    return usage(program, municipality_code, fiscal_year)
