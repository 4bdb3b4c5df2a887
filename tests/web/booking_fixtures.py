"""Fixtures shared by the booking tests: a capped program and a town, its issue and an expert (import them)."""
from __future__ import annotations

from typing import Any

import pytest

from web.extensions import db
from web.models import SupportProgram, User

TOWN = "012106"  # 岩見沢市


@pytest.fixture
def program(geo: Any) -> SupportProgram:
    """地域情報化アドバイザー: 3 on-site visits and 10 online hours per town and fiscal year, 12 months."""
    program = SupportProgram(code="advisor", name="地域情報化アドバイザー", max_onsite_visits_per_fy=3,
                             max_online_hours_per_fy=10, max_months=12, visits_per_month=1)
    db.session.add(program)
    db.session.commit()
    return program


@pytest.fixture
def people(make_user: Any, make_issue: Any, make_expert: Any) -> tuple[Any, Any, Any, User]:
    """(the town's officer, their issue, an expert with two visits a month, the expert's account)."""
    officer = make_user("officer", municipality_code=TOWN)
    issue = make_issue(created_by_id=officer.id)
    expert = make_expert(monthly_capacity=2, display_name="札幌 一郎")
    return officer, issue, expert, db.session.get(User, expert.user_id)
