"""A coordinator opens the lists behind the figures, downloads CSV and XLSX, and prints the monthly report;
axe (wcag2a/aa, wcag21a/aa) checks every page, the print view included."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import COORDINATOR, assert_accessible, login, watch_csp


def test_a_coordinator_reads_a_list_exports_it_and_prints_the_monthly_report(page: Page, live_server: str) -> None:
    errors = watch_csp(page)
    login(page, live_server, COORDINATOR)
    page.goto(f"{live_server}/coordinator/lists/visits")
    expect(page.get_by_role("heading", level=1)).to_have_text("訪問の一覧")
    expect(page.locator("table caption")).to_contain_text("訪問（全")
    assert_accessible(page, "exports_list_visits")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV（Excel対応のUTF-8）").click()
    data = Path(csv_download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "訪問ID".encode() in data
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Excel（XLSX）").click()
    assert Path(xlsx_download.value.path()).read_bytes()[:2] == b"PK"  # a zip: the XLSX container

    page.goto(f"{live_server}/coordinator/lists/requests?status=bogus")
    expect(page.get_by_role("heading", level=1)).to_have_text("指定された条件を読み取れませんでした")
    assert_accessible(page, "exports_list_bad_argument")

    page.goto(f"{live_server}/coordinator/lists/visits")
    page.get_by_role("link", name="月次報告").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("北海道 月次報告")
    expect(page.get_by_role("table").first).to_be_visible()
    assert_accessible(page, "exports_monthly_report")
    page.emulate_media(media="print")
    expect(page.get_by_role("banner")).to_be_hidden()
    assert_accessible(page)
    if SCREENSHOTS:
        page.screenshot(path=str(SCREENSHOTS / "exports_monthly_report_print.png"), full_page=True)
    page.emulate_media(media="screen")
    assert errors == []
