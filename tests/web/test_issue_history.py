"""The town's history says what is really known: the registrant, and the support of completed issues."""
from __future__ import annotations

from datetime import date

import pytest

from tests.web.test_issues_ui import officer  # noqa: F401 (a fixture)
from web.extensions import db
from web.models import Engagement


def _card(page: str, title: str) -> str:
    return page.split(f">{title}</a></h3>")[1].split("</article>")[0]


def test_registrant_is_named_when_known_and_called_migrated_data_when_not(officer, client, make_issue):  # noqa: F811
    make_issue(title="職員が登録した課題", created_by_id=officer.id)
    make_issue(title="移行した課題")
    page = client.get("/issues/history").get_data(as_text=True)
    assert "（岩見沢 花子）" in _card(page, "職員が登録した課題")
    assert "（登録者不明（データ移行分））" in _card(page, "移行した課題")
    assert "記録なし" not in page


@pytest.mark.parametrize("status, says", [
    ("closed", "「完了」の課題ですが、外部人材の支援の記録（支援期間・訪問・報告）はこのシステムに登録されていません"),
    ("engaged", "「支援中」の課題ですが、外部人材の支援の記録"),
    ("withdrawn", "取り下げた課題のため、外部人材による支援は行われていません。"),
    ("open", "外部人材を探している段階です。"),
])
def test_an_issue_without_engagement_rows_is_described_by_its_status(officer, client, make_issue, status, says):  # noqa: F811
    make_issue(title="記録を確かめる課題", status=status)
    card = _card(client.get("/issues/history").get_data(as_text=True), "記録を確かめる課題")
    assert says in card and "支援の記録はありません" not in card


def test_closed_issue_with_an_engagement_shows_the_expert(officer, client, make_issue, make_expert):  # noqa: F811
    issue = make_issue(title="終わった課題", status="closed")
    expert = make_expert(display_name="札幌 一郎")
    db.session.add(Engagement(issue_id=issue.id, expert_id=expert.id, start_on=date(2026, 4, 1),
                              end_on=date(2026, 9, 30), status="completed", outcome="solved"))
    db.session.commit()
    card = _card(client.get("/issues/history").get_data(as_text=True), "終わった課題")
    assert "札幌 一郎" in card and "このシステムに登録されていません" not in card


def test_detail_page_of_a_closed_issue_says_what_is_known(officer, client, make_issue):  # noqa: F811
    issue = make_issue(status="closed")
    page = client.get(f"/issues/{issue.id}").get_data(as_text=True)
    assert "登録者不明（データ移行分）" in page and "（記録なし）" not in page
    assert "支援の記録" in page and "このシステムに登録されていません" in page
