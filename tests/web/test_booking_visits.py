"""Visits: both sides confirm (then an .ics in Tokyo time), a move must be confirmed again and moves what the
visit holds between fiscal years and months, refused times change nothing, a cancellation frees the holding,
and nobody outside the engagement sees a visit (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from freezegun import freeze_time
from icalendar import Calendar

from tests.web import booking_world
from tests.web.booking_world import (
    OTHER_TOWN,
    World,
    add_visits,
    at,
    engagement_for,
    load,
    notifications,
    outbox,
    usage,
)
from web.dates import JST
from web.extensions import db
from web.models import Visit
from web.services.booking import schedule, visits
from web.services.errors import Conflict, NotFound, ServiceError
from web.services.validation import InvalidInput
from web.transaction import transaction

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=JST)
request_ctx, world = booking_world.request_ctx, booking_world.world  # fixtures, by name


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with freeze_time(NOW):
        yield


@pytest.fixture
def engagement(world: World) -> Any:
    return engagement_for(world, start_on=date(2026, 12, 1), end_on=date(2027, 5, 31))


def calendar_parts(mail: Any) -> list[Any]:
    parsed = message_from_bytes(mail.message().as_bytes())
    return [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]


def body_of(mail: Any) -> str:
    parsed = message_from_bytes(mail.message().as_bytes())
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset())


def act(function: Any, *args: Any, **kwargs: Any) -> Any:
    with transaction():
        return function(*args, **kwargs)


def fresh(visit: Visit) -> Visit:
    db.session.expire_all()
    found = db.session.get(Visit, visit.id)
    assert found is not None
    return found


# ---------------------------------------------------------------- confirm

def test_a_visit_confirmed_by_both_sides_is_confirmed_and_both_get_an_invitation_at_tokyo_time(world, engagement):
    [visit] = add_visits(engagement, [at(2026, 12, 9)])
    act(visits.confirm, world.officer, visit.id)
    assert fresh(visit).status == "proposed" and fresh(visit).town_confirmed_at is not None
    [asked] = notifications(world.expert_user, "visit_confirm_requested")
    assert "2026年12月9日（水）14:00" in asked.body
    assert all(not calendar_parts(mail) for mail in outbox())  # a half-confirmed proposal carries no .ics

    act(visits.confirm, world.expert_user, visit.id)
    assert fresh(visit).status == "confirmed"
    invitations = [mail for mail in outbox() if calendar_parts(mail)]
    assert sorted(mail.to[0] for mail in invitations) == sorted([world.officer.email, world.expert_user.email])
    for mail in invitations:
        [part] = calendar_parts(mail)
        assert part.get_param("method") == "REQUEST"
        ics = Calendar.from_ical(part.get_payload(decode=True))
        assert ics["method"] == "REQUEST"
        [event] = ics.walk("VEVENT")
        assert event.decoded("dtstart") == at(2026, 12, 9) and event.decoded("dtstart").utcoffset() == timedelta(hours=9)
        assert event.decoded("dtend") == at(2026, 12, 9, 16)
        assert "2026年12月9日（水）14:00" in body_of(mail)


def test_confirming_again_changes_nothing_and_tells_no_one_again(world, engagement):
    [visit] = add_visits(engagement, [at(2026, 12, 9)])
    act(visits.confirm, world.officer, visit.id)
    first = fresh(visit).town_confirmed_at
    act(visits.confirm, world.officer, visit.id)
    assert fresh(visit).town_confirmed_at == first and len(notifications(world.expert_user)) == 1


# ---------------------------------------------------------------- move

def test_a_move_by_the_expert_clears_the_towns_confirmation_and_must_be_confirmed_again(world, engagement):
    [visit] = add_visits(engagement, [at(2026, 12, 9)], status="confirmed")
    before = fresh(visit).sequence
    visit.reminded_at = visit.report_nudged_at = datetime(2026, 11, 30, tzinfo=JST)
    db.session.commit()
    act(visits.move, world.expert_user, visit.id, at(2026, 12, 16, 10), "午前に変更させてください。")
    moved = fresh(visit)
    assert (moved.status, moved.proposed_by, moved.town_confirmed_at) == ("proposed", "expert", None)
    assert moved.expert_confirmed_at is not None and moved.note == "午前に変更させてください。"
    assert (moved.reminded_at, moved.report_nudged_at) == (None, None)
    assert moved.sequence > before and moved.ends_at == at(2026, 12, 16, 12)
    [told] = notifications(world.officer, "visit_moved")
    assert "2026年12月16日（水）10:00" in told.body and "午前に変更させてください。" in told.body
    assert notifications(world.expert_user, "visit_moved") == []
    assert outbox() and all(not calendar_parts(mail) for mail in outbox())  # no .ics for a proposal

    act(visits.confirm, world.officer, visit.id)
    assert fresh(visit).status == "confirmed"


def test_moving_a_visit_from_march_to_april_moves_the_ledger_between_fiscal_years_and_the_load_between_months(
        world, engagement):
    [visit] = add_visits(engagement, [at(2027, 3, 10)])
    assert (usage(world, 2026).onsite.reserved, usage(world, 2027).onsite.reserved) == (1, 0)
    assert (load(world.expert, date(2027, 3, 1)), load(world.expert, date(2027, 4, 1))) == (1, 0)
    act(visits.move, world.officer, visit.id, at(2027, 4, 14), "")
    assert (usage(world, 2026).onsite.reserved, usage(world, 2027).onsite.reserved) == (0, 1)
    assert (load(world.expert, date(2027, 3, 1)), load(world.expert, date(2027, 4, 1))) == (0, 1)
    assert fresh(visit).fiscal_year == 2027


def test_a_longer_online_session_reserves_the_new_minutes_and_frees_the_old(world, engagement):
    [visit] = add_visits(engagement, [at(2027, 1, 13)], mode="online", minutes=60)
    act(visits.move, world.expert_user, visit.id, at(2027, 1, 20), "", duration_minutes=90,
        meeting_url="https://meet.example.jp/new")
    assert usage(world, 2026).online.reserved == 90
    moved = fresh(visit)
    assert (moved.reserved_minutes, moved.meeting_url) == (90, "https://meet.example.jp/new")


@pytest.mark.parametrize("starts_at, message", [
    (at(2027, 4, 29), "2027年4月29日（木）は昭和の日のため役場の営業日ではありません。"),
    (at(2027, 4, 17), "2027年4月17日（土）は土曜日のため役場の営業日ではありません。"),
    (at(2026, 12, 29), "2026年12月29日（火）は年末年始のため役場の営業日ではありません。"),
    (at(2027, 4, 15), "2027年4月15日（木）は外部人材が対応できない日として登録されています。"),
    (at(2026, 11, 30), "2026年11月30日（月）14:00はすでに過ぎています。"),
])
def test_a_move_onto_a_closed_unavailable_or_past_day_is_refused_in_japanese_and_changes_nothing(
        world, engagement, starts_at, message):
    [visit] = add_visits(engagement, [at(2027, 3, 10)])
    schedule.set_unavailable(world.expert.id, date(2027, 4, 15), "出張")
    db.session.commit()
    sequence = fresh(visit).sequence
    with pytest.raises(InvalidInput) as refusal:
        act(visits.move, world.officer, visit.id, starts_at, "")
    assert any(text.startswith(message) for text in refusal.value.errors["starts_at"])
    _assert_unchanged(world, visit, at(2027, 3, 10), sequence)


def test_a_move_onto_another_visit_of_the_expert_is_refused_as_an_overlap_and_changes_nothing(world, engagement):
    first, _ = add_visits(engagement, [at(2027, 3, 10), at(2027, 4, 14)])
    sequence = fresh(first).sequence
    with pytest.raises(Conflict) as refusal:
        act(visits.move, world.officer, first.id, at(2027, 4, 14, 15), "")
    assert refusal.value.rule == "expert_overlap"
    assert "2027年4月14日（水）14:00から別の訪問が入っています" in str(refusal.value)
    _assert_unchanged(world, first, at(2027, 3, 10), sequence, in_april=1)


def test_a_move_right_after_another_visit_is_accepted_because_ranges_are_half_open(world, engagement):
    first, _ = add_visits(engagement, [at(2027, 3, 10), at(2027, 4, 14, 10)])
    act(visits.move, world.officer, first.id, at(2027, 4, 14, 12), "")
    assert fresh(first).starts_at == at(2027, 4, 14, 12)


def _assert_unchanged(world: World, visit: Visit, starts_at: datetime, sequence: int, in_april: int = 0) -> None:
    kept = fresh(visit)
    assert (kept.starts_at, kept.sequence, kept.status) == (starts_at, sequence, "proposed")
    assert (usage(world, 2026).onsite.reserved, usage(world, 2027).onsite.reserved) == (1, in_april)
    assert load(world.expert, date(2027, 3, 1)) == 1 and load(world.expert, date(2027, 4, 1)) == in_april
    assert notifications(world.expert_user) == [] and outbox() == []


def test_a_move_with_a_bad_link_or_length_names_the_field(world, engagement):
    [visit] = add_visits(engagement, [at(2027, 1, 13)], mode="online")
    with pytest.raises(InvalidInput) as refusal:
        act(visits.move, world.officer, visit.id, at(2027, 1, 20), "", duration_minutes=1000,
            meeting_url="javascript:alert(1)")
    assert set(refusal.value.errors) == {"duration_minutes", "meeting_url"}


def test_a_naive_time_is_refused_not_guessed(world, engagement):
    [visit] = add_visits(engagement, [at(2027, 1, 13)])
    with pytest.raises(InvalidInput) as refusal:
        act(visits.move, world.officer, visit.id, datetime(2027, 1, 20, 14), "")
    assert "starts_at" in refusal.value.errors


# ---------------------------------------------------------------- cancel

def test_cancelling_a_proposed_visit_frees_the_ledger_and_the_load_and_tells_the_other_side(world, engagement):
    [visit] = add_visits(engagement, [at(2027, 3, 10)])
    act(visits.cancel, world.expert_user, visit.id, "体調不良のため")
    cancelled = fresh(visit)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "体調不良のため")
    assert usage(world, 2026).onsite.reserved == 0 and load(world.expert, date(2027, 3, 1)) == 0
    [told] = notifications(world.officer, "visit_cancelled")
    assert "体調不良のため" in told.body
    assert all(not calendar_parts(mail) for mail in outbox())


def test_cancelling_a_confirmed_visit_sends_both_sides_a_cancel_invitation(world, engagement):
    [visit] = add_visits(engagement, [at(2027, 3, 10)], status="confirmed")
    act(visits.cancel, world.officer, visit.id, "議会日程と重なったため")
    methods = {mail.to[0]: calendar_parts(mail)[0].get_param("method") for mail in outbox()}
    assert methods == {world.officer.email: "CANCEL", world.expert_user.email: "CANCEL"}
    [event] = Calendar.from_ical(calendar_parts(outbox()[0])[0].get_payload(decode=True)).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED" and event["sequence"] == fresh(visit).sequence


def test_a_cancel_without_a_reason_is_refused(world, engagement):
    [visit] = add_visits(engagement, [at(2027, 3, 10)])
    with pytest.raises(InvalidInput) as refusal:
        act(visits.cancel, world.officer, visit.id, "  ")
    assert refusal.value.errors == {"reason": ["中止の理由を入力してください。"]}
    assert fresh(visit).status == "proposed"


@pytest.mark.parametrize("status", ["cancelled", "done"])
def test_a_cancelled_or_done_visit_can_be_neither_confirmed_moved_nor_cancelled(world, engagement, status):
    [visit] = add_visits(engagement, [at(2027, 3, 10)], status="confirmed")
    visit.status = status
    db.session.commit()
    for attempt in (lambda: visits.confirm(world.officer, visit.id),
                    lambda: visits.move(world.officer, visit.id, at(2027, 3, 17), ""),
                    lambda: visits.cancel(world.officer, visit.id, "理由")):
        with pytest.raises(Conflict, match="のため、.*できません"):
            act(attempt)


def test_visits_of_a_completed_engagement_cannot_change(world, engagement):
    [visit] = add_visits(engagement, [at(2027, 3, 10)])
    engagement.status, engagement.outcome = "completed", "solved"
    db.session.commit()
    with pytest.raises(Conflict, match="この支援は「完了」のため"):
        act(visits.confirm, world.officer, visit.id)


# ---------------------------------------------------------------- access

def test_another_towns_officer_and_another_expert_get_not_found(world, engagement, make_user, make_expert):
    [visit] = add_visits(engagement, [at(2027, 3, 10)])
    stranger = make_user("officer", municipality_code=OTHER_TOWN)
    rival = make_expert().user_id
    rival_user = db.session.get(type(world.officer), rival)
    for user in (stranger, rival_user):
        for attempt in (lambda u: visits.confirm(u, visit.id), lambda u: visits.move(u, visit.id, at(2027, 3, 17), ""),
                        lambda u: visits.cancel(u, visit.id, "理由")):
            with pytest.raises(NotFound, match="訪問が見つかりません"):
                act(attempt, user)
    assert fresh(visit).status == "proposed"


def test_a_coordinator_of_the_prefecture_acts_for_the_town(world, engagement, make_user):
    [visit] = add_visits(engagement, [at(2027, 3, 10)])
    act(visits.confirm, make_user("coordinator", prefecture_code="01"), visit.id)
    assert fresh(visit).town_confirmed_at is not None and fresh(visit).expert_confirmed_at is None


# ---------------------------------------------------------------- reading

def test_the_experts_schedule_lists_their_visits_in_the_window_in_time_order_without_cancelled_ones(
        world, engagement, make_expert, make_issue):
    world.expert.monthly_capacity = 5
    db.session.commit()
    kept = add_visits(engagement, [at(2027, 3, 17), at(2027, 3, 10)])
    [dropped] = add_visits(engagement, [at(2027, 3, 24)])
    act(visits.cancel, world.officer, dropped.id, "不要になったため")
    add_visits(engagement, [at(2027, 5, 12)])  # outside the window
    other = engagement_for(world, start_on=date(2027, 3, 1), end_on=date(2027, 3, 31), expert=make_expert(),
                           issue=make_issue(status="engaged"))
    add_visits(other, [at(2027, 3, 10, 10)])
    listed = visits.upcoming_visits(world.expert_user, at(2027, 3, 1, 0), at(2027, 4, 1, 0))
    assert [v.id for v in listed] == [kept[1].id, kept[0].id]
    assert listed[0].engagement.issue.title == "スマート農業の導入"
    assert len(visits.upcoming_visits(world.officer, at(2027, 3, 1, 0), at(2027, 4, 1, 0))) == 3


def test_a_schedule_window_over_four_hundred_days_is_refused(world):
    with pytest.raises(ServiceError, match="400日以内"):
        visits.upcoming_visits(world.expert_user, at(2027, 1, 1), at(2028, 3, 1))


def test_visits_of_an_engagement_come_in_time_order(world, engagement):
    later, earlier = add_visits(engagement, [at(2027, 3, 17), at(2027, 3, 10)])
    assert [v.id for v in visits.visits_of(engagement)] == [earlier.id, later.id]
