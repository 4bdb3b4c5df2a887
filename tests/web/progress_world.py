"""A hand-counted world for the progress figures (docs/dashboard.md), built row by row (no services), on 18 November
2026 (Wednesday), fiscal year 2026 (令和8年度, April 2026 – March 2027), prefecture 01 北海道.

Towns: 岩見沢市 012106 (空知総合振興局), 釧路市 012068 (釧路総合振興局); 仙台市 041009 is in another prefecture and
must never count. Every figure the tests expect is counted by hand below, next to the rows that make it.

Issues (posted = published_at, JST):
  I1 岩見沢 engaged     2026-05-01 09:00  requests R1 (E2, declined no_capacity, 12 h), R2 (E1, accepted, 24 h)
  I2 釧路 engaged, JOINT with 岩見沢   2026-06-01 09:00  R3 (E2, sent 06-11 09:00, accepted 06-13 09:00, 48 h)
  I3 岩見沢 matching    2026-07-01 09:00  R4 (E3, EXPIRED), R5 (E2, declined outside_field, 6 h), R7 (E1, pending)
  I4 岩見沢 open        2026-04-01 00:10  (first minutes of FY2026: counts)          no requests
  I5 岩見沢 closed      2026-03-31 23:30  (last minutes of FY2025: never counts)    R6 (E1, sent 03-31 23:45: FY2025)
  I6 釧路 draft         created 2026-08-01 (no published_at)
  I7 仙台 open          2026-05-01 (other prefecture)
  I8 釧路 withdrawn     2026-09-01 09:00
  I9 岩見沢 engaged     2026-09-01 09:00  R9 (E1, sent 09-02 09:00, accepted 09-03 09:00, 24 h)
→ FY2026, prefecture: draft 1, open 1, matching 1, engaged 3, closed 0, withdrawn 1 (total 7).
→ days to the first request: I1 2, I2 10, I3 1, I9 1 → median 1.5, p90 (nearest rank, 4th of 4) 10.
→ days to acceptance: I1 5, I2 12, I9 2 → median 5, p90 12.
→ requests sent in FY2026: R1 R2 R3 R4 R5 R7 R9 = 7: pending 1, accepted 3, declined 2, expired 1, withdrawn 0;
  declines: no_capacity 1, outside_field 1. Expert answers (hours): 12, 24, 48, 6, 24 → median 24, p90 48.

Engagements (program P: 3 on-site visits, 10 online hours a year):
  G1 I1 × E1 active 2026-05-15..12-31: V1 done 06-10 (report ii, ack after 24 h), V2 done 10-20 (report iii, ack
     after 6 h), V3 confirmed 11-10 (no report: 6 business days > 5 → needs attention), V4 proposed 11-25.
  G2 I2 × E2 active 2026-06-15..2027-03-31: V5 done 07-01 in 釧路 (report, not acknowledged), V6 CANCELLED 11-05,
     V7 proposed 11-12 (overdue); last visit or report 07-01 → 140 days > 90 → stalled.
  G3 I5 × E1 completed (solved) 2026-04-01..06-30 (overlaps FY2026: counts).
  G4 I9 × E1 active 2026-09-15..2027-02-28: V8 done 11-04 (report iv, ack after 16 h), V9 confirmed 11-26 (moved
     once: an audit event) → on track.
  G5 I1 × E2 cancelled 2026-05-10..08-31.
  G6 I7 × E4 active in 仙台 (other prefecture): V10 done 11-06 — never counts.
→ engagements: active 3, completed 1 (solved 1), cancelled 1; progress: on track 1 (G4), attention 1 (G1),
  stalled 1 (G2). Town acknowledgements (hours): 24, 6, 16 → median 16, p90 24.
→ visits of November 2026: planned 5 (V3 V4 V7 V8 V9), proposed 2, confirmed 2, done 1, cancelled 1, overdue 2
  (V3, V7), moved 1 (V9); the calendar holds 6 visits.

Cap ledger FY2026: 岩見沢 on-site 2 used + 1 reserved of 3 (AT the cap), online 120 + 60 of 600 minutes;
釧路 on-site 1 of 3, online 420 + 60 of 600 minutes (80 %: NEAR); 岩見沢 FY2025 and 仙台 FY2026 rows never count.

Experts of 北海道 in November 2026: E1 booked 2 of 2, E2 booked 1 of 3 (last confirmed 2026-03-01: stale),
E3 nothing booked of 1 and no active engagement (idle); E4 (宮城県) never counts → booked 3, capacity 6, idle 1,
stale 1.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from web.dates import JST
from web.extensions import db
from web.models import (
    AuditEvent,
    CapLedger,
    Engagement,
    EngagementRequest,
    ExpertLoad,
    ExpertProfile,
    Issue,
    SupportProgram,
    User,
    Visit,
    VisitReport,
)

TODAY = date(2026, 11, 18)
IWAMIZAWA, KUSHIRO, SENDAI = "012106", "012068", "041009"


def jst(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST).astimezone(UTC)


@dataclass
class ProgressWorld:
    coordinator: User
    other_coordinator: User  # 宮城県
    officer: User  # 岩見沢市
    kushiro_officer: User
    admin: User
    expert_user: User  # E1
    program: SupportProgram
    issues: dict[str, Issue]
    engagements: dict[str, Engagement]
    visits: dict[str, Visit]
    experts: dict[str, ExpertProfile]


def _issue(make_issue: Callable[..., Issue], key: str, town: str, status: str, posted: datetime | None,
           sector: str = "agriculture", **extra: Any) -> Issue:
    created = posted or extra.pop("created_at")
    return make_issue(municipality_code=town, title=f"課題{key}", status=status, sector=sector,
                      created_at=created, published_at=posted, **extra)


def _request(issue: Issue, expert: ExpertProfile, program: SupportProgram, sent: datetime, status: str,
             answered: datetime | None = None, reason: str | None = None) -> EngagementRequest:
    row = EngagementRequest(issue_id=issue.id, expert_id=expert.id, program_id=program.id, status=status,
                            first_month=sent.astimezone(JST).date().replace(day=1), months=3, created_at=sent,
                            expires_at=sent + timedelta(days=9), responded_at=answered, decline_reason=reason,
                            expired_at=answered if status == "expired" else None)
    db.session.add(row)
    return row


def _engagement(issue: Issue, expert: ExpertProfile, program: SupportProgram, start: date, end: date,
                status: str = "active", stage: str = "issue_definition", **extra: Any) -> Engagement:
    row = Engagement(issue_id=issue.id, expert_id=expert.id, program_id=program.id, start_on=start, end_on=end,
                     status=status, stage_at_start=stage, **extra)
    db.session.add(row)
    db.session.flush()
    return row


def _visit(engagement: Engagement, town: str, starts: datetime, status: str, mode: str = "onsite",
           report: tuple[str, datetime, datetime | None] | None = None) -> Visit:
    agreed = starts - timedelta(days=7) if status in ("confirmed", "done") else None
    visit = Visit(engagement_id=engagement.id, expert_id=engagement.expert_id, municipality_code=town,
                  starts_at=starts, duration_minutes=120, mode=mode, status=status,
                  fiscal_year=2026 if starts.astimezone(JST).date() >= date(2026, 4, 1) else 2025,
                  town_confirmed_at=agreed, expert_confirmed_at=agreed,
                  cancelled_at=starts - timedelta(days=2) if status == "cancelled" else None,
                  created_at=starts - timedelta(days=20))
    db.session.add(visit)
    db.session.flush()
    if report is not None:
        stage, written, acknowledged = report
        db.session.add(VisitReport(visit_id=visit.id, summary="実施内容の報告", stage=stage, created_at=written,
                                   updated_at=written, acknowledged_at=acknowledged))
    return visit


@pytest.fixture
def progress_world(app_ctx: None, make_user: Callable[..., User], make_issue: Callable[..., Issue],
                   make_expert: Callable[..., ExpertProfile]) -> ProgressWorld:
    program = SupportProgram(code="advisor", name="地域情報化アドバイザー", max_onsite_visits_per_fy=3,
                             max_online_hours_per_fy=10, max_months=12)
    db.session.add(program)
    db.session.commit()
    coordinator = make_user("coordinator", prefecture_code="01", display_name="北海道 調整")
    other = make_user("coordinator", prefecture_code="04", display_name="宮城 調整")
    officer = make_user("officer", municipality_code=IWAMIZAWA, display_name="岩見沢 職員")
    kushiro_officer = make_user("officer", municipality_code=KUSHIRO, display_name="釧路 職員")
    admin = make_user("admin", display_name="管理者")
    recent = jst(2026, 10, 1)
    e1_user = make_user("expert", display_name="人材 一郎")
    experts = {
        "E1": make_expert(user=e1_user, monthly_capacity=2, last_confirmed_at=recent),
        "E2": make_expert(user=make_user("expert", display_name="人材 二郎"), monthly_capacity=3,
                          last_confirmed_at=jst(2026, 3, 1)),
        "E3": make_expert(user=make_user("expert", display_name="人材 三郎"), monthly_capacity=1,
                          last_confirmed_at=recent),
        "E4": make_expert(user=make_user("expert", display_name="宮城 四郎"), monthly_capacity=2,
                          prefecture_code="04", last_confirmed_at=recent),
    }
    E1, E2, E3, E4 = (experts[k] for k in ("E1", "E2", "E3", "E4"))

    issues = {
        "I1": _issue(make_issue, "I1", IWAMIZAWA, "engaged", jst(2026, 5, 1)),
        "I2": _issue(make_issue, "I2", KUSHIRO, "engaged", jst(2026, 6, 1), sector="fishery",
                     menu="joint", co_municipality_codes=(IWAMIZAWA,)),
        "I3": _issue(make_issue, "I3", IWAMIZAWA, "matching", jst(2026, 7, 1), sector="tourism"),
        "I4": _issue(make_issue, "I4", IWAMIZAWA, "open", jst(2026, 4, 1, 0, 10)),
        "I5": _issue(make_issue, "I5", IWAMIZAWA, "closed", jst(2026, 3, 31, 23, 30)),
        "I6": _issue(make_issue, "I6", KUSHIRO, "draft", None, created_at=jst(2026, 8, 1)),
        "I7": _issue(make_issue, "I7", SENDAI, "open", jst(2026, 5, 1)),
        "I8": _issue(make_issue, "I8", KUSHIRO, "withdrawn", jst(2026, 9, 1)),
        "I9": _issue(make_issue, "I9", IWAMIZAWA, "engaged", jst(2026, 9, 1)),
    }
    I1, I2, I3, I5, I7, I9 = (issues[k] for k in ("I1", "I2", "I3", "I5", "I7", "I9"))

    _request(I1, E2, program, jst(2026, 5, 3), "declined", jst(2026, 5, 3, 21), "no_capacity")  # R1: 12 h
    _request(I1, E1, program, jst(2026, 5, 5), "accepted", jst(2026, 5, 6))  # R2: 24 h
    _request(I2, E2, program, jst(2026, 6, 11), "accepted", jst(2026, 6, 13))  # R3: 48 h
    _request(I3, E3, program, jst(2026, 7, 2), "expired", jst(2026, 7, 11))  # R4: expired
    _request(I3, E2, program, jst(2026, 7, 15), "declined", jst(2026, 7, 15, 15), "outside_field")  # R5: 6 h
    _request(I5, E1, program, jst(2026, 3, 31, 23, 45), "accepted", jst(2026, 4, 1, 10))  # R6: FY2025
    _request(I3, E1, program, jst(2026, 11, 17), "pending")  # R7
    _request(I9, E1, program, jst(2026, 9, 2), "accepted", jst(2026, 9, 3))  # R9: 24 h
    _request(I7, E4, program, jst(2026, 5, 2), "accepted", jst(2026, 5, 3))  # 仙台: never counts

    g1 = _engagement(I1, E1, program, date(2026, 5, 15), date(2026, 12, 31))
    g2 = _engagement(I2, E2, program, date(2026, 6, 15), date(2027, 3, 31), stage="business_model")
    g3 = _engagement(I5, E1, program, date(2026, 4, 1), date(2026, 6, 30), status="completed", outcome="solved",
                     ended_at=jst(2026, 6, 30, 17))
    g4 = _engagement(I9, E1, program, date(2026, 9, 15), date(2027, 2, 28), stage="development")
    g5 = _engagement(I1, E2, program, date(2026, 5, 10), date(2026, 8, 31), status="cancelled",
                     cancel_reason="体制の見直し", ended_at=jst(2026, 5, 12))
    g6 = _engagement(I7, E4, program, date(2026, 6, 1), date(2026, 12, 31))

    visits = {
        "V1": _visit(g1, IWAMIZAWA, jst(2026, 6, 10, 14), "done",
                     report=("business_model", jst(2026, 6, 10, 18), jst(2026, 6, 11, 18))),
        "V2": _visit(g1, IWAMIZAWA, jst(2026, 10, 20, 14), "done", mode="online",
                     report=("product_planning", jst(2026, 10, 21, 9), jst(2026, 10, 21, 15))),
        "V3": _visit(g1, IWAMIZAWA, jst(2026, 11, 10, 14), "confirmed"),
        "V4": _visit(g1, IWAMIZAWA, jst(2026, 11, 25, 14), "proposed", mode="online"),
        "V5": _visit(g2, KUSHIRO, jst(2026, 7, 1, 14), "done", report=("business_model", jst(2026, 7, 1, 20), None)),
        "V6": _visit(g2, KUSHIRO, jst(2026, 11, 5, 14), "cancelled"),
        "V7": _visit(g2, KUSHIRO, jst(2026, 11, 12, 10), "proposed", mode="online"),
        "V8": _visit(g4, IWAMIZAWA, jst(2026, 11, 4, 14), "done", mode="online",
                     report=("development", jst(2026, 11, 4, 18), jst(2026, 11, 5, 10))),
        "V9": _visit(g4, IWAMIZAWA, jst(2026, 11, 26, 14), "confirmed"),
        "V10": _visit(g6, SENDAI, jst(2026, 11, 6, 14), "done", report=("development", jst(2026, 11, 6, 18),
                                                                           jst(2026, 11, 6, 20))),
    }
    db.session.add(AuditEvent(action="visit_moved", object_type="visit", object_id=str(visits["V9"].id),
                              at=jst(2026, 11, 16)))
    db.session.add_all([
        CapLedger(program_id=program.id, municipality_code=IWAMIZAWA, fiscal_year=2026, onsite_cap=3,
                  online_cap_minutes=600, onsite_used=2, onsite_reserved=1, online_used_minutes=120,
                  online_reserved_minutes=60),
        CapLedger(program_id=program.id, municipality_code=KUSHIRO, fiscal_year=2026, onsite_cap=3,
                  online_cap_minutes=600, onsite_used=1, onsite_reserved=0, online_used_minutes=420,
                  online_reserved_minutes=60),
        CapLedger(program_id=program.id, municipality_code=IWAMIZAWA, fiscal_year=2025, onsite_cap=3,
                  online_cap_minutes=600, onsite_used=3, onsite_reserved=0, online_used_minutes=0,
                  online_reserved_minutes=0),
        CapLedger(program_id=program.id, municipality_code=SENDAI, fiscal_year=2026, onsite_cap=3,
                  online_cap_minutes=600, onsite_used=3, onsite_reserved=0, online_used_minutes=600,
                  online_reserved_minutes=0),
        ExpertLoad(expert_id=E1.id, month=date(2026, 11, 1), booked=2, capacity=2),
        ExpertLoad(expert_id=E2.id, month=date(2026, 11, 1), booked=1, capacity=3),
        ExpertLoad(expert_id=E4.id, month=date(2026, 11, 1), booked=1, capacity=2),
        ExpertLoad(expert_id=E3.id, month=date(2026, 10, 1), booked=1, capacity=1),  # another month: not November
    ])
    db.session.commit()
    return ProgressWorld(coordinator, other, officer, kushiro_officer, admin, e1_user, program, issues,
                         {"G1": g1, "G2": g2, "G3": g3, "G4": g4, "G5": g5, "G6": g6}, visits, experts)
