"""The booking journey in a real browser: an officer asks an expert from the candidate list, the expert accepts,
both confirm the first visit, the expert reports after it, the officer acknowledges the report and completes the
engagement. axe (wcag2a/aa, wcag21a/aa) checks every page on the way, error states included."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.helpers import assert_accessible, login, logout, watch_csp
from web.extensions import db
from web.models import Engagement, EngagementRequest, ExpertProfile, Issue, User, Visit
from web.models.base import utcnow

OFFICER = "hokuto@demo.example.jp"  # 北斗市: no other browser test uses this account


def _town_issue(app: Flask) -> tuple[int, str]:
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == OFFICER))
        issue = db.session.scalars(select(Issue).where(Issue.municipality_code == officer.municipality_code,
                                                       Issue.status.in_(("open", "matching", "engaged")))
                                   .order_by(Issue.id)).first()
        return issue.id, issue.title


def _untouched_expert(app: Flask, issue_id: int, expert_ids: list[int]) -> tuple[int, str]:
    """The first listed candidate with no request for this issue yet; returns (expert id, login email)."""
    with app.app_context():
        asked = set(db.session.scalars(select(EngagementRequest.expert_id)
                                       .where(EngagementRequest.issue_id == issue_id)))
        for expert_id in expert_ids:
            expert = db.session.get(ExpertProfile, expert_id)
            if expert is not None and expert.id not in asked:
                return expert.id, db.session.get(User, expert.user_id).email
    raise AssertionError("no candidate without a request")


def _first_visit_took_place(app: Flask, engagement_id: int) -> None:
    """Time passes: the confirmed first visit took place an hour ago (the one step a browser cannot click)."""
    with app.app_context():
        visit = db.session.scalars(select(Visit).where(Visit.engagement_id == engagement_id)
                                   .order_by(Visit.starts_at)).first()
        assert visit.status == "confirmed"
        visit.starts_at = utcnow() - timedelta(hours=3)
        db.session.commit()


def test_a_request_becomes_an_engagement_that_is_reported_acknowledged_and_completed(
        page: Page, live_server: str, live_app: Flask) -> None:
    csp = watch_csp(page)
    issue_id, issue_title = _town_issue(live_app)

    # The officer opens the candidate list and asks the first candidate nobody has asked yet.
    login(page, live_server, OFFICER)
    page.goto(f"{live_server}/issues/{issue_id}/candidates")
    assert_accessible(page, "booking_candidates_with_request_buttons")
    hrefs = page.locator("a[href*='/requests/new?expert_id=']").evaluate_all("links => links.map(a => a.href)")
    listed = [int(re.search(r"expert_id=(\d+)", href).group(1)) for href in hrefs]
    expert_id, expert_email = _untouched_expert(live_app, issue_id, listed)
    page.locator(f"a[href$='/requests/new?expert_id={expert_id}']").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("支援を依頼する")
    assert_accessible(page, "booking_request_form")

    # An impossible plan first: 40 months. The message is under the field and nothing is sent.
    page.get_by_label("月数").fill("40")
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("月数")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "booking_request_form_error")

    # Three months, Wednesdays at 14:00: the preview shows the plan and the caps, then the request goes out.
    page.get_by_label("支援制度", exact=True).select_option(label="北海道 市町村DX伴走支援事業")
    page.get_by_label("月数").fill("3")
    page.get_by_role("group", name=re.compile("希望する曜日")).get_by_label("水曜日").check()
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert_accessible(page, "booking_request_preview")
    page.get_by_role("button", name="この内容で依頼する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^依頼: "))
    expect(page.get_by_text("回答待ち").first).to_be_visible()
    assert_accessible(page, "booking_request_sent")
    logout(page, live_server)

    # The expert finds it in 「依頼」 and accepts.
    login(page, live_server, expert_email)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="依頼").click()
    assert_accessible(page, "booking_expert_inbox")
    page.get_by_role("link", name=re.compile(re.escape(issue_title))).first.click()
    assert_accessible(page, "booking_request_to_answer")
    page.get_by_role("button", name="承諾する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"支援: {issue_title}")
    engagement_id = int(re.search(r"/engagements/(\d+)", page.url).group(1))
    assert_accessible(page, "booking_engagement_expert")

    # Both confirm the first visit: the expert first, then the town.
    page.get_by_role("button", name="この日程を了承する（相手の確認で確定）").first.click()
    expect(page.get_by_text("この日程は了承済みです。相手の確認を待っています。").first).to_be_visible()
    page.goto(f"{live_server}/schedule")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, "booking_schedule")
    logout(page, live_server)

    login(page, live_server, OFFICER)
    page.goto(f"{live_server}/engagements/{engagement_id}")
    page.get_by_role("button", name="この日程で確定する").first.click()
    expect(page.locator(".visit-item").first.get_by_text("確定").first).to_be_visible()
    assert_accessible(page, "booking_engagement_town")
    logout(page, live_server)

    # The visit takes place; the expert reports (a report of 1,000 hours is refused under its field first).
    _first_visit_took_place(live_app, engagement_id)
    login(page, live_server, expert_email)
    page.goto(f"{live_server}/engagements/{engagement_id}")
    page.get_by_role("link", name="報告を書く").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("訪問の報告を書く")
    assert_accessible(page, "booking_report_form")
    page.get_by_label("実施内容").fill("防除組合の作業記録の現状を聞き取り、紙の様式を3種類に整理した。")
    page.get_by_label("決まったこと").fill("まず散布日誌をスマートフォン入力に置き換える。")
    page.get_by_label("次の作業").fill("来月までに入力項目の案を作り、組合長に見てもらう。")
    page.get_by_label("時間（時間単位）").fill("1000")
    page.get_by_label("課題が今いるDXの段階").select_option(label="ii ビジネスモデル企画")
    page.get_by_role("button", name="報告を送る").click()
    expect(page.get_by_label("時間（時間単位）")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "booking_report_form_error")
    page.get_by_label("時間（時間単位）").fill("2")
    page.get_by_role("button", name="報告を送る").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"支援: {issue_title}")
    expect(page.get_by_text("防除組合の作業記録の現状を聞き取り").first).to_be_visible()
    logout(page, live_server)

    # The officer acknowledges the report and completes the engagement with an outcome and a rating.
    login(page, live_server, OFFICER)
    page.goto(f"{live_server}/engagements/{engagement_id}")
    page.get_by_role("button", name="この報告を確認済みにする").click()
    assert_accessible(page, "booking_report_acknowledged")
    page.get_by_role("link", name="支援を完了する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("支援を完了する")
    assert_accessible(page, "booking_complete_form")
    page.get_by_role("group", name=re.compile("支援の成果")).get_by_label("一部解決した").check()
    page.get_by_role("group", name=re.compile("外部人材の支援への評価")).get_by_label("5（とても満足）").check()
    page.get_by_label("コメント（外部人材に伝わります）").fill("紙の様式が整理でき、次の一歩が見えました。")
    page.get_by_role("button", name="支援を完了する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"支援: {issue_title}")
    expect(page.get_by_text("完了").first).to_be_visible()
    assert_accessible(page, "booking_engagement_completed")
    with live_app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert (engagement.status, engagement.outcome, engagement.rating) == ("completed", "partly", 5)
    assert csp == []
