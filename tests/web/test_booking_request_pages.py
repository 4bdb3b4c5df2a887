"""The request pages: the form with its plan and cap panel, the list, the detail with accept/decline/withdraw."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from web.dates import JST, format_date_weekday, format_datetime_weekday
from web.extensions import db
from web.models import Engagement, EngagementRequest, User, Visit
from web.services.booking import requests
from web.services.booking.requests import RequestInput
from web.services.ledger import PlannedVisit, reserve
from web.transaction import transaction

TOWN = "012106"






def form(program, **overrides) -> dict[str, object]:
    data: dict[str, object] = {"menu": "accompaniment", "program_id": str(program.id), "first_month": "2027-01",
                               "months": "6", "onsite_for": "6", "onsite_months": ["1", "4"], "weekdays": ["2"],
                               "start_time": "14:00", "duration_minutes": "120", "message": "よろしくお願いします。"}
    data.update(overrides)
    return data


def new_url(issue, expert) -> str:
    return f"/issues/{issue.id}/requests/new?expert_id={expert.id}"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def sent_request(officer, issue, expert, program, **overrides) -> EngagementRequest:
    fields = {"issue_id": issue.id, "expert_id": expert.id, "menu": "accompaniment", "program_id": program.id,
                  "first_month": "2027-01", "months": 6, "weekdays": [2], "start_time": "14:00", "duration_minutes": 120,
                  "message": "よろしくお願いします。"}
    fields.update(overrides)
    with transaction():
        return requests.send_request(officer, RequestInput(**fields))


def ticked(page: str) -> list[str]:
    return re.findall(r'<input[^>]* checked[^>]* name="onsite_months" type="checkbox" value="(\d+)"', page)


def error_under(page: str, field_id: str) -> str:
    found = re.search(rf'<p class="error-text" id="{field_id}-error">＊(.*?)</p>', page)
    assert found, f"no error under {field_id}"
    return found.group(1)


# ------------------------------------------------------------------ the form


def test_the_form_shows_the_remaining_caps_and_the_standard_on_site_pattern(people, program, auth, client):
    officer, issue, expert, _ = people
    with transaction():
        reserve(program, TOWN, [PlannedVisit(date(2026, 12, 10), "onsite", 120)])
    auth.login(officer.email)
    page = client.get(new_url(issue, expert)).get_data(as_text=True)
    assert "札幌 一郎" in page and "地域情報化アドバイザーの上限と残り" in page
    assert "令和8年度（2026年度）" in page
    assert "<td>3回</td><td>0回</td><td>1回</td><td>2回</td>" in page  # allowed, used, reserved, remaining
    assert "<td>10時間</td><td>0時間</td><td>0時間</td><td>10時間</td>" in page
    assert ticked(page) == ["1", "4"] and "1・4・7・10…か月目" in page
    assert '<legend class="label">希望する曜日</legend>' in page


def test_checking_shows_the_plan_by_month_and_mode_and_what_it_adds_and_writes_nothing(people, program, auth, client):
    officer, issue, expert, _ = people
    auth.login(officer.email)
    response = client.post(new_url(issue, expert), data=form(program, check="内容を確認する"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    plan = page[page.index("月ごとの計画（6回）"):]
    months = re.findall(r'<th scope="row">(\d{4}年\d{1,2}月)</th>', plan)[:6]
    assert months == ["2027年1月", "2027年2月", "2027年3月", "2027年4月", "2027年5月", "2027年6月"]
    modes = re.findall(r"</span> (現地訪問|オンライン)</td>", plan)
    assert modes == ["現地訪問", "オンライン", "オンライン", "現地訪問", "オンライン", "オンライン"]
    assert "この計画で増える分" in page and "範囲内" in page
    assert count(EngagementRequest) == 0


def test_an_officer_sends_a_request_and_lands_on_its_page(people, program, auth, client):
    officer, issue, expert, _ = people
    auth.login(officer.email)
    response = client.post(new_url(issue, expert), data=form(program, send="この内容で依頼する"))
    sent = db.session.scalars(select(EngagementRequest)).one()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/requests/{sent.id}")
    assert (sent.requested_by_id, sent.onsite_months, sent.weekdays) == (officer.id, [1, 4], [2])
    page = client.get(f"/requests/{sent.id}").get_data(as_text=True)
    assert "札幌 一郎さんに依頼を送りました" in page and "回答待ち" in page and "依頼を取り下げる" in page
    due = format_date_weekday(sent.expires_at - timedelta(seconds=1))
    assert f"回答期限 {due}まで" in page and f"回答期限は{due}です" in page


def test_changing_the_number_of_months_resets_the_on_site_months_to_the_standard_pattern(people, program, auth,
                                                                                          client):
    officer, issue, expert, _ = people
    auth.login(officer.email)
    page = client.post(new_url(issue, expert), data=form(program, months="10", check="1")).get_data(as_text=True)
    assert "月ごとの計画（10回）" in page
    assert ticked(page) == ["1", "4", "7", "10"]


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"first_month": "2020-04"}, "first_month", "開始月に過去の月は選べません"),
    ({"months": "0"}, "months", "月数は1から12の間で入力してください"),
    ({"months": "40"}, "months", "月数は1から12の間で入力してください"),
    ({"onsite_months": ["1", "9"]}, "onsite_months", "現地訪問の月は計画の1〜6か月目から選んでください（範囲外: 9）"),
    ({"start_time": "25:00"}, "start_time", "開始時刻は8:00から18:45の間"),
    ({"message": "<script>x</script>"}, "message", "HTMLタグは使えません"),
])
def test_bad_input_is_shown_under_its_field_with_422_and_nothing_is_written(people, program, auth, client,
                                                                           overrides, field, message):
    officer, issue, expert, _ = people
    auth.login(officer.email)
    response = client.post(new_url(issue, expert), data=form(program, send="1", **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in error_under(page, field)
    assert f'href="#{field}' in page  # the error summary links to the field
    assert count(EngagementRequest) == 0


def test_a_past_spot_slot_and_an_impossible_date_are_refused_under_the_slots(people, program, auth, client):
    officer, issue, expert, _ = people
    auth.login(officer.email)
    data = form(program, menu="spot", program_id="", duration_minutes="60", slot1_date="2026-02-30",
                slot1_time="10:00", send="1")
    page = client.post(new_url(issue, expert), data=data).get_data(as_text=True)
    assert "候補日時1の日付を「2027-02-03」の形で、実在する日付で入力してください。" in error_under(page, "slots")
    assert count(EngagementRequest) == 0


def test_nul_in_the_message_is_refused_at_the_boundary_and_nothing_is_written(people, program, auth, client):
    officer, issue, expert, _ = people
    auth.login(officer.email)
    response = client.post(new_url(issue, expert), data=form(program, message="bad\x00text", send="1"))
    assert response.status_code == 400 and "NUL文字" in response.get_data(as_text=True)
    assert count(EngagementRequest) == 0


def test_a_plan_that_breaks_the_cap_shows_the_numbers_in_japanese_and_is_not_sent(people, program, auth, client):
    officer, issue, expert, _ = people
    with transaction():
        reserve(program, TOWN, [PlannedVisit(date(2027, 1, 20), "onsite", 120)] * 2)
    auth.login(officer.email)
    data = form(program, months="3", onsite_for="3", onsite_months=["1", "2"], send="1")
    response = client.post(new_url(issue, expert), data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("令和8年度 地域情報化アドバイザー（現地訪問）: 上限3回・実施済み0回・予定2回、この計画で2回 → 1回超過します"
            in page)
    assert "このままでは依頼できません" in page
    assert count(EngagementRequest) == 0


def test_a_second_request_to_the_same_expert_while_one_is_pending_is_refused(people, program, auth, client):
    officer, issue, expert, _ = people
    auth.login(officer.email)
    assert client.post(new_url(issue, expert), data=form(program, send="1")).status_code == 303
    again = client.post(new_url(issue, expert), data=form(program, send="1"))
    assert again.status_code == 303 and again.headers["Location"].endswith("/requests?status=pending")
    assert 'class="flash flash-error"' in client.get(again.headers["Location"]).get_data(as_text=True)
    assert count(EngagementRequest) == 1
    form_page = client.get(new_url(issue, expert)).get_data(as_text=True)
    assert "この課題について回答待ちの依頼がすでにあります" in form_page


def test_excluded_experts_cannot_be_asked_and_the_reason_is_shown(people, program, auth, client):
    officer, issue, expert, expert_user = people
    sent = sent_request(officer, issue, expert, program)
    with transaction():
        requests.decline(expert_user, sent.id, "outside_field")
    auth.login(officer.email)
    response = client.post(new_url(issue, expert), data=form(program, send="1"))
    assert response.status_code == 422 and "候補から除外されています" in response.get_data(as_text=True)
    assert count(EngagementRequest) == 1


def test_a_joint_issue_says_how_its_caps_are_counted(people, program, make_issue, auth, client):
    officer, _, expert, _ = people
    joint = make_issue(menu="joint", co_municipality_codes=("012068",))
    auth.login(officer.email)
    page = client.get(new_url(joint, expert)).get_data(as_text=True)
    assert "現地訪問は訪問先の市町村の上限に数え、オンラインの時間は連携する市町村で等分して数えます。" in page
    assert "釧路市" in page


def test_a_coordinator_requests_on_the_towns_behalf(people, program, make_user, auth, client):
    _, issue, expert, _ = people
    coordinator = make_user("coordinator")
    auth.login(coordinator.email)
    response = client.post(new_url(issue, expert), data=form(program, send="1"))
    assert response.status_code == 303
    assert db.session.scalars(select(EngagementRequest)).one().requested_by_id == coordinator.id


def test_the_form_is_404_for_another_town_and_for_an_unknown_expert(people, program, make_user, auth, client):
    _, issue, expert, _ = people
    auth.login(make_user("officer", municipality_code="041009").email)
    assert client.get(new_url(issue, expert)).status_code == 404
    assert client.post(new_url(issue, expert), data=form(program, send="1")).status_code == 404
    auth.logout()
    auth.login(people[0].email)
    assert client.get(f"/issues/{issue.id}/requests/new?expert_id=999999").status_code == 404
    assert count(EngagementRequest) == 0


def test_candidates_and_the_profile_lead_to_the_form(people, program, auth, client):
    officer, issue, expert, _ = people
    auth.login(officer.email)
    profile = client.get(f"/experts/{expert.id}?issue_id={issue.id}").get_data(as_text=True)
    assert f"/requests/new?expert_id={expert.id}&amp;issue_id={issue.id}" in profile
    chooser = client.get(f"/requests/new?expert_id={expert.id}&issue_id={issue.id}")
    assert chooser.status_code == 303 and chooser.headers["Location"].endswith(new_url(issue, expert))
    page = client.get(f"/requests/new?expert_id={expert.id}").get_data(as_text=True)
    assert f'value="{issue.id}"' in page and issue.title in page


def test_the_candidate_list_and_the_shortlist_offer_to_request(people, program, auth, client):
    officer, issue, expert, _ = people
    auth.login(officer.email)
    client.post(f"/issues/{issue.id}/shortlist/{expert.id}", data={"want": "add"})
    page = client.get(f"/issues/{issue.id}/candidates").get_data(as_text=True)
    link = f'href="/issues/{issue.id}/requests/new?expert_id={expert.id}"'
    assert page.count(link) == 2  # the shortlist and the ranked card
    assert "依頼する<span class=\"visually-hidden\">（札幌 一郎）</span>" in page


# ------------------------------------------------------------------ answers


def test_the_expert_accepts_and_is_taken_to_the_engagement(people, program, auth, client):
    officer, issue, expert, expert_user = people
    sent = sent_request(officer, issue, expert, program)
    auth.login(expert_user.email)
    page = client.get(f"/requests/{sent.id}").get_data(as_text=True)
    assert "この依頼に回答する" in page and "依頼を取り下げる" not in page
    response = client.post(f"/requests/{sent.id}/accept", data={"meeting_url": "https://meet.example.jp/abc"})
    engagement = db.session.scalars(select(Engagement)).one()
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/engagements/{engagement.id}")
    assert engagement.request_id == sent.id and engagement.meeting_url == "https://meet.example.jp/abc"


def test_a_second_accept_from_another_tab_is_told_already_answered(people, program, auth, client):
    officer, issue, expert, expert_user = people
    sent = sent_request(officer, issue, expert, program)
    auth.login(expert_user.email)
    client.post(f"/requests/{sent.id}/accept", data={})
    again = client.post(f"/requests/{sent.id}/accept", data={})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/requests/{sent.id}")
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "すでに回答済み" in page and "この依頼に回答する" not in page
    assert count(Engagement) == 1


def test_a_bad_meeting_url_is_shown_under_its_field_and_nothing_is_accepted(people, program, auth, client):
    officer, issue, expert, expert_user = people
    sent = sent_request(officer, issue, expert, program)
    auth.login(expert_user.email)
    response = client.post(f"/requests/{sent.id}/accept", data={"meeting_url": "http://meet.example.jp"})
    assert response.status_code == 422
    assert "https:// で始まるもの" in error_under(response.get_data(as_text=True), "meeting_url")
    assert count(Engagement) == 0 and db.session.get(EngagementRequest, sent.id).status == "pending"


def test_a_spot_consultation_is_accepted_on_an_offered_slot_or_another_time(people, program, auth, client):
    officer, issue, expert, expert_user = people
    slot = datetime(2027, 2, 3, 10, 0, tzinfo=JST)
    sent = sent_request(officer, issue, expert, program, menu="spot", program_id=None, duration_minutes=60,
                        slots=[slot, slot + timedelta(days=1)])
    auth.login(expert_user.email)
    page = client.get(f"/requests/{sent.id}").get_data(as_text=True)
    assert "2027年2月3日（水）10:00" in page and "2027年2月4日（木）10:00" in page
    refused = client.post(f"/requests/{sent.id}/accept", data={"slot": "other", "proposed_date": "2027-02-30"})
    assert refused.status_code == 422 and "実在する日付" in error_under(refused.get_data(as_text=True), "proposed_date")
    response = client.post(f"/requests/{sent.id}/accept", data={"slot": "1"})
    assert response.status_code == 303
    visit = db.session.scalars(select(Visit)).one()
    assert (visit.status, visit.starts_at) == ("confirmed", slot + timedelta(days=1))


def test_the_expert_declines_with_a_reason_that_the_town_then_sees(people, program, auth, client):
    officer, issue, expert, expert_user = people
    sent = sent_request(officer, issue, expert, program)
    auth.login(expert_user.email)
    missing = client.post(f"/requests/{sent.id}/decline", data={"reason": "other", "note": ""})
    assert missing.status_code == 422 and "補足を入力してください" in error_under(missing.get_data(as_text=True), "note")
    response = client.post(f"/requests/{sent.id}/decline", data={"reason": "schedule", "note": "3月は繁忙期です。"})
    assert response.status_code == 303
    assert (db.session.get(EngagementRequest, sent.id).status, db.session.get(EngagementRequest, sent.id)
            .decline_reason) == ("declined", "schedule")
    auth.logout()
    auth.login(officer.email)
    page = client.get(f"/requests/{sent.id}").get_data(as_text=True)
    assert "日程が合わない" in page and "3月は繁忙期です。" in page and "回答までの時間" in page
    assert "次の人材に依頼する" in page


def test_the_town_withdraws_a_pending_request_and_the_expert_cannot(people, program, auth, client):
    officer, issue, expert, expert_user = people
    sent = sent_request(officer, issue, expert, program)
    auth.login(expert_user.email)
    refused = client.post(f"/requests/{sent.id}/withdraw")
    assert refused.status_code == 303
    assert "市町村の担当者が行います" in client.get(refused.headers["Location"]).get_data(as_text=True)
    auth.logout()
    auth.login(officer.email)
    assert client.post(f"/requests/{sent.id}/withdraw").status_code == 303
    assert db.session.get(EngagementRequest, sent.id).status == "withdrawn"


def test_another_towns_officer_and_another_expert_get_404_everywhere(people, program, make_user, make_expert,
                                                                    auth, client):
    officer, issue, expert, _ = people
    sent = sent_request(officer, issue, expert, program)
    strangers = [make_user("officer", municipality_code="041009"),
                 db.session.get(User, make_expert().user_id),
                 make_user("coordinator", prefecture_code="04")]
    for stranger in strangers:
        auth.login(stranger.email)
        assert client.get(f"/requests/{sent.id}").status_code == 404
        for action in ("accept", "decline", "withdraw"):
            assert client.post(f"/requests/{sent.id}/{action}", data={"reason": "schedule"}).status_code == 404
        assert issue.title not in client.get("/requests").get_data(as_text=True)
        auth.logout()
    assert db.session.get(EngagementRequest, sent.id).status == "pending" and count(Engagement) == 0


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_answers_need_the_forms_csrf_token(people, program, client):
    officer, issue, expert, expert_user = people
    sent = sent_request(officer, issue, expert, program)
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/auth/login", data={"email": expert_user.email, "password": "correct-horse-battery",
                                     "csrf_token": token})
    g.pop("csrf_token", None)  # the test's app context shares `g` with the requests: drop the login page's token
    page = client.get(f"/requests/{sent.id}").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 2
    for action in ("accept", "decline"):
        assert client.post(f"/requests/{sent.id}/{action}", data={"reason": "schedule"}).status_code == 400
    assert db.session.get(EngagementRequest, sent.id).status == "pending" and count(Engagement) == 0
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/requests/{sent.id}/accept", data={"csrf_token": token})
    assert response.status_code == 303 and count(Engagement) == 1


# ------------------------------------------------------------------ the list


def test_the_expert_inbox_lists_pending_requests_first_with_a_way_to_answer(people, program, make_issue, auth,
                                                                           client):
    officer, issue, expert, expert_user = people
    answered = sent_request(officer, make_issue(title="窓口のデジタル化"), expert, program)
    with transaction():
        requests.decline(expert_user, answered.id, "schedule")
    pending = sent_request(officer, issue, expert, program)
    auth.login(expert_user.email)
    page = client.get("/requests").get_data(as_text=True)
    assert page.index(issue.title) < page.index("窓口のデジタル化")
    assert f"/requests/{pending.id}#answer" in page and "承諾・辞退する" in page
    assert "回答期限: " in page and "辞退" in page
    assert '>依頼</a>' in page and 'aria-current="page">依頼</a>' in page
    only_pending = client.get("/requests?status=pending").get_data(as_text=True)
    assert issue.title in only_pending and "窓口のデジタル化" not in only_pending
    answered_tab = client.get("/requests?status=answered").get_data(as_text=True)
    assert "窓口のデジタル化" in answered_tab and issue.title not in answered_tab


def test_the_coordinator_sees_the_prefectures_requests_and_filters_by_town(people, program, make_user, make_issue,
                                                                          make_expert, auth, client):
    officer, issue, expert, _ = people
    sent_request(officer, issue, expert, program)
    kushiro_officer = make_user("officer", municipality_code="012068")
    kushiro = make_issue(municipality_code="012068", title="釧路の観光DX", created_by_id=kushiro_officer.id)
    sent_request(kushiro_officer, kushiro, make_expert(), program)
    sendai_officer = make_user("officer", municipality_code="041009")
    sendai = make_issue(municipality_code="041009", title="仙台の窓口改革", created_by_id=sendai_officer.id)
    sent_request(sendai_officer, sendai, make_expert(), program)
    auth.login(make_user("coordinator", prefecture_code="01").email)
    page = client.get("/requests").get_data(as_text=True)
    assert issue.title in page and "釧路の観光DX" in page and "仙台の窓口改革" not in page
    filtered = client.get("/requests?municipality=012068").get_data(as_text=True)
    assert "釧路の観光DX" in filtered and issue.title not in filtered
    assert "仙台の窓口改革" not in client.get("/requests?municipality=041009").get_data(as_text=True)


def test_the_list_is_bounded_and_paged(people, program, make_expert, auth, client, monkeypatch):
    officer, issue, _, _ = people
    from web.services.booking import request_views
    monkeypatch.setattr(request_views, "PER_PAGE", 2)
    for _ in range(3):
        sent_request(officer, issue, make_expert(), program)
    auth.login(officer.email)
    first = client.get("/requests").get_data(as_text=True)
    assert len(re.findall(r'<th scope="row"><a href="/requests/\d+">', first)) == 2
    assert "1 / 2ページ" in first and "次のページ" in first
    second = client.get("/requests?page=2").get_data(as_text=True)
    assert len(re.findall(r'<th scope="row"><a href="/requests/\d+">', second)) == 1
    assert "2 / 2ページ" in second and "前のページ" in second
    assert client.get("/requests?page=99").status_code == 200


def test_times_are_shown_in_japan_time_with_the_weekday():
    assert format_datetime_weekday(datetime(2026, 5, 13, 5, 0, tzinfo=UTC)) == "2026年5月13日（水）14:00"
    assert format_datetime_weekday(datetime(2026, 5, 13, 0, 5, tzinfo=UTC)) == "2026年5月13日（水）9:05"
