"""The issue's deadline (期限) is a real date: 年・月・日 in the form, "YYYY-MM-DD" in the API, shown with its weekday."""
from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, func, select, text

from tests.web.test_api import api_as, assert_problem
from tests.web.test_api_issues import VALID
from tests.web.test_issues_ui import _form
from tests.web.test_migrations import _app_context, empty_database, insert_town_and_issues  # noqa: F401 (a fixture)
from web.dates import format_date_weekday, today_jst
from web.extensions import db
from web.models import Issue

NEXT_YEAR = today_jst().year + 1


def _parts(year: object = "", month: object = "", day: object = "") -> dict[str, str]:
    return {"deadline-year": str(year), "deadline-month": str(month), "deadline-day": str(day)}


def _issue_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Issue))


@pytest.fixture
def officer(make_user, auth):
    user = make_user("officer")
    auth.login(user.email)
    return user


def test_weekday_aware_date_format():
    assert format_date_weekday(date(2027, 3, 31)) == "2027年3月31日（水）"
    assert format_date_weekday(None) == ""


def test_deadline_typed_as_year_month_day_is_saved_and_shown_with_its_weekday(officer, client):
    response = client.post("/issues/new", data={**_form(), **_parts("２０２７" if NEXT_YEAR == 2027 else NEXT_YEAR, 3, 31)})
    issue = db.session.scalars(select(Issue)).one()
    assert issue.deadline == date(NEXT_YEAR, 3, 31)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert format_date_weekday(date(NEXT_YEAR, 3, 31)) in page


def test_empty_deadline_is_none(officer, client):
    client.post("/issues/new", data={**_form(), **_parts()})
    assert db.session.scalars(select(Issue)).one().deadline is None


BAD_DATES = [
    ((2026, 13, 45), "存在しない日付"),
    ((NEXT_YEAR, 2, 30), "存在しない日付"),
    ((NEXT_YEAR, 4, ""), "すべて入力してください"),
    (("", 4, 1), "すべて入力してください"),
    (("27", 3, 31), "西暦の4桁"),
    (("二〇二七", 3, 31), "西暦の4桁"),
    ((2020, 1, 15), "以降の日付"),
    ((NEXT_YEAR + 20, 1, 15), "10年以内"),
]


