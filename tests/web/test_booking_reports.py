"""Reports and engagements: a report moves the ledger from reserved to used (1,000 hours refused under the field),
the town acknowledges or asks; completing the last engagement closes the issue, cancelling sends it back to
matching, and an extension adds visits within the program's months and caps (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from freezegun import freeze_time

from tests.web import booking_world
from tests.web.booking_world import (
    OTHER_TOWN,
    TOWN,
    add_visits,
    at,
    engagement_for,
    load,
    notifications,
    usage,
)
from web.dates import JST
from web.extensions import db
from web.models import Engagement, Issue, Visit, VisitReport
from web.services import ledger
from web.services.booking import engagements, reports
from web.services.booking.reports import ReportInput
from web.services.errors import Conflict, NotFound, ServiceError
from web.services.validation import InvalidInput
from web.transaction import transaction

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=JST)
request_ctx, world = booking_world.request_ctx, booking_world.world  # fixtures, by name
REPORT = ReportInput(summary="ドローン防除の実証計画を確認した。", decisions="6月に試験散布", next_actions="農協と調整",
                     hours=2, stage="business_model")


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with freeze_time(NOW):
        yield


@pytest.fixture
def engagement(world) -> Engagement:
    return engagement_for(world, start_on=date(2026, 11, 1), end_on=date(2027, 1, 31), request={
        "months": 3, "onsite_months": [1], "weekdays": [2], "start_time": "14:00", "duration_minutes": 120})


@pytest.fixture
def held(engagement) -> Visit:
    """A confirmed on-site visit that took place last week, not reported yet."""
    [visit] = add_visits(engagement, [at(2026, 11, 25)], status="confirmed")
    return visit


def act(function: Any, *args: Any, **kwargs: Any) -> Any:
    with transaction():
        return function(*args, **kwargs)


def fresh(model: Any, pk: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, pk)


# ---------------------------------------------------------------- reports

def test_a_report_moves_the_visit_from_reserved_to_used_and_tells_the_town(world, held):
    assert (usage(world, 2026).onsite.used, usage(world, 2026).onsite.reserved) == (0, 1)
    report = act(reports.file_report, world.expert_user, held.id, REPORT)
    assert (usage(world, 2026).onsite.used, usage(world, 2026).onsite.reserved) == (1, 0)
    assert load(world.expert, date(2026, 11, 1)) == 1  # a visit that took place stays in the expert's month
    assert fresh(Visit, held.id).status == "done"
    saved = fresh(VisitReport, report.id)
    assert (saved.hours, saved.stage, saved.author_id) == (2.0, "business_model", world.expert_user.id)
    [told] = notifications(world.officer, "visit_reported")
    assert "2026年11月25日（水）14:00" in told.body


@pytest.mark.parametrize("hours", [1000, "1,000", 0, -1, "abc", float("nan"), 24.5])
def test_a_report_with_impossible_hours_is_refused_under_hours_and_writes_nothing(world, held, hours):
    with pytest.raises(InvalidInput) as refusal:
        act(reports.file_report, world.expert_user, held.id, ReportInput(summary="実施", hours=hours))
    assert refusal.value.errors == {"hours": [reports.HOURS_MESSAGE]}
    assert "0より大きく24以下" in reports.HOURS_MESSAGE
    assert fresh(Visit, held.id).status == "confirmed" and db.session.query(VisitReport).count() == 0
    assert usage(world, 2026).onsite.used == 0 and notifications(world.officer) == []


def test_hours_typed_with_full_width_digits_are_read(world, held):
    report = act(reports.file_report, world.expert_user, held.id, ReportInput(summary="実施", hours="１．５"))
    assert fresh(VisitReport, report.id).hours == 1.5


def test_a_report_without_a_summary_or_with_an_unknown_stage_names_both_fields(world, held):
    with pytest.raises(InvalidInput) as refusal:
        act(reports.file_report, world.expert_user, held.id, ReportInput(summary=" ", stage="done"))
    assert set(refusal.value.errors) == {"summary", "stage"}
    assert refusal.value.errors["summary"] == ["実施内容を入力してください。"]


def test_only_the_expert_reports_and_only_a_visit_that_has_started(world, engagement, held):
    with pytest.raises(ServiceError, match="訪問の報告は外部デジタル人材が行います"):
        act(reports.file_report, world.officer, held.id, REPORT)
    [future] = add_visits(engagement, [at(2026, 12, 9)], status="confirmed")
    with pytest.raises(Conflict, match="訪問の開始後に報告してください"):
        act(reports.file_report, world.expert_user, future.id, REPORT)
    [proposed] = add_visits(engagement, [at(2026, 11, 18)])
    with pytest.raises(Conflict, match="「日程調整中」の訪問は報告できません"):
        act(reports.file_report, world.expert_user, proposed.id, REPORT)


def test_the_town_asks_the_expert_answers_by_updating_and_then_acknowledges(world, held):
    report = act(reports.file_report, world.expert_user, held.id, REPORT)
    act(reports.ask, world.officer, report.id, "試験散布の費用の見込みは？")
    [question] = notifications(world.expert_user, "visit_report_question")
    assert "試験散布の費用の見込みは？" in question.body
    act(reports.file_report, world.expert_user, held.id, ReportInput(summary="費用は約50万円の見込み。", hours=2))
    assert fresh(VisitReport, report.id).summary == "費用は約50万円の見込み。"
    assert db.session.query(VisitReport).count() == 1 and usage(world, 2026).onsite.used == 1  # used once
    act(reports.acknowledge, world.officer, report.id)
    saved = fresh(VisitReport, report.id)
    assert saved.acknowledged_at is not None and saved.acknowledged_by_id == world.officer.id
    assert len(notifications(world.expert_user, "visit_report_acknowledged")) == 1
    act(reports.acknowledge, world.officer, report.id)  # again: nothing new
    assert len(notifications(world.expert_user, "visit_report_acknowledged")) == 1
    with pytest.raises(Conflict, match="確認済みのため変更できません"):
        act(reports.file_report, world.expert_user, held.id, REPORT)


def test_another_towns_officer_cannot_see_acknowledge_or_question_a_report(world, held, make_user):
    report = act(reports.file_report, world.expert_user, held.id, REPORT)
    stranger = make_user("officer", municipality_code=OTHER_TOWN)
    with pytest.raises(NotFound, match="報告が見つかりません"):
        act(reports.acknowledge, stranger, report.id)
    with pytest.raises(NotFound):
        act(reports.ask, stranger, report.id, "質問")
    with pytest.raises(ServiceError, match="市町村の担当者が行います"):
        act(reports.acknowledge, world.expert_user, report.id)
    assert fresh(VisitReport, report.id).acknowledged_at is None


# ---------------------------------------------------------------- complete and cancel

def test_completing_the_last_engagement_closes_the_issue_and_cancels_the_visits_that_have_not_happened(
        world, engagement, held):
    future_proposed, future_confirmed = add_visits(engagement, [at(2026, 12, 9)]) + add_visits(
        engagement, [at(2027, 1, 13)], status="confirmed")
    act(engagements.complete, world.officer, engagement.id, "partly", 4, "助かりました。")
    done = fresh(Engagement, engagement.id)
    assert (done.status, done.outcome, done.rating, done.town_comment) == ("completed", "partly", 4, "助かりました。")
    assert done.ended_at is not None and fresh(Issue, world.issue.id).status == "closed"
    assert fresh(Visit, future_proposed.id).status == fresh(Visit, future_confirmed.id).status == "cancelled"
    assert fresh(Visit, held.id).status == "confirmed"  # it took place: it can still be reported
    assert usage(world, 2026).onsite.reserved == 1 and load(world.expert, date(2027, 1, 1)) == 0
    assert len(notifications(world.expert_user, "engagement_completed")) == 1
    assert len(notifications(world.expert_user, "visit_cancelled_invitation")) == 1  # the confirmed one's CANCEL


def test_completing_one_of_two_active_engagements_keeps_the_issue_engaged(world, engagement, make_expert):
    engagement_for(world, start_on=date(2026, 12, 1), end_on=date(2027, 2, 28), expert=make_expert())
    act(engagements.complete, world.officer, engagement.id, "solved", None, "")
    assert fresh(Issue, world.issue.id).status == "engaged"


def test_cancelling_the_only_engagement_sends_the_issue_back_to_matching_and_frees_future_visits(world, engagement):
    [future] = add_visits(engagement, [at(2026, 12, 9)])
    act(engagements.cancel_engagement, world.expert_user, engagement.id, "体調を崩したため")
    cancelled = fresh(Engagement, engagement.id)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "体調を崩したため")
    assert fresh(Issue, world.issue.id).status == "matching" and fresh(Visit, future.id).status == "cancelled"
    assert usage(world, 2026).onsite.reserved == 0 and load(world.expert, date(2026, 12, 1)) == 0
    [told] = notifications(world.officer, "engagement_cancelled")
    assert "体調を崩したため" in told.body


def test_complete_refuses_an_unknown_outcome_and_a_rating_outside_one_to_five(world, engagement):
    with pytest.raises(InvalidInput) as refusal:
        act(engagements.complete, world.officer, engagement.id, "great", 6, "")
    assert set(refusal.value.errors) == {"outcome", "rating"}
    assert fresh(Engagement, engagement.id).status == "active"


def test_only_the_town_completes_and_a_finished_engagement_is_not_finished_twice(world, engagement):
    with pytest.raises(ServiceError, match="支援の完了は市町村の担当者が行います"):
        act(engagements.complete, world.expert_user, engagement.id, "solved", 5, "")
    act(engagements.complete, world.officer, engagement.id, "solved", 5, "")
    with pytest.raises(Conflict, match="すでに「完了」です"):
        act(engagements.cancel_engagement, world.officer, engagement.id, "理由")


# ---------------------------------------------------------------- extend

def test_extending_within_the_caps_adds_visits_for_the_following_months_continuing_the_pattern(world, engagement):
    add_visits(engagement, [at(2026, 11, 25)])
    add_visits(engagement, [at(2026, 12, 9), at(2027, 1, 13)], mode="online")
    act(engagements.extend, world.officer, engagement.id, 3)
    extended = fresh(Engagement, engagement.id)
    assert extended.end_on == date(2027, 4, 30)
    added = [v for v in extended.visits if v.starts_at >= at(2027, 2, 1, 0)]
    assert [(v.starts_at.astimezone(JST).month, v.mode, v.plan_month) for v in added] == [
        (2, "onsite", 4), (3, "online", 5), (4, "online", 6)]  # on-site every third month: 1, 4, ...
    assert all(v.starts_at.astimezone(JST).weekday() == 2 and v.starts_at.astimezone(JST).hour == 14 for v in added)
    assert all(v.status == "proposed" for v in added)
    assert (usage(world, 2026).onsite.reserved, usage(world, 2026).online.reserved) == (2, 3 * 120)
    assert usage(world, 2027).online.reserved == 120
    assert load(world.expert, date(2027, 2, 1)) == 1
    assert len(notifications(world.expert_user, "engagement_extended")) == 1


def test_extending_beyond_the_programs_months_is_refused_under_months(world, engagement):
    with pytest.raises(InvalidInput) as refusal:
        act(engagements.extend, world.officer, engagement.id, 4)
    assert refusal.value.errors["months"] == [
        "地域情報化アドバイザーの支援期間は合計6か月までです（現在3か月、延長4か月）。延長できるのはあと3か月です。"]
    assert fresh(Engagement, engagement.id).end_on == date(2027, 1, 31)


def test_extending_beyond_the_on_site_cap_is_refused_with_the_numbers_and_writes_nothing(world, engagement):
    add_visits(engagement, [at(2026, 11, 25), at(2026, 12, 9)])
    with transaction():  # another engagement of the town holds the third on-site visit of 令和8年度
        ledger.reserve(world.program, TOWN, [ledger.PlannedVisit(date(2027, 3, 10), "onsite", 120)])
    before = db.session.query(Visit).count()
    with pytest.raises(ledger.CapExceeded) as refusal:
        act(engagements.extend, world.officer, engagement.id, 2)
    assert str(refusal.value) == ("令和8年度 地域情報化アドバイザー（現地訪問）: "
                                  "上限3回・実施済み0回・予定3回、この計画で1回 → 1回超過します")
    assert db.session.query(Visit).count() == before and fresh(Engagement, engagement.id).end_on == date(2027, 1, 31)
    assert usage(world, 2026).onsite.reserved == 3 and load(world.expert, date(2027, 2, 1)) == 0


def test_the_expert_cannot_extend_and_a_spot_consultation_is_not_extended(world, engagement):
    with pytest.raises(ServiceError, match="支援の延長は市町村の担当者が行います"):
        act(engagements.extend, world.expert_user, engagement.id, 1)
    engagement.menu = "spot"
    db.session.commit()
    with pytest.raises(ServiceError, match="スポット相談は延長できません"):
        act(engagements.extend, world.officer, engagement.id, 1)


def test_on_site_months_continue_with_the_step_of_the_pattern():
    assert engagements.continued_onsite([1, 4], 6, 6) == [1, 4]  # plan months 7 and 10
    assert engagements.continued_onsite([1, 2, 3], 3, 2) == [1, 2]
    assert engagements.continued_onsite([], 3, 3) == []


# ---------------------------------------------------------------- progress

def test_progress_counts_visits_and_missing_reports_and_reads_the_latest_stage(world, engagement, held):
    [earlier] = add_visits(engagement, [at(2026, 11, 18)], status="confirmed")
    act(reports.file_report, world.expert_user, earlier.id, REPORT)
    add_visits(engagement, [at(2026, 12, 9)])
    progress = engagements.engagement_progress(fresh(Engagement, engagement.id))
    assert (progress.visits_done, progress.visits_planned, progress.reports_missing) == (1, 2, 1)
    assert (progress.stage_at_start, progress.latest_stage) == ("issue_definition", "business_model")
    assert progress.latest_stage_label == "ii ビジネスモデル企画"
    assert progress.last_contact is not None and progress.next_visit is not None
    assert progress.next_visit.starts_at == at(2026, 12, 9)
