"""The coordinator's map in a real browser (strict CSP): the map is drawn from the vendored d3-geo / topojson-client
and the prefecture's boundary file, coloured and patterned by the chosen figure; the metric control switches it;
a town on the map and in the table leads to its municipality page, and from there to an engagement page with the
DX-stage progress, the visit timeline and every report. axe (WCAG 2.0/2.1 A and AA) on every page: no violations."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import (
    COORDINATOR,
    OFFICER,
    assert_accessible,
    horizontal_overflow,
    login,
    logout,
    watch_csp,
)
from tests.browser.test_layout import NARROW, TABLE_PROBLEMS

CREDIT = "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成"


def _drawn(page: Page) -> int:
    """Wait until map.js has drawn the map; return how many towns of the table it found in the boundary file."""
    expect(page.locator("#town-map")).to_have_attribute("data-drawn", re.compile(r"^\d+$"))
    return int(page.locator("#town-map").get_attribute("data-drawn") or 0)


def test_the_coordinator_reads_the_map_opens_a_town_and_an_engagements_progress(page: Page, live_server: str) -> None:
    csp = watch_csp(page)
    login(page, live_server, COORDINATOR)
    page.get_by_role("link", name="市町村の地図").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("北海道の市町村の地図")
    rows = page.locator("#map-table tbody tr[data-code5]").count()
    assert rows > 50
    assert _drawn(page) == rows  # every town in the service has its boundary (matched on the 5-digit code)
    expect(page.get_by_text(CREDIT)).to_be_visible()
    shapes = page.locator("#town-map svg a path.map-town")
    assert shapes.count() == rows
    assert page.locator("#town-map svg .map-label").count() > 0  # numbers on the map, not only colours
    assert_accessible(page, "map_open_issues")
    if SCREENSHOTS:  # the map and its legend alone, for docs/map.md
        page.locator("figure.town-map").screenshot(path=str(SCREENSHOTS / "map_figure.png"))

    page.get_by_role("radio", name="上限の使用率").check()
    page.get_by_role("button", name="地図を表示する").click()
    expect(page).to_have_url(re.compile(r"metric=cap_usage"))
    assert _drawn(page) == rows
    expect(page.get_by_role("heading", name="凡例（上限の使用率）")).to_be_visible()
    assert_accessible(page, "map_cap_usage")

    page.get_by_role("radio", name="上限の使用率").check()
    page.get_by_label("振興局・地域").select_option("空知総合振興局")
    page.get_by_role("button", name="地図を表示する").click()
    assert _drawn(page) == page.locator("#map-table tbody tr[data-code5]").count() < rows
    assert_accessible(page, "map_region")

    # A click on the map leads to the town's page, like the table's link.
    first = page.locator("#town-map svg a").first
    href = first.get_attribute("href")
    first.locator("path.map-town").click(force=True)
    expect(page).to_have_url(f"{live_server}{href}")
    page.go_back()
    page.goto(f"{live_server}/coordinator/map")
    _drawn(page)
    page.locator("#map-table").get_by_role("link", name="岩見沢市").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("北海道岩見沢市の記録")
    assert_accessible(page, "municipality_iwamizawa")

    engagement = page.locator("table").filter(has_text="DXの段階（開始時→現在）").get_by_role("link").first
    engagement.click()
    expect(page.get_by_role("heading", name="DXの段階の進み具合")).to_be_visible()
    expect(page.get_by_role("table", name="DXの段階の推移（報告ごと）")).to_be_visible()
    assert_accessible(page, "engagement_progress_coordinator")
    assert csp == []


def test_the_officer_opens_the_towns_record_and_an_engagement_from_the_menu(page: Page, live_server: str) -> None:
    csp = watch_csp(page)
    login(page, live_server, OFFICER)
    page.get_by_role("link", name="まちの記録").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("北海道岩見沢市の記録")
    assert_accessible(page, "municipality_officer")
    links = page.locator("table").filter(has_text="DXの段階（開始時→現在）").get_by_role("link")
    if links.count():
        links.first.click()
        expect(page.get_by_role("heading", name="DXの段階の進み具合")).to_be_visible()
        assert_accessible(page, "engagement_progress_officer")
    logout(page, live_server)
    assert csp == []


def test_the_map_and_the_municipality_page_fit_320_px_with_their_tables_in_scroll_regions(
        page: Page, live_server: str) -> None:
    page.set_viewport_size(NARROW)
    login(page, live_server, COORDINATOR)
    for path in ("/coordinator/map?metric=cap_usage", "/municipalities/012106"):
        page.goto(f"{live_server}{path}")
        if "map" in path:
            _drawn(page)
        assert horizontal_overflow(page) <= 1, path
        assert page.evaluate(TABLE_PROBLEMS) == [], path
        assert_accessible(page, "map_narrow" if "map" in path else "municipality_narrow")
