"""The monthly report per prefecture: this month and the fiscal year so far, caps, outcomes, highlights; as a
printable page and as XLSX."""
from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from tests.web import exports_world
from tests.web.exports_world import REPORT_SUMMARY, login
from web.services.progress.monthly import monthly_report
from web.services.progress.scope import parse_filters

ex, frozen, request_ctx, world = (exports_world.ex, exports_world.frozen, exports_world.request_ctx,
                                  exports_world.world)  # fixtures, by name


def figures(report) -> dict[str, tuple[int, int]]:
    return {count.label: (count.month, count.year_to_date) for count in (*report.activity, *report.outcomes)}


def test_november_counts_the_month_and_the_year_to_date(ex, app_ctx):
    report = monthly_report(ex.coordinator, parse_filters(ex.coordinator, {}), date(2026, 11, 1))
    assert figures(report) == {
        "依頼の送信": (3, 3), "依頼の承諾": (1, 1), "依頼の辞退": (1, 1), "依頼の期限切れ": (1, 1),
        "支援の開始": (0, 1), "支援の完了": (0, 0), "支援の中止": (0, 0),
        "現地訪問の実施": (1, 1), "オンライン支援の実施": (0, 0), "予定（未実施）の訪問": (1, 1), "中止した訪問": (0, 0),
        "訪問報告の提出": (1, 1), "訪問報告の確認": (1, 1),
        "解決した": (0, 0), "一部解決した": (0, 0), "解決しなかった": (0, 0)}
    assert [(c.municipality_name, c.onsite_cap, c.onsite_reserved + c.onsite_used) for c in report.caps] == [
        ("岩見沢市", 3, 2)]
    assert [h.summary for h in report.highlights] == [REPORT_SUMMARY]


def test_december_starts_a_new_month_but_keeps_the_year(ex, app_ctx):
    report = monthly_report(ex.coordinator, parse_filters(ex.coordinator, {}), date(2026, 12, 1))
    assert figures(report)["依頼の送信"] == (0, 3)
    assert figures(report)["予定（未実施）の訪問"] == (1, 2)
    assert report.highlights == ()


def test_the_printable_page_shows_the_tables_with_captions_and_a4_print_css(client, ex):
    login(client, ex.coordinator)
    response = client.get("/coordinator/reports/monthly?month=2026-11")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "北海道 月次報告 2026年11月" in html and html.count("<caption>") == 3
    assert '<th scope="row">依頼の送信</th><td class="num">3</td><td class="num">3</td>' in html
    assert "水田の現状を確認した" in html and "岩見沢市" in html
    static = client.get("/static/css/app.css")
    css = static.get_data(as_text=True)
    static.close()
    assert "@page { size: A4 portrait" in css


def test_the_xlsx_holds_the_same_sections_with_text_kept_as_text(client, ex):
    login(client, ex.coordinator)
    response = client.get("/coordinator/reports/monthly.xlsx?month=2026-11")
    data = response.get_data()
    response.close()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["活動", "成果", "上限", "報告から"]
    activity = {row[0]: row[1:] for row in book["活動"].iter_rows(min_row=4, values_only=True)}
    assert activity["依頼の送信"] == (3, 3)
    summary = book["報告から"].cell(row=4, column=5)
    assert (summary.value, summary.data_type) == (REPORT_SUMMARY, "s")


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "２０２６-１１", "1999-01"])
def test_a_bad_month_is_refused_in_japanese(client, ex, month):
    login(client, ex.coordinator)
    response = client.get(f"/coordinator/reports/monthly?month={month}")
    assert response.status_code == 400 and "月は 2026-05 のように" in response.get_data(as_text=True)


def test_another_prefectures_report_is_404_and_an_officer_gets_403(client, ex):
    login(client, ex.other_coordinator)
    assert client.get("/coordinator/reports/monthly?prefecture_code=01").status_code == 404
    assert client.get("/coordinator/reports/monthly.xlsx?prefecture_code=01").status_code == 404
    client.post("/auth/logout")
    login(client, ex.base.officer)
    assert client.get("/coordinator/reports/monthly").status_code == 403
