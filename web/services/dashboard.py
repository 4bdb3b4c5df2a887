"""What each role sees first after logging in."""
from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from web.extensions import db
from web.models import ExpertProfile, SupportProgram, User
from web.services.issues import list_visible_issues


def home_context(user: User) -> dict[str, Any]:
    """Return the template context of `user`'s home page."""
    builders = {"officer": _officer, "expert": _expert, "coordinator": _coordinator, "admin": _admin}
    return builders[user.role](user)


def _officer(user: User) -> dict[str, Any]:
    return {"issues": list_visible_issues(user)}


def _expert(user: User) -> dict[str, Any]:
    profile = db.session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))
    return {"profile": profile, "open_issue_count": len(list_visible_issues(user))}


def _coordinator(user: User) -> dict[str, Any]:
    issues = list_visible_issues(user)
    return {"issues": issues, "status_counts": Counter(issue.status for issue in issues)}


def _admin(user: User) -> dict[str, Any]:
    rows = db.session.execute(select(User.role, func.count()).group_by(User.role)).all()
    programs = db.session.scalars(select(SupportProgram).order_by(SupportProgram.id)).all()
    return {"user_counts": {role: count for role, count in rows}, "programs": programs}
