"""A new external expert's journey in a real browser: sign up, fill the profile, reconfirm, see recommended issues.

Every page is checked with axe (JIS X 8341-3 AA + WCAG 2.1 AA), including the profile form's error state.
"""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.browser.helpers import JAPANESE, assert_accessible, watch_csp

NAME = "山本 さくら"
EMAIL = "sakura.yamamoto@experts.example.jp"
BIO = ("札幌のIT企業で15年間、自治体向けの業務システムの導入と運用を担当してきました。"
       "農業分野では、JAと連携した営農記録アプリの開発と、ドローン防除の予約システムの構築に携わりました。")


def test_a_new_expert_signs_up_fills_the_profile_reconfirms_and_sees_recommended_issues(
        page: Page, live_server: str) -> None:
    csp_violations = watch_csp(page)

    # From the login page to sign-up, with the privacy notice's purposes of use and an explicit consent checkbox.
    page.goto(f"{live_server}/auth/login")
    page.get_by_role("link", name="外部人材の新規登録").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("外部デジタル人材の登録")
    purposes = page.get_by_role("region", name="個人情報の利用目的")
    expect(purposes).to_contain_text("マッチング")
    expect(purposes.get_by_role("link", name="個人情報の取扱い（プライバシーポリシー）の全文")).to_have_attribute(
        "href", "/privacy")
    assert_accessible(page, "signup")
    page.get_by_role("textbox", name=re.compile("^メールアドレス")).fill(EMAIL)
    page.get_by_label(re.compile(r"^パスワード※必須")).fill("hokkaido-dx-expert-2026")
    page.get_by_label(re.compile(r"^パスワード（確認）")).fill("hokkaido-dx-expert-2026")
    page.get_by_role("textbox", name=re.compile("^表示名")).fill(NAME)
    consent = page.get_by_role("checkbox", name=re.compile("^個人情報の取扱い（利用目的）に同意する"))
    expect(consent).not_to_be_checked()
    consent.check()
    page.get_by_role("button", name="登録する").click()

    # The new profile form: roles come with their skill-standard definitions.
    expect(page.get_by_role("heading", level=1)).to_have_text("プロフィールの登録")
    expect(page.get_by_role("status")).to_contain_text("登録しました。続けて、プロフィールを入力してください。")
    expect(page.get_by_role("textbox", name=re.compile("^表示名"))).to_have_value(NAME)
    roles = page.get_by_role("group", name=re.compile("^役割（人材類型）"))
    expect(roles.get_by_role("checkbox", name="エンジニア")).to_have_accessible_description(
        re.compile("テクノロジーを実装する"))
    expect(roles.get_by_role("checkbox", name="プロジェクトマネージャー")).to_have_accessible_description(
        re.compile("各プロジェクトを企画・推進する"))
    assert_accessible(page, "profile_edit")

    roles.get_by_role("checkbox", name="エンジニア").check()
    roles.get_by_role("checkbox", name="プロジェクトマネージャー").check()
    skills = page.get_by_role("group", name=re.compile("^スキル"))
    skills.get_by_role("checkbox", name="ローコード/ノーコード開発").check()
    skills.get_by_role("checkbox", name="データの可視化").check()
    page.get_by_label("その他のスキル（読点・カンマ区切り）").fill("kintone、ドローン")
    sectors = page.get_by_role("group", name=re.compile("^得意な分野"))
    sectors.get_by_role("checkbox", name="農業", exact=True).check()
    sectors.get_by_role("checkbox", name="データ利活用").check()
    page.get_by_role("combobox", name=re.compile("^活動拠点の都道府県")).select_option(label="北海道")
    page.get_by_role("textbox", name=re.compile("^活動拠点の市区町村")).fill("岩見沢市")
    page.get_by_role("radio", name="居住する都道府県内に出張可").check()
    modes = page.get_by_role("group", name=re.compile("^対応できる形態"))
    modes.get_by_role("checkbox", name="オンライン", exact=True).check()
    modes.get_by_role("checkbox", name="ハイブリッド（オンライン＋現地）").check()
    page.get_by_role("textbox", name=re.compile("^1か月に対応できる回数")).fill("2")
    page.get_by_role("textbox", name="連絡先メールアドレス").fill("sakura@example.jp")
    page.get_by_role("textbox", name="電話番号").fill("011-123-4567")
    page.get_by_role("checkbox", name="連絡先を市町村・都道府県の担当者に公開することに同意する").check()

    # Saved once with an empty bio: the summary takes focus and the field says what to write, in Japanese.
    page.get_by_role("button", name="保存する").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("入力内容を確認してください")
    expect(summary).to_be_focused()
    bio = page.get_by_role("textbox", name=re.compile("^自己紹介・経歴"))
    expect(bio).to_have_attribute("aria-invalid", "true")
    expect(bio).to_have_accessible_description(re.compile("＊自己紹介・経歴を入力してください。"))
    expect(roles.get_by_role("checkbox", name="エンジニア")).to_be_checked()  # the other answers are kept
    assert_accessible(page, "profile_edit_errors")

    bio.fill(BIO)
    page.get_by_role("button", name="保存する").click()

    # The own profile, with contact details and the recorded consents.
    expect(page.get_by_role("heading", level=1)).to_have_text("プロフィール")
    expect(page.get_by_role("status")).to_contain_text("プロフィールを保存しました。")
    profile = page.get_by_role("region", name=NAME)
    expect(profile.get_by_role("definition").filter(has_text="プロジェクトマネージャー、エンジニア")).to_be_visible()
    expect(profile.get_by_role("definition").filter(has_text="kintone")).to_be_visible()
    expect(profile.get_by_role("definition").filter(has_text="北海道 岩見沢市")).to_be_visible()
    expect(profile.get_by_role("definition").filter(has_text="2回")).to_be_visible()
    expect(page.get_by_role("region", name="連絡先")).to_contain_text("sakura@example.jp")
    expect(page.get_by_role("region", name="同意の状況")).to_contain_text("公開に同意しています")
    assert_accessible(page, "my_profile")

    # One click to say the availability is unchanged.
    page.get_by_role("button", name="対応可能状況を確認済みにする").click()
    expect(page.get_by_role("status")).to_contain_text("対応可能状況を確認済みにしました。")
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    expect(page.get_by_role("region", name="対応可能状況")).to_contain_text(f"{today.year}年{today.month}月{today.day}日")

    # Recommended issues, each with reasons in Japanese.
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="おすすめの課題").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("おすすめの課題")
    cards = page.get_by_role("listitem").filter(has=page.get_by_role("heading", level=2, name=re.compile(r"スコア \d+")))
    expect(cards.first).to_be_visible()
    expect(cards.first.get_by_role("heading", level=3, name="おすすめする理由")).to_be_visible()
    expect(cards.first.locator("ul.reasons").get_by_role("listitem").first).to_have_text(JAPANESE)
    assert_accessible(page, "recommended")
    assert csp_violations == []
