"""Layout and page-frame checks on the main pages: 320 px reflow (X8) with tables that keep readable columns in a
keyboard-scrollable region, the skip link (X2), no CSP violations in the console (H6) and a logout button on every
signed-in page (S6)."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.browser.helpers import (
    COORDINATOR,
    EXPERT,
    OFFICER,
    assert_accessible,
    horizontal_overflow,
    login,
    watch_csp,
)

NARROW: ViewportSize = {"width": 320, "height": 640}
SEED_ISSUE = "営農データを一元管理し、農業者が使える形で返したい"  # an open issue of 岩見沢市 in seed_data
Check = Callable[[str], None]


def _officer_pages(page: Page, base: str, check: Check) -> None:
    """Login, the officer's home, the issue form (also with errors) and the candidates (also with details open)."""
    page.goto(f"{base}/auth/login")
    check("ログイン")
    login(page, base, OFFICER)
    check("ホーム")
    page.goto(f"{base}/issues/new")
    check("課題の登録")
    page.get_by_role("button", name="公開する").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check("課題の登録（エラー表示）")
    page.goto(f"{base}/issues/")
    page.get_by_role("link", name=SEED_ISSUE).click()
    page.get_by_role("link", name="この課題の候補の人材を見る").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("候補の人材")
    check("候補の人材")
    page.get_by_text("候補を絞り込む").click()
    page.get_by_text("スコアの内訳を見る").first.click()
    expect(page.get_by_role("table", name="スコアの内訳").first).to_be_visible()
    check("候補の人材（絞り込みと内訳を開いた状態）")


