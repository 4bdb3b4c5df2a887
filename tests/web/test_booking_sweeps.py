"""The booking sweepers with frozen time (SQLite and PostgreSQL): request reminders and expiry counted in business
days, visit reminders the business day before, report nudges, reconfirmation reminders; run twice or by two
schedulers at once, each sends once."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from click.testing import Result
from flask import Flask, current_app
from freezegun import freeze_time
from sqlalchemy import func, select

from tests.web.test_matches import corpus  # noqa: F401  (fixture)
from tests.web.test_seed import seeded  # noqa: F401  (fixture)
from web.config import check_booking_settings
from web.dates import JST
from web.extensions import db
from web.jobs import tasks
from web.models import (
    Engagement,
    EngagementRequest,
    ExpertLoad,
    ExpertProfile,
    Issue,
    Notification,
    ShortlistEntry,
    User,
    Visit,
    VisitReport,
)
from web.services import matching
from web.services.booking import notify, sweeps
from web.services.business_days import replace_closure_days
from web.transaction import transaction

IWAMIZAWA = "012106"
GOLDEN_WEEK_FRIDAY = datetime(2026, 5, 1, 10, 0, tzinfo=JST)


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)  # type: ignore[misc]


def outbox() -> list[Any]:
    return list(getattr(current_app.extensions["mailman"], "outbox", []))


def mails_to(user: User) -> list[Any]:
    return [m for m in outbox() if m.to == [user.email]]


def notifications(user: User, kind: str | None = None) -> list[Notification]:
    db.session.rollback()  # read what the job committed in its own session
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def fresh(model: type[Any], row_id: int) -> Any:
    db.session.rollback()
    return db.session.get(model, row_id, populate_existing=True)


def run_at(moment: datetime, job: Callable[[Flask], None], app: Flask) -> None:
    with freeze_time(moment):
        job(app)


@pytest.fixture
def people(make_user, make_issue, make_expert) -> dict[str, Any]:
    officer = make_user("officer", display_name="岩見沢 係長")
    expert = make_expert(user=make_user("expert", display_name="ドローン 太郎"))
    issue = make_issue(title="スマート農業の導入", status="matching")
    return {"officer": officer, "expert": expert, "expert_user": db.session.get(User, expert.user_id),
            "issue": issue}


@pytest.fixture
def send(people) -> Callable[..., EngagementRequest]:
    """A pending request as the lead's send_request leaves it: created_at = sending, expires_at from due_dates."""

    def factory(sent_at: datetime = GOLDEN_WEEK_FRIDAY, *, issue: Issue | None = None) -> EngagementRequest:
        issue = issue or people["issue"]
        _, expires_at = sweeps.due_dates(sent_at, issue.municipality_code)
        request = EngagementRequest(issue_id=issue.id, expert_id=people["expert"].id,
                                    requested_by_id=people["officer"].id, first_month=date(2026, 6, 1), months=6,
                                    created_at=sent_at, expires_at=expires_at)
        db.session.add(request)
        db.session.commit()
        return request

    return factory


@pytest.fixture
def make_visit(people) -> Callable[..., Visit]:
    def factory(starts_at: datetime, *, status: str = "confirmed", mode: str = "onsite") -> Visit:
        issue, expert = people["issue"], people["expert"]
        engagement = db.session.scalar(select(Engagement).where(Engagement.issue_id == issue.id))
        if engagement is None:
            engagement = Engagement(issue_id=issue.id, expert_id=expert.id, start_on=date(2026, 1, 1),
                                    end_on=date(2026, 12, 31))
            db.session.add(engagement)
            db.session.flush()
        agreed = starts_at - timedelta(days=20)
        visit = Visit(engagement_id=engagement.id, expert_id=expert.id, municipality_code=issue.municipality_code,
                      starts_at=starts_at, duration_minutes=120, mode=mode, status=status,
                      fiscal_year=starts_at.year if starts_at.month >= 4 else starts_at.year - 1,
                      place="北海道岩見沢市鳩が丘1-1-1", town_confirmed_at=agreed,
                      expert_confirmed_at=agreed if status == "confirmed" else None)
        db.session.add(visit)
        db.session.commit()
        return visit

    return factory


# ---------------------------------------------------------------- due dates in business days


