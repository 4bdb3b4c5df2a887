"""A municipal officer's whole journey in a real browser: post an issue, find candidates, read a profile, log out.

Every page is checked with axe (JIS X 8341-3 AA + WCAG 2.1 AA), including the form's error state.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    COORDINATOR,
    JAPANESE,
    OFFICER,
    assert_accessible,
    login,
    logout,
    seed_contact_consent,
    watch_csp,
)
from web.dates import JST, format_date_weekday

TITLE = "ドローン防除の予約と作業記録を地域で共有したい"
SEED_HYBRID_ISSUE = "営農データを一元管理し、農業者が使える形で返したい"  # 岩見沢市, hybrid, open (seed_data)
HIDDEN_CLAIM = "現地訪問できない人材や今月の空きがない人材は表示していません"


def test_an_officer_posts_an_issue_reviews_ranked_candidates_and_logs_out(page: Page, live_server: str) -> None:
    csp_violations = watch_csp(page)
    login(page, live_server, OFFICER)
    expect(page.get_by_role("heading", level=1)).to_have_text("岩見沢市の課題")
    assert_accessible(page, "officer_home")

    # The issue list, from the main menu.
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="課題一覧").click()
    expect(page).to_have_title(re.compile(r"^課題一覧 \|"))
    expect(page.get_by_role("table")).to_be_visible()
    assert_accessible(page, "issue_list")

    # The new-issue form, from the list's button.
    page.get_by_role("main").get_by_role("link", name="課題を登録する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("課題を登録する")
    assert_accessible(page, "issue_new")

    # Submitted empty but for an impossible deadline: an error summary takes focus, and each field says in
    # Japanese what to fix (the 年・月・日 inputs too, with what was typed kept).
    deadline = page.get_by_role("group", name=re.compile("^期限"))
    deadline.get_by_label("年").fill("2026")
    deadline.get_by_label("月").fill("13")
    deadline.get_by_label("日").fill("45")
    page.get_by_role("button", name="公開する").click()
    expect(page).to_have_title(re.compile(r"^入力内容の確認: 課題を登録する"))
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("入力内容を確認してください")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("^課題名: 課題名を入力してください。"))).to_be_visible()
    title = page.get_by_label("課題名")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_accessible_description(re.compile("＊課題名を入力してください。"))
    expect(page.get_by_label("現状と困っていること")).to_have_accessible_description(
        re.compile("＊現状と困っていることを入力してください。"))
    sector = page.get_by_role("combobox", name=re.compile("^分野"))
    expect(sector).to_have_accessible_description(re.compile("＊分野を選んでください。"))
    expect(page.get_by_role("group", name=re.compile("^DXの段階"))).to_contain_text("＊DXの段階を選んでください。")
    expect(page.get_by_role("group", name=re.compile("^求める人材の役割"))).to_contain_text(
        "＊求める人材の役割を1つ以上選んでください。")
    month = deadline.get_by_label("月")
    expect(month).to_have_value("13")
    expect(month).to_have_attribute("aria-invalid", "true")
    expect(month).to_have_accessible_description(re.compile("＊期限の2026年13月45日は存在しない日付です。"))
    assert_accessible(page, "issue_new_errors")

    # The 課題キャンバス.
    title.fill(TITLE)
    page.get_by_label("現状と困っていること").fill(
        "市内の水田では夏の防除作業の担い手が足りず、ドローンを持つ農家の予約は電話とFAXで調整している。"
        "作業記録も紙で、JAと市がそれぞれ手で集計しており、繁忙期には1日に20件以上の問合せがある。")
    page.get_by_label("目指す姿").fill("農家がスマートフォンから防除を予約でき、作業記録がJAと市で自動的に共有される。")
    page.get_by_label("制約・前提").fill("JAの営農管理システムとの連携が前提。個人情報は市の規程に沿って扱う。")
    page.get_by_label("予算").fill("今年度は予算なし。来年度当初予算に要求予定。")
    next_year = datetime.now(JST).year + 1
    deadline.get_by_label("年").fill(str(next_year))
    month.fill("３")  # full-width digits are accepted
    deadline.get_by_label("日").fill("31")
    page.get_by_label("庁内の担当").fill("農政課 スマート農業推進係")

    # The support wanted: choosing a stage pre-ticks its suggested roles (the form's script runs under the CSP).
    sector.select_option(label="農業")
    page.get_by_role("radio", name="iii プロダクト企画").check()
    roles = page.get_by_role("group", name=re.compile("^求める人材の役割"))
    expect(roles.get_by_role("checkbox", name="プロジェクトマネージャー")).to_be_checked()
    expect(roles.get_by_role("checkbox", name="サービスデザイナー")).to_be_checked()
    roles.get_by_role("checkbox", name="エンジニア").check()
    page.get_by_role("radio", name="伴走支援（月1回程度）").check()
    page.get_by_role("radio", name="ハイブリッド（オンライン＋現地）").check()
    page.get_by_label("支援期間（月数）").fill("６")  # full-width digits are accepted
    page.get_by_role("button", name="公開する").click()

    # The detail page of the published issue.
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("status")).to_contain_text(f"課題「{TITLE}」を公開しました。")
    expect(page.get_by_text("状態: 公開中")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="iii プロダクト企画")).to_be_visible()
    expect(page.get_by_role("definition").filter(
        has_text="プロジェクトマネージャー、サービスデザイナー、エンジニア")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="6か月")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text=format_date_weekday(date(next_year, 3, 31)))).to_be_visible()
    assert_accessible(page, "issue_detail")

    # Ranked candidates, each with Japanese reasons and a score breakdown.
    page.get_by_role("link", name="この課題の候補の人材を見る").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("候補の人材")
    cards = page.get_by_role("listitem").filter(has=page.get_by_role("heading", level=2, name=re.compile(r"スコア \d+")))
    expect(cards.first).to_be_visible()
    scores = [int(re.search(r"スコア (\d+)", text).group(1))  # type: ignore[union-attr]
              for text in cards.get_by_role("heading", level=2).all_inner_texts()]
    assert scores == sorted(scores, reverse=True), f"candidates are not ranked by score: {scores}"
    top = cards.first
    expect(top.get_by_role("heading", level=3, name="この人材をおすすめする理由")).to_be_visible()
    reasons = top.locator("ul.reasons").get_by_role("listitem")
    expect(reasons.first).to_have_text(JAPANESE)
    top.get_by_text("スコアの内訳を見る").click()
    breakdown = top.get_by_role("table", name="スコアの内訳")
    expect(breakdown).to_be_visible()
    expect(breakdown.get_by_role("rowheader").first).to_have_text(JAPANESE)
    expect(breakdown.get_by_role("cell").first).to_have_text(re.compile(r"\d+%"))
    assert_accessible(page, "candidates")

    # A candidate who did not consent to sharing contact details: the profile hides them.
    consent = seed_contact_consent()
    names = cards.get_by_role("heading", level=2).get_by_role("link").all_inner_texts()
    private = [name for name in names if consent.get(name) is False]
    assert private, f"no candidate without contact consent among {names}"
    page.get_by_role("link", name=private[0], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(private[0])
    expect(page.get_by_role("term").filter(has_text="役割（人材類型）")).to_be_visible()
    contact = page.get_by_role("region", name="連絡先")
    expect(contact).to_contain_text("連絡先は、本人が公開に同意した場合、または支援の依頼を本人が承諾した後に表示されます。")
    expect(contact.get_by_role("link")).to_have_count(0)
    expect(contact.get_by_text("電話番号")).to_have_count(0)
    assert_accessible(page, "expert_profile")
    profile_url = page.url

    # Log out; the private page is then out of reach, by the back button and by its address.
    logout(page, live_server)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    page.goto(profile_url)
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    assert csp_violations == []


def test_the_candidates_page_does_not_claim_to_hide_experts_it_lists(page: Page, live_server: str) -> None:
    login(page, live_server, OFFICER)
    page.goto(f"{live_server}/issues/")
    page.get_by_role("link", name=SEED_HYBRID_ISSUE).click()
    expect(page.get_by_role("definition").filter(has_text="ハイブリッド（オンライン＋現地）")).to_be_visible()
    page.get_by_role("link", name="この課題の候補の人材を見る").click()
    cards = page.get_by_role("listitem").filter(has=page.get_by_role("heading", level=2, name=re.compile(r"スコア \d+")))
    expect(cards.first).to_be_visible()
    out_of_reach = cards.filter(has=page.get_by_role("listitem").filter(has_text=re.compile("^移動範囲外です")))
    claims_hidden = page.get_by_role("main").get_by_text(HIDDEN_CLAIM).count() > 0
    listed = out_of_reach.get_by_role("heading", level=2).get_by_role("link").all_inner_texts()
    assert not (claims_hidden and listed), (
        f"the page says 「{HIDDEN_CLAIM}」 yet lists experts out of travel range: {listed}")


def test_the_town_sees_a_coordinators_exclusion_and_its_reason(page: Page, live_server: str) -> None:
    reason = "今年度は別の市町村の伴走支援で手一杯のため"

    def button(label: str, who: str) -> re.Pattern[str]:  # the name is in a visually hidden span after the label
        return re.compile(rf"^{label}\s*（{re.escape(who)}）$")

    def open_candidates() -> None:
        page.goto(f"{live_server}/issues/")
        page.get_by_role("link", name=SEED_HYBRID_ISSUE).click()
        page.get_by_role("link", name="この課題の候補の人材を見る").click()

    # The officer puts the top candidate on the shortlist.
    login(page, live_server, OFFICER)
    open_candidates()
    cards = page.get_by_role("listitem").filter(has=page.get_by_role("heading", level=2, name=re.compile(r"スコア \d+")))
    name = cards.first.get_by_role("heading", level=2).get_by_role("link").inner_text()
    cards.first.get_by_role("button", name=button("候補リストに追加", name)).click()
    logout(page, live_server)

    # The coordinator excludes that candidate, with a reason.
    login(page, live_server, COORDINATOR)
    open_candidates()
    card = page.locator("li.candidate").filter(has=page.get_by_role("link", name=name, exact=True))
    card.get_by_role("radio", name="除外").check()
    card.get_by_label("理由").fill(reason)
    card.get_by_role("button", name=button("設定を保存", name)).click()
    expect(page.get_by_role("status")).to_contain_text("候補の設定を保存しました")
    logout(page, live_server)

    # The officer sees who was excluded and why, in the shortlist and in the exclusions.
    login(page, live_server, OFFICER)
    open_candidates()
    shortlist = page.get_by_role("region", name=re.compile("^候補リスト"))
    expect(shortlist.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(shortlist).to_contain_text(f"除外の理由: {reason}")
    exclusions = page.get_by_role("region", name=re.compile("^コーディネーターが除外した人材"))
    expect(exclusions).to_contain_text(f"除外の理由: {reason}")
    assert_accessible(page, "candidates_excluded")
    shortlist.get_by_role("button", name=button("候補リストから外す", name)).click()  # leave the shortlist as it was
    logout(page, live_server)

    # The coordinator lifts the exclusion again, so the other tests see the seed as it was.
    login(page, live_server, COORDINATOR)
    open_candidates()
    page.get_by_role("button", name=button("除外を解除", name)).first.click()
    expect(page.get_by_role("status")).to_contain_text("候補の設定を解除しました")
