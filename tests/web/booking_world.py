"""A small booking world for the visit, report and engagement tests: a program, a town's officer, an expert, an
engaged issue, and engagements whose visits are built directly and held in the ledger and the monthly load
(independent of requests.accept)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import select

from web.dates import JST, fiscal_year_of
from web.extensions import db
from web.models import (
    Engagement,
    EngagementRequest,
    ExpertLoad,
    ExpertProfile,
    Issue,
    Notification,
    SupportProgram,
    User,
    Visit,
)
from web.services import ledger
from web.services.booking import plans
from web.transaction import transaction

TOWN, OTHER_TOWN = "012106", "012068"  # 岩見沢市, 釧路市


def at(year: int, month: int, day: int, hour: int = 14, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


@dataclass
class World:
    program: SupportProgram
    officer: User
    expert_user: User
    expert: ExpertProfile
    issue: Issue


@pytest.fixture
def request_ctx(app: Flask, geo: Any) -> Iterator[None]:
    """Services build notification links with url_for: give them a request (after the app context of `geo`)."""
    with app.test_request_context():
        outbox = getattr(current_app.extensions["mailman"], "outbox", None)
        if outbox is not None:
            outbox.clear()
        yield


@pytest.fixture
def world(request_ctx: None, make_user: Any, make_expert: Any, make_issue: Any) -> World:
    program = SupportProgram(code="advisor", name="地域情報化アドバイザー", max_onsite_visits_per_fy=3,
                             max_online_hours_per_fy=10, max_months=6)
    db.session.add(program)
    db.session.commit()
    officer = make_user("officer", municipality_code=TOWN, display_name="岩見沢 花子")
    expert_user = make_user("expert", display_name="ドローン 太郎")
    expert = make_expert(user=expert_user, monthly_capacity=2)
    issue = make_issue(status="engaged", title="スマート農業の導入")
    return World(program, officer, expert_user, expert, issue)


def engagement_for(world: World, *, start_on: date, end_on: date, issue: Issue | None = None,
                   expert: ExpertProfile | None = None, program: SupportProgram | None | bool = True,
                   request: dict[str, Any] | None = None) -> Engagement:
    """An active engagement (with the request it came from when `request` gives its plan fields)."""
    issue = issue or world.issue
    expert = expert or world.expert
    chosen = world.program if program is True else (program or None)
    row = None
    if request is not None:
        now = datetime.now(UTC)
        row = EngagementRequest(issue_id=issue.id, expert_id=expert.id, program_id=chosen.id if chosen else None,
                                status="accepted", first_month=start_on, created_at=now - timedelta(days=2),
                                expires_at=now + timedelta(days=5), responded_at=now - timedelta(days=1), **request)
        db.session.add(row)
        db.session.flush()
    engagement = Engagement(issue_id=issue.id, expert_id=expert.id, program_id=chosen.id if chosen else None,
                            start_on=start_on, end_on=end_on, status="active",
                            request_id=row.id if row is not None else None,
                            meeting_url="https://meet.example.jp/abc")
    db.session.add(engagement)
    db.session.commit()
    return engagement


def add_visits(engagement: Engagement, starts: Iterable[datetime], *, mode: str = "onsite",
               status: str = "proposed", minutes: int = 120) -> list[Visit]:
    """Visits built directly and held (ledger + monthly load) in one committed unit of work."""
    confirmed = datetime.now(UTC) if status in ("confirmed", "done") else None
    made = []
    for index, start in enumerate(starts):
        made.append(Visit(engagement_id=engagement.id, expert_id=engagement.expert_id,
                          municipality_code=engagement.issue.municipality_code, starts_at=start,
                          duration_minutes=minutes, mode=mode, status=status, fiscal_year=fiscal_year_of(start),
                          plan_month=index + 1, proposed_by="system",
                          town_confirmed_at=confirmed, expert_confirmed_at=confirmed))
    with transaction():
        plans.hold(made, engagement)
        db.session.add_all(made)
    return made


def load(expert: ExpertProfile, month: date) -> int:
    db.session.expire_all()
    return db.session.scalar(select(ExpertLoad.booked).where(ExpertLoad.expert_id == expert.id,
                                                             ExpertLoad.month == month)) or 0


def usage(world: World, fiscal_year: int, town: str = TOWN) -> ledger.Usage:
    db.session.expire_all()
    return ledger.usage(world.program, town, fiscal_year)


def notifications(user: User, kind: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def outbox() -> list[Any]:
    return list(getattr(current_app.extensions["mailman"], "outbox", []))
