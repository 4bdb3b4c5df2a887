"""Issue intake use cases: validation, ownership, co-owners and status changes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from web.extensions import db
from web.models import Issue
from web.services.errors import ServiceError
from web.services.issue_intake import IssueInput, change_issue_status, create_issue, suggested_roles, update_issue
from web.services.validation import InvalidInput

BODY = "紙の申請書が多く、窓口で住民を待たせている。職員も転記に追われている。"


def _input(**overrides) -> IssueInput:
    fields = dict(title="書かない窓口を始めたい", body=BODY, sector="resident_services", stage="issue_definition",
                  wanted_roles=["project_manager"], menu="accompaniment", mode="hybrid", months=6)
    fields.update(overrides)
    return IssueInput(**fields)


def _issue_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Issue))


def test_officer_creates_a_draft_for_their_own_town(make_user):
    issue = create_issue(make_user("officer"), _input())
    assert issue.status == "draft" and issue.municipality_code == "012106"
    assert issue.wanted_roles == {"project_manager"}


def test_full_width_months_are_accepted(make_user):
    assert create_issue(make_user("officer"), _input(months="６")).months == 6


@pytest.mark.parametrize("overrides, field, message", [
    ({"title": ""}, "title", "課題名を入力してください"),
    ({"title": "あ" * 81}, "title", "80文字以内"),
    ({"body": "<script>alert(1)</script>" + BODY}, "body", "HTMLタグは使えません"),
    ({"sector": "space"}, "sector", "選べません"),
    ({"months": "十二"}, "months", "半角数字"),
    ({"months": 13}, "months", "1から12"),
    ({"wanted_roles": []}, "wanted_roles", "1つ以上"),
    ({"wanted_roles": ["ninja"]}, "wanted_roles", "選べない値"),
    ({"menu": "spot", "months": 3}, "months", "スポット相談の期間は1か月"),
    ({"menu": "joint"}, "co_municipality_codes", "1つ以上選んで"),
    ({"co_municipality_codes": ["０１２０６８"]}, "co_municipality_codes", "半角数字6桁"),
    ({"co_municipality_codes": ["041009"]}, "co_municipality_codes", "別の都道府県"),
    ({"co_municipality_codes": ["012106"]}, "co_municipality_codes", "自分の市町村"),
])
def test_bad_issue_input_gets_a_japanese_message_and_no_write(make_user, overrides, field, message):
    officer = make_user("officer")
    with pytest.raises(InvalidInput) as caught:
        create_issue(officer, _input(**overrides))
    assert any(message in m for m in caught.value.errors[field])
    db.session.rollback()
    assert _issue_count() == 0


def test_officer_cannot_create_for_another_town(make_user):
    with pytest.raises(InvalidInput) as caught:
        create_issue(make_user("officer"), _input(municipality_code="012068"))
    assert "municipality_code" in caught.value.errors


def test_coordinator_creates_for_a_town_in_their_prefecture_only(make_user):
    coordinator = make_user("coordinator", prefecture_code="01")
    assert create_issue(coordinator, _input(municipality_code="012068")).municipality_code == "012068"
    with pytest.raises(InvalidInput):
        create_issue(coordinator, _input(municipality_code="041009"))


def test_joint_issue_keeps_its_co_owners(make_user):
    issue = create_issue(make_user("officer"), _input(menu="joint", co_municipality_codes=["012068"]))
    assert issue.co_municipality_codes == {"012068"}


def test_update_replaces_roles_and_co_owners(make_user):
    officer = make_user("officer")
    issue = create_issue(officer, _input(menu="joint", co_municipality_codes=["012068"]))
    update_issue(officer, issue, _input(wanted_roles=["engineer", "producer"]))
    assert issue.wanted_roles == {"engineer", "producer"} and issue.co_municipality_codes == set()


def test_publish_then_withdraw(make_user):
    officer = make_user("officer")
    issue = create_issue(officer, _input(), publish=True)
    change_issue_status(officer, issue, "withdrawn")
    assert issue.status == "withdrawn"
    with pytest.raises(ServiceError, match="変更することはできません"):
        change_issue_status(officer, issue, "open")


def test_withdrawn_issue_cannot_be_edited(make_user):
    officer = make_user("officer")
    issue = create_issue(officer, _input())
    change_issue_status(officer, issue, "withdrawn")
    with pytest.raises(ServiceError, match="編集できません"):
        update_issue(officer, issue, _input())


def test_early_stages_suggest_a_producer_or_pm():
    assert suggested_roles("issue_definition") == ["producer", "project_manager"]
    assert "engineer" in suggested_roles("development")
