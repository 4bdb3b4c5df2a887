"""A small prefecture for the list, export, monthly-report and open-data tests (time frozen at 2026-12-01 JST).

北海道: 岩見沢市's issue (titled "=1+1", a formula) engaged with ドローン 太郎 since 2026-10-01: a done on-site visit
on 11/4 with an acknowledged report whose summary is a formula, an overdue proposed visit on 11/18, a confirmed
online visit on 12/9 that was moved; 釧路市's issue with a declined (no capacity) and an expired request from
another expert; an idle expert whose profile is stale (200 days unconfirmed). 宮城県: 仙台市's issue engaged with the other expert.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time

from tests.web import booking_world
from tests.web.booking_world import World, add_visits, at, engagement_for
from tests.web.conftest import PASSWORD
from web.dates import JST
from web.extensions import db
from web.models import AuditEvent, Engagement, EngagementRequest, Issue, User, Visit, VisitReport

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=JST)
FORMULA = "=1+1"
REPORT_SUMMARY = '=HYPERLINK("https://evil.example/","開く") 水田の現状を確認した。'
request_ctx, world = booking_world.request_ctx, booking_world.world  # fixtures, by name


@dataclass
class ExportsWorld:
    base: World
    coordinator: User
    other_coordinator: User
    admin: User
    neighbour_officer: User
    other_expert_user: User
    engagement: Engagement
    done: Visit
    overdue: Visit
    moved: Visit
    report: VisitReport
    neighbour_issue: Issue
    other_issue: Issue


@pytest.fixture
def frozen() -> Iterator[None]:
    with freeze_time(NOW):
        yield


def _requests(issue: Issue, expert_id: int, program_id: int) -> None:
    common: dict[str, Any] = {"issue_id": issue.id, "expert_id": expert_id, "program_id": program_id,
                              "first_month": date(2026, 12, 1), "created_at": NOW - timedelta(days=10),
                              "expires_at": NOW - timedelta(days=3)}
    db.session.add_all([
        EngagementRequest(status="declined", decline_reason="no_capacity", responded_at=NOW - timedelta(days=8),
                          message="田中 一郎 090-1234-5678 へ連絡ください", **common),
        EngagementRequest(status="expired", responded_at=NOW - timedelta(days=3), expired_at=NOW - timedelta(days=3),
                          **common),
    ])


@pytest.fixture
def ex(frozen: None, world: World, make_user: Any, make_issue: Any, make_expert: Any) -> ExportsWorld:
    world.issue.title = FORMULA
    db.session.commit()
    engagement = engagement_for(world, start_on=date(2026, 10, 1), end_on=date(2027, 3, 31), request={
        "months": 6, "onsite_months": [1], "weekdays": [2], "start_time": "14:00", "duration_minutes": 120})
    [done] = add_visits(engagement, [at(2026, 11, 4)], status="done")
    [overdue] = add_visits(engagement, [at(2026, 11, 18)], status="proposed")
    [moved] = add_visits(engagement, [at(2026, 12, 9)], status="confirmed", mode="online", minutes=60)
    report = VisitReport(visit_id=done.id, summary=REPORT_SUMMARY, stage="business_model", hours=2,
                         acknowledged_at=NOW - timedelta(days=20), created_at=NOW - timedelta(days=26))
    db.session.add_all([report, AuditEvent(action="visit_moved", object_type="visit", object_id=str(moved.id))])
    other_expert_user = make_user("expert", display_name="釧路 次郎", email="jiro@example.jp")
    other_expert = make_expert(user=other_expert_user, roles=("project_manager",))
    idle_user = make_user("expert", display_name="待機 三郎")
    make_expert(user=idle_user, last_confirmed_at=NOW - timedelta(days=200))  # RECONFIRM_AFTER_DAYS is 182
    neighbour_issue = make_issue(municipality_code="012068", title="釧路の観光データ", status="matching",
                                 sector="tourism")
    _requests(neighbour_issue, other_expert.id, world.program.id)
    other_issue = make_issue(municipality_code="041009", title="仙台の窓口改善", status="engaged")
    db.session.add(Engagement(issue_id=other_issue.id, expert_id=other_expert.id, start_on=date(2026, 10, 1),
                              end_on=date(2027, 3, 31), status="active"))
    db.session.commit()
    return ExportsWorld(world, make_user("coordinator", prefecture_code="01"),
                        make_user("coordinator", prefecture_code="04"), make_user("admin"),
                        make_user("officer", municipality_code="012068"), other_expert_user, engagement, done,
                        overdue, moved, report, neighbour_issue, other_issue)


def login(client: Any, user: User) -> None:
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