def test_a_request_sent_on_the_friday_before_golden_week_is_reminded_on_may_11_and_expires_after_may_15(app_ctx):
    remind_on, expires_at = sweeps.due_dates(GOLDEN_WEEK_FRIDAY, IWAMIZAWA)
    assert remind_on == date(2026, 5, 11)  # 5/7, 5/8, 5/11: the weekend, 5/3-5/6 and 振替休日 do not count
    assert expires_at == jst(2026, 5, 16, 0, 0)  # the 7th business day is Friday 5/15
    assert expires_at.utcoffset() == timedelta(0)  # stored as UTC
    assert sweeps.last_answer_day(expires_at) == date(2026, 5, 15)


def test_the_new_year_closure_and_coming_of_age_day_do_not_count(app_ctx):
    remind_on, expires_at = sweeps.due_dates(jst(2026, 12, 25, 17, 0), IWAMIZAWA)
    assert remind_on == date(2027, 1, 5)  # 12/28, then 12/29-1/3 closed, 1/4, 1/5
    assert expires_at == jst(2027, 1, 13, 0, 0)  # 1/6, 1/7, 1/8, then 成人の日 1/11, 1/12 is the 7th


def test_due_dates_follow_the_closure_days_of_the_issuing_town(app_ctx, geo):
    with transaction():
        replace_closure_days("012068", [(12, 30, "年末年始"), (12, 31, "年末年始"), (1, 1, "年末年始"),
                                        (1, 2, "年末年始"), (1, 3, "年末年始"), (1, 4, "年末年始")])
    assert sweeps.due_dates(jst(2026, 12, 25, 17, 0), "012068")[0] == date(2027, 1, 5)  # 12/28, 12/29, 1/5
    assert sweeps.due_dates(jst(2026, 12, 25, 17, 0), IWAMIZAWA)[0] == date(2027, 1, 5)


def test_a_request_sent_late_in_the_evening_counts_from_its_day_in_japan(app_ctx):
    # 2026-05-07 23:30 JST is still 5/7 in Japan (14:30 UTC); 5/8, 5/11, 5/12 → reminded Tuesday 5/12.
    assert sweeps.due_dates(jst(2026, 5, 7, 23, 30), IWAMIZAWA)[0] == date(2026, 5, 12)


@pytest.mark.app_config(BOOKING_REMIND_BUSINESS_DAYS=1, BOOKING_EXPIRE_BUSINESS_DAYS=2)
def test_due_dates_use_the_configured_numbers_of_business_days(app_ctx):
    assert sweeps.due_dates(GOLDEN_WEEK_FRIDAY, IWAMIZAWA) == (date(2026, 5, 7), jst(2026, 5, 9, 0, 0))


def test_due_dates_refuse_a_naive_sending_time(app_ctx):
    with pytest.raises(ValueError):
        sweeps.due_dates(datetime(2026, 5, 1, 10, 0), IWAMIZAWA)


# ---------------------------------------------------------------- request reminders and expiry


def test_the_reminder_waits_for_9_00_on_the_third_business_day_and_goes_out_once(app, app_ctx, people, send):
    request = send()
    for moment in (jst(2026, 5, 8, 18, 0), jst(2026, 5, 11, 8, 59)):
        run_at(moment, tasks.remind_requests, app)
        assert outbox() == [] and fresh(EngagementRequest, request.id).reminded_at is None
    run_at(jst(2026, 5, 11, 9, 0), tasks.remind_requests, app)
    run_at(jst(2026, 5, 11, 9, 10), tasks.remind_requests, app)  # the next run of the job
    [mail] = mails_to(people["expert_user"])
    assert len(outbox()) == 1
    assert "依頼への回答をお願いします" in mail.subject
    assert "2026年5月1日（金）に届いた依頼" in mail.body and "2026年5月15日（金）までに" in mail.body
    [note] = notifications(people["expert_user"])
    assert note.kind == "request_reminder" and note.dedupe_key == f"request:{request.id}:reminder"
    assert fresh(EngagementRequest, request.id).reminded_at == jst(2026, 5, 11, 9, 0)


