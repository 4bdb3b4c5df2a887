"""The coordinator's desk ranks all its issues in one batch (matching.top_candidates): the same lists as one
rank_candidates call per issue, and a number of SQL statements that does not grow with the number of issues."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from web.extensions import db
from web.models import CandidateCuration, ShortlistEntry
from web.models.base import utcnow
from web.services import matching

TEXTS = [
    ("水田のドローン防除を始めたい", "水稲の農薬散布を無人航空機で行いたい。散布計画の作り方も分からない。", "agriculture", "onsite"),
    ("書かない窓口を導入したい", "住民票の申請書を窓口で書かずに済むようにし、オンライン申請も広げたい。", "resident_services",
     "hybrid"),
    ("観光客の動きをデータで知りたい", "観光客の回遊をスマートフォンの位置情報で分析し、施策に生かしたい。", "tourism", "online"),
    ("庁内の紙の決裁をなくしたい", "電子決裁と文書管理を導入し、押印と紙の回覧をやめたい。", "business_process", "hybrid"),
]


@pytest.fixture
def experts(make_user, make_expert):
    """Five experts with different skills; one not reconfirmed for a year (never recommended until they do)."""
    made = {
        "drone": make_expert(bio="ドローン防除と農薬散布の実証、散布計画づくりが得意。", roles=("engineer",),
                             sectors=("agriculture",), modes=("hybrid", "onsite")),
        "window": make_expert(bio="書かない窓口とオンライン申請の業務改革を支援。", roles=("service_designer",),
                              sectors=("resident_services",), modes=("hybrid",)),
        "data": make_expert(bio="観光の人流データ分析と位置情報の活用。", roles=("engineer",),
                            sectors=("tourism",), modes=("online", "hybrid")),
        "paper": make_expert(bio="電子決裁と文書管理システムの導入、庁内の業務改革。", roles=("project_manager",),
                             sectors=("business_process",), modes=("hybrid",)),
        "stale": make_expert(bio="ドローン防除と農薬散布、電子決裁、書かない窓口、観光データ分析なんでも。",
                             roles=("engineer", "project_manager"), sectors=("agriculture", "business_process"),
                             modes=("hybrid", "onsite", "online")),
    }
    made["stale"].last_confirmed_at = utcnow() - timedelta(days=400)
    db.session.commit()
    return made


def _issues(make_issue: Callable, n: int, start: int = 0) -> list:
    made = []
    for k in range(start, start + n):
        title, body, sector, mode = TEXTS[k % len(TEXTS)]
        made.append(make_issue(title=f"{title}（{k}）", body=body, sector=sector, mode=mode,
                               municipality_code=("012106", "012068")[k % 2],
                               status="matching" if k % 5 == 4 else "open"))
    return made


@pytest.fixture
def curated(experts, make_issue, make_user):
    """Eight issues; a pin of a weak candidate, an exclusion of a strong one, and a shortlist entry."""
    issues = _issues(make_issue, 8)
    coordinator = make_user("coordinator")
    db.session.add_all([
        CandidateCuration(issue_id=issues[0].id, expert_id=experts["window"].id, action="pin", reason="町長の意向",
                          curated_by_id=coordinator.id),
        CandidateCuration(issue_id=issues[1].id, expert_id=experts["window"].id, action="exclude", reason="多忙",
                          curated_by_id=coordinator.id),
        ShortlistEntry(issue_id=issues[2].id, expert_id=experts["data"].id, added_by_id=coordinator.id),
    ])
    db.session.commit()
    return issues


def _shape(view: matching.CandidateView) -> tuple:
    return (view.expert.id, view.score, view.parts, view.reasons, view.unmet, view.shared_terms, view.remaining,
            view.curation, view.shortlisted, view.pinned)


def test_batch_lists_equal_one_ranking_per_issue_with_pins_exclusions_and_shortlists(curated, experts, app):
    with app.test_request_context():
        for limit in (1, 3, 5):
            batch = matching.top_candidates(curated, limit=limit, explain=True)
            single = {issue.id: matching.rank_candidates(issue, limit=limit) for issue in curated}
            assert {k: [_shape(v) for v in vs] for k, vs in batch.items()} == \
                   {k: [_shape(v) for v in vs] for k, vs in single.items()}
        # The curations really shaped the lists (so the equality above compared something).
        assert batch[curated[0].id][0].expert.id == experts["window"].id and batch[curated[0].id][0].pinned
        assert experts["window"].id not in [v.expert.id for v in batch[curated[1].id]]
        assert any(v.shortlisted for v in batch[curated[2].id])
        assert all(experts["stale"].id not in [v.expert.id for v in vs] for vs in batch.values())


def test_without_explanations_the_batch_keeps_the_same_experts_and_scores(curated, app):
    with app.test_request_context():
        plain = matching.top_candidates(curated, limit=3)
        single = {issue.id: matching.rank_candidates(issue, limit=3) for issue in curated}
        assert {k: [(v.expert.id, v.score, v.parts) for v in vs] for k, vs in plain.items()} == \
               {k: [(v.expert.id, v.score, v.parts) for v in vs] for k, vs in single.items()}
        assert all(v.reasons == () and v.shared_terms == () for vs in plain.values() for v in vs)


def test_an_empty_batch_asks_nothing(app_ctx):
    with _statements() as counted:
        assert matching.top_candidates([]) == {}
    assert counted() == 0


@contextmanager
def _statements() -> Iterator[Callable[[], int]]:
    count = 0

    def counter(*_args: object) -> None:
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        yield lambda: count
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)


def _page_statements(client, path: str) -> int:
    assert client.get(path).status_code == 200  # warm: the first request syncs the index with the new rows
    db.session.expire_all()
    with _statements() as counted:
        response = client.get(path)
    assert response.status_code == 200
    return counted()


@pytest.mark.parametrize("path", ["/coordinator/", "/coordinator/plan", "/coordinator/joint", "/"])
def test_the_desk_pages_issue_as_many_statements_for_3n_issues_as_for_n(experts, make_issue, make_user, auth,
                                                                         client, path):
    auth.login(make_user("coordinator").email)
    _issues(make_issue, 5)  # n = 5: open and matching issues in both towns
    small = _page_statements(client, path)
    issues = _issues(make_issue, 10, start=5)  # 3n
    large = _page_statements(client, path)
    assert large == small
    page = client.get(path).get_data(as_text=True)
    assert issues[-1].title in page or path in ("/coordinator/joint", "/coordinator/plan")


def test_the_overview_shows_each_issue_with_its_top_candidates_from_the_batch(curated, experts, auth, make_user,
                                                                              client):
    auth.login(make_user("coordinator").email)
    page = client.get("/coordinator/").get_data(as_text=True)
    assert curated[0].title in page and curated[4].title in page  # open and matching issues
    row = page[page.index(curated[0].title):]
    row = row[:row.index("</tr>")]
    assert f"{experts['window'].display_name}（" in row and "・優先" in row


def test_a_second_batch_reuses_the_kept_rankings_until_a_curation_capacity_or_profile_changes(
        curated, experts, make_user, monkeypatch, app):
    from matcher import Matcher

    calls: list[int] = []
    real = Matcher.rank_experts_batch
    monkeypatch.setattr(Matcher, "rank_experts_batch",
                        lambda self, issues, *a, **k: calls.append(len(issues)) or real(self, issues, *a, **k))
    with app.test_request_context():
        first = matching.top_candidates(curated, limit=3)
        again = matching.top_candidates(curated, limit=3)
        assert calls == [len(curated)]  # the second call ranked nothing
        assert {k: [_shape(v) for v in vs] for k, vs in again.items()} == \
               {k: [_shape(v) for v in vs] for k, vs in first.items()}
        top = first[curated[3].id][0].expert
        db.session.add(CandidateCuration(issue_id=curated[3].id, expert_id=top.id, action="exclude", reason="多忙",
                                         curated_by_id=make_user("coordinator").id))
        db.session.commit()
        excluded = matching.top_candidates(curated, limit=3)
        assert calls[-1] == 1 and top.id not in [v.expert.id for v in excluded[curated[3].id]]
        monkeypatch.setattr(matching, "remaining_capacity",
                            lambda ids=None: {str(experts["drone"].id): 0})  # the drone expert fully booked
        booked = matching.top_candidates(curated, limit=3)
        assert calls[-1] == len(curated)
        assert all(experts["drone"].id not in [v.expert.id for v in vs] for vs in booked.values())
        monkeypatch.undo()
        experts["paper"].bio = "ドローン防除と農薬散布、水稲の散布計画。"
        db.session.commit()
        changed = matching.top_candidates(curated, limit=3, explain=True)
        assert calls[-1] == len(curated)  # a new index snapshot: everything ranked again
        single = {issue.id: matching.rank_candidates(issue, limit=3) for issue in curated}
        assert {k: [_shape(v) for v in vs] for k, vs in changed.items()} == \
               {k: [_shape(v) for v in vs] for k, vs in single.items()}
