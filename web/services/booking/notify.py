"""Tell a person about an event once: an in-app notification and a mail (with an .ics where there is one)."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for
from sqlalchemy import or_, select

from web.extensions import db
from web.models import ExpertProfile, Issue, IssueCoOwner, User
from web.services.mailer import send_mail
from web.services.notifications import notify_once

SIGNATURE = "\n\n--\n自治体DXマッチング（このメールは送信専用です）"


def path_for(endpoint: str, **values: object) -> str:
    """Return the path of a page, also outside a web request (jobs, CLI)."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def absolute(endpoint: str, **values: object) -> str:
    """Return an absolute URL for mail: PUBLIC_BASE_URL when set (jobs, CLI), else the request's host."""
    path = path_for(endpoint, **values)
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return f"{base}{path}"
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    return f"http://127.0.0.1:5000{path}"


def tell(user: User | None, key: str, *, kind: str, title: str, body: str, endpoint: str | None = None,
         ics: bytes | None = None, method: str | None = None, **values: object) -> bool:
    """Notify `user` in the app and by mail unless they were already told under `key`; return whether told now.

    The notification's unique (user, key) decides, so a job run twice or two schedulers send one mail.
    """
    if user is None or not user.active:
        return False
    link = path_for(endpoint, **values) if endpoint else None
    if not notify_once(user, key, kind=kind, title=title, body=body, link=link):
        return False
    text = body + (f"\n\n{absolute(endpoint, **values)}" if endpoint else "") + SIGNATURE
    send_mail(user, f"【自治体DXマッチング】{title}", text, ics=ics, method=method, kind=kind)
    return True


def town_users(issue: Issue) -> list[User]:
    """The active officers of the issue's town and of its co-owner towns (a joint issue)."""
    co_owners = select(IssueCoOwner.municipality_code).where(IssueCoOwner.issue_id == issue.id)
    query = select(User).where(User.role == "officer", User.active.is_(True),
                               or_(User.municipality_code == issue.municipality_code,
                                   User.municipality_code.in_(co_owners))).order_by(User.id)
    return list(db.session.scalars(query))


def expert_user(expert: ExpertProfile) -> User | None:
    return db.session.get(User, expert.user_id)
