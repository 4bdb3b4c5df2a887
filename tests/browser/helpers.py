"""Shared browser-test helpers: log in through the form, check a page with axe-core, watch the console for CSP
violations, and measure horizontal overflow."""
from __future__ import annotations

import json
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import AXE_TAGS, DEMO_PASSWORD, SCREENSHOTS

_AXE = Axe()
SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"

OFFICER = "iwamizawa@demo.example.jp"  # 岩見沢市
COORDINATOR = "coord.hokkaido@demo.example.jp"
EXPERT = "ex001@experts.demo.example.jp"

# Hiragana, katakana or kanji: the text is Japanese, not a code or an English fallback.
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_CSP = re.compile(r"Content Security Policy|Content-Security-Policy", re.IGNORECASE)


def assert_accessible(page: Page, name: str | None = None) -> None:
    """Run axe (WCAG 2.0/2.1 A and AA) on the current page and fail with a readable list of violations."""
    # resultTypes: violations keep every node; passes/incomplete shrink to one node each, which halves the time
    # on long pages (the candidates list: 1.2 s -> 0.7 s) because far less JSON crosses back to Python.
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = _AXE.run(page, options=options)
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


def logout(page: Page, base: str) -> None:
    """Press the header's ログアウト button and land on the login page."""
    page.get_by_role("banner").get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(f"{base}/auth/login?logged_out=1")
    expect(page.get_by_text("ログアウトしました。")).to_be_visible()


def watch_csp(page: Page) -> list[str]:
    """Collect CSP violation reports from the console (QUALITY.md H6); the caller asserts the list stays empty.

    Chromium logs a refused inline script, style or eval as a console error naming the Content Security Policy.
    """
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if _CSP.search(message.text):
            found.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return found


def horizontal_overflow(page: Page) -> int:
    """Return how many CSS pixels the document is wider than the viewport (0 or less: no horizontal scroll)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def seed_contact_consent() -> dict[str, bool]:
    """Return each demo expert's display name -> whether they consented to showing their contact details."""
    experts = json.loads((SEED_DIR / "experts.json").read_text(encoding="utf-8"))
    return {e["display_name"]: bool(e["contact_consent"]) for e in experts}