def test_an_answered_request_is_neither_reminded_nor_expired(app, app_ctx, people, send):
    request = send()
    request.status, request.responded_at, request.decline_reason = "declined", jst(2026, 5, 7, 9, 0), "other"
    db.session.commit()
    run_at(jst(2026, 5, 20, 9, 0), tasks.remind_requests, app)
    run_at(jst(2026, 5, 20, 9, 0), tasks.expire_requests, app)
    assert outbox() == [] and fresh(EngagementRequest, request.id).status == "declined"


def test_a_request_is_reminded_and_then_expires_at_midnight_after_the_last_day(app, app_ctx, people, send):
    request = send()
    run_at(jst(2026, 5, 11, 9, 0), tasks.remind_requests, app)
    run_at(jst(2026, 5, 15, 23, 59), tasks.expire_requests, app)
    assert fresh(EngagementRequest, request.id).status == "pending"
    run_at(jst(2026, 5, 16, 0, 0), tasks.expire_requests, app)
    run_at(jst(2026, 5, 16, 0, 10), tasks.expire_requests, app)
    expired = fresh(EngagementRequest, request.id)
    assert expired.status == "expired"
    assert expired.expired_at == expired.responded_at == jst(2026, 5, 16, 0, 0)
    assert expired.response_seconds == int((jst(2026, 5, 16) - GOLDEN_WEEK_FRIDAY).total_seconds())
    assert [n.kind for n in notifications(people["expert_user"])] == ["request_reminder", "request_expired"]
    assert len(mails_to(people["expert_user"])) == 2


def test_expiry_tells_the_officer_with_the_next_candidates_one_click_away(app, app_ctx, people, send):
    issue = people["issue"]
    send()
    run_at(jst(2026, 5, 16, 0, 0), tasks.expire_requests, app)
    [note] = notifications(people["officer"])
    assert note.kind == "request_expired" and note.link == f"/issues/{issue.id}/candidates"
    [mail] = mails_to(people["officer"])
    assert "期限切れ" in mail.subject and "ドローン 太郎さんへの依頼" in mail.body
    assert f"/issues/{issue.id}/candidates" in mail.body and "2026年5月15日（金）" in mail.body
    assert fresh(Issue, issue.id).status == "matching"


def test_expiry_returns_an_open_issue_to_matching_and_tells_every_officer_of_a_joint_issue(
        app, app_ctx, people, send, make_user, make_issue):
    issue = make_issue(status="open", co_municipality_codes=("012068",))
    kushiro = make_user("officer", municipality_code="012068")
    other_town = make_user("officer", municipality_code="041009")
    send(issue=issue)
    run_at(jst(2026, 5, 16, 0, 0), tasks.expire_requests, app)
    assert fresh(Issue, issue.id).status == "matching"
    assert len(mails_to(people["officer"])) == len(mails_to(kushiro)) == 1
    assert mails_to(other_town) == []


def test_a_failed_expiry_run_sends_nothing_and_the_next_run_sends_once(app, app_ctx, people, send, monkeypatch,
                                                                       caplog):
    request = send()
    real = notify.town_users
    monkeypatch.setattr(notify, "town_users", lambda issue: [*real(issue), None.missing])  # type: ignore[attr-defined]
    run_at(jst(2026, 5, 16, 0, 0), tasks.expire_requests, app)
    assert "job expire_requests failed" in caplog.text
    assert outbox() == [] and fresh(EngagementRequest, request.id).status == "pending"
    assert notifications(people["expert_user"]) == []
    monkeypatch.setattr(notify, "town_users", real)
    run_at(jst(2026, 5, 16, 0, 10), tasks.expire_requests, app)
    assert len(mails_to(people["officer"])) == len(mails_to(people["expert_user"])) == 1
    assert fresh(EngagementRequest, request.id).status == "expired"


def test_two_schedulers_at_once_send_one_reminder(app, app_ctx, people, send, monkeypatch):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("two schedulers need PostgreSQL: in-memory SQLite gives every thread one shared connection")
    request = send()
    real = sweeps._tell_request_reminder

    def slow(request: EngagementRequest) -> None:  # hold the claimed row while the other scheduler tries it
        time.sleep(0.5)
        real(request)

    monkeypatch.setattr(sweeps, "_tell_request_reminder", slow)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            barrier.wait(timeout=10)
            with app.app_context():
                assert sweeps.remind_requests(jst(2026, 5, 11, 9, 0)) in (0, 1)
                db.session.commit()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(outbox()) == 1 and len(notifications(people["expert_user"])) == 1
    assert fresh(EngagementRequest, request.id).reminded_at == jst(2026, 5, 11, 9, 0)


