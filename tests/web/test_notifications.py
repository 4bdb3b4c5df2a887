"""Notifications: each user sees and opens only their own."""
from __future__ import annotations

from web.extensions import db
from web.models import Notification


def _notify(user, **kw):
    note = Notification(user_id=user.id, kind="joint_suggestion", title="連携の提案", body="本文", **kw)
    db.session.add(note)
    db.session.commit()
    return note


def test_unread_count_shows_in_the_menu(make_user, auth, client):
    user = make_user("officer")
    _notify(user)
    auth.login(user.email)
    assert "未読1件" in client.get("/").get_data(as_text=True)


def test_opening_a_notification_marks_it_read_and_follows_its_link(make_user, auth, client):
    user = make_user("officer")
    note = _notify(user, link="/issues/")
    auth.login(user.email)
    response = client.post(f"/notifications/{note.id}/read")
    assert response.headers["Location"] == "/issues/" and db.session.get(Notification, note.id).read_at


def test_someone_elses_notification_looks_missing(make_user, auth, client):
    note = _notify(make_user("officer"))
    auth.login(make_user("officer").email)
    assert client.post(f"/notifications/{note.id}/read").status_code == 404


def test_signed_in_pages_are_not_cached(make_user, auth, client):
    auth.login(make_user("officer").email)
    assert client.get("/").headers["Cache-Control"] == "no-store"
