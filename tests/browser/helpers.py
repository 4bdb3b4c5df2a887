"""Shared browser-test helpers: log in through the form, and check a page with axe-core."""
from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import AXE_TAGS, DEMO_PASSWORD, SCREENSHOTS

_AXE = Axe()


def assert_accessible(page: Page, name: str | None = None) -> None:
    """Run axe (WCAG 2.0/2.1 A and AA) on the current page and fail with a readable list of violations."""
    results = _AXE.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = results.response["violations"]
    details = [f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:3]}" for v in violations]
    assert violations == [], f"axe violations on {page.url}:\n" + "\n".join(details)
    if SCREENSHOTS and name:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def login(page: Page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/auth/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログインする").click()
    page.wait_for_url(f"{base}/")
