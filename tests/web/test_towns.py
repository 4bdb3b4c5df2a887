"""The per-town figures and a town's record, against the hand-counted world of tests/web/towns_world.py
(every expected number is counted there by hand), on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.web import towns_world as world_module
from tests.web.towns_world import FY, HAKODATE, IWAMIZAWA, KUSHIRO, SENDAI
from web.extensions import db
from web.services.errors import NotFound
from web.services.progress import towns
from web.services.progress.scope import ProgressFilters

towns_world = world_module.towns_world  # the fixture


def figures(user, **filters):
    rows = towns.town_figures(user, ProgressFilters(**{"prefecture_code": "01", "fiscal_year": FY, **filters}))
    return {row.code: row for row in rows}


@pytest.fixture
def coordinator(towns_world, make_user):
    return make_user("coordinator", prefecture_code="01")


def test_the_prefectures_towns_are_listed_with_their_region_and_no_other_prefecture(coordinator):
    rows = figures(coordinator)
    assert sorted(rows) == [HAKODATE, KUSHIRO, IWAMIZAWA]
    assert rows[IWAMIZAWA].subprefecture == "空知総合振興局"
    assert rows[IWAMIZAWA].code5 == "01210"


def test_open_issues_count_open_and_matching_issues_in_owning_and_co_owning_towns(coordinator):
    rows = figures(coordinator)
    assert (rows[IWAMIZAWA].open_issues, rows[KUSHIRO].open_issues, rows[HAKODATE].open_issues) == (3, 1, 0)


def test_the_sector_filter_narrows_open_issues_and_engagements(coordinator):
    rows = figures(coordinator, sector="tourism")
    assert (rows[IWAMIZAWA].open_issues, rows[KUSHIRO].open_issues) == (1, 0)
    assert (rows[IWAMIZAWA].active_engagements, rows[KUSHIRO].active_engagements) == (0, 1)


def test_active_engagements_count_a_joint_issues_engagement_in_each_of_its_towns(coordinator):
    rows = figures(coordinator)
    assert (rows[IWAMIZAWA].active_engagements, rows[KUSHIRO].active_engagements,
            rows[HAKODATE].active_engagements) == (1, 2, 0)


def test_the_program_filter_narrows_engagements_and_the_cap_ledger(coordinator, towns_world):
    rows = figures(coordinator, program_id=towns_world.p.id)
    assert (rows[IWAMIZAWA].active_engagements, rows[KUSHIRO].active_engagements) == (1, 1)
    assert (rows[IWAMIZAWA].onsite_used, rows[IWAMIZAWA].onsite_cap) == (1, 3)
    rows = figures(coordinator, program_id=towns_world.q.id)
    assert (rows[IWAMIZAWA].onsite_used, rows[IWAMIZAWA].onsite_cap, rows[IWAMIZAWA].cap_usage) == (2, None, None)


def test_cap_figures_sum_the_towns_programs_of_the_fiscal_year(coordinator):
    town = figures(coordinator)[IWAMIZAWA]
    assert (town.onsite_used, town.onsite_reserved, town.onsite_cap) == (3, 1, 3)
    assert (town.online_used_minutes, town.online_reserved_minutes, town.online_cap_minutes) == (60, 120, 600)


def test_cap_usage_is_the_larger_share_of_the_capped_rows_and_none_without_a_cap(coordinator):
    rows = figures(coordinator)
    assert rows[IWAMIZAWA].cap_usage == pytest.approx(2 / 3)  # on-site (1 + 1) / 3; the uncapped program is left out
    assert rows[KUSHIRO].cap_usage == 1.0
    assert rows[HAKODATE].cap_usage is None
    assert (rows[HAKODATE].onsite_used, rows[HAKODATE].onsite_cap) == (0, None)


def test_the_previous_fiscal_year_has_its_own_cap_figures_but_the_same_current_counts(coordinator):
    rows = figures(coordinator, fiscal_year=FY - 1)
    assert (rows[IWAMIZAWA].onsite_used, rows[IWAMIZAWA].cap_usage) == (3, 1.0)
    assert rows[KUSHIRO].cap_usage is None
    assert rows[IWAMIZAWA].open_issues == 3  # open issues and active engagements are the state now


def test_the_region_filter_keeps_only_its_towns(coordinator):
    assert sorted(figures(coordinator, subprefecture="釧路総合振興局")) == [KUSHIRO]


def test_an_officer_gets_only_their_own_town_and_another_prefecture_is_refused(towns_world, make_user):
    officer = make_user("officer", municipality_code=KUSHIRO)
    rows = figures(officer)
    assert list(rows) == [KUSHIRO]
    assert (rows[KUSHIRO].open_issues, rows[KUSHIRO].active_engagements) == (1, 2)
    with pytest.raises(NotFound):
        figures(make_user("coordinator", prefecture_code="04"))


def test_an_admin_sees_any_prefecture(towns_world, make_user):
    rows = towns.town_figures(make_user("admin"), ProgressFilters("04", FY))
    assert [(r.code, r.open_issues, r.active_engagements, r.onsite_used) for r in rows] == [(SENDAI, 1, 1, 1)]


def test_the_figures_take_four_statements_however_many_towns_and_issues(coordinator, make_issue):
    def count() -> int:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            figures(coordinator)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    before = count()
    for n in range(5):
        make_issue(title=f"追加の課題{n}", municipality_code=HAKODATE)
    assert count() == before
    assert figures(coordinator)[HAKODATE].open_issues == 5


@pytest.mark.parametrize(("metric", "value", "expected"), [
    ("open_issues", 0, 0), ("open_issues", 1, 1), ("open_issues", 4, 2), ("open_issues", 5, 3),
    ("open_issues", 10, 4), ("cap_usage", None, 0), ("cap_usage", 0.49, 1), ("cap_usage", 0.5, 2),
    ("cap_usage", 0.8, 3), ("cap_usage", 1.0, 4),
])
def test_each_value_falls_in_its_legend_class(metric, value, expected):
    assert towns.class_of(metric, value) == expected


# ------------------------------------------------------------------ a town's record


def test_the_towns_record_lists_its_own_and_co_owned_issues_of_every_status(coordinator):
    record = towns.municipality_record(coordinator, IWAMIZAWA)
    titles = {i.title for i in record.issues}
    assert titles == {"課題1 スマート農業", "課題2 観光DX", "課題3 連携の農業データ", "課題4 釧路の連携", "課題5 下書き",
                      "課題6 終わった課題"}
    joint = {i.title: (i.joint, i.owner_name) for i in record.issues}
    assert joint["課題4 釧路の連携"] == (True, "釧路市")
    assert joint["課題1 スマート農業"] == (False, "岩見沢市")


def test_the_towns_engagements_carry_visit_and_report_counts_and_the_stage_now(coordinator):
    record = towns.municipality_record(coordinator, IWAMIZAWA)
    by_title = {e.issue_title: e for e in record.engagements}
    assert set(by_title) == {"課題3 連携の農業データ", "課題6 終わった課題"}
    e1 = by_title["課題3 連携の農業データ"]
    assert (e1.visits_done, e1.visits_planned, e1.visits_cancelled, e1.reports) == (2, 1, 1, 2)
    assert (e1.stage_at_start, e1.stage_now, e1.status) == ("issue_definition", "product_planning", "active")
    e2 = by_title["課題6 終わった課題"]
    assert (e2.visits_done, e2.reports, e2.stage_now, e2.outcome) == (1, 0, None, "solved")


def test_the_towns_reports_are_every_report_of_its_engagements_newest_first(coordinator):
    record = towns.municipality_record(coordinator, KUSHIRO)
    assert [r.summary for r in record.reports] == ["要件の整理。", "観光アプリの試作。", "初回の現状把握。"]


def test_the_cap_ledger_is_listed_for_every_fiscal_year(coordinator):
    record = towns.municipality_record(coordinator, IWAMIZAWA)
    assert [(c.fiscal_year, c.program_name, c.onsite_used, c.onsite_cap) for c in record.caps] == [
        (FY, "地域情報化アドバイザー", 1, 3), (FY, "県の伴走支援", 2, None), (FY - 1, "地域情報化アドバイザー", 3, 3)]
    assert record.caps[0].cap_usage == pytest.approx(2 / 3)
    assert record.caps[1].cap_usage is None


def test_an_empty_town_has_an_empty_record(coordinator):
    record = towns.municipality_record(coordinator, HAKODATE)
    assert (len(record.issues), record.engagements, record.reports, record.caps) == (1, [], [], [])


@pytest.mark.parametrize("code", ["abc", "01210", "0121060", "999999", "０１２１０６", ""])
def test_a_malformed_or_unknown_code_is_not_found(coordinator, code):
    with pytest.raises(NotFound):
        towns.municipality_record(coordinator, code)
