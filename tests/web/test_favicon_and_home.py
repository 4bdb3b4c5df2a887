"""The site icon is served on every page, and the coordinator's status counts link to their lists."""
from __future__ import annotations

import re


def test_favicon_ico_answers_200_with_an_icon_and_a_cache_header(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
        assert response.data[:4] == b"\0\0\1\0" and "max-age=604800" in response.headers["Cache-Control"]


def test_every_page_links_the_svg_and_ico_icons(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in page
    assert 'rel="icon" href="/favicon.ico"' in page
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_coordinator_status_counts_link_to_the_filtered_issue_list(make_user, make_issue, auth, client):
    make_issue(title="公開中の課題")
    make_issue(title="完了した課題", status="closed")
    auth.login(make_user("coordinator").email)
    home = client.get("/").get_data(as_text=True)
    link = re.search(r'<a class="stat-link" href="([^"]+)"><span class="stat-label">公開中</span> '
                     r'<span class="stat-value">1件</span></a>', home)
    assert link and link.group(1) == "/issues/?status=open"
    listing = client.get(link.group(1)).get_data(as_text=True)
    assert "公開中の課題" in listing and "完了した課題" not in listing
