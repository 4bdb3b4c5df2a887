"""The anonymised open data: engagements and outcomes per month, town code, sector and role, small counts
suppressed (and the totals that would give them back), and nothing personal or free-text in it."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from tests.web import exports_world
from tests.web.exports_world import NOW, login
from web.extensions import db
from web.models import Engagement, Visit, VisitReport
from web.services.progress import opendata

ex, frozen, request_ctx, world = (exports_world.ex, exports_world.frozen, exports_world.request_ctx,
                                  exports_world.world)  # fixtures, by name
NAME, EMAIL, PHONE = "秘密野 花子", "hanako.himitsu@secret.example.jp", "090-9876-5432"
FREE_TEXT = ("住民の山田太郎さんから相談", "ため池の水位センサーを試す", "要約には個人の名前が書かれうる", "訪問先の細かい話")


def engaged(issue, expert, start: date, status: str = "active", outcome: str | None = None) -> Engagement:
    ended = datetime(2026, 11, 1, tzinfo=NOW.tzinfo) if status != "active" else None
    row = Engagement(issue_id=issue.id, expert_id=expert.id, start_on=start, end_on=date(2027, 3, 31),
                     status=status, outcome=outcome, ended_at=ended, town_comment=FREE_TEXT[3])
    db.session.add(row)
    return row


@pytest.fixture
def published(ex, make_user, make_issue, make_expert):
    """岩見沢市 × 農業 × エンジニア: 3 engagements begun in May (1 active, 2 solved), 4 in June (3 cancelled, 1
    solved); a distinctive person with e-mail, phone and free text everywhere."""
    person = make_user("expert", display_name=NAME, email=EMAIL)
    expert = make_expert(user=person, contact_email=EMAIL, contact_phone=PHONE, bio=FREE_TEXT[1],
                         home_label="秘密町1-2-3")
    issues = [make_issue(title=f"{FREE_TEXT[1]} {n}", body=FREE_TEXT[0], counterpart=NAME) for n in range(7)]
    may = [engaged(issues[0], expert, date(2026, 5, 7)),
           *(engaged(i, expert, date(2026, 5, 20), "completed", "solved") for i in issues[1:3])]
    june = [*(engaged(i, expert, date(2026, 6, 3), "cancelled") for i in issues[3:6]),
            engaged(issues[6], expert, date(2026, 6, 30), "completed", "solved")]
    db.session.flush()
    visit = Visit(engagement_id=may[0].id, expert_id=expert.id, municipality_code="012106", mode="onsite",
                  starts_at=datetime(2026, 5, 13, 5, tzinfo=NOW.tzinfo), status="done", fiscal_year=2026,
                  place=NAME, note=FREE_TEXT[3], town_confirmed_at=NOW, expert_confirmed_at=NOW)
    db.session.add(visit)
    db.session.flush()
    db.session.add(VisitReport(visit_id=visit.id, summary=f"{FREE_TEXT[2]} {NAME} {PHONE}", next_actions=EMAIL))
    db.session.commit()
    return may, june


def table(client, user, query="fiscal_year=2026") -> list[list[str]]:
    login(client, user)
    response = client.get(f"/coordinator/exports/opendata.csv?{query}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def test_no_name_email_phone_or_free_text_leaks_into_the_open_data(client, ex, published):
    login(client, ex.coordinator)
    text = client.get("/coordinator/exports/opendata.csv?fiscal_year=2026").get_data().decode("utf-8-sig")
    assert "012106" in text  # the export is not empty: the rows are there, only without people
    for secret in (NAME, "秘密", EMAIL, "hanako", "@", PHONE, "9876", *FREE_TEXT, "HYPERLINK", "=1+1", "ドローン",
                   "釧路 次郎", "岩見沢 花子", "example"):
        assert secret not in text, secret


def test_the_columns_are_the_documented_ones(client, ex, published):
    assert table(client, ex.coordinator)[0] == list(opendata.HEADINGS)
    documented = (Path(__file__).parents[2] / "docs" / "opendata.md").read_text(encoding="utf-8")
    assert all(f"| {heading} |" in documented for heading in opendata.HEADINGS)


def test_a_cell_of_three_is_shown_and_ones_and_twos_are_blank(client, ex, published):
    rows = {(r[0], r[1], r[3], r[5]): r[7:] for r in table(client, ex.coordinator)[1:]}
    # May: 3 engagements, 1 active and 2 solved: both blank, and the total with them (review of #10)
    assert rows[("2026-05", "012106", "agriculture", "engineer")] == ["", "", "", "0", "0", "0"]


def test_a_blank_takes_the_total_with_it(client, ex, published):
    rows = {(r[0], r[1], r[3], r[5]): r[7:] for r in table(client, ex.coordinator)[1:]}
    # June: 4 = 3 cancelled + 1 solved; the total would give the 1 back, so the total is blanked
    assert rows[("2026-06", "012106", "agriculture", "engineer")] == ["", "0", "", "0", "0", "3"]


@pytest.mark.parametrize(("counts", "published_as"), [
    ((0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0)),
    ((2, 2, 0, 0, 0, 0), (None, None, 0, 0, 0, 0)),
    ((5, 1, 4, 0, 0, 0), (None, None, 4, 0, 0, 0)),
    ((9, 1, 3, 5, 0, 0), (None, None, 3, 5, 0, 0)),
    ((9, 1, 2, 6, 0, 0), (None, None, None, 6, 0, 0)),
    ((12, 3, 3, 3, 3, 0), (12, 3, 3, 3, 3, 0)),
])
def test_suppression_rules(counts, published_as):
    assert opendata.suppress(counts) == published_as


def test_other_prefectures_and_other_fiscal_years_stay_out(client, ex, published):
    assert [r for r in table(client, ex.coordinator)[1:] if not r[1].startswith("01")] == []
    client.post("/auth/logout")
    assert table(client, ex.coordinator, "fiscal_year=2025")[1:] == []


def test_the_open_data_answers_as_a_list_of_rows_not_one_query_per_row(ex, published, app_ctx):
    statements = []
    listener = lambda *args: statements.append(args[2])
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        from web.services.progress.scope import parse_filters
        filters = parse_filters(ex.coordinator, {"fiscal_year": "2026"})
        statements.clear()
        assert len(list(opendata.opendata_rows(ex.coordinator, filters))) >= 3
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
