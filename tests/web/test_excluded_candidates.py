"""A coordinator's exclusion is shown to the town with its reason: on the candidates page and in the shortlist."""
from __future__ import annotations

import pytest

from tests.web.test_matches import _login, corpus  # noqa: F401 (a fixture)
from web.extensions import db
from web.models import ShortlistEntry
from web.services import matching
from web.services.curation import curate

REASON = "今年度は別案件で多忙のため"


@pytest.fixture
def excluded(corpus, make_user):  # noqa: F811
    curate(make_user("coordinator", display_name="北海道 DX推進担当 高橋"), corpus["issue"], corpus["drone"].id,
           "exclude", REASON)
    db.session.commit()
    return corpus


def _exclusions_section(page: str) -> str:
    return page.split('id="exclusions-heading"')[1].split("</section>")[0]


def test_officer_is_told_who_the_coordinator_excluded_and_why(excluded, auth, make_user, client):
    _login(auth, make_user)
    page = client.get(f"/issues/{excluded['issue'].id}/candidates").get_data(as_text=True)
    section = _exclusions_section(page)
    assert "コーディネーターが除外した人材（1人）" in section and "ドローン 太郎" in section
    assert f"除外の理由: {REASON}" in section and "北海道 DX推進担当 高橋" in section
    assert f'id="expert-{excluded["drone"].id}"' not in page  # not ranked for the officer


def test_an_excluded_expert_stays_on_the_officers_shortlist_with_the_reason(excluded, auth, make_user, client):
    officer = _login(auth, make_user)
    db.session.add(ShortlistEntry(issue_id=excluded["issue"].id, expert_id=excluded["drone"].id,
                                  added_by_id=officer.id))
    db.session.commit()
    page = client.get(f"/issues/{excluded['issue'].id}/candidates").get_data(as_text=True)
    shortlist = page.split('id="shortlist-heading"')[1].split("</section>")[0]
    assert "候補リスト（1人）" in shortlist and "ドローン 太郎" in shortlist
    assert "コーディネーターが除外" in shortlist and f"除外の理由: {REASON}" in shortlist
    assert f"/issues/{excluded['issue'].id}/shortlist/{excluded['drone'].id}" in shortlist  # can be removed


def test_shortlist_lists_every_entry_even_when_it_is_not_ranked(corpus, make_user):  # noqa: F811
    officer = make_user()
    for expert in (corpus["online"], corpus["clerk"]):
        db.session.add(ShortlistEntry(issue_id=corpus["issue"].id, expert_id=expert.id, added_by_id=officer.id))
    db.session.commit()
    items = matching.shortlist(corpus["issue"])
    assert {item.expert.id for item in items} == {corpus["online"].id, corpus["clerk"].id}
    assert all(item.exclusion is None for item in items)


def test_without_exclusions_or_shortlist_the_sections_are_absent(corpus, auth, make_user, client):  # noqa: F811
    _login(auth, make_user)
    page = client.get(f"/issues/{corpus['issue'].id}/candidates").get_data(as_text=True)
    assert 'id="exclusions-heading"' not in page and 'id="shortlist-heading"' not in page
