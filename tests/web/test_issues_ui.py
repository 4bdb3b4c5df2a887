"""The officer's journey through the issue pages: post, publish, edit, withdraw, history; who may see what."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from tests.web.conftest import PASSWORD
from web.extensions import db
from web.models import Engagement, Issue, Municipality, Prefecture, User, Visit, VisitReport

BODY = "紙の申請書が多く、窓口で住民を待たせている。職員も転記に追われている。"


def _form(**overrides):
    data = {"title": "書かない窓口を始めたい", "body": BODY, "sector": "resident_services", "stage": "issue_definition",
            "wanted_roles": ["project_manager"], "menu": "accompaniment", "mode": "hybrid", "months": "6",
            "save": "下書き保存"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _issue_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Issue))


def _reload(issue_id: int) -> Issue:
    db.session.expire_all()
    return db.session.get(Issue, issue_id)


@pytest.fixture
def officer(make_user, auth):
    user = make_user("officer", display_name="岩見沢 花子")
    auth.login(user.email)
    return user


# The journey

def test_officer_saves_a_draft_through_the_form(officer, client):
    response = client.post("/issues/new", data=_form(goal="待ち時間を半分にしたい", counterpart="市民課"))
    issue = db.session.scalars(select(Issue)).one()
    assert response.headers["Location"] == f"/issues/{issue.id}"
    assert (issue.status, issue.municipality_code, issue.created_by_id) == ("draft", "012106", officer.id)
    assert issue.goal == "待ち時間を半分にしたい" and issue.wanted_roles == {"project_manager"}
    assert "下書きとして保存しました" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_publish_button_publishes_a_new_issue_at_once(officer, client):
    client.post("/issues/new", data=_form(save=None, publish="公開する"))
    issue = db.session.scalars(select(Issue)).one()
    assert issue.status == "open" and issue.published_at is not None


def test_officer_publishes_a_draft_from_its_page(officer, client, make_issue):
    issue = make_issue(status="draft")
    assert "この課題を公開する" in client.get(f"/issues/{issue.id}").get_data(as_text=True)
    response = client.post(f"/issues/{issue.id}/publish", follow_redirects=True)
    assert "を公開しました" in response.get_data(as_text=True)
    assert _reload(issue.id).status == "open"


def test_officer_edits_an_issue_and_the_row_changes(officer, client, make_issue):
    issue = make_issue(status="open", wanted_roles=("engineer",))
    page = client.get(f"/issues/{issue.id}/edit").get_data(as_text=True)
    assert 'value="スマート農業の導入"' in page
    client.post(f"/issues/{issue.id}/edit", data=_form(title="スマート農業を広げたい", wanted_roles=["producer"],
                                                        co_municipality_codes=["012068"]))
    issue = _reload(issue.id)
    assert (issue.title, issue.status, issue.wanted_roles) == ("スマート農業を広げたい", "open", {"producer"})
    assert issue.co_municipality_codes == {"012068"}


def test_saving_a_draft_with_the_publish_button_opens_it(officer, client, make_issue):
    issue = make_issue(status="draft")
    assert "保存して公開する" in client.get(f"/issues/{issue.id}/edit").get_data(as_text=True)
    client.post(f"/issues/{issue.id}/edit", data=_form(save=None, publish="保存して公開する"))
    assert _reload(issue.id).status == "open"


def test_withdrawing_asks_first_and_then_withdraws(officer, client, make_issue):
    issue = make_issue(status="open")
    page = client.get(f"/issues/{issue.id}/withdraw").get_data(as_text=True)
    assert "取り下げると、元に戻せません" in page and _reload(issue.id).status == "open"
    client.post(f"/issues/{issue.id}/withdraw")
    assert _reload(issue.id).status == "withdrawn"


def test_withdrawn_issue_offers_no_edit_and_refuses_it(officer, client, make_issue):
    issue = make_issue(status="withdrawn")
    assert "この課題を編集する" not in client.get(f"/issues/{issue.id}").get_data(as_text=True)
    response = client.post(f"/issues/{issue.id}/edit", data=_form(title="こっそり変更する"), follow_redirects=True)
    assert "「取り下げ」の課題は編集できません" in response.get_data(as_text=True)
    assert _reload(issue.id).title == "スマート農業の導入"


def test_publishing_a_closed_issue_gets_a_japanese_message(officer, client, make_issue):
    issue = make_issue(status="closed")
    response = client.post(f"/issues/{issue.id}/publish", follow_redirects=True)
    assert "「完了」から「公開中」に変更することはできません" in response.get_data(as_text=True)


def test_coordinator_posts_for_a_town_of_their_prefecture(make_user, auth, client):
    auth.login(make_user("coordinator", prefecture_code="01").email)
    assert '<optgroup label="釧路総合振興局">' in client.get("/issues/new").get_data(as_text=True)
    client.post("/issues/new", data=_form(municipality_code="012068"))
    assert db.session.scalars(select(Issue)).one().municipality_code == "012068"


# Bad input through the real form: a Japanese message on the page and no row written

@pytest.mark.parametrize("overrides, message", [
    ({"title": "", "body": ""}, "課題名を入力してください"),
    ({"title": "あ" * 81}, "課題名は80文字以内で入力してください（現在81文字）"),
    ({"body": "<script>alert(1)</script>" + BODY}, "現状と困っていることにHTMLタグは使えません"),
    ({"co_municipality_codes": ["999999"]}, "団体コード「999999」の市町村は登録されていません"),
    ({"co_municipality_codes": ["041009"]}, "仙台市は別の都道府県です"),
    ({"sector": "space"}, "分野の値「space」は選べません"),
    ({"stage": None, "wanted_roles": None}, "DXの段階を選んでください"),
    ({"months": "十二"}, "支援期間（月数）は半角数字で入力してください"),
])
def test_bad_input_is_shown_under_the_field_and_nothing_is_written(officer, client, overrides, message):
    response = client.post("/issues/new", data=_form(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert 'id="error-summary"' in page and 'aria-invalid="true"' in page
    assert "<script>alert(1)</script>" not in page
    assert _issue_count() == 0


def test_full_width_months_are_stored_as_a_number(officer, client):
    client.post("/issues/new", data=_form(months="１０"))
    assert db.session.scalars(select(Issue)).one().months == 10


def test_bad_edit_leaves_the_issue_as_it_was(officer, client, make_issue):
    issue = make_issue(status="open")
    response = client.post(f"/issues/{issue.id}/edit", data=_form(title="あ" * 81, sector="space"))
    assert "80文字以内" in response.get_data(as_text=True)
    assert (_reload(issue.id).title, _reload(issue.id).sector) == ("スマート農業の導入", "agriculture")


def test_officer_cannot_post_for_another_town(officer, client):
    client.post("/issues/new", data=_form(municipality_code="012068"))
    assert db.session.scalars(select(Issue)).one().municipality_code == "012106"


# What the form offers

def test_stage_advice_is_on_the_page_without_script(officer, client):
    page = client.get("/issues/new").get_data(as_text=True)
    assert "課題特定の段階では、プロデューサーまたはプロジェクトマネージャーが向いています。" in page
    assert "各プロジェクトを企画・推進する" in page  # the skill standard's role definition


def test_co_owner_choices_put_the_own_subprefecture_first_and_fold_the_others(officer, client):
    db.session.add(Municipality(code="012157", name="美唄市", kana="びばいし", prefecture_code="01",
                                subprefecture="空知総合振興局"))
    db.session.commit()
    page = client.get("/issues/new").get_data(as_text=True)
    assert page.index("美唄市") < page.index("<details") < page.index("釧路市")
    assert 'value="012106"' not in page and "仙台市" not in page


# Access

@pytest.fixture
def foreign_issue(make_issue):
    return make_issue(status="draft", title="よその町の秘密の課題")


@pytest.mark.parametrize("user", [
    {"role": "officer", "municipality_code": "041009"},
    {"role": "officer", "municipality_code": "012068"},
    {"role": "coordinator", "prefecture_code": "04"},
    {"role": "expert"},
])
@pytest.mark.parametrize("method, path", [
    ("get", "/issues/{}"), ("get", "/issues/{}/edit"), ("post", "/issues/{}/edit"),
    ("post", "/issues/{}/publish"), ("get", "/issues/{}/withdraw"), ("post", "/issues/{}/withdraw"),
])
def test_an_issue_that_is_not_yours_looks_missing(make_user, auth, client, foreign_issue, user, method, path):
    auth.login(make_user(**user).email)
    response = getattr(client, method)(path.format(foreign_issue.id), data=_form())
    assert response.status_code == 404
    assert "よその町の秘密の課題" not in response.get_data(as_text=True)
    assert _reload(foreign_issue.id).status == "draft"


def test_lists_show_only_your_towns_issues(officer, client, make_issue):
    make_issue(municipality_code="041009", title="仙台の課題")
    make_issue(title="岩見沢の課題")
    for path in ("/issues/", "/issues/history"):
        page = client.get(path).get_data(as_text=True)
        assert "岩見沢の課題" in page and "仙台の課題" not in page


def test_expert_reads_an_open_issue_without_edit_actions(make_user, auth, client, make_issue):
    issue = make_issue(status="open")
    auth.login(make_user("expert").email)
    page = client.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "スマート農業の導入" in page and "この課題を編集する" not in page and "取り下げる" not in page


def test_co_owner_town_reads_and_edits_the_joint_issue(make_user, auth, client, make_issue):
    joint = make_issue(municipality_code="012068", menu="joint", co_municipality_codes=["012106"])
    auth.login(make_user("officer", municipality_code="012106").email)
    assert "この課題を編集する" in client.get(f"/issues/{joint.id}").get_data(as_text=True)
    client.post(f"/issues/{joint.id}/edit", data=_form(menu="joint", co_municipality_codes=["012106"]))
    assert _reload(joint.id).title == "書かない窓口を始めたい"
    assert _reload(joint.id).municipality_code == "012068"


@pytest.mark.parametrize("path", ["/issues/", "/issues/new", "/issues/history", "/issues/1",
                                  "/issues/1/edit"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# Filters and history

def test_list_filters_by_status(officer, client, make_issue):
    make_issue(status="draft", title="下書きの課題")
    make_issue(status="open", title="公開中の課題")
    page = client.get("/issues/?status=draft").get_data(as_text=True)
    assert "下書きの課題" in page and "公開中の課題" not in page


def test_history_lists_withdrawn_and_closed_issues_by_fiscal_year(officer, client, make_issue):
    make_issue(status="withdrawn", title="取り下げた課題", created_at=datetime(2025, 3, 31, 15, tzinfo=UTC))
    make_issue(status="closed", title="終わった課題", created_at=datetime(2025, 3, 1, tzinfo=UTC))
    page = client.get("/issues/history").get_data(as_text=True)
    assert "取り下げた課題" in page and "終わった課題" in page
    # 2025-04-01 00:00 in Japan belongs to 令和7年度; 2025-03-01 to 令和6年度.
    fy2025, fy2024 = page.index('id="fy-2025">令和7年度'), page.index('id="fy-2024">令和6年度')
    assert fy2025 < page.index("取り下げた課題") < fy2024 < page.index("終わった課題")


def test_history_shows_who_helped_and_what_came_of_it(officer, client, make_issue, make_expert):
    issue = make_issue(status="engaged")
    expert = make_expert(display_name="札幌 一郎")
    engagement = Engagement(issue_id=issue.id, expert_id=expert.id, start_on=date(2026, 4, 1),
                            end_on=date(2026, 9, 30))
    visit = Visit(engagement=engagement, starts_at=datetime(2026, 5, 1, 1, tzinfo=UTC), mode="onsite",
                  status="done", fiscal_year=2026, expert_id=expert.id, municipality_code=issue.municipality_code)
    db.session.add_all([engagement, visit, VisitReport(visit=visit, summary="防除計画の見直し案を作成した。")])
    db.session.commit()
    page = client.get("/issues/history").get_data(as_text=True)
    assert "札幌 一郎" in page and "1回" in page and "防除計画の見直し案を作成した。" in page


# CSRF

def _add_officer_to_empty_db() -> str:
    db.session.add(Prefecture(code="01", name="北海道", kana="ほっかいどう", region="北海道"))
    db.session.add(Municipality(code="012106", name="岩見沢市", kana="いわみざわし", prefecture_code="01"))
    user = User(email="csrf@example.jp", role="officer", display_name="職員", municipality_code="012106")
    user.set_password(PASSWORD, method="pbkdf2:sha256:1000")
    db.session.add(user)
    db.session.commit()
    return user.email


def test_new_issue_form_needs_its_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        email = _add_officer_to_empty_db()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert 'name="csrf_token"' in client.get("/issues/new").get_data(as_text=True)
    assert client.post("/issues/new", data=_form()).status_code == 400
    with app.app_context():
        assert _issue_count() == 0
