"""The engagement pages through the real forms: confirm, move, cancel, report, acknowledge, ask, complete, cancel and
extend an engagement; the engagements list; the 予定 page and its month calendar; unavailable days; who may see what."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from web.dates import JST, fiscal_year_of, today_jst
from web.extensions import db
from web.models import (
    Engagement,
    ExpertProfile,
    Issue,
    SupportProgram,
    UnavailableDay,
    User,
    Visit,
    VisitReport,
)
from web.models.base import utcnow
from web.services.booking import plans
from web.services.booking.reports import HOURS_MESSAGE
from web.services.business_days import is_business_day
from web.transaction import transaction

TOWN = "012106"  # 岩見沢市


@dataclass
class World:
    officer: User
    expert_user: User
    expert: ExpertProfile
    issue: Issue
    engagement: Engagement
    visits: list[Visit]  # future, proposed by the system: months +1, +2, +3 (on-site, online, online)
    past: Visit  # confirmed by both, started yesterday (online): ready for a report


def business_day(month: date, after: int = 10, code: str = TOWN) -> date:
    day = month.replace(day=after)
    while not is_business_day(day, code):
        day += timedelta(days=1)
    return day


def _visit(engagement: Engagement, starts: datetime, mode: str, **fields: object) -> Visit:
    return Visit(engagement_id=engagement.id, expert_id=engagement.expert_id, municipality_code=TOWN,
                 starts_at=starts, duration_minutes=120, mode=mode, fiscal_year=fiscal_year_of(starts),
                 place="岩見沢市役所（北海道岩見沢市鳩が丘1-1-1）" if mode == "onsite" else "",
                 meeting_url="https://meet.example.jp/abc" if mode == "online" else "", **fields)


def build_engagement(officer: User, expert: ExpertProfile, issue: Issue, program: SupportProgram) -> World:
    this_month = today_jst().replace(day=1)
    engagement = Engagement(issue_id=issue.id, expert_id=expert.id, program_id=program.id,
                            start_on=this_month, end_on=plans.add_months(this_month, 4) - timedelta(days=1),
                            menu="accompaniment", stage_at_start="issue_definition")
    db.session.add(engagement)
    db.session.flush()
    future = [_visit(engagement, datetime.combine(business_day(plans.add_months(this_month, n)), time(14), JST),
                     mode, plan_month=n + 1)
              for n, mode in ((1, "onsite"), (2, "online"), (3, "online"))]
    yesterday = datetime.now(JST).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    now = utcnow()
    past = _visit(engagement, yesterday, "online", plan_month=1, status="confirmed", proposed_by="system",
                  town_confirmed_at=now - timedelta(days=3), expert_confirmed_at=now - timedelta(days=3))
    with transaction():
        db.session.add_all([*future, past])
        db.session.flush()
        plans.hold([*future, past], engagement)
    user = db.session.get(User, expert.user_id)
    return World(officer, user, expert, issue, engagement, future, past)


@pytest.fixture
def program(geo) -> SupportProgram:
    program = SupportProgram(code="advisor", name="地域情報化アドバイザー", max_onsite_visits_per_fy=5,
                             max_online_hours_per_fy=40, max_months=12, visits_per_month=1)
    db.session.add(program)
    db.session.commit()
    return program


@pytest.fixture
def world(make_user, make_issue, make_expert, program) -> World:
    officer = make_user("officer", municipality_code=TOWN, display_name="岩見沢 花子")
    issue = make_issue(status="engaged", title="スマート農業の導入", created_by_id=officer.id)
    expert = make_expert(monthly_capacity=3, display_name="ドローン 太郎")
    return build_engagement(officer, expert, issue, program)


def login(auth, user: User) -> None:
    auth.logout()
    response = auth.login(user.email)
    assert response.status_code in (302, 303)


def reload(model: type, pk: int):
    db.session.expire_all()
    return db.session.get(model, pk)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def visit_block(html: str, visit: Visit) -> str:
    start = html.index(f'id="visit-{visit.id}"')
    end = html.find('<li id="visit-', start + 1)
    return html[start:end if end != -1 else len(html)]


def report(client, visit: Visit, **fields: str):
    data = {"summary": "ドローン防除の実証計画を一緒に作りました。", "decisions": "来月に圃場を選ぶ。",
            "next_actions": "町: 農家への説明。外部人材: 見積の比較。", "hours": "1.5", "stage": "business_model"}
    data.update(fields)
    return client.post(f"/visits/{visit.id}/report", data=data)


# The engagement page

def test_the_engagement_page_shows_the_plan_for_both_sides(world, client, auth):
    for user in (world.officer, world.expert_user):
        login(auth, user)
        html = page(client, f"/engagements/{world.engagement.id}")
        assert "支援: スマート農業の導入" in html and "北海道岩見沢市" in html and "ドローン 太郎" in html
        assert "地域情報化アドバイザー" in html and "伴走支援" in html and "年度（" in html
        first = world.visits[0].starts_at.astimezone(JST)
        weekday = "月火水木金土日"[first.weekday()]
        assert f"{first.year}年{first.month}月{first.day}日（{weekday}）14:00–16:00（現地訪問）" in html
        assert "岩見沢市役所" in html and 'href="https://meet.example.jp/abc"' in html
        assert "市町村: <span class=\"visit-waiting\">未確認</span>" in visit_block(html, world.visits[0])


def test_the_dx_stage_progress_marks_the_start_and_the_current_step_in_text(world, client, auth):
    login(auth, world.expert_user)
    report(client, world.past, stage="product_planning")
    login(auth, world.officer)
    html = page(client, f"/engagements/{world.engagement.id}")
    current = re.search(r'<li class="stage-step[^"]*"\s+aria-current="step">\s*([^<]+)', html)
    assert current is not None and current.group(1).strip() == "iii プロダクト企画"
    assert "i 課題特定<span class=\"stage-mark\">（支援開始時）</span>" in html
    assert "（現在の段階）" in html


def test_a_joint_engagement_says_how_the_caps_are_counted(make_user, make_issue, make_expert, program, client, auth):
    officer = make_user("officer", municipality_code=TOWN)
    issue = make_issue(status="engaged", co_municipality_codes=("012068",), menu="joint")
    world = build_engagement(officer, make_expert(), issue, program)
    login(auth, officer)
    html = page(client, f"/engagements/{world.engagement.id}")
    assert "現地訪問は訪問先の市町村の上限に数え、オンラインの時間は連携する市町村で等分して数えます。" in html
    assert "北海道岩見沢市、北海道釧路市" in re.sub(r"<[^>]+>", "", html)
    assert '<a href="/municipalities/012106">北海道岩見沢市</a>、北海道釧路市' in html  # only the officer's own town


# Confirm, move, cancel

def test_both_sides_confirm_and_the_visit_is_shown_as_confirmed(world, client, auth):
    visit = world.visits[0]
    login(auth, world.officer)
    html = page(client, f"/engagements/{world.engagement.id}")
    assert "この日程を了承する（相手の確認で確定）" in visit_block(html, visit)
    client.post(f"/visits/{visit.id}/confirm")
    assert reload(Visit, visit.id).status == "proposed"
    login(auth, world.expert_user)
    assert "この日程で確定する" in visit_block(page(client, f"/engagements/{world.engagement.id}"), visit)
    response = client.post(f"/visits/{visit.id}/confirm", follow_redirects=True)
    assert "日程が確定しました" in response.get_data(as_text=True)
    assert reload(Visit, visit.id).status == "confirmed"
    block = visit_block(page(client, f"/engagements/{world.engagement.id}"), visit)
    assert ">確定</span>" in block and block.count("確認済み") == 2 and "未確認" not in block


def test_the_prefectures_coordinator_acts_for_the_town(world, make_user, client, auth):
    login(auth, make_user("coordinator", prefecture_code="01"))
    client.post(f"/visits/{world.visits[0].id}/confirm")
    visit = reload(Visit, world.visits[0].id)
    assert visit.town_confirmed_at is not None and visit.expert_confirmed_at is None
    assert "支援を完了する" in page(client, f"/engagements/{world.engagement.id}")


def test_a_moved_visit_waits_for_the_other_side_again(world, client, auth):
    visit = world.visits[1]
    new_day = business_day(visit.starts_at.astimezone(JST).date().replace(day=1), after=20)
    login(auth, world.expert_user)
    response = client.post(f"/visits/{visit.id}/move", data={
        "day-year": str(new_day.year), "day-month": str(new_day.month), "day-day": str(new_day.day),
        "start_time": "１０：３０", "note": "この週は出張のため、後半にずらせますか。",
        "meeting_url": "https://meet.example.jp/new"})
    assert response.status_code == 303
    moved = reload(Visit, visit.id)
    assert moved.starts_at == datetime.combine(new_day, time(10, 30), JST)
    assert (moved.status, moved.proposed_by, moved.town_confirmed_at is None) == ("proposed", "expert", True)
    login(auth, world.officer)
    block = visit_block(page(client, f"/engagements/{world.engagement.id}"), visit)
    assert "市町村: <span class=\"visit-waiting\">未確認</span>" in block
    assert "外部人材: <span class=\"visit-ok\">確認済み</span>" in block
    assert "この週は出張のため、後半にずらせますか。" in block and "（外部デジタル人材より）" in block
    assert "この日程で確定する" in block


@pytest.mark.parametrize(("parts", "message"), [
    (("2026", "2", "30"), "2026年2月30日は存在しない日付です"),
    (("2026", "", "3"), "日付は年・月・日をすべて入力してください"),
    (("令和8", "5", "13"), "年を西暦の4桁"),
    (("2020", "5", "13"), "すでに過ぎています"),
])
def test_a_bad_date_in_the_move_form_gets_a_japanese_message_and_nothing_is_written(world, client, auth,
                                                                                      parts, message):
    visit = world.visits[0]
    before = (visit.starts_at, visit.sequence, visit.status)
    login(auth, world.officer)
    response = client.post(f"/visits/{visit.id}/move", data={
        "day-year": parts[0], "day-month": parts[1], "day-day": parts[2], "start_time": "14:00", "note": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert 'id="error-summary"' in html and 'href="#day"' in html and 'aria-invalid="true"' in html
    moved = reload(Visit, visit.id)
    assert (moved.starts_at, moved.sequence, moved.status) == before


def test_moving_onto_another_visit_is_a_conflict_flashed_on_the_form_and_nothing_moves(world, client, auth):
    taken = world.visits[0].starts_at.astimezone(JST)
    visit = world.visits[1]
    login(auth, world.officer)
    path = f"/visits/{visit.id}/move"
    response = client.post(path, headers={"Referer": f"http://localhost{path}"}, data={
        "day-year": str(taken.year), "day-month": str(taken.month), "day-day": str(taken.day),
        "start_time": "15:00", "note": ""})
    assert response.status_code == 303 and response.headers["Location"] == path
    assert "別の訪問が入っています" in page(client, path)
    assert reload(Visit, visit.id).starts_at == visit.starts_at


def test_a_bad_time_in_the_move_form_is_refused_under_the_time(world, client, auth):
    login(auth, world.officer)
    day = world.visits[0].starts_at.astimezone(JST).date()
    response = client.post(f"/visits/{world.visits[0].id}/move", data={
        "day-year": str(day.year), "day-month": str(day.month), "day-day": str(day.day), "start_time": "25:00"})
    assert response.status_code == 422
    assert "開始時刻は「14:00」のように、0:00〜23:59の時刻で入力してください。" in response.get_data(as_text=True)


def test_a_visit_is_cancelled_with_a_reason_and_without_one_it_is_not(world, client, auth):
    visit = world.visits[2]
    login(auth, world.officer)
    assert "中止すると、元に戻せません" in page(client, f"/visits/{visit.id}/cancel")
    refused = client.post(f"/visits/{visit.id}/cancel", data={"reason": ""})
    assert refused.status_code == 422 and "中止の理由を入力してください。" in refused.get_data(as_text=True)
    assert reload(Visit, visit.id).status == "proposed"
    client.post(f"/visits/{visit.id}/cancel", data={"reason": "議会の日程と重なったため。"})
    assert reload(Visit, visit.id).status == "cancelled"
    block = visit_block(page(client, f"/engagements/{world.engagement.id}"), visit)
    assert ">中止</span>" in block and "議会の日程と重なったため。" in block and "別の日時を提案する" not in block


# Reports

def test_a_report_with_1000_hours_is_refused_under_the_hours_and_nothing_is_written(world, client, auth):
    login(auth, world.expert_user)
    html = page(client, f"/engagements/{world.engagement.id}")
    assert "報告を書く" in visit_block(html, world.past)
    response = report(client, world.past, hours="1000")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and HOURS_MESSAGE in html
    assert re.search(r'id="hours"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="hours"', html)
    assert f'<p class="error-text" id="hours-error">＊{HOURS_MESSAGE}</p>' in html
    assert db.session.scalar(select(func.count()).select_from(VisitReport)) == 0
    assert reload(Visit, world.past.id).status == "confirmed"


def test_a_report_is_filed_then_acknowledged_by_the_town(world, client, auth):
    login(auth, world.expert_user)
    assert report(client, world.past).status_code == 303
    assert reload(Visit, world.past.id).status == "done"
    login(auth, world.officer)
    block = visit_block(page(client, f"/engagements/{world.engagement.id}"), world.past)
    assert "ドローン防除の実証計画を一緒に作りました。" in block and "1.5時間" in block and "未確認" in block
    saved = db.session.scalars(select(VisitReport)).one()
    response = client.post(f"/reports/{saved.id}/acknowledge", follow_redirects=True)
    assert "報告を確認済みにしました" in response.get_data(as_text=True)
    assert reload(VisitReport, saved.id).acknowledged_by_id == world.officer.id
    block = visit_block(page(client, f"/engagements/{world.engagement.id}"), world.past)
    assert "確認済み（" in block and "この報告を確認済みにする" not in block


def test_the_town_asks_a_question_and_the_expert_answers_by_updating(world, client, auth):
    login(auth, world.expert_user)
    report(client, world.past)
    saved = db.session.scalars(select(VisitReport)).one()
    login(auth, world.officer)
    empty = client.post(f"/reports/{saved.id}/question", data={"question": ""})
    assert empty.status_code == 422 and "質問を入力してください。" in empty.get_data(as_text=True)
    client.post(f"/reports/{saved.id}/question", data={"question": "見積は何社から取りますか。"})
    assert reload(VisitReport, saved.id).question == "見積は何社から取りますか。"
    login(auth, world.expert_user)
    assert "報告を更新して質問に回答する" in page(client, f"/engagements/{world.engagement.id}")
    assert "見積は何社から取りますか。" in page(client, f"/visits/{world.past.id}/report")
    report(client, world.past, next_actions="3社から見積を取ります。")
    assert reload(VisitReport, saved.id).next_actions == "3社から見積を取ります。"


def test_a_future_visit_offers_no_report_and_refuses_one(world, client, auth):
    login(auth, world.expert_user)
    assert "報告を書く" not in visit_block(page(client, f"/engagements/{world.engagement.id}"), world.visits[0])
    response = client.get(f"/visits/{world.visits[0].id}/report", follow_redirects=True)
    assert "報告は、日程が確定した訪問の開始後に書けます。" in response.get_data(as_text=True)


# The engagement: complete, cancel, extend

def test_completing_the_engagement_closes_the_issue_and_cancels_the_rest(world, client, auth):
    login(auth, world.officer)
    assert "完了すると、元に戻せません" in page(client, f"/engagements/{world.engagement.id}/complete")
    refused = client.post(f"/engagements/{world.engagement.id}/complete", data={"rating": "9", "comment": "ありがとう"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "成果を選んでください。" in html and "評価は1から5の間で入力してください。" in html
    assert reload(Engagement, world.engagement.id).status == "active"
    response = client.post(f"/engagements/{world.engagement.id}/complete",
                           data={"outcome": "solved", "rating": "5", "comment": "とても助かりました。"})
    assert response.status_code == 303
    engagement = reload(Engagement, world.engagement.id)
    assert (engagement.status, engagement.outcome, engagement.rating) == ("completed", "solved", 5)
    assert db.session.get(Issue, world.issue.id).status == "closed"
    assert {v.status for v in engagement.visits if v.id != world.past.id} == {"cancelled"}
    html = page(client, f"/engagements/{world.engagement.id}")
    assert "解決した" in html and "5／5" in html and "とても助かりました。" in html and "支援を完了する" not in html


def test_either_side_cancels_the_engagement_with_a_reason(world, client, auth):
    login(auth, world.expert_user)
    refused = client.post(f"/engagements/{world.engagement.id}/cancel", data={"reason": ""})
    assert refused.status_code == 422 and "中止の理由を入力してください。" in refused.get_data(as_text=True)
    client.post(f"/engagements/{world.engagement.id}/cancel", data={"reason": "体調不良のため続けられません。"})
    engagement = reload(Engagement, world.engagement.id)
    assert engagement.status == "cancelled" and engagement.cancel_reason == "体調不良のため続けられません。"
    assert "体調不良のため続けられません。" in page(client, f"/engagements/{world.engagement.id}")


def test_the_town_extends_the_engagement_within_the_program(world, client, auth):
    login(auth, world.officer)
    before, end_on = db.session.scalar(select(func.count()).select_from(Visit)), world.engagement.end_on
    refused = client.post(f"/engagements/{world.engagement.id}/extend", data={"months": "20"})
    assert refused.status_code == 422 and "延長できるのはあと" in refused.get_data(as_text=True)
    assert client.post(f"/engagements/{world.engagement.id}/extend", data={"months": "二"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Visit)) == before
    response = client.post(f"/engagements/{world.engagement.id}/extend", data={"months": "1"})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Visit)) == before + 1
    assert reload(Engagement, world.engagement.id).end_on == plans.add_months(end_on.replace(day=1), 2) - timedelta(days=1)


def test_the_expert_is_not_offered_the_towns_forms_and_the_town_not_the_report(world, client, auth):
    login(auth, world.expert_user)
    html = page(client, f"/engagements/{world.engagement.id}")
    assert "支援を完了する" not in html and "支援を中止する" in html
    for path in (f"/engagements/{world.engagement.id}/complete", f"/engagements/{world.engagement.id}/extend"):
        assert client.get(path).status_code == 404
        assert client.post(path, data={"outcome": "solved", "rating": "5", "months": "1"}).status_code == 404
    assert reload(Engagement, world.engagement.id).status == "active"
    login(auth, world.officer)
    assert client.get(f"/visits/{world.past.id}/report").status_code == 404
    assert report(client, world.past).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(VisitReport)) == 0


# Lists and the schedule

def test_the_engagements_list_shows_counts_and_the_next_visit(world, client, auth):
    login(auth, world.officer)
    html = page(client, "/engagements")
    assert "スマート農業の導入" in html and "0回／4回" in html and "進行中の支援（1件）" in html
    first = world.visits[0].starts_at.astimezone(JST)
    assert f"{first.month}月{first.day}日（{'月火水木金土日'[first.weekday()]}）14:00" in html
    assert "終了した支援はまだありません。" in html
    login(auth, world.expert_user)
    assert "スマート農業の導入" in page(client, "/engagements")


def test_the_coordinator_filters_the_list_by_town(world, make_user, client, auth):
    login(auth, make_user("coordinator", prefecture_code="01"))
    assert "スマート農業の導入" in page(client, f"/engagements?town={TOWN}")
    assert "スマート農業の導入" not in page(client, "/engagements?town=012068")
    assert "スマート農業の導入" in page(client, "/engagements?town=041009")  # not in the prefecture: ignored


def test_the_schedule_lists_the_months_visits_in_the_calendar(world, client, auth):
    login(auth, world.expert_user)
    visit = world.visits[1]
    local = visit.starts_at.astimezone(JST)
    html = page(client, f"/schedule?month={local:%Y-%m}")
    assert f"<caption>{local.year}年{local.month}月の予定（1件）</caption>" in html
    table = html[html.index('<table class="table calendar">'):html.index("</table>", html.index("calendar"))]
    cell = table[table.index(f">{local.day}日"):]
    cell = cell[:cell.index("</td>")]
    assert "14:00–16:00 オンライン（日程調整中）" in cell
    assert f'href="/engagements/{world.engagement.id}#visit-{visit.id}"' in cell
    assert '<th scope="col">日<span class="visually-hidden">曜日</span></th>' in table
    assert f"前の月（{(local.replace(day=1) - timedelta(days=1)):%Y}年" in html and "次の月（" in html
    assert "これからの予定" in html and html.count(f"#visit-{world.visits[0].id}") == 1  # listed, not in this month


def test_a_bad_month_shows_this_month_with_a_message(world, client, auth):
    login(auth, world.expert_user)
    html = page(client, "/schedule?month=2026-13")
    assert "表示する月の指定が正しくないため、今月を表示しています。" in html
    assert f"{today_jst().year}年{today_jst().month}月の予定" in html


def test_the_officer_sees_the_towns_schedule(world, client, auth):
    login(auth, world.officer)
    local = world.visits[0].starts_at.astimezone(JST)
    assert "現地訪問（日程調整中）" in page(client, f"/schedule?month={local:%Y-%m}")


def test_the_expert_adds_and_removes_an_unavailable_day(world, client, auth):
    login(auth, world.expert_user)
    day = world.visits[0].starts_at.astimezone(JST).date()
    response = client.post("/schedule/unavailable", data={
        "day-year": str(day.year), "day-month": str(day.month), "day-day": str(day.day), "note": "学会"})
    assert response.status_code == 303
    row = db.session.scalars(select(UnavailableDay)).one()
    assert (row.expert_id, row.day, row.note) == (world.expert.id, day, "学会")
    html = page(client, "/schedule/unavailable")
    assert "学会" in html and "1件の訪問が入っています" in html
    client.post(f"/schedule/unavailable/{day.isoformat()}/remove")
    assert db.session.scalar(select(func.count()).select_from(UnavailableDay)) == 0


@pytest.mark.parametrize(("parts", "message"), [
    (("2026", "2", "30"), "2026年2月30日は存在しない日付です"),
    (("2020", "1", "6"), "過去の日付は登録できません"),
    (("", "", ""), "対応できない日を入力してください"),
])
def test_a_bad_unavailable_day_is_refused_and_nothing_is_written(world, client, auth, parts, message):
    login(auth, world.expert_user)
    response = client.post("/schedule/unavailable", data={
        "day-year": parts[0], "day-month": parts[1], "day-day": parts[2], "note": ""})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(UnavailableDay)) == 0


def test_unavailable_days_are_for_experts_only(world, client, auth):
    login(auth, world.officer)
    assert client.get("/schedule/unavailable").status_code == 403


# Access: another town, prefecture or expert gets 404 everywhere and nothing changes

ROUTES = [
    ("get", "/engagements/{e}"), ("get", "/engagements/{e}/complete"), ("post", "/engagements/{e}/complete"),
    ("get", "/engagements/{e}/cancel"), ("post", "/engagements/{e}/cancel"),
    ("get", "/engagements/{e}/extend"), ("post", "/engagements/{e}/extend"),
    ("post", "/visits/{v}/confirm"), ("get", "/visits/{v}/move"), ("post", "/visits/{v}/move"),
    ("get", "/visits/{v}/cancel"), ("post", "/visits/{v}/cancel"),
    ("get", "/visits/{p}/report"), ("post", "/visits/{p}/report"),
    ("post", "/reports/{r}/acknowledge"), ("get", "/reports/{r}/question"), ("post", "/reports/{r}/question"),
]


@pytest.fixture
def reported(world, client, auth) -> tuple[World, VisitReport]:
    login(auth, world.expert_user)
    report(client, world.past)
    auth.logout()
    return world, db.session.scalars(select(VisitReport)).one()


@pytest.mark.parametrize("outsider", [
    {"role": "officer", "municipality_code": "012068"},
    {"role": "officer", "municipality_code": "041009"},
    {"role": "coordinator", "prefecture_code": "04"},
    {"role": "expert"},
])
def test_someone_elses_engagement_looks_missing_on_every_route(reported, make_user, make_expert, client, auth,
                                                               outsider):
    world, saved = reported
    user = make_user(**outsider)
    if user.role == "expert":
        make_expert(user=user)
    login(auth, user)
    ids = {"e": world.engagement.id, "v": world.visits[0].id, "p": world.past.id, "r": saved.id}
    data = {"reason": "x", "outcome": "solved", "rating": "5", "months": "1", "question": "x", "summary": "x",
            "day-year": "2030", "day-month": "1", "day-day": "7", "start_time": "10:00"}
    for method, path in ROUTES:
        response = getattr(client, method)(path.format(**ids), data=data)
        assert response.status_code == 404, (method, path)
        assert "スマート農業の導入" not in response.get_data(as_text=True)
    assert "スマート農業の導入" not in page(client, "/engagements")
    assert "スマート農業の導入" not in page(client, "/schedule")
    engagement = reload(Engagement, world.engagement.id)
    assert engagement.status == "active" and {v.status for v in engagement.visits} == {"proposed", "done"}
    assert all(v.town_confirmed_at is None for v in engagement.visits if v.status == "proposed")
    saved = reload(VisitReport, saved.id)
    assert (saved.acknowledged_at, saved.question, saved.summary) == (None, "", "ドローン防除の実証計画を一緒に作りました。")


def _statements_of(client, path: str) -> int:
    from sqlalchemy import event

    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page(client, path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_schedule_page_issues_the_same_few_queries_however_many_visits_the_month_has(
        world, make_user, make_issue, make_expert, program, client, auth):
    month = world.visits[1].starts_at.astimezone(JST).date().replace(day=1)
    login(auth, world.expert_user)
    few = _statements_of(client, f"/schedule?month={month:%Y-%m}")
    for n in range(3):  # three more engagements of the same expert, ten visits each in that month
        issue = make_issue(status="engaged", title=f"課題{n}")
        engagement = Engagement(issue_id=issue.id, expert_id=world.expert.id, start_on=month, end_on=month,
                                stage_at_start="issue_definition")
        db.session.add(engagement)
        db.session.flush()
        db.session.add_all(_visit(engagement, datetime.combine(month.replace(day=day + 1), time(8 + n * 3), JST),
                                  "online") for day in range(10))
    db.session.commit()
    html = page(client, f"/schedule?month={month:%Y-%m}")
    assert f"{month.year}年{month.month}月の予定（31件）" in html and "課題2" in html
    assert _statements_of(client, f"/schedule?month={month:%Y-%m}") == few <= 8