# ---------------------------------------------------------------- visits


def test_a_monday_visit_after_a_holiday_friday_is_reminded_on_thursday_to_both_sides(app, app_ctx, people,
                                                                                      make_visit):
    visit = make_visit(jst(2026, 3, 23, 14, 0))  # 3/20 (Fri) is 春分の日
    run_at(jst(2026, 3, 19, 8, 59), tasks.remind_visits, app)
    assert outbox() == []
    run_at(jst(2026, 3, 19, 9, 0), tasks.remind_visits, app)
    run_at(jst(2026, 3, 19, 10, 0), tasks.remind_visits, app)
    [to_expert] = mails_to(people["expert_user"])
    [to_officer] = mails_to(people["officer"])
    assert to_expert.subject == to_officer.subject == "【自治体DXマッチング】訪問の予定: 2026年3月23日（月）14:00"
    assert "2026年3月23日（月）14:00〜16:00（現地訪問）" in to_expert.body and "鳩が丘" in to_expert.body
    assert len(outbox()) == 2
    assert fresh(Visit, visit.id).reminded_at == jst(2026, 3, 19, 9, 0)


def test_a_proposed_visit_is_reminded_with_a_request_to_confirm_it(app, app_ctx, people, make_visit):
    make_visit(jst(2026, 5, 13, 14, 0), status="proposed", mode="online")
    run_at(jst(2026, 5, 12, 9, 0), tasks.remind_visits, app)
    [mail] = mails_to(people["officer"])
    assert "確定していません" in mail.subject and "外部デジタル人材の確認がまだ" in mail.body
    assert "場所・会議のURLは支援のページで確認してください" in mail.body


def test_a_moved_visit_is_reminded_again_for_its_new_time(app, app_ctx, people, make_visit):
    visit = make_visit(jst(2026, 3, 23, 14, 0))
    run_at(jst(2026, 3, 19, 9, 0), tasks.remind_visits, app)
    with freeze_time(jst(2026, 3, 19, 12, 0)):  # the expert moves it to Wednesday (what visits.move does)
        moved = fresh(Visit, visit.id)
        moved.starts_at, moved.status, moved.town_confirmed_at = jst(2026, 3, 25, 10, 0), "proposed", None
        moved.reminded_at = None
        db.session.commit()
    run_at(jst(2026, 3, 23, 18, 0), tasks.remind_visits, app)
    assert len(mails_to(people["officer"])) == 1  # its new business day before is Tuesday 3/24
    run_at(jst(2026, 3, 24, 9, 0), tasks.remind_visits, app)
    first, second = mails_to(people["officer"])
    assert "3月23日（月）14:00" in first.subject and "2026年3月25日（水）10:00" in second.subject
    assert "市町村の確認がまだ" in second.body
    assert len(mails_to(people["expert_user"])) == 2


def test_cancelled_and_past_visits_are_not_reminded(app, app_ctx, make_visit):
    make_visit(jst(2026, 3, 23, 14, 0), status="cancelled")
    make_visit(jst(2026, 3, 18, 14, 0))
    run_at(jst(2026, 3, 19, 9, 0), tasks.remind_visits, app)
    assert outbox() == []


def test_the_report_is_nudged_two_business_days_after_the_visit_once(app, app_ctx, people, make_visit):
    visit = make_visit(jst(2026, 5, 15, 14, 0))  # Friday: Monday 5/18 is day 1, Tuesday 5/19 day 2
    reported = make_visit(jst(2026, 5, 15, 9, 0))
    db.session.add(VisitReport(visit_id=reported.id, summary="現状の業務フローを確認した。"))
    db.session.commit()
    run_at(jst(2026, 5, 18, 18, 0), tasks.nudge_reports, app)
    assert outbox() == []
    run_at(jst(2026, 5, 19, 9, 0), tasks.nudge_reports, app)
    run_at(jst(2026, 5, 19, 10, 0), tasks.nudge_reports, app)
    [mail] = outbox()
    assert mail.to == [people["expert_user"].email] and "訪問の報告をお願いします（2026年5月15日（金））" in mail.subject
    assert fresh(Visit, visit.id).report_nudged_at == jst(2026, 5, 19, 9, 0)
    assert fresh(Visit, reported.id).report_nudged_at is None


