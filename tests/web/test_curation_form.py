"""A refused pin/exclusion shows the error under the reason field of that card and keeps what was chosen and typed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from web.extensions import db
from web.models import CandidateCuration


@pytest.fixture
def card(make_user, make_issue, make_expert, auth):
    expert = make_expert(user=make_user("expert", display_name="ドローン 太郎"),
                         bio="十勝の農協でドローン防除と農薬散布の実証を担当。散布計画づくりと操縦者育成が得意。")
    issue = make_issue(title="水田のドローン防除を始めたい", wanted_roles=("engineer",),
                       body="水稲の農薬散布を無人航空機で行いたいが、操縦できる人材も散布計画の作り方も分からない。")
    auth.login(make_user("coordinator").email)
    return issue, expert


def _post(client, card, **data):
    issue, expert = card
    return client.post(f"/issues/{issue.id}/curation/{expert.id}", data=data)


def test_empty_reason_is_shown_under_the_reason_field_and_nothing_is_written(card, client):
    response = _post(client, card, action="exclude", reason="  ")
    page, expert_id = response.get_data(as_text=True), card[1].id
    assert response.status_code == 422
    assert f'<p class="error-text" id="reason-{expert_id}-error">＊理由を入力してください。</p>' in page
    assert f'aria-describedby="reason-{expert_id}-support reason-{expert_id}-error"' in page
    assert 'aria-invalid="true" autofocus' in page
    assert db.session.scalars(select(CandidateCuration)).all() == []


def test_refused_curation_keeps_the_chosen_action(card, client):
    page = _post(client, card, action="exclude", reason="").get_data(as_text=True)
    expert_id = card[1].id
    assert f'value="exclude" id="exclude-{expert_id}" checked' in page
    assert f'value="pin" id="pin-{expert_id}" checked' not in page


def test_refused_curation_keeps_the_typed_reason(card, client):
    page = _post(client, card, action="pin", reason="x" * 501).get_data(as_text=True)
    assert "理由は500文字以内で入力してください" in page and ">" + "x" * 501 + "</textarea>" in page


def test_filter_form_of_a_re_rendered_list_still_goes_to_the_candidates_page(card, client):
    page = _post(client, card, action="pin", reason="").get_data(as_text=True)
    assert f'<form method="get" action="/issues/{card[0].id}/candidates" class="filter-form">' in page
