"""The login page and a coordinator's desk in a real browser, with axe checks."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_accessible, login


def test_login_page_is_accessible_and_in_japanese(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/auth/login")
    expect(page.locator("h1")).to_have_text("ログイン")
    assert_accessible(page, "login")


def test_wrong_password_shows_the_error_accessibly(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("メールアドレス").fill("iwamizawa@demo.example.jp")
    page.get_by_label("パスワード").fill("wrong-password")
    page.get_by_role("button", name="ログインする").click()
    expect(page.get_by_text("メールアドレスまたはパスワードが正しくありません。")).to_be_visible()
    assert_accessible(page)


def test_coordinator_desk_pages_pass_axe(page: Page, live_server: str) -> None:
    login(page, live_server, "coord.hokkaido@demo.example.jp")
    assert_accessible(page, "coordinator_home")
    for path, name in [("/coordinator/", "coordinator_overview"), ("/coordinator/plan", "coordinator_plan"),
                       ("/coordinator/joint", "coordinator_joint")]:
        page.goto(f"{live_server}{path}")
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page, name)


def test_an_officer_changes_the_password_from_the_account_page_accessibly(
    page: Page, live_server: str
) -> None:
    from tests.browser.conftest import DEMO_PASSWORD
    from tests.browser.helpers import logout

    login(page, live_server, "kazuno@demo.example.jp")  # an account no other browser test uses
    page.goto(f"{live_server}/me")
    page.get_by_role("link", name="パスワードを変更する").click()
    expect(page.locator("h1")).to_have_text("パスワードの変更")
    assert_accessible(page, "password_change")
    page.get_by_label("現在のパスワード").fill("wrong-password")
    page.locator("#new_password").fill("kazuno-new-passphrase")
    page.get_by_label("新しいパスワード（確認）").fill("kazuno-new-passphrase")
    page.get_by_role("button", name="パスワードを変更する").click()
    expect(page.get_by_role("alert")).to_contain_text("現在のパスワードが正しくありません。")
    assert_accessible(page)
    page.get_by_label("現在のパスワード").fill(DEMO_PASSWORD)
    page.locator("#new_password").fill("kazuno-new-passphrase")
    page.get_by_label("新しいパスワード（確認）").fill("kazuno-new-passphrase")
    page.get_by_role("button", name="パスワードを変更する").click()
    expect(page.get_by_text("パスワードを変更しました。")).to_be_visible()
    logout(page, live_server)
    login(page, live_server, "kazuno@demo.example.jp", "kazuno-new-passphrase")
