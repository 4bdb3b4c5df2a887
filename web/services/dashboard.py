"""What each role sees first after logging in.

Figures are counted in SQL (one GROUP BY / COUNT), never by loading every issue; lists on a home page are the
newest few rows with a link to the full list.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from web.extensions import db
from web.models import ExpertProfile, Issue, SupportProgram, User
from web.services.issues import _query_visible, list_visible_issues

#: How many of the newest issues the coordinator's home lists (the issue list has them all).
HOME_ISSUES = 20


def home_context(user: User) -> dict[str, Any]:
    """Return the template context of `user`'s home page."""
    builders = {"officer": _officer, "expert": _expert, "coordinator": _coordinator, "admin": _admin}
    return builders[user.role](user)


def issue_status_counts(user: User) -> dict[str, int]:
    """Return how many issues `user` may see, by status (one GROUP BY over the visible issues)."""
    visible = _query_visible(user).with_only_columns(Issue.id, Issue.status).subquery()
    rows = db.session.execute(select(visible.c.status, func.count()).group_by(visible.c.status))
    return {status: count for status, count in rows}


def _officer(user: User) -> dict[str, Any]:
    # The town's own issues (owned or co-owned): the officer's work list, a few dozen at most.
    return {"issues": list_visible_issues(user)}


def _expert(user: User) -> dict[str, Any]:
    profile = db.session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))
    return {"profile": profile, "open_issue_count": sum(issue_status_counts(user).values())}


def _coordinator(user: User) -> dict[str, Any]:
    counts = issue_status_counts(user)
    newest = db.session.scalars(
        _query_visible(user).options(selectinload(Issue.municipality), selectinload(Issue.co_owner_rows))
        .order_by(Issue.created_at.desc(), Issue.id.desc()).limit(HOME_ISSUES))
    return {"issues": list(newest), "status_counts": counts, "issue_total": sum(counts.values()),
            "home_issues": HOME_ISSUES}


def _admin(user: User) -> dict[str, Any]:
    rows = db.session.execute(select(User.role, func.count()).group_by(User.role)).all()
    programs = db.session.scalars(select(SupportProgram).order_by(SupportProgram.id)).all()
    return {"user_counts": {role: count for role, count in rows}, "programs": programs}
