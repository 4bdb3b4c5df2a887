"""The map page and the municipality page through the test client: who may open them (404 for other prefectures
and towns), what they show (hand-counted figures of tests/web/towns_world.py), bad input (400 / 404, never 500)
and a number of SQL statements that does not grow with the data; the engagement page's progress for the officer,
the expert and the coordinator."""
from __future__ import annotations

import csv
import json
import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import event

from scripts import split_geo
from tests.web import towns_world as world_module
from tests.web.conftest import PASSWORD
from tests.web.towns_world import FY, HAKODATE, IWAMIZAWA, KUSHIRO, SENDAI
from web.extensions import db
from web.models import User

towns_world = world_module.towns_world  # the fixture

CREDIT = "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成"


def login(client, user: User) -> None:
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def table_row(html: str, code: str) -> str:
    match = re.search(rf'<tr data-code5="{code[:5]}".*?</tr>', html, re.DOTALL)
    assert match, f"no row for {code}"
    return text(match.group(0))


@pytest.fixture
def coordinator(towns_world, make_user):
    return make_user("coordinator", prefecture_code="01")


def test_the_coordinator_sees_the_map_with_a_table_row_per_town_and_the_credit_line(coordinator, client):
    login(client, coordinator)
    response = client.get(f"/coordinator/map?fiscal_year={FY}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert CREDIT in html and "スマートニュース" in html
    assert 'src="/static/vendor/d3-geo/d3-geo.min.js"' in html
    assert 'data-topology="/static/geo/towns/01.topojson.json"' in html
    assert re.findall(r'<tr data-code5="(\d+)"', html) == ["01202", "01206", "01210"]
    iwamizawa = table_row(html, IWAMIZAWA)
    assert "岩見沢市 空知総合振興局 区分2（3件） 3件 1件 3回・1回／3回 60分・120分／600分 67%" in iwamizawa
    assert "函館市 渡島総合振興局 区分0（0件） 0件 0件 0回・0回／上限なし 0分・0分／上限なし 上限なし" in table_row(
        html, HAKODATE)


def test_each_town_links_to_its_municipality_page_from_the_table_and_the_map_data(coordinator, client):
    login(client, coordinator)
    html = client.get("/coordinator/map").get_data(as_text=True)
    for code in (IWAMIZAWA, KUSHIRO, HAKODATE):
        assert f'data-url="/municipalities/{code}"' in html
        assert f'<a href="/municipalities/{code}">' in html


def test_the_metric_control_switches_the_classes_and_the_legend_in_text(coordinator, client):
    login(client, coordinator)
    html = client.get(f"/coordinator/map?metric=cap_usage&fiscal_year={FY}").get_data(as_text=True)
    assert re.search(r'<input type="radio" id="metric-cap_usage" name="metric" value="cap_usage" checked>', html)
    assert '<label for="metric-cap_usage">上限の使用率</label>' in html
    assert "区分4（100%）" in table_row(html, KUSHIRO)
    assert "区分2（67%）" in table_row(html, IWAMIZAWA)
    assert "区分0（上限なし）" in table_row(html, HAKODATE)
    page = text(html)
    assert "区分4: 100%（上限に達した）（紺に白の格子、1市町村）" in page
    assert "上限なし・台帳なしが1市町村" in page and "最も多いのは釧路市（100%）、岩見沢市（67%）です。" in page


def test_active_engagements_count_the_joint_issue_in_both_towns_on_the_map(coordinator, client):
    login(client, coordinator)
    html = client.get("/coordinator/map?metric=active_engagements").get_data(as_text=True)
    assert "区分1（1件）" in table_row(html, IWAMIZAWA)
    assert "区分2（2件）" in table_row(html, KUSHIRO)


def test_the_region_filter_keeps_its_towns_and_offers_every_region(coordinator, client):
    login(client, coordinator)
    html = client.get("/coordinator/map?subprefecture=釧路総合振興局").get_data(as_text=True)
    assert re.findall(r'<tr data-code5="(\d+)"', html) == ["01206"]
    assert '<option value="空知総合振興局">' in html and '<option value="釧路総合振興局" selected>' in html


def test_an_admin_chooses_the_prefecture(towns_world, make_user, client):
    login(client, make_user("admin"))
    html = client.get("/coordinator/map?prefecture_code=04").get_data(as_text=True)
    assert re.findall(r'<tr data-code5="(\d+)"', html) == ["04100"]
    assert '<option value="04" selected>宮城県</option>' in html


def test_an_admin_opens_the_map_before_any_issue_exists(make_user, client):
    login(client, make_user("admin"))
    html = client.get("/coordinator/map").get_data(as_text=True)
    assert "北海道の市町村の地図" in html
    assert re.findall(r'<tr data-code5="(\d+)"', html) == ["01206", "01210"]


@pytest.mark.parametrize("role", ["officer", "expert"])
def test_the_map_is_not_for_officers_or_experts(towns_world, make_user, client, role):
    login(client, make_user(role))
    assert client.get("/coordinator/map").status_code == 403


def test_the_map_needs_a_login(towns_world, client):
    response = client.get("/coordinator/map")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("query", ["prefecture_code=04", "prefecture_code=zz", "municipality_code=041009",
                                   "municipality_code=999999"])
def test_another_prefecture_or_town_on_the_map_is_not_found(coordinator, client, query):
    login(client, coordinator)
    assert client.get(f"/coordinator/map?{query}").status_code == 404


@pytest.mark.parametrize(("query", "message"), [
    ("metric=bogus", "表示する数値は「未解決の課題」「支援中の案件」「上限の使用率」から選んでください。"),
    ("fiscal_year=abc", "年度は半角数字で指定してください。"),
    ("fiscal_year=1999", "年度は2000年度から2100年度の範囲で指定してください。"),
    ("sector=%3Cscript%3E", "分野は一覧から選んでください。"),
    ("program_id=99999", "支援制度は一覧から選んでください。"),
])
def test_bad_map_arguments_get_a_japanese_400(coordinator, client, query, message):
    login(client, coordinator)
    response = client.get(f"/coordinator/map?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def count_statements(client, url: str) -> int:
    seen: list[str] = []

    def listener(*args: object) -> None:
        seen.append(str(args[2]))

    db.session.expire_all()  # the test shares the request's session: start each page from an empty identity map
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_the_pages_statements_do_not_grow_with_issues_engagements_and_reports(coordinator, client, make_issue):
    login(client, coordinator)
    count_statements(client, f"/municipalities/{IWAMIZAWA}")  # warm: the towns' closure days are read once
    before = (count_statements(client, "/coordinator/map"), count_statements(client, f"/municipalities/{IWAMIZAWA}"))
    for n in range(6):
        make_issue(title=f"追加{n}", co_municipality_codes=(KUSHIRO,))
    after = (count_statements(client, "/coordinator/map"), count_statements(client, f"/municipalities/{IWAMIZAWA}"))
    assert after == before
    assert before[0] <= 12 and before[1] <= 14  # the town page adds the progress status of its engagements


# ------------------------------------------------------------------ the municipality page


def test_the_municipality_page_shows_issues_engagements_reports_and_caps_across_years(coordinator, client):
    login(client, coordinator)
    response = client.get(f"/municipalities/{IWAMIZAWA}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = text(html)
    assert "北海道岩見沢市の記録" in page
    assert "課題 6件" in page and "支援 2件" in page and "訪問の報告 2件" in page and "上限の台帳 3件" in page
    assert "課題4 釧路の連携 連携" in page and "課題5 下書き" in page
    assert "実施2回・予定1回・中止1回 2件 i 課題特定 → iii プロダクト企画" in page
    # Active engagements carry the dashboard's progress status (in words, not by colour alone).
    assert any(label in page for label in ("順調", "要注意", "停滞"))
    assert "令和8年度（2026年度） 地域情報化アドバイザー 1回・1回／3回 60分・120分／600分 67%" in page
    assert "令和8年度（2026年度） 県の伴走支援 2回・0回／上限なし 0分・0分／上限なし 上限なし" in page
    assert "令和7年度（2025年度） 地域情報化アドバイザー 3回・0回／3回" in page
    assert "要件の整理。" in page and "初回の現状把握。" in page and "観光アプリの試作。" not in page
    assert 'href="/coordinator/map?prefecture_code=01"' in html


def test_the_towns_officer_opens_their_own_page_but_not_a_neighbours(towns_world, make_user, client):
    login(client, make_user("officer", municipality_code=KUSHIRO))
    page = text(client.get(f"/municipalities/{KUSHIRO}").get_data(as_text=True))
    assert "北海道釧路市の記録" in page and "観光アプリの試作。" in page
    assert "地図に戻る" not in page
    assert client.get(f"/municipalities/{IWAMIZAWA}").status_code == 404


def test_the_officer_menu_links_to_the_towns_record(towns_world, make_user, client):
    login(client, make_user("officer", municipality_code=KUSHIRO))
    html = client.get("/").get_data(as_text=True)
    assert f'<a href="/municipalities/{KUSHIRO}" >まちの記録</a>' in html


@pytest.mark.parametrize(("role", "scope", "code", "status"), [
    ("coordinator", {"prefecture_code": "04"}, IWAMIZAWA, 404),
    ("coordinator", {"prefecture_code": "04"}, SENDAI, 200),
    ("coordinator", {"prefecture_code": "01"}, SENDAI, 404),
    ("officer", {"municipality_code": SENDAI}, SENDAI, 200),
    ("officer", {"municipality_code": SENDAI}, KUSHIRO, 404),
    ("expert", {}, IWAMIZAWA, 404),
    ("admin", {}, IWAMIZAWA, 200),
    ("admin", {}, SENDAI, 200),
])
def test_the_municipality_page_is_for_its_prefectures_coordinator_its_officers_and_admins(
        towns_world, make_user, client, role, scope, code, status):
    login(client, make_user(role, **scope))
    assert client.get(f"/municipalities/{code}").status_code == status


@pytest.mark.parametrize("code", ["abc", "01210", "0121060", "999999", "%E5%B2%A9%E8%A6%8B%E6%B2%A2",
                                  "-12106", "１２３４５６", "012106%20"])
def test_a_bad_municipality_code_is_not_found_never_a_server_error(coordinator, client, code):
    login(client, coordinator)
    assert client.get(f"/municipalities/{code}").status_code == 404


def test_a_nul_in_the_code_is_refused_by_the_input_boundary_as_a_400(coordinator, client):
    login(client, coordinator)
    assert client.get("/municipalities/012106%00").status_code == 400


def test_the_municipality_page_needs_a_login(towns_world, client):
    assert client.get(f"/municipalities/{IWAMIZAWA}").status_code == 302


# ------------------------------------------------------------------ the engagement page's progress


@pytest.mark.parametrize("who", ["officer", "expert", "coordinator"])
def test_the_engagement_page_shows_the_stage_history_and_every_report_to_each_side(
        towns_world, make_user, client, who):
    e1 = towns_world.engagements["e1"]
    user = {"officer": lambda: make_user("officer", municipality_code=IWAMIZAWA),
            "expert": lambda: towns_world.expert_users[0],
            "coordinator": lambda: make_user("coordinator", prefecture_code="01")}[who]()
    login(client, user)
    response = client.get(f"/engagements/{e1.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = text(html)
    assert "支援開始時: i 課題特定／現在: iii プロダクト企画。 支援開始時から2段階進みました。" in page
    assert re.search(r"2026年4月1日（水） 支援開始時 i 課題特定 — "
                     r"2026年4月20日（月） 訪問の報告 ii ビジネスモデル企画 段階が変わりました "
                     r"2026年5月20日（水） 訪問の報告 iii プロダクト企画 段階が変わりました", page)
    assert "2件（市町村の確認待ち2件）" in page
    assert page.count("訪問の報告（") == 2  # both reports in full on the same screen
    assert "初回の現状把握。" in page and "要件の整理。" in page
    towns_linked = re.findall(r'<a href="/municipalities/(\d+)">', html)
    expected = {"officer": [IWAMIZAWA], "expert": [], "coordinator": [IWAMIZAWA, KUSHIRO]}[who]
    assert towns_linked == expected


def test_an_engagement_without_staged_reports_says_so(towns_world, make_user, client):
    login(client, make_user("coordinator", prefecture_code="01"))
    page = text(client.get(f"/engagements/{towns_world.engagements['e2'].id}").get_data(as_text=True))
    assert "DXの段階を記録した報告はまだありません。" in page
    assert "訪問の報告 まだありません" in page


# ------------------------------------------------------------------ the boundary files


ROOT = Path(__file__).resolve().parents[2]


def test_every_demo_town_has_a_boundary_in_its_prefectures_file():
    with (ROOT / "seed_data" / "municipalities.csv").open(encoding="utf-8") as handle:
        towns = list(csv.DictReader(handle))
    missing = []
    for prefecture in sorted({t["prefecture_code"] for t in towns}):
        topology = json.loads((ROOT / "web/static/geo/towns" / f"{prefecture}.topojson.json").read_text("utf-8"))
        codes = {g["properties"]["code"] for g in topology["objects"]["towns"]["geometries"]}
        missing += [t["name"] for t in towns if t["prefecture_code"] == prefecture and t["code"][:5] not in codes]
    assert missing == []


@pytest.mark.skipif(not split_geo.DEFAULT_SOURCE.exists(), reason="the shared boundary file is not on this machine")
def test_the_committed_boundary_files_are_what_the_script_makes_from_the_source():
    made = split_geo.split(json.loads(split_geo.DEFAULT_SOURCE.read_text(encoding="utf-8")))
    assert len(made) == 47
    for prefecture in ("01", "04", "05"):
        committed = json.loads((ROOT / "web/static/geo/towns" / f"{prefecture}.topojson.json").read_text("utf-8"))
        assert committed == json.loads(json.dumps(made[prefecture]))