# ---------------------------------------------------------------- reconfirmation and matching


def test_an_expert_is_reminded_once_two_weeks_before_their_profile_stops_being_recommended(app, app_ctx, people):
    profile = fresh(ExpertProfile, people["expert"].id)
    profile.last_confirmed_at = jst(2026, 1, 10, 12, 0)
    db.session.commit()
    run_at(jst(2026, 6, 25, 9, 15), tasks.remind_reconfirmation, app)  # 166 days: not yet
    assert outbox() == []
    run_at(jst(2026, 6, 27, 9, 15), tasks.remind_reconfirmation, app)  # 168 days = 182 - 14
    run_at(jst(2026, 6, 28, 9, 15), tasks.remind_reconfirmation, app)
    [mail] = outbox()
    assert "対応可能状況の確認をお願いします" in mail.subject and "/experts/profile" in mail.body
    assert "2026年7月11日（土）までに確認がないと" in mail.body
    profile = fresh(ExpertProfile, profile.id)  # reconfirmed, then stale again: a new period, a new reminder
    profile.last_confirmed_at = jst(2026, 7, 1, 12, 0)
    db.session.commit()
    run_at(jst(2026, 12, 20, 9, 15), tasks.remind_reconfirmation, app)
    run_at(jst(2027, 1, 5, 9, 15), tasks.remind_reconfirmation, app)  # now left out: no second reminder
    assert len(outbox()) == 2 and "2026年12月30日（水）までに確認がないと" in outbox()[1].body


def test_an_expert_already_left_out_is_told_so(app, app_ctx, people):
    profile = fresh(ExpertProfile, people["expert"].id)
    profile.last_confirmed_at = jst(2025, 12, 1, 12, 0)
    db.session.commit()
    run_at(jst(2026, 6, 27, 9, 15), tasks.remind_reconfirmation, app)
    [mail] = outbox()
    assert "最終確認日から182日を過ぎたため、いまは市町村への候補として表示されていません" in mail.body


def test_a_profile_not_reconfirmed_for_182_days_leaves_the_candidates_until_it_is_reconfirmed(
        app_ctx, corpus, make_user):  # noqa: F811 (the fixture imported above)
    drone, issue = corpus["drone"], corpus["issue"]
    names = lambda: [v.expert.display_name for v in matching.rank_candidates(issue)]
    assert "ドローン 太郎" in names()
    db.session.add(ShortlistEntry(issue_id=issue.id, expert_id=drone.id, added_by_id=make_user("officer").id))
    drone.last_confirmed_at = datetime.now(JST) - timedelta(days=183)
    db.session.commit()
    assert "ドローン 太郎" not in names()
    assert [item.not_reconfirmed for item in matching.shortlist(issue)] == [True]
    assert str(drone.id) in matching.not_reconfirmed()
    drone.last_confirmed_at = datetime.now(JST) - timedelta(days=181)
    db.session.commit()
    assert "ドローン 太郎" in names() and matching.not_reconfirmed() == set()


def test_the_candidate_page_says_why_a_shortlisted_expert_is_not_listed(corpus, auth, make_user, client):  # noqa: F811
    drone, issue = corpus["drone"], corpus["issue"]
    officer = make_user("officer")
    db.session.add(ShortlistEntry(issue_id=issue.id, expert_id=drone.id, added_by_id=officer.id))
    drone.last_confirmed_at = datetime.now(JST) - timedelta(days=200)
    db.session.commit()
    auth.login(officer.email)
    page = client.get(f"/issues/{issue.id}/candidates").get_data(as_text=True)
    assert "対応可能状況が182日以上確認されていないため、本人が確認するまで下の候補の一覧には表示しません" in page
    assert f'id="expert-{drone.id}"' not in page


def test_the_monthly_plan_never_proposes_a_profile_not_reconfirmed(app_ctx, corpus):  # noqa: F811
    drone = corpus["drone"]
    assert str(drone.id) in {a.expert_id for a in matching.monthly_plan("01").assignments}
    drone.last_confirmed_at = datetime.now(JST) - timedelta(days=183)
    db.session.commit()
    assert str(drone.id) not in {a.expert_id for a in matching.monthly_plan("01").assignments}


