"""The coordinator's dashboard page: access, filters, the figures on the page, links to the lists behind them, bad
input, and a number of SQL statements that does not grow with the data (SQLite and PostgreSQL)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.web import progress_world as world_module
from tests.web.conftest import AuthActions
from tests.web.progress_world import IWAMIZAWA, KUSHIRO, ProgressWorld, _engagement, _request, _visit, jst
from web.extensions import db
from web.models import Issue
from web.services.progress.scope import ProgressFilters

URL = "/coordinator/dashboard"
progress_world = world_module.progress_world  # the fixture, by name


@pytest.fixture
def coordinator_client(progress_world: ProgressWorld, client: FlaskClient, auth: AuthActions) -> FlaskClient:
    auth.login(progress_world.coordinator.email)
    return client


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_dashboard_shows_every_figure_with_a_table_and_a_summary(coordinator_client: FlaskClient) -> None:
    response = coordinator_client.get(URL + "?fiscal_year=2026&month=2026-11")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert "この年度に公開（下書きは登録）された課題は7件：下書き 1件、公開中 1件、マッチング中 1件、支援中 3件、取り下げ 1件。" in text
    assert "この年度に送った依頼は7件：回答待ち 1件、承諾 3件、辞退 2件、期限切れ 1件。" in text
    assert "支援中3件のうち、順調 1件、要注意 1件、停滞 1件。" in text
    assert "上限に達した市町村：岩見沢市。" in text and "釧路市" in text
    assert "3人の予約は3件、受けられる件数の合計は6件（稼働率 50%）" in text
    assert html.count("<caption>") >= 10 and 'scope="col"' in html
    assert html.count('data-chart="bar"') == 7  # every chart is drawn from its visible table
    assert "vendor/chartjs/chart.umd.min.js" in html and "cdn" not in html.lower()


def test_each_figure_links_to_the_list_behind_it_with_the_same_filters(coordinator_client: FlaskClient) -> None:
    html = coordinator_client.get(URL + "?fiscal_year=2026&municipality_code=" + IWAMIZAWA
                                  + "&month=2026-11").get_data(as_text=True)
    base = f"prefecture_code=01&amp;fiscal_year=2026&amp;municipality_code={IWAMIZAWA}"
    assert f"/coordinator/lists/requests?{base}&amp;status=declined&amp;decline_reason=no_capacity" in html
    assert f"/coordinator/lists/issues?{base}&amp;status=engaged" in html
    assert f"/coordinator/lists/visits?{base}&amp;month=2026-11&amp;overdue=1" in html
    assert f"/coordinator/lists/visits?{base}&amp;month=2026-11&amp;moved=1" in html
    assert f"/coordinator/lists/experts?{base}&amp;idle=1" in html


def test_the_progress_table_marks_status_with_text_not_colour_alone(coordinator_client: FlaskClient,
                                                                    progress_world: ProgressWorld) -> None:
    text = text_of(coordinator_client.get(URL + "?fiscal_year=2026").get_data(as_text=True))
    assert "○ 順調" in text and "△ 要注意" in text and "× 停滞" in text
    assert "i 課題特定 → iii プロダクト企画" in text


def test_the_filter_form_labels_every_select_and_keeps_the_chosen_values(coordinator_client: FlaskClient) -> None:
    html = coordinator_client.get(URL + "?fiscal_year=2026&sector=fishery").get_data(as_text=True)
    for name in ("fiscal_year", "subprefecture", "municipality_code", "sector", "program_id"):
        select_id = re.search(rf'<select id="([^"]+)" name="{name}"', html)
        assert select_id and f'<label for="{select_id.group(1)}">' in html
    assert '<option value="fishery" selected>' in html and "釧路総合振興局" in html


def test_the_calendar_of_the_month_lists_each_visit_on_its_day(coordinator_client: FlaskClient) -> None:
    text = text_of(coordinator_client.get(URL + "?fiscal_year=2026&month=2026-11").get_data(as_text=True))
    assert "2026年11月の訪問カレンダー（6件" in text
    assert "10:00 釧路市 （オンライン・日程調整中・※未実施）" in text
    assert "14:00 釧路市 （現地訪問・中止）" in text


@pytest.mark.parametrize("query", ["fiscal_year=abc", "fiscal_year=1999", "sector=nope", "program_id=99999",
                                   "month=2026-13", "month=%EF%BC%92%EF%BC%90", "program_id=1e5"])
def test_bad_filters_get_a_japanese_400_page(coordinator_client: FlaskClient, query: str) -> None:
    response = coordinator_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert "絞り込みの条件を確認してください" in response.get_data(as_text=True)


def test_another_prefecture_or_an_unknown_town_is_404(coordinator_client: FlaskClient) -> None:
    assert coordinator_client.get(URL + "?prefecture_code=04").status_code == 404
    assert coordinator_client.get(URL + "?municipality_code=041009").status_code == 404
    assert coordinator_client.get(URL + "?municipality_code=999999").status_code == 404


def test_officers_and_experts_may_not_open_the_dashboard_but_an_admin_may_choose_a_prefecture(
        progress_world: ProgressWorld, client: FlaskClient, auth: AuthActions) -> None:
    auth.login(progress_world.officer.email)
    assert client.get(URL).status_code == 403
    auth.logout()
    auth.login(progress_world.expert_user.email)
    assert client.get(URL).status_code == 403
    auth.logout()
    auth.login(progress_world.admin.email)
    response = client.get(URL + "?prefecture_code=04&fiscal_year=2026")
    assert response.status_code == 200 and "課題I7" in response.get_data(as_text=True)
    assert "課題I1" not in response.get_data(as_text=True)


def test_the_coordinator_nav_links_to_the_dashboard(coordinator_client: FlaskClient) -> None:
    html = coordinator_client.get(URL).get_data(as_text=True)
    assert 'href="/coordinator/dashboard" aria-current="page"' in html


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def grow(world: ProgressWorld, n: int) -> None:
    """n more issues, each with a request, an engagement and three visits (one reported): 5n more rows at least."""
    experts = list(world.experts.values())[:3]
    for i in range(n):
        town = IWAMIZAWA if i % 2 else KUSHIRO
        issue = Issue(municipality_code=town, title=f"追加{i}", body="追加の課題です。", sector="agriculture",
                      stage="issue_definition", status="engaged", created_at=jst(2026, 6, 1),
                      published_at=jst(2026, 6, 1))
        issue.wanted_roles.add("engineer")
        db.session.add(issue)
        db.session.flush()
        expert = experts[i % 3]
        _request(issue, expert, world.program, jst(2026, 6, 2), "accepted", jst(2026, 6, 3))
        engagement = _engagement(issue, expert, world.program, date(2026, 6, 15), date(2027, 1, 31))
        start = jst(2026, 11, 1, 18) + timedelta(days=i)  # one evening each: no expert is in two visits at once
        _visit(engagement, town, start - timedelta(days=60), "done",
               report=("business_model", start - timedelta(days=60), None))
        _visit(engagement, town, start, "confirmed")
        _visit(engagement, town, start + timedelta(days=14), "proposed")
    db.session.commit()


def test_the_number_of_statements_does_not_grow_with_the_data(app: Flask, coordinator_client: FlaskClient,
                                                              progress_world: ProgressWorld) -> None:
    url = URL + "?fiscal_year=2026&month=2026-11"
    coordinator_client.get(url)  # warm the holiday cache
    db.session.expire_all()  # the test shares the app context's session: load the user from the database each time
    with counted(app) as small:
        assert coordinator_client.get(url).status_code == 200
    grow(progress_world, 24)
    coordinator_client.get(url)  # the matching index takes in the new issues once (the supply-gap figures)
    db.session.expire_all()
    with counted(app) as bigger:
        html = coordinator_client.get(url).get_data(as_text=True)
    assert "追加23" in html  # the new engagements are on the page
    assert len(bigger) == len(small), (len(small), len(bigger))
    assert len(small) <= 40  # the progress figures, the matcher's figures, the login and the menu


def test_the_filters_keep_their_query_args_for_links(app: Flask) -> None:
    filters = ProgressFilters("01", 2026, municipality_code=IWAMIZAWA)
    assert filters.query_args() == {"prefecture_code": "01", "fiscal_year": "2026", "municipality_code": IWAMIZAWA}
