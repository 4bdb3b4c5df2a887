"""In-app notifications: list, count unread, mark read (each user sees only their own)."""
from __future__ import annotations

from sqlalchemy import func, select

from web.extensions import db
from web.models import Notification, User
from web.models.base import utcnow
from web.services.errors import NotFound
from web.transaction import insert


def list_notifications(user: User, limit: int = 50) -> list[Notification]:
    query = (select(Notification).where(Notification.user_id == user.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def unread_count(user: User) -> int:
    query = select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    return int(db.session.scalar(query) or 0)


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read; someone else's looks missing."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("お知らせが見つかりません。")
    notification.read_at = notification.read_at or utcnow()
    db.session.flush()
    return notification


def notify_once(user: User, dedupe_key: str, *, kind: str, title: str, body: str, link: str | None) -> bool:
    """Notify the user unless they already have a notification with this key; return whether this one was new.

    The unique (user, dedupe_key) constraint decides (INSERT … ON CONFLICT DO NOTHING), so twenty identical
    requests at the same moment still send one notification.
    """
    new = insert(Notification).values(user_id=user.id, dedupe_key=dedupe_key, kind=kind, title=title, body=body,
                                      link=link)
    inserted = new.on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"]).returning(Notification.id)
    return db.session.execute(inserted).first() is not None
