"""Role gates and scoping of what each user sees."""
from __future__ import annotations

import pytest

from web.extensions import db
from web.models import User
from web.services.issues import get_visible_issue, list_visible_issues
from web.services.errors import NotFound

PUBLIC_ENDPOINTS = {"static", "main.favicon", "main.privacy", "main.accessibility", "main.healthz", "auth.login",
                    "experts.signup"}


def _get_rules(app, api: bool):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or "GET" not in rule.methods or rule.arguments:
            continue
        if rule.rule.startswith("/api/") == api:
            yield rule


def test_every_non_public_page_sends_anonymous_users_to_login(app, client):
    for rule in _get_rules(app, api=False):
        response = client.get(rule.rule)
        assert response.status_code == 302, rule.rule
        assert "/auth/login" in response.headers["Location"], rule.rule


def test_every_api_path_refuses_anonymous_callers_except_the_spec(app, client):
    for rule in _get_rules(app, api=True):
        response = client.get(rule.rule)
        expected = 200 if rule.rule.endswith("openapi.json") else 401
        assert response.status_code == expected, rule.rule


@pytest.mark.parametrize("role, status", [("officer", 403), ("expert", 403), ("coordinator", 200), ("admin", 200)])
def test_programs_page_is_for_coordinators_and_admins(make_user, auth, client, role, status):
    user = make_user(role)
    auth.login(user.email)
    assert client.get("/admin/programs").status_code == status


@pytest.mark.parametrize("role, visible", [
    ("officer", "岩見沢市の課題"), ("coordinator", "北海道の課題の状況"), ("expert", "外部デジタル人材のホーム"),
    ("admin", "管理者ホーム"),
])
def test_each_role_gets_its_own_home_page(make_user, auth, client, role, visible):
    auth.login(make_user(role).email)
    assert visible in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role, link", [("officer", "支援制度"), ("admin", "支援制度")])
def test_navigation_shows_only_links_the_role_may_use(make_user, auth, client, role, link):
    auth.login(make_user(role).email)
    shown = f">{link}</a>" in client.get("/").get_data(as_text=True)
    assert shown == (role == "admin")


def test_officer_sees_own_and_co_owned_issues_only(make_user, make_issue):
    own = make_issue(title="自分の町")
    joint = make_issue(municipality_code="012068", title="連携", co_municipality_codes=["012106"])
    make_issue(municipality_code="012068", title="他の町")
    officer = make_user("officer")
    assert {i.id for i in list_visible_issues(officer)} == {own.id, joint.id}


def test_coordinator_sees_only_their_prefecture(make_user, make_issue):
    hokkaido = make_issue(municipality_code="012068")
    make_issue(municipality_code="041009")
    coordinator = make_user("coordinator", prefecture_code="01")
    assert [i.id for i in list_visible_issues(coordinator)] == [hokkaido.id]


def test_expert_sees_published_issues_but_not_drafts(make_user, make_issue):
    make_issue(status="draft")
    published = make_issue(status="open")
    assert [i.id for i in list_visible_issues(make_user("expert"))] == [published.id]


def test_other_towns_issue_looks_missing_to_an_officer(make_user, make_issue):
    other = make_issue(municipality_code="041009")
    with pytest.raises(NotFound):
        get_visible_issue(make_user("officer"), other.id)


def test_officer_home_does_not_list_other_towns(make_user, make_issue, auth, client):
    make_issue(municipality_code="041009", title="仙台の秘密の課題")
    auth.login(make_user("officer").email)
    assert "仙台の秘密の課題" not in client.get("/").get_data(as_text=True)


def test_user_loader_ignores_malformed_session_ids(app_ctx):
    from web.auth.session import load_user
    assert load_user("abc") is None and load_user("1") is None and load_user("999:1") is None
    assert db.session.query(User).count() == 0


@pytest.mark.parametrize("role", ["officer", "expert", "coordinator", "admin"])
def test_every_menu_link_opens_for_its_role(make_user, auth, client, role):
    import re
    auth.login(make_user(role).email)
    nav = client.get("/").get_data(as_text=True).split('aria-label="メインメニュー"')[1].split("</nav>")[0]
    for href in re.findall(r'href="([^"]+)"', nav):
        assert client.get(href, follow_redirects=True).status_code == 200, href
