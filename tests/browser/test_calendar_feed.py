"""The calendar section of the account page: issue, copy and regenerate the feed URL, at 320 px, axe-clean."""
from __future__ import annotations

from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.helpers import EXPERT, assert_accessible, horizontal_overflow, login

NARROW: ViewportSize = {"width": 320, "height": 640}


def test_an_expert_issues_and_regenerates_the_calendar_url_at_320_px(page: Page, live_server: str) -> None:
    page.set_viewport_size(NARROW)
    login(page, live_server, EXPERT)
    page.goto(f"{live_server}/me")
    section = page.get_by_role("region", name="カレンダー配信")
    expect(section).to_contain_text("誰でもあなたの予定を読めます")
    section.get_by_role("button", name="カレンダー配信URLを発行する").click()
    field = page.get_by_role("textbox", name="あなたのカレンダー配信URL（選択してコピーしてください）")
    expect(field).to_have_attribute("readonly", "")
    first = field.input_value()
    assert first.startswith(f"{live_server}/calendar/") and first.endswith(".ics")
    assert horizontal_overflow(page) <= 0
    assert_accessible(page, "narrow_account_calendar")
    assert page.request.get(first).headers["content-type"] == "text/calendar; charset=utf-8"
    page.get_by_role("button", name="URLを再発行する").click()
    second = page.get_by_role("textbox", name="あなたのカレンダー配信URL（選択してコピーしてください）").input_value()
    assert second != first
    assert page.request.get(first).status == 404
    assert page.request.get(second).status == 200
    assert_accessible(page)
