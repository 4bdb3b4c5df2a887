"""The coordinator's progress dashboard in a real browser: Chart.js (served from /static, no CDN) draws every chart
from its visible table, the filters narrow the figures, the charts carry a text alternative, no CSP violation,
and axe (WCAG 2.0/2.1 A and AA) finds nothing, at desktop width and at 320 px."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import COORDINATOR, assert_accessible, login, watch_csp


def test_the_coordinator_reads_the_dashboard_filters_it_and_follows_a_figure(page: Page, live_server: str) -> None:
    csp = watch_csp(page)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    login(page, live_server, COORDINATOR)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="進捗ダッシュボード").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("進捗ダッシュボード")
    charts = page.locator(".dash-chart canvas[role=img]")
    expect(charts).to_have_count(7)
    assert "のグラフ：" in (charts.first.get_attribute("aria-label") or "")
    expect(page.get_by_role("table", name="支援中の案件ごとの進み具合")).to_contain_text("× 停滞")
    expect(page.get_by_role("table", name="支援中の案件ごとの進み具合")).to_contain_text("△ 要注意")
    assert all(url.startswith(live_server) for url in requests), "every file comes from the app itself"
    assert_accessible(page, "dashboard")

    page.get_by_label("分野", exact=True).select_option(label="農業")
    page.get_by_role("button", name="この条件で表示").click()
    assert page.url.startswith(f"{live_server}/coordinator/dashboard?") and "sector=agriculture" in page.url
    expect(page.get_by_label("分野", exact=True)).to_have_value("agriculture")
    assert_accessible(page, "dashboard-filtered")

    page.set_viewport_size({"width": 320, "height": 800})
    assert_accessible(page)

    page.set_viewport_size({"width": 1280, "height": 900})
    stalled = page.get_by_role("table", name="支援中の案件ごとの進み具合").get_by_role("row").filter(has_text="× 停滞")
    title = stalled.get_by_role("rowheader").inner_text()
    stalled.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title[:10])
    assert "/engagements/" in page.url
    assert csp == []


def test_a_bad_filter_shows_a_japanese_message_that_passes_axe(page: Page, live_server: str) -> None:
    login(page, live_server, COORDINATOR)
    response = page.goto(f"{live_server}/coordinator/dashboard?fiscal_year=abc")
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("絞り込みの条件を確認してください")
    assert_accessible(page)
