"""A small hand-counted world for the map and the municipality pages (tests/web/test_towns.py, test_map.py).

Prefecture 01 (北海道): 岩見沢市 012106 (空知), 釧路市 012068 (釧路), 函館市 012025 (渡島, nothing in it);
prefecture 04: 仙台市 041009. Fiscal year 2026 (令和8年度) unless said otherwise.

Issues (owner → co-owner, status, sector):
  i1 岩見沢 open agriculture          i2 岩見沢 matching tourism       i3 岩見沢→釧路 engaged agriculture (joint)
  i4 釧路→岩見沢 open agriculture     i5 岩見沢 draft                  i6 岩見沢 closed agriculture
  i7 仙台 open                         i8 函館 withdrawn                i9 釧路 engaged tourism
Open issues (open + matching, by owning or co-owning town): 岩見沢 3 (i1, i2, i4), 釧路 1 (i4), 函館 0.
Engagements: e1 active on i3 (program P), e2 completed on i6 (P), e3 active on i9 (program Q), e7 active on i7 (仙台).
Active engagements: 岩見沢 1 (e1), 釧路 2 (e1, e3), 函館 0; program P only: 岩見沢 1, 釧路 1; sector tourism: 釧路 1.
Visits of e1: done (report, stage ii, Apr), done (report, stage iii, May), proposed (June), cancelled (June);
  of e2: one done without report. e3: one done with a report (stage iv).
Cap ledger FY2026: 岩見沢 P onsite 1 used + 1 reserved / cap 3, online 60 + 120 / 600 min;
                   岩見沢 Q onsite 2 used, no caps;  釧路 P onsite 2 + 2 / 4 (at the cap), online 0 / 600;
               FY2025: 岩見沢 P onsite 3 / 3.
Cap figures FY2026: 岩見沢 onsite used 3, reserved 1, cap 3, online 60 / 120 / 600, usage max(2/3, 180/600) = 2/3;
                    釧路 usage 1.0; 函館 None.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest

from web.dates import JST
from web.extensions import db
from web.models import (
    CapLedger,
    Engagement,
    ExpertProfile,
    Issue,
    Municipality,
    SupportProgram,
    User,
    Visit,
    VisitReport,
)

IWAMIZAWA, KUSHIRO, HAKODATE, SENDAI = "012106", "012068", "012025", "041009"
FY = 2026


def at(year: int, month: int, day: int, hour: int = 14) -> datetime:
    return datetime(year, month, day, hour, tzinfo=JST)


@dataclass
class TownsWorld:
    p: SupportProgram
    q: SupportProgram
    issues: dict[str, Issue]
    engagements: dict[str, Engagement]
    expert_users: list[User]


def _visit(engagement: Engagement, town: str, starts: datetime, status: str, mode: str = "onsite") -> Visit:
    fields: dict[str, Any] = {}
    if status in ("confirmed", "done"):
        fields = {"town_confirmed_at": starts, "expert_confirmed_at": starts}
    visit = Visit(engagement_id=engagement.id, expert_id=engagement.expert_id, municipality_code=town,
                  starts_at=starts, duration_minutes=120, mode=mode, status=status, fiscal_year=FY, **fields)
    db.session.add(visit)
    db.session.flush()
    return visit


def _report(visit: Visit, summary: str, stage: str | None) -> VisitReport:
    report = VisitReport(visit_id=visit.id, summary=summary, next_actions="次回までに資料を用意する", stage=stage)
    db.session.add(report)
    return report


@pytest.fixture
def towns_world(geo: dict[str, Municipality], make_user: Any, make_issue: Any, make_expert: Any) -> TownsWorld:
    db.session.add(Municipality(code=HAKODATE, name="函館市", kana="はこだてし", prefecture_code="01",
                                subprefecture="渡島総合振興局", lat=41.7687, lon=140.7288))
    p = SupportProgram(code="advisor", name="地域情報化アドバイザー", max_onsite_visits_per_fy=3,
                       max_online_hours_per_fy=10, max_months=6)
    q = SupportProgram(code="prefecture", name="県の伴走支援", max_onsite_visits_per_fy=None)
    db.session.add_all([p, q])
    db.session.commit()
    issues = {
        "i1": make_issue(title="課題1 スマート農業", status="open"),
        "i2": make_issue(title="課題2 観光DX", status="matching", sector="tourism"),
        "i3": make_issue(title="課題3 連携の農業データ", status="engaged", co_municipality_codes=(KUSHIRO,)),
        "i4": make_issue(title="課題4 釧路の連携", municipality_code=KUSHIRO, status="open",
                         co_municipality_codes=(IWAMIZAWA,)),
        "i5": make_issue(title="課題5 下書き", status="draft"),
        "i6": make_issue(title="課題6 終わった課題", status="closed"),
        "i7": make_issue(title="課題7 仙台", municipality_code=SENDAI, status="open"),
        "i8": make_issue(title="課題8 函館の取り下げ", municipality_code=HAKODATE, status="withdrawn"),
        "i9": make_issue(title="課題9 釧路の観光", municipality_code=KUSHIRO, status="engaged", sector="tourism"),
    }
    experts = [make_expert(display_name=f"専門家{n}") for n in range(1, 4)]
    users = [db.session.get(User, e.user_id) for e in experts]

    def engagement(issue: str, expert: ExpertProfile, program: SupportProgram, status: str = "active",
                   stage: str = "issue_definition") -> Engagement:
        row = Engagement(issue_id=issues[issue].id, expert_id=expert.id, program_id=program.id,
                         start_on=date(2026, 4, 1), end_on=date(2026, 9, 30), status=status,
                         outcome="solved" if status == "completed" else None, stage_at_start=stage)
        db.session.add(row)
        db.session.flush()
        return row

    e1 = engagement("i3", experts[0], p)
    e2 = engagement("i6", experts[1], p, status="completed")
    e3 = engagement("i9", experts[2], q, stage="product_planning")
    e7 = engagement("i7", experts[1], q)
    _report(_visit(e1, IWAMIZAWA, at(2026, 4, 20), "done"), "初回の現状把握。", "business_model")
    _report(_visit(e1, KUSHIRO, at(2026, 5, 20), "done", mode="online"), "要件の整理。", "product_planning")
    _visit(e1, IWAMIZAWA, at(2026, 6, 10), "proposed")
    _visit(e1, IWAMIZAWA, at(2026, 6, 17), "cancelled")
    _visit(e2, IWAMIZAWA, at(2026, 5, 12), "done")
    _report(_visit(e3, KUSHIRO, at(2026, 5, 14), "done"), "観光アプリの試作。", "development")
    _visit(e7, SENDAI, at(2026, 5, 15), "done")
    db.session.add_all([
        CapLedger(program_id=p.id, municipality_code=IWAMIZAWA, fiscal_year=FY, onsite_cap=3, online_cap_minutes=600,
                  onsite_used=1, onsite_reserved=1, online_used_minutes=60, online_reserved_minutes=120),
        CapLedger(program_id=q.id, municipality_code=IWAMIZAWA, fiscal_year=FY, onsite_cap=None,
                  online_cap_minutes=None, onsite_used=2, onsite_reserved=0),
        CapLedger(program_id=p.id, municipality_code=KUSHIRO, fiscal_year=FY, onsite_cap=4, online_cap_minutes=600,
                  onsite_used=2, onsite_reserved=2),
        CapLedger(program_id=p.id, municipality_code=IWAMIZAWA, fiscal_year=FY - 1, onsite_cap=3,
                  online_cap_minutes=600, onsite_used=3),
        CapLedger(program_id=p.id, municipality_code=SENDAI, fiscal_year=FY, onsite_cap=3, online_cap_minutes=600,
                  onsite_used=1),
    ])
    db.session.commit()
    return TownsWorld(p, q, issues, {"e1": e1, "e2": e2, "e3": e3, "e7": e7}, users)
