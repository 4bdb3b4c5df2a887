"""Every dashboard figure against the hand-counted world (tests/web/progress_world.py), on SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask

from tests.web import progress_world as world_module
from tests.web.progress_world import IWAMIZAWA, KUSHIRO, TODAY, ProgressWorld
from web.models import User
from web.services.errors import NotFound
from web.services.progress.common import summarise
from web.services.progress.dashboard import Dashboard, build_dashboard
from web.services.progress.engagement_progress import engagement_progress
from web.services.progress.scope import ProgressFilters, parse_filters

progress_world = world_module.progress_world  # the fixture, by name


def board(user: User, **args: str) -> Dashboard:
    return build_dashboard(user, parse_filters(user, {"fiscal_year": "2026", **args}), today=TODAY)


def by_key(counts: tuple) -> dict[str, int]:  # type: ignore[type-arg]
    return {c.key: c.count for c in counts}


def test_issues_count_by_status_in_the_fiscal_year_they_were_posted(progress_world: ProgressWorld) -> None:
    pipeline = board(progress_world.coordinator).pipeline
    assert by_key(pipeline.issues_by_status) == {"draft": 1, "open": 1, "matching": 1, "engaged": 3, "closed": 0,
                                                 "withdrawn": 1}
    assert pipeline.issues_total == 7


def test_the_fiscal_year_boundary_puts_an_issue_posted_at_2330_on_31_march_in_the_year_before(
        progress_world: ProgressWorld) -> None:
    before = board(progress_world.coordinator, fiscal_year="2025").pipeline
    assert by_key(before.issues_by_status)["closed"] == 1 and before.issues_total == 1
    assert before.requests_sent == 1  # R6, sent at 23:45 on 31 March
    after = board(progress_world.coordinator).pipeline
    assert by_key(after.issues_by_status)["open"] == 1  # I4, posted at 00:10 on 1 April


def test_days_from_posting_to_the_first_request_and_to_acceptance_give_median_and_p90(
        progress_world: ProgressWorld) -> None:
    pipeline = board(progress_world.coordinator).pipeline
    assert (pipeline.to_first_request.count, pipeline.to_first_request.median, pipeline.to_first_request.p90) == (
        4, 1.5, 10.0)
    assert (pipeline.to_acceptance.count, pipeline.to_acceptance.median, pipeline.to_acceptance.p90) == (3, 5.0, 12.0)


def test_requests_count_by_status_and_declines_by_reason_with_the_expired_one(progress_world: ProgressWorld) -> None:
    pipeline = board(progress_world.coordinator).pipeline
    assert by_key(pipeline.requests_by_status) == {"pending": 1, "accepted": 3, "declined": 2, "expired": 1,
                                                   "withdrawn": 0}
    assert pipeline.requests_sent == 7
    assert by_key(pipeline.declines_by_reason) == {"no_capacity": 1, "outside_field": 1, "schedule": 0, "other": 0}
    assert pipeline.declined == 2


def test_response_times_of_experts_and_towns(progress_world: ProgressWorld) -> None:
    pipeline = board(progress_world.coordinator).pipeline
    assert (pipeline.expert_response.count, pipeline.expert_response.median, pipeline.expert_response.p90) == (
        5, 24.0, 48.0)
    assert (pipeline.town_response.count, pipeline.town_response.median, pipeline.town_response.p90) == (
        3, 16.0, 24.0)


def test_engagements_count_active_completed_by_outcome_and_cancelled(progress_world: ProgressWorld) -> None:
    engagements = board(progress_world.coordinator).engagements
    assert (engagements.active, engagements.completed, engagements.cancelled) == (3, 1, 1)
    assert by_key(engagements.by_outcome) == {"solved": 1, "partly": 0, "not_solved": 0}


def test_each_active_engagement_gets_on_track_attention_or_stalled_with_reasons(progress_world: ProgressWorld) -> None:
    dashboard = board(progress_world.coordinator)
    rows = {row.engagement_id: row for row in dashboard.progress}
    g1, g2, g4 = (progress_world.engagements[k].id for k in ("G1", "G2", "G4"))
    assert set(rows) == {g1, g2, g4}
    assert rows[g1].status == "attention"
    assert rows[g1].reasons == ("実施から5営業日を過ぎても報告のない訪問があります（最も古いもの: 2026年11月10日（火））。",)
    assert (rows[g1].visits_done, rows[g1].visits_planned, rows[g1].reports_missing) == (2, 2, 1)
    assert (rows[g1].stage_at_start, rows[g1].stage_now) == ("issue_definition", "product_planning")
    assert rows[g1].last_contact == date(2026, 10, 21)
    assert rows[g2].status == "stalled" and "90日を超えて" in rows[g2].reasons[0]
    assert rows[g2].visits_overdue == 1 and rows[g2].last_contact == date(2026, 7, 1)
    assert rows[g4].status == "on_track" and rows[g4].reasons == ()
    assert rows[g4].stage_now == "development" and rows[g4].municipality_name == "岩見沢市"
    assert by_key(dashboard.progress_by_status) == {"on_track": 1, "attention": 1, "stalled": 1}


@pytest.mark.app_config(PROGRESS_REPORT_LATE_BUSINESS_DAYS=6)
def test_the_report_grace_period_is_a_setting(progress_world: ProgressWorld) -> None:
    rows = {row.engagement_id: row for row in board(progress_world.coordinator).progress}
    assert rows[progress_world.engagements["G1"].id].status == "on_track"  # 6 business days since 10 Nov: not > 6


def test_an_engagement_without_a_visit_for_45_days_needs_attention(progress_world: ProgressWorld) -> None:
    later = date(2026, 12, 20)  # G4's last done visit was 4 Nov: 46 days
    user = progress_world.coordinator
    rows = {r.engagement_id: r for r in engagement_progress(user, parse_filters(user, {"fiscal_year": "2026"}),
                                                             today=later)}
    g4 = rows[progress_world.engagements["G4"].id]
    assert g4.status == "attention"
    assert any("45日を超えて実施された訪問がありません" in reason for reason in g4.reasons)


def test_visits_of_the_month_count_planned_confirmed_done_overdue_moved_and_the_cancelled_one(
        progress_world: ProgressWorld) -> None:
    counts = board(progress_world.coordinator).visits_month.counts
    assert (counts.planned, counts.proposed, counts.confirmed, counts.done, counts.cancelled, counts.overdue,
            counts.moved) == (5, 2, 2, 1, 1, 2, 1)


def test_the_month_calendar_holds_every_visit_of_the_prefecture_on_its_day(progress_world: ProgressWorld) -> None:
    visits_month = board(progress_world.coordinator).visits_month
    assert len(visits_month.visits) == 6
    days = {day.day: day for week in visits_month.weeks for day in week}
    assert [week[0].day.weekday() for week in visits_month.weeks] == [0] * len(visits_month.weeks)
    assert days[date(2026, 11, 12)].visits[0].overdue and days[date(2026, 11, 12)].visits[0].status == "proposed"
    assert days[date(2026, 11, 5)].visits[0].status == "cancelled"
    assert not days[date(2026, 10, 26)].in_month and days[date(2026, 11, 30)].in_month
    other_month = build_dashboard(progress_world.coordinator,
                                  parse_filters(progress_world.coordinator, {"fiscal_year": "2026"}),
                                  today=TODAY, month=date(2026, 10, 1)).visits_month
    assert (other_month.counts.done, len(other_month.visits)) == (1, 1)  # V2 on 20 October


def test_caps_give_used_reserved_remaining_and_the_towns_near_or_at_a_cap(progress_world: ProgressWorld) -> None:
    caps = board(progress_world.coordinator).caps
    rows = {row.municipality_code: row for row in caps.rows}
    assert set(rows) == {IWAMIZAWA, KUSHIRO}
    iwamizawa = rows[IWAMIZAWA]
    assert (iwamizawa.onsite_used, iwamizawa.onsite_reserved, iwamizawa.onsite_remaining) == (2, 1, 0)
    assert (iwamizawa.online_used_hours, iwamizawa.online_reserved_hours, iwamizawa.online_remaining_hours) == (
        2.0, 1.0, 7.0)
    assert iwamizawa.state == "at" and rows[KUSHIRO].state == "near"
    assert (caps.towns_at, caps.towns_near) == (("岩見沢市",), ("釧路市",))


def test_experts_utilisation_idle_and_stale_profiles(progress_world: ProgressWorld) -> None:
    experts = board(progress_world.coordinator).experts
    assert {row.name for row in experts.rows} == {"人材 一郎", "人材 二郎", "人材 三郎"}
    assert (experts.booked, experts.capacity, experts.utilisation) == (3, 6, 0.5)
    assert (experts.idle, experts.stale) == (1, 1)
    rows = {row.name: row for row in experts.rows}
    assert rows["人材 三郎"].idle and rows["人材 二郎"].stale and not rows["人材 一郎"].idle


def test_a_town_filter_counts_the_joint_issue_for_its_co_owning_town(progress_world: ProgressWorld) -> None:
    iwamizawa = board(progress_world.coordinator, municipality_code=IWAMIZAWA)
    assert by_key(iwamizawa.pipeline.issues_by_status) == {"draft": 0, "open": 1, "matching": 1, "engaged": 3,
                                                           "closed": 0, "withdrawn": 0}
    assert progress_world.engagements["G2"].id in {row.engagement_id for row in iwamizawa.progress}
    kushiro = board(progress_world.coordinator, municipality_code=KUSHIRO)
    assert by_key(kushiro.pipeline.issues_by_status)["engaged"] == 1  # only the joint issue I2
    assert [row.municipality_code for row in kushiro.caps.rows] == [KUSHIRO]


def test_a_region_and_a_sector_narrow_the_figures(progress_world: ProgressWorld) -> None:
    region = board(progress_world.coordinator, subprefecture="釧路総合振興局")
    assert region.pipeline.issues_total == 3  # I2, I6, I8
    fishery = board(progress_world.coordinator, sector="fishery")
    assert fishery.pipeline.issues_total == 1 and fishery.engagements.active == 1
    assert [row.name for row in fishery.experts.rows] == []  # nobody registered for fishery


def test_an_officer_sees_only_their_town_and_an_expert_only_their_own_engagements(
        progress_world: ProgressWorld) -> None:
    officer = board(progress_world.officer)
    assert officer.pipeline.issues_total == 5  # I1 I2(joint) I3 I4 I9
    assert [row.municipality_code for row in officer.caps.rows] == [IWAMIZAWA]
    assert {row.name for row in officer.experts.rows} == {"人材 一郎", "人材 二郎"}
    expert = board(progress_world.expert_user)
    assert expert.pipeline.issues_total == 3 and expert.pipeline.requests_sent == 3
    assert expert.engagements.active == 2 and expert.caps.rows == ()
    assert [row.name for row in expert.experts.rows] == ["人材 一郎"]


def test_another_prefecture_or_town_is_not_found(progress_world: ProgressWorld) -> None:
    with pytest.raises(NotFound):
        parse_filters(progress_world.coordinator, {"prefecture_code": "04"})
    with pytest.raises(NotFound):
        parse_filters(progress_world.officer, {"municipality_code": KUSHIRO})
    other = build_dashboard(progress_world.other_coordinator, ProgressFilters("04", 2026), today=TODAY)
    assert other.pipeline.issues_total == 1 and other.engagements.active == 1 and other.caps.rows[0].state == "at"


def test_percentiles_use_the_nearest_rank_and_say_none_without_data(app: Flask) -> None:
    assert summarise([], "days").median is None
    assert (summarise([3.0], "hours").median, summarise([3.0], "hours").p90) == (3.0, 3.0)
    ten = summarise([float(n) for n in range(1, 11)], "days")
    assert (ten.median, ten.p90) == (5.5, 9.0)


@pytest.mark.parametrize(("override", "message"), [
    ({"PROGRESS_STALLED_DAYS": 30, "PROGRESS_IDLE_DAYS": 45}, "PROGRESS_STALLED_DAYS must be larger"),
    ({"PROGRESS_REPORT_LATE_BUSINESS_DAYS": 0}, "PROGRESS_REPORT_LATE_BUSINESS_DAYS must be an integer between 1 and 30"),
    ({"PROGRESS_CAP_NEAR_PERCENT": "80"}, "PROGRESS_CAP_NEAR_PERCENT must be an integer"),
])
def test_contradicting_or_out_of_range_thresholds_are_refused_at_startup(
        make_app: Callable[..., Flask], override: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_app(**override)
