"""The transaction helper at the request boundary, and operations that are safe to repeat (both backends)."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from web.errors import handle_conflict
from web.extensions import db
from web.models import AuditEvent, ExpertProfile, IssueRole, Notification, Prefecture, ShortlistEntry
from web.services import curation, experts
from web.services.errors import Conflict
from web.services.issue_intake import issue_input_from, update_issue
from web.transaction import CONFLICT_MESSAGE, insert, transaction

pytestmark = pytest.mark.usefixtures("app_ctx")


def okinawa(code: str = "47", name: str | None = "沖縄県") -> Prefecture:
    return Prefecture(code=code, name=name, kana="おきなわけん", region="沖縄")


def prefecture_codes() -> set[str]:
    db.session.rollback()  # a fresh transaction sees only what was committed
    return set(db.session.scalars(select(Prefecture.code)))


def audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_the_work_is_committed_when_the_block_succeeds(geo):
    with transaction():
        db.session.add(okinawa())
    assert "47" in prefecture_codes()


def test_the_work_is_rolled_back_and_the_error_raised_when_the_block_fails(geo):
    with pytest.raises(RuntimeError), transaction():
        db.session.add(okinawa())
        db.session.flush()
        raise RuntimeError("boom")
    assert "47" not in prefecture_codes()


def test_a_duplicate_becomes_a_japanese_conflict_and_nothing_is_half_written(geo):
    with pytest.raises(Conflict, match="同じ操作がほぼ同時に行われた") as raised, transaction():
        db.session.add(okinawa())
        db.session.flush()
        db.session.add(okinawa("48", name="北海道"))  # prefecture.name is unique
    assert str(raised.value) == CONFLICT_MESSAGE and isinstance(raised.value.__cause__, IntegrityError)
    assert prefecture_codes() == {"01", "04", "13"}


def test_a_broken_rule_other_than_a_duplicate_stays_an_integrity_error(geo):
    with pytest.raises(IntegrityError), transaction():
        db.session.add(okinawa(name=None))
    assert "47" not in prefecture_codes()


def test_a_conflict_on_a_page_is_flashed_on_the_page_the_user_came_from(app, geo):
    def collide() -> str:
        with transaction():
            db.session.add(okinawa("48", name="北海道"))
        return "never"

    app.add_url_rule("/collide", view_func=collide, methods=["POST"])
    client = app.test_client()
    response = client.post("/collide", headers={"Referer": "http://localhost/issues/?status=open"})
    assert response.status_code == 303 and response.headers["Location"] == "/issues/?status=open"
    with client.session_transaction() as session:
        assert session["_flashes"] == [("error", CONFLICT_MESSAGE)]


def test_a_conflict_from_another_site_goes_back_to_the_home_page(app, geo):
    with app.test_request_context("/collide", method="POST", headers={"Referer": "https://evil.example/issues/"}):
        assert handle_conflict(Conflict(CONFLICT_MESSAGE)).headers["Location"] == "/"


def test_adding_to_the_shortlist_twice_keeps_the_expert_on_it(make_user, make_issue, make_expert):
    officer, issue, expert = make_user("officer"), make_issue(), make_expert()
    for _ in range(2):  # a double click on 「候補リストに追加」
        with transaction():
            assert curation.toggle_shortlist(officer, issue, expert.id, wanted=True)
    assert db.session.get(ShortlistEntry, (issue.id, expert.id)) is not None


def test_the_same_pin_twice_is_one_row_and_one_audit_record(make_user, make_issue, make_expert):
    coordinator, issue, expert = make_user("coordinator"), make_issue(), make_expert()
    for _ in range(2):
        with transaction():
            curation.curate(coordinator, issue, expert.id, "pin", "町長の意向で面談したい")
    assert audits("candidate_pin") == 1


def test_a_changed_reason_updates_the_pin_and_is_audited(make_user, make_issue, make_expert):
    coordinator, issue, expert = make_user("coordinator"), make_issue(), make_expert()
    for reason in ("町長の意向で面談したい", "議会の要望で面談したい"):
        with transaction():
            kept = curation.curate(coordinator, issue, expert.id, "pin", reason)
    assert kept.reason == "議会の要望で面談したい" and audits("candidate_pin") == 2


def test_the_same_joint_suggestion_twice_a_day_is_refused_and_notifies_once(make_user, make_issue):
    coordinator = make_user("coordinator")
    issues = [make_issue(), make_issue(municipality_code="012068")]
    make_user("officer"), make_user("officer", municipality_code="012068")
    with transaction():
        assert curation.suggest_joint(coordinator, issues) == 2
    with pytest.raises(Conflict, match="本日すでに提案しています"), transaction():
        curation.suggest_joint(coordinator, issues)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2


def test_saving_roles_another_request_already_added_inserts_nothing_twice(make_user, make_issue):
    officer = make_user("officer")
    issue = make_issue(body="水田のドローン防除を検討したいが、操縦できる人材がいない。", wanted_roles=("project_manager",))
    data = dataclasses.replace(issue_input_from(issue), wanted_roles=["project_manager", "engineer"])
    db.session.execute(insert(IssueRole).values(issue_id=issue.id, role="engineer"))  # the other request's row
    with transaction():
        update_issue(officer, issue, data)
    assert issue.wanted_roles == {"project_manager", "engineer"}


def test_a_first_profile_save_that_finds_a_profile_created_meanwhile_updates_it(make_user, make_expert, monkeypatch):
    user = make_user("expert")
    make_expert(user=user, display_name="先に保存")
    monkeypatch.setattr(experts, "get_own_profile", lambda user: None)  # it did not exist when this save looked
    data = dataclasses.replace(experts.expert_input_from(db.session.scalar(select(ExpertProfile))),
                               display_name="後から保存", bio="農業のデータ活用とドローン実証を十年担当し、自治体との協働経験があります。")
    with transaction():
        experts.save_profile(user, data)
    assert db.session.scalars(select(ExpertProfile.display_name)).all() == ["後から保存"]


def test_publishing_from_a_second_tab_says_it_is_already_published(auth, client, make_user, make_issue):
    issue = make_issue(status="draft")
    auth.login(make_user("officer").email)
    client.post(f"/issues/{issue.id}/publish")
    page = client.post(f"/issues/{issue.id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "この課題はすでに「公開中」です" in page and audits("issue_status") == 1