def test_remaining_capacity_is_the_booked_load_of_this_month_not_the_number_of_engagements(app_ctx, people):
    expert, issue = people["expert"], people["issue"]  # monthly_capacity 2
    db.session.add(Engagement(issue_id=issue.id, expert_id=expert.id, start_on=date(2026, 1, 1),
                              end_on=date(2026, 12, 31)))
    db.session.commit()
    assert matching.remaining_capacity([expert.id]) == {str(expert.id): 2}
    this_month = datetime.now(JST).date().replace(day=1)
    db.session.add(ExpertLoad(expert_id=expert.id, month=this_month, booked=1, capacity=2))
    db.session.commit()
    assert matching.remaining_capacity([expert.id]) == {str(expert.id): 1}


# ---------------------------------------------------------------- settings and the command


@pytest.mark.parametrize("overrides", [
    {"BOOKING_REMIND_BUSINESS_DAYS": 7, "BOOKING_EXPIRE_BUSINESS_DAYS": 7},
    {"BOOKING_REMIND_BUSINESS_DAYS": 0},
    {"RECONFIRM_AFTER_DAYS": "182"},
    {"RECONFIRM_NOTICE_DAYS": 200},
])
def test_contradictory_or_out_of_range_booking_settings_are_refused(app, overrides):
    with pytest.raises(ValueError):
        check_booking_settings({**app.config, **overrides})


def test_a_setting_from_the_environment_must_be_an_integer(monkeypatch):
    from web.config import _booking_int
    monkeypatch.setenv("BOOKING_REMIND_BUSINESS_DAYS", "three")
    with pytest.raises(ValueError, match="BOOKING_REMIND_BUSINESS_DAYS"):
        _booking_int("BOOKING_REMIND_BUSINESS_DAYS", 3)
    monkeypatch.setenv("BOOKING_REMIND_BUSINESS_DAYS", " 5 ")
    assert _booking_int("BOOKING_REMIND_BUSINESS_DAYS", 3) == 5


def test_flask_jobs_sweep_runs_the_sweepers_once_and_again_sends_nothing(app, app_ctx, people, send):
    send()

    def sweep(*args: str) -> Result:
        with freeze_time(jst(2026, 5, 11, 9, 0)):
            return app.test_cli_runner().invoke(args=["jobs", "sweep", *args])

    first = sweep("--job", "remind_requests")
    assert first.exit_code == 0 and first.output == "remind_requests: 1件\n"
    again = sweep()
    assert again.exit_code == 0 and "remind_requests: 0件" in again.output and "remind_reconfirmation: 0件" in again.output
    assert len(outbox()) == 1
    assert sweep("--job", "nonsense").exit_code == 2


def test_links_point_home_until_the_booking_pages_exist(app_ctx):
    assert sweeps._link("booking.nowhere", request_id=1) == {"endpoint": "main.index"}
    assert sweeps._link("matches.candidates", issue_id=3) == {"endpoint": "matches.candidates", "issue_id": 3}


def test_every_sweeper_runs_on_an_empty_database(app_ctx):
    assert {name: sweep() for name, sweep in sweeps.SWEEPS.items()} == dict.fromkeys(sweeps.SWEEPS, 0)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_the_demo_keeps_its_candidates_and_only_its_two_stale_profiles_are_asked_to_reconfirm(seeded):  # noqa: F811
    # bookings.json marks ex-005 and ex-064 as not confirmed for 200 and 260 days (the dashboard's stale profiles);
    # every other demo expert stays rankable.
    stale = {str(pk) for pk in db.session.scalars(select(ExpertProfile.id).join(User, User.id == ExpertProfile.user_id)
                                                  .where(User.email.in_(["ex005@experts.demo.example.jp",
                                                                         "ex064@experts.demo.example.jp"])))}
    assert len(stale) == 2 and matching.not_reconfirmed() == stale
    assert sweeps.remind_reconfirmation() == 2  # those two are reminded, once
    assert sweeps.remind_reconfirmation() == 0
    issue = db.session.scalars(select(Issue).where(Issue.status == "open").order_by(Issue.id)).first()
    assert matching.rank_candidates(issue)
