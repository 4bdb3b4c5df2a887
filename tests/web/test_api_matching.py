"""Ranked candidates for an issue and recommended issues for an expert, through the API."""
from __future__ import annotations

import pytest

from tests.web.test_api import api_as, assert_problem
from web.extensions import db
from web.models import CandidateCuration
from web.services.matching import IndexNotReady

BODY = "水田のドローン防除を検討したいが、庁内に知見がなく進め方が分からない。"


@pytest.fixture
def issue(make_issue, make_expert):
    """An open farming issue and four experts who fit it to different degrees."""
    make_expert(bio="農業ドローンの実証とスマート農業の導入支援。水田の防除も担当。", roles=("project_manager",))
    make_expert(bio="農業データの分析と可視化。", roles=("engineer",))
    make_expert(bio="観光アプリのUI/UX設計。", roles=("service_designer",), sectors=("tourism",))
    make_expert(bio="防災無線のネットワーク更新。", roles=("engineer",), sectors=("disaster",), modes=("online",))
    return make_issue(body=BODY)


def test_candidates_have_the_exact_shape_and_are_sorted_by_score(client, make_user, issue):
    body = api_as(client, make_user("officer")).get(f"/issues/{issue.id}/candidates").get_json()
    assert set(body) == {"issue_id", "candidates", "excluded"} and body["issue_id"] == issue.id
    assert body["candidates"]
    assert all(set(c) == {"expert_id", "score", "parts", "reasons"} for c in body["candidates"])
    scores = [c["score"] for c in body["candidates"]]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(r, str) for c in body["candidates"] for r in c["reasons"])


def test_an_expert_excluded_by_the_coordinator_is_listed_with_the_reason_instead_of_ranked(client, make_user,
                                                                                             issue):
    ranked = api_as(client, make_user("officer")).get(f"/issues/{issue.id}/candidates").get_json()["candidates"]
    excluded_id = ranked[0]["expert_id"]
    db.session.add(CandidateCuration(issue_id=issue.id, expert_id=excluded_id, action="exclude",
                                     reason="今期は対応できないと本人から連絡あり"))
    db.session.commit()
    body = api_as(client, make_user("officer")).get(f"/issues/{issue.id}/candidates").get_json()
    assert excluded_id not in [c["expert_id"] for c in body["candidates"]]
    assert [(e["expert_id"], e["reason"]) for e in body["excluded"]] == [(excluded_id, "今期は対応できないと本人から連絡あり")]


def test_candidates_respect_the_limit(client, make_user, issue):
    body = api_as(client, make_user("officer")).get(f"/issues/{issue.id}/candidates?limit=2").get_json()
    assert len(body["candidates"]) == 2


@pytest.mark.parametrize("limit", ["0", "51", "x"])
def test_candidate_limit_outside_1_to_50_is_a_422_problem(client, make_user, issue, limit):
    officer = api_as(client, make_user("officer"))
    problem = assert_problem(officer.get(f"/issues/{issue.id}/candidates?limit={limit}"), 422)
    assert "limit" in problem["errors"]


def test_candidates_while_the_index_builds_are_a_503_with_retry_after(client, make_user, issue, monkeypatch):
    from web.api import issues as api_issues

    def not_ready(*args: object, **kwargs: object) -> None:
        raise IndexNotReady()

    monkeypatch.setattr(api_issues, "rank_candidates", not_ready)
    response = api_as(client, make_user("officer")).get(f"/issues/{issue.id}/candidates")
    assert assert_problem(response, 503)["detail"].startswith("候補の準備をしています")
    assert response.headers["Retry-After"] == "60"


def test_expert_gets_recommended_open_issues_best_first(client, make_expert, make_issue, issue):
    make_issue(status="draft", title="非公開の下書きの課題", body=BODY)
    expert = make_expert(bio="農業分野のデータ活用とドローン実証。", roles=("engineer",))
    body = api_as(client, expert.user).get("/experts/me/recommended-issues").get_json()
    assert body["expert_id"] == expert.id and [i["issue_id"] for i in body["issues"]] == [issue.id]
    assert set(body["issues"][0]) == {"issue_id", "title", "score", "parts", "reasons"}


def test_recommendations_respect_the_limit_and_order(client, make_expert, make_issue, issue):
    make_issue(title="畑の獣害対策を進めたい", body=BODY, sector="wildlife")
    make_issue(title="農業データの分析をしたい", body=BODY)
    expert = make_expert(bio="農業分野のデータ活用とドローン実証。", roles=("engineer",))
    issues = api_as(client, expert.user).get("/experts/me/recommended-issues?limit=2").get_json()["issues"]
    assert len(issues) == 2 and issues[0]["score"] >= issues[1]["score"]


def test_expert_without_a_profile_gets_no_recommendations(client, make_user):
    assert_problem(api_as(client, make_user("expert")).get("/experts/me/recommended-issues"), 404)
