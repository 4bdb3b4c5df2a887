"""Database constraints and model behaviour."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from web.extensions import db
from web.models import EngagementRequest, ExpertProfile, IllegalTransition, Issue, User
from web.models.base import utcnow
from web.models.geo import is_valid_municipality_code, municipality_check_digit


def _flush_fails(obj: object) -> None:
    db.session.add(obj)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("five, expected", [("01100", "2"), ("04100", "9"), ("05201", "9"), ("01210", "6")])
def test_municipality_check_digit_matches_official_codes(five, expected):
    assert municipality_check_digit(five) == expected


@pytest.mark.parametrize("code", ["012105", "01210", "０１２１０６", "01210a", ""])
def test_invalid_municipality_codes_are_rejected(code):
    assert not is_valid_municipality_code(code)


def test_officer_without_municipality_is_refused_by_the_database(geo):
    _flush_fails(User(email="x@example.jp", password_hash="h", display_name="x", role="officer"))


def test_coordinator_with_a_municipality_is_refused_by_the_database(geo):
    _flush_fails(User(email="x@example.jp", password_hash="h", display_name="x", role="coordinator",
                      prefecture_code="01", municipality_code="012106"))


def test_unknown_role_is_refused_by_the_database(geo):
    _flush_fails(User(email="x@example.jp", password_hash="h", display_name="x", role="mayor"))


def test_upper_case_email_is_refused_by_the_database(geo):
    _flush_fails(User(email="Sato@Example.jp", password_hash="h", display_name="x", role="admin"))


def test_duplicate_email_is_refused_by_the_database(make_user):
    make_user("admin", email="dup@example.jp")
    _flush_fails(User(email="dup@example.jp", password_hash="h", display_name="y", role="admin"))


def test_issue_with_unknown_sector_is_refused(make_issue):
    issue = make_issue()
    issue.sector = "space"
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_spot_consultation_must_last_one_month(geo):
    _flush_fails(Issue(municipality_code="012106", title="相談", body="本文", sector="other",
                       stage="issue_definition", menu="spot", mode="online", months=3, status="draft"))


def test_issue_months_above_twelve_are_refused(geo):
    _flush_fails(Issue(municipality_code="012106", title="相談", body="本文", sector="other",
                       stage="issue_definition", menu="accompaniment", mode="hybrid", months=13, status="draft"))


def test_issue_wanted_role_outside_the_skill_standard_is_refused(make_issue):
    issue = make_issue()
    issue.wanted_roles.add("ninja")
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_expert_capacity_above_range_is_refused(make_expert):
    expert = make_expert()
    expert.monthly_capacity = 99
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_consent_is_recorded_with_version_and_time(make_expert):
    expert = make_expert()
    expert.record_contact_consent(True, "2026-11")
    db.session.commit()
    stored = db.session.get(ExpertProfile, expert.id)
    assert stored.contact_consent and stored.contact_consent_version == "2026-11"
    assert stored.contact_consent_at is not None and stored.contact_consent_at.tzinfo is not None


def test_second_pending_request_for_the_same_pair_is_refused(make_issue, make_expert):
    issue, expert = make_issue(), make_expert()
    now = utcnow()
    db.session.add(EngagementRequest(issue_id=issue.id, expert_id=expert.id, first_month=date(2026, 5, 1), expires_at=now + timedelta(days=7)))
    db.session.flush()
    _flush_fails(EngagementRequest(issue_id=issue.id, expert_id=expert.id, first_month=date(2026, 5, 1), expires_at=now + timedelta(days=7)))


def test_a_declined_request_does_not_block_a_new_one(make_issue, make_expert):
    issue, expert = make_issue(), make_expert()
    now = utcnow()
    db.session.add(EngagementRequest(issue_id=issue.id, expert_id=expert.id, status="declined",
                                     decline_reason="schedule", responded_at=now, first_month=date(2026, 5, 1),
                                     expires_at=now + timedelta(days=7)))
    db.session.add(EngagementRequest(issue_id=issue.id, expert_id=expert.id, first_month=date(2026, 5, 1), expires_at=now + timedelta(days=7)))
    db.session.flush()


@pytest.mark.parametrize("path", [
    ["open"], ["open", "matching"], ["open", "matching", "engaged"], ["open", "matching", "engaged", "closed"],
    ["withdrawn"], ["open", "withdrawn"], ["open", "matching", "open"],
])
def test_issue_follows_its_allowed_lifecycle(make_issue, path):
    issue = make_issue(status="draft")
    for status in path:
        issue.transition_to(status)
    assert issue.status == path[-1]


@pytest.mark.parametrize("start, target", [
    ("draft", "engaged"), ("draft", "closed"), ("open", "engaged"), ("engaged", "withdrawn"),
    ("closed", "open"), ("withdrawn", "open"), ("open", "draft"),
])
def test_illegal_transition_is_refused_with_a_japanese_message(make_issue, start, target):
    issue = make_issue(status=start)
    with pytest.raises(IllegalTransition, match="変更することはできません"):
        issue.transition_to(target)
    assert issue.status == start


def test_publishing_records_the_publication_time(make_issue):
    issue = make_issue(status="draft")
    issue.transition_to("open")
    assert issue.published_at is not None