@pytest.mark.parametrize("parts, message", BAD_DATES, ids=[str(p) for p, _ in BAD_DATES])
def test_invalid_deadline_is_shown_under_the_field_and_nothing_is_saved(officer, client, parts, message):
    response = client.post("/issues/new", data={**_form(), **_parts(*parts)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _issue_count() == 0
    assert 'id="deadline-error"' in page and message in page.split('id="deadline-error"')[1].split("</p>")[0]
    assert 'aria-invalid="true"' in page.split('name="deadline-year"')[1].split(">")[0]
    assert f'value="{parts[0]}"' in page  # what was typed is shown back


def test_the_date_inputs_follow_the_dads_pattern(officer, client):
    page = client.get("/issues/new").get_data(as_text=True)
    fieldset = page.split('<fieldset class="form-field date-field')[1].split("</fieldset>")[0]
    assert "<legend" in fieldset and "期限" in fieldset and "西暦で記入してください。例）2027年3月31日" in fieldset
    assert fieldset.count('inputmode="numeric"') == 3
    for part, unit in [("deadline", "年"), ("deadline-month", "月"), ("deadline-day", "日")]:
        assert f'<label for="{part}">{unit}</label>' in fieldset


def test_a_saved_deadline_that_has_passed_does_not_block_editing(officer, client, make_issue):
    issue = make_issue(deadline=today_jst() - timedelta(days=3), created_by_id=officer.id)
    passed = issue.deadline
    response = client.post(f"/issues/{issue.id}/edit", data={
        **_form(title="締切が過ぎた課題を直す"), **_parts(passed.year, passed.month, passed.day)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).title == "締切が過ぎた課題を直す"


# The API

@pytest.fixture
def officer_api(client, make_user):
    return api_as(client, make_user("officer", municipality_code="012106"))


def test_api_takes_and_returns_the_deadline_as_an_iso_date(officer_api):
    body = officer_api.post("/issues", json={**VALID, "deadline": f"{NEXT_YEAR}-03-31"}).get_json()
    assert body["deadline"] == f"{NEXT_YEAR}-03-31" and body["budget_deadline"] == ""
    cleared = officer_api.patch(f"/issues/{body['id']}", json={"deadline": None}).get_json()
    assert cleared["deadline"] is None


@pytest.mark.parametrize("value, message", [
    ("2026-13-45", "存在しない日付"), (f"{NEXT_YEAR}-02-30", "存在しない日付"), ("2027/03/31", "年-月-日"),
    ("31.3.2027", "年-月-日"), ("2020-01-15", "以降の日付"),
])
def test_api_refuses_an_invalid_deadline_with_422(officer_api, value, message):
    problem = assert_problem(officer_api.post("/issues", json={**VALID, "deadline": value}), 422)
    assert any(message in text for text in problem["errors"]["deadline"]) and _issue_count() == 0


def test_openapi_documents_deadline_as_a_nullable_date(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("Issue", "IssuePatch", "IssueCreate"):
        prop = schemas[name]["properties"]["deadline"]
        assert prop["format"] == "date" and prop.get("nullable") is True
        assert "budget_deadline" in schemas[name]["properties"]


# The migration's reading of the old free text

def _migration():
    path = Path(__file__).parents[2] / "web/migrations/versions/20261129_0004_issue_deadline.py"
    spec = importlib.util.spec_from_file_location("issue_deadline_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("text, deadline, kept", [
    ("2027-03-31", date(2027, 3, 31), ""),
    ("２０２７年３月３１日", date(2027, 3, 31), ""),
    ("今年度は予算なし。令和9年3月31日までに試行したい", date(2027, 3, 31), "今年度は予算なし。令和9年3月31日までに試行したい"),
    ("2026/13/45", None, "2026/13/45"),
    ("令和9年3月までに試行したい", None, "令和9年3月までに試行したい"),
    ("2027/3/31か2027/4/30", None, "2027/3/31か2027/4/30"),
])
def test_migration_takes_a_deadline_only_from_text_that_gives_one_valid_date(text, deadline, kept):
    assert _migration().deadline_from_text(text) == (deadline, kept)


def test_upgrade_moves_a_date_written_in_the_old_text_to_the_deadline_and_downgrade_keeps_it(
        empty_database):  # noqa: F811 (the fixture)
    engine = create_engine(empty_database)
    with _app_context(empty_database):
        upgrade(revision="20261122_0002")
        with engine.begin() as conn:
            insert_town_and_issues(conn, ["２０２７年３月３１日", "予算なし。令和9年3月31日までに試行", "2026/13/45"])
        upgrade()
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT budget_deadline, deadline FROM issue ORDER BY id")).all()
        assert [(b, d if d is None or isinstance(d, date) else date.fromisoformat(d)) for b, d in rows] == [
            ("", date(2027, 3, 31)), ("予算なし。令和9年3月31日までに試行", date(2027, 3, 31)), ("2026/13/45", None)]
        downgrade(revision="20261122_0002")
        with engine.connect() as conn:
            texts = conn.execute(text("SELECT budget_deadline FROM issue ORDER BY id")).scalars().all()
        assert texts == ["期限: 2027年3月31日", "予算なし。令和9年3月31日までに試行", "2026/13/45"]
    engine.dispose()


def test_edit_form_shows_the_saved_deadline_in_its_three_inputs(officer, client, make_issue):
    issue = make_issue(status="draft", deadline=date(NEXT_YEAR, 3, 31))
    fieldset = client.get(f"/issues/{issue.id}/edit").get_data(as_text=True).split("date-field")[1]
    assert all(f'value="{value}"' in fieldset for value in (NEXT_YEAR, 3, 31))
