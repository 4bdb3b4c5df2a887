"""Program caps per municipality in the fiscal year: used, reserved and remaining on-site visits and online hours
(from the cap ledger, web/models/ledger.py), and the towns near or at a cap.

A row is one program × town (the ledger's key) for the filters' towns and program; a town is *at* a cap when
used + reserved reaches an on-site or online cap, *near* one when it reaches PROGRESS_CAP_NEAR_PERCENT of it.
One query (the ledger rows joined to the towns and programs); experts see no caps.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from web.extensions import db
from web.models import CapLedger, Municipality, SupportProgram, User
from web.services.progress.scope import ProgressFilters, towns_query


class CapAmounts:
    """What remains of a town's caps: shared by the dashboard's cap rows and the monthly report's."""

    onsite_cap: int | None
    onsite_used: int
    onsite_reserved: int
    online_cap_hours: float | None
    online_used_hours: float
    online_reserved_hours: float

    @property
    def onsite_remaining(self) -> int | None:
        return None if self.onsite_cap is None else self.onsite_cap - self.onsite_used - self.onsite_reserved

    @property
    def online_remaining_hours(self) -> float | None:
        if self.online_cap_hours is None:
            return None
        return round(self.online_cap_hours - self.online_used_hours - self.online_reserved_hours, 1)


@dataclass(frozen=True)
class CapRow(CapAmounts):
    program_id: int
    program_name: str
    municipality_code: str
    municipality_name: str
    onsite_cap: int | None
    onsite_used: int
    onsite_reserved: int
    online_cap_hours: float | None
    online_used_hours: float
    online_reserved_hours: float
    state: str  # ok | near | at

    @property
    def state_label(self) -> str:
        return CAP_STATES[self.state]


CAP_STATES = {"ok": "余裕あり", "near": "上限間近", "at": "上限到達"}


@dataclass(frozen=True)
class Caps:
    rows: tuple[CapRow, ...]
    near_percent: int
    towns_near: tuple[str, ...]  # names of towns with a row near (not at) a cap
    towns_at: tuple[str, ...]


def _state(cap: int | None, taken: int, near_percent: int) -> str:
    if cap is None:
        return "ok"
    if taken >= cap:
        return "at"
    return "near" if taken * 100 >= cap * near_percent else "ok"


def _hours(minutes: int | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 1)


def caps(user: User, filters: ProgressFilters) -> Caps:
    near_percent = int(current_app.config["PROGRESS_CAP_NEAR_PERCENT"])
    if user.role == "expert":
        return Caps((), near_percent, (), ())
    query = (select(CapLedger, SupportProgram.name, Municipality.name)
             .join(SupportProgram, SupportProgram.id == CapLedger.program_id)
             .join(Municipality, Municipality.code == CapLedger.municipality_code)
             .where(CapLedger.fiscal_year == filters.fiscal_year,
                    CapLedger.municipality_code.in_(towns_query(filters)))
             .order_by(Municipality.code, SupportProgram.id))
    if filters.program_id is not None:
        query = query.where(CapLedger.program_id == filters.program_id)
    rows: list[CapRow] = []
    for ledger, program_name, town_name in db.session.execute(query):
        states = (_state(ledger.onsite_cap, ledger.onsite_used + ledger.onsite_reserved, near_percent),
                  _state(ledger.online_cap_minutes, ledger.online_used_minutes + ledger.online_reserved_minutes,
                         near_percent))
        state = "at" if "at" in states else "near" if "near" in states else "ok"
        rows.append(CapRow(ledger.program_id, program_name, ledger.municipality_code, town_name, ledger.onsite_cap,
                           ledger.onsite_used, ledger.onsite_reserved, _hours(ledger.online_cap_minutes),
                           _hours(ledger.online_used_minutes) or 0.0, _hours(ledger.online_reserved_minutes) or 0.0,
                           state))
    at = tuple(dict.fromkeys(r.municipality_name for r in rows if r.state == "at"))
    near = tuple(dict.fromkeys(r.municipality_name for r in rows if r.state == "near" and r.municipality_name not in at))
    return Caps(tuple(rows), near_percent, near, at)