def _expert_pages(page: Page, base: str, check: Check) -> None:
    """The expert's profile form, filled and with errors."""
    login(page, base, EXPERT)
    page.goto(f"{base}/experts/profile/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text("プロフィールの編集")
    check("プロフィールの編集")
    page.get_by_role("textbox", name=re.compile("^自己紹介・経歴")).fill("")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check("プロフィールの編集（エラー表示）")


def _coordinator_pages(page: Page, base: str, check: Check) -> None:
    """The coordinator's home, the issue list, the overview, the monthly plan and the support programmes."""
    login(page, base, COORDINATOR)
    check("ホーム")
    for path, label in [("/issues/", "課題一覧"), ("/coordinator/", "課題と候補の一覧"),
                        ("/coordinator/plan", "今月の割り当て案"), ("/admin/programs", "支援制度")]:
        page.goto(f"{base}{path}")
        check(label)


JOURNEYS = {"officer": _officer_pages, "expert": _expert_pages, "coordinator": _coordinator_pages}

# Every rendered table cell with text is at least 3em wide (a column squeezed to one character per line is the
# failure), and a table wider than its box scrolls inside a labelled region keyboard users can focus, with the
# visible hint 「横にスクロールできます」.
TABLE_PROBLEMS = """() => {
  const em = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const problems = [];
  for (const table of document.querySelectorAll('main table')) {
    for (const cell of table.querySelectorAll('th, td')) {
      const width = cell.getBoundingClientRect().width;
      if (cell.getClientRects().length && cell.textContent.trim() && width < 3 * em)
        problems.push(`cell ${Math.round(width)}px wide: ${cell.textContent.trim().slice(0, 12)}`);
    }
    const box = table.parentElement;
    if (box.scrollWidth > box.clientWidth + 1) {
      const region = table.closest('[role="region"][tabindex="0"][aria-label]');
      const hint = region && region.parentElement.querySelector('.table-scroll-hint');
      if (!region) problems.push(`table scrolls outside a focusable region: ${table.caption?.textContent}`);
      else if (!hint || !hint.checkVisibility() || hint.textContent.trim() !== '横にスクロールできます')
        problems.push(`no visible scroll hint: ${region.getAttribute('aria-label')}`);
    }
  }
  return problems;
}"""


@pytest.mark.parametrize("role", JOURNEYS)
def test_the_main_pages_have_no_horizontal_scroll_at_320_px_wide(page: Page, live_server: str, role: str) -> None:
    page.set_viewport_size(NARROW)
    too_wide: dict[str, int] = {}

    squeezed: dict[str, list[str]] = {}

    def check(label: str) -> None:
        overflow = horizontal_overflow(page)
        if overflow > 1:
            too_wide[f"{label} ({page.url})"] = overflow
        if problems := page.evaluate(TABLE_PROBLEMS):
            squeezed[f"{label} ({page.url})"] = problems

    JOURNEYS[role](page, live_server, check)
    assert too_wide == {}, f"pages wider than 320 px (extra width in px): {too_wide}"
    assert squeezed == {}, f"tables unreadable at 320 px: {squeezed}"


@pytest.mark.parametrize("path", ["/issues/", "/coordinator/plan", "/admin/programs"])
def test_a_wide_table_at_320_px_scrolls_in_a_region_keyboard_users_can_focus(
        page: Page, live_server: str, path: str) -> None:
    page.set_viewport_size(NARROW)
    login(page, live_server, COORDINATOR)
    page.goto(f"{live_server}{path}")
    region = page.locator("main [role=region][tabindex='0']").first
    expect(page.get_by_text("横にスクロールできます").first).to_be_visible()
    region.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("r => r.scrollLeft > 0", arg=region.element_handle())
    assert_accessible(page, f"narrow{path.rstrip('/').replace('/', '_')}")


@pytest.mark.parametrize("role", JOURNEYS)
def test_the_main_pages_log_no_csp_violations_in_the_console(page: Page, live_server: str, role: str) -> None:
    violations = watch_csp(page)
    JOURNEYS[role](page, live_server, lambda label: None)
    assert violations == []


def test_the_csp_watcher_catches_a_refused_inline_script(page: Page, live_server: str) -> None:
    """Guard for the test above: the app's CSP refuses an injected inline script, and the watcher sees it."""
    violations = watch_csp(page)
    page.goto(f"{live_server}/auth/login")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate("""() => { const s = document.createElement('script');
                                 s.textContent = 'window.inlineRan = true'; document.body.append(s); }""")
    assert page.evaluate("window.inlineRan === undefined")
    assert violations


@pytest.mark.parametrize("path", ["/auth/login", "/", "/issues/new"])
def test_the_skip_link_is_the_first_focusable_element_and_moves_focus_to_main(
        page: Page, live_server: str, path: str) -> None:
    if path != "/auth/login":
        login(page, live_server, OFFICER)
    page.goto(f"{live_server}{path}")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown while focused, so sighted keyboard users see where they are
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


# Pages beyond the main menu: the account page, a 404 while signed in, and each role's working pages.
EXTRA_PAGES = {
    "officer": ["/me", "/issues/history", "/issues/999999"],
    "coordinator": ["/me", "/issues/", "/issues/999999"],
    "expert": ["/me", "/experts/profile/edit", "/issues/999999"],
}
EMAILS = {"officer": OFFICER, "coordinator": COORDINATOR, "expert": EXPERT}


@pytest.mark.parametrize("role", EMAILS)
def test_every_signed_in_page_shows_a_logout_button(page: Page, live_server: str, role: str) -> None:
    login(page, live_server, EMAILS[role])
    menu = page.get_by_role("navigation", name="メインメニュー").get_by_role("link")
    paths = menu.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert paths, "the main menu has no links"
    missing = []
    for path in dict.fromkeys([*paths, *EXTRA_PAGES[role]]):
        page.goto(f"{live_server}{path}")  # server-rendered: the header is complete once goto returns
        logout = page.get_by_role("banner").get_by_role("button", name="ログアウト")
        if logout.count() != 1 or not logout.is_visible():
            missing.append(path)
    assert missing == [], f"signed-in pages without a visible ログアウト button: {missing}"


def test_an_empty_exclusion_reason_is_shown_under_the_field_with_the_choice_kept_at_320_px(
        page: Page, live_server: str) -> None:
    page.set_viewport_size(NARROW)
    login(page, live_server, COORDINATOR)
    page.goto(f"{live_server}/coordinator/")
    page.get_by_role("link", name=SEED_ISSUE).click()
    card = page.locator(".candidate").first
    card.get_by_label("除外").check()
    card.get_by_role("button", name=re.compile("^設定を保存")).click()
    reason = page.locator(".candidate").first.get_by_role("textbox", name="理由※必須")
    expect(reason).to_be_focused()
    expect(reason).to_be_in_viewport()
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile("理由を入力してください。"))
    expect(page.locator(".candidate").first.get_by_label("除外")).to_be_checked()
    assert_accessible(page, "narrow_curation_error")


def test_the_coordinators_home_at_320_px_links_each_status_count_to_its_list(
        page: Page, live_server: str) -> None:
    page.set_viewport_size(NARROW)
    login(page, live_server, COORDINATOR)
    assert_accessible(page, "narrow_coordinator_home")
    page.get_by_role("link", name=re.compile("^公開中 \\d+件$")).click()
    expect(page).to_have_url(re.compile(r"/issues/\?status=open$"))
