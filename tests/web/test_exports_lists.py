"""The lists behind the dashboard's figures (/coordinator/lists/<kind>): scope, narrowing, paging, refusals."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.web import exports_world
from tests.web.booking_world import add_visits, at
from tests.web.exports_world import FORMULA, login
from web.extensions import db
from web.services.progress import rows
from web.services.progress.scope import parse_filters

ex, frozen, request_ctx, world = (exports_world.ex, exports_world.frozen, exports_world.request_ctx,
                                  exports_world.world)  # fixtures, by name
FY = "fiscal_year=2026"


def page(client, user, url):
    login(client, user)
    return client.get(url)


def test_a_coordinator_lists_the_visits_of_their_prefecture_and_no_other(client, ex):
    response = page(client, ex.coordinator, f"/coordinator/lists/visits?{FY}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("<tr>") == 1 + 3  # the heading row and three visits
    assert FORMULA in html and "ドローン 太郎" in html and "仙台" not in html


@pytest.mark.parametrize(("narrowing", "expected"), [
    ("overdue=1", "overdue"), ("moved=1", "moved"), ("month=2026-12", "moved"), ("status=done", "done")])
def test_the_visits_list_narrows_to_overdue_moved_a_month_or_a_status(client, ex, narrowing, expected):
    html = page(client, ex.coordinator, f"/coordinator/lists/visits?{FY}&{narrowing}").get_data(as_text=True)
    assert html.count("<tr>") == 2
    assert f'<th scope="row">{getattr(ex, expected).id}</th>' in html


def test_the_requests_list_narrows_to_declined_by_reason_with_japanese_labels(client, ex):
    html = page(client, ex.coordinator,
                f"/coordinator/lists/requests?{FY}&status=declined&decline_reason=no_capacity").get_data(as_text=True)
    assert html.count("<tr>") == 2
    assert "辞退" in html and "この期間は対応できる余裕がない" in html and "釧路の観光データ" in html


def test_the_list_links_to_csv_and_xlsx_of_the_same_rows(client, ex):
    html = page(client, ex.coordinator, f"/coordinator/lists/requests?{FY}&status=expired").get_data(as_text=True)
    assert "/coordinator/exports/requests.csv?prefecture_code=01&amp;fiscal_year=2026&amp;status=expired" in html
    assert "/coordinator/exports/requests.xlsx?prefecture_code=01&amp;fiscal_year=2026&amp;status=expired" in html


def test_the_caps_list_shows_the_towns_ledger_rows(client, ex):
    html = page(client, ex.coordinator, f"/coordinator/lists/caps?{FY}").get_data(as_text=True)
    assert "岩見沢市" in html and "地域情報化アドバイザー" in html and html.count("<tr>") == 2


def test_the_experts_list_narrows_to_idle_and_stale_profiles(client, ex):
    html = page(client, ex.coordinator, f"/coordinator/lists/experts?{FY}&idle=1&stale=1").get_data(as_text=True)
    assert html.count("<tr>") == 2 and "待機 三郎" in html and "要確認" in html


def test_the_reports_list_narrows_to_acknowledged_ones(client, ex):
    login(client, ex.coordinator)
    assert client.get(f"/coordinator/lists/reports?{FY}&acknowledged=1").get_data(as_text=True).count("<tr>") == 2
    assert client.get(f"/coordinator/lists/reports?{FY}&acknowledged=0").get_data(as_text=True).count("<tr>") == 0


@pytest.mark.parametrize(("query", "message"), [
    ("status=bogus", "状態（status）は次のいずれかで指定してください"),
    ("month=2026-13", "月は 2026-05 のように"),
    ("page=0", "ページ番号は1以上の半角数字"),
    ("fiscal_year=abc", "年度は半角数字で指定してください"),
])
def test_bad_arguments_are_refused_with_a_japanese_400(client, ex, query, message):
    response = page(client, ex.coordinator, f"/coordinator/lists/visits?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_an_unknown_kind_is_404(client, ex):
    assert page(client, ex.coordinator, "/coordinator/lists/users").status_code == 404


def test_another_prefectures_coordinator_gets_404_and_an_officer_403(client, ex):
    assert page(client, ex.other_coordinator, "/coordinator/lists/visits?prefecture_code=01").status_code == 404
    client.post("/auth/logout")
    assert page(client, ex.base.officer, "/coordinator/lists/visits").status_code == 403


def test_an_admin_lists_any_prefecture(client, ex):
    html = page(client, ex.admin, f"/coordinator/lists/issues?prefecture_code=04&{FY}").get_data(as_text=True)
    assert "仙台の窓口改善" in html and FORMULA not in html


def test_a_page_holds_per_page_rows_and_counts_them_all(ex, app_ctx):
    filters = parse_filters(ex.coordinator, {"fiscal_year": "2026"})
    second = rows.list_page("visits", ex.coordinator, filters, rows.Narrowing(), 2, per_page=2)
    assert (second.total, second.pages, [row[0] for row in second.rows]) == (3, 2, [ex.moved.id])


def test_the_statements_of_a_list_page_do_not_grow_with_its_rows(app, client, ex):
    def statements(url: str) -> int:
        db.session.expire_all()  # both requests load the signed-in user afresh
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    login(client, ex.coordinator)
    before = statements(f"/coordinator/lists/visits?{FY}")
    for month in (1, 2):  # two a month: the expert's monthly capacity
        add_visits(ex.engagement, [at(2027, month, 3), at(2027, month, 10)], mode="online", minutes=30)
    after = statements(f"/coordinator/lists/visits?{FY}")
    assert after == before
