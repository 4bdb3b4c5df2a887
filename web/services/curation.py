"""Coordinators pin or exclude candidates (with a kept reason); officers keep a shortlist;
coordinators accept the monthly plan and suggest joint engagements."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from web.extensions import db
from web.models import CandidateCuration, ExpertProfile, Issue, Notification, ShortlistEntry, User
from web.models.curation import CURATION_ACTIONS
from web.services import audit
from web.services.errors import NotFound, ServiceError
from web.services.validation import Checker


def _expert(expert_id: int) -> ExpertProfile:
    profile = db.session.get(ExpertProfile, expert_id)
    if profile is None:
        raise NotFound("外部人材が見つかりません。")
    return profile


def curate(user: User, issue: Issue, expert_id: int, action: str, reason: str) -> CandidateCuration:
    """Pin or exclude an expert for an issue; the reason is required and kept (also in the audit trail)."""
    checker = Checker()
    checker.choice("action", "操作", action, CURATION_ACTIONS)
    reason = checker.text("reason", "理由", reason, max_len=500)
    checker.raise_if_any()
    _expert(expert_id)
    curation = db.session.get(CandidateCuration, (issue.id, expert_id)) or CandidateCuration(
        issue_id=issue.id, expert_id=expert_id)
    curation.action, curation.reason, curation.curated_by_id = action, reason, user.id
    db.session.add(curation)
    db.session.flush()
    audit.record(f"candidate_{action}", actor_id=user.id, object_type="issue", object_id=issue.id,
                 expert_id=expert_id, reason=reason)
    return curation


def clear_curation(user: User, issue: Issue, expert_id: int) -> None:
    """Remove a pin or exclusion (the audit trail keeps what it was and why)."""
    curation = db.session.get(CandidateCuration, (issue.id, expert_id))
    if curation is None:
        raise NotFound("この候補への設定はありません。")
    audit.record("candidate_cleared", actor_id=user.id, object_type="issue", object_id=issue.id,
                 expert_id=expert_id, was=curation.action, reason=curation.reason)
    db.session.delete(curation)
    db.session.flush()


def toggle_shortlist(user: User, issue: Issue, expert_id: int) -> bool:
    """Add the expert to the issue's shortlist, or remove them; return whether they are on it now."""
    _expert(expert_id)
    entry = db.session.get(ShortlistEntry, (issue.id, expert_id))
    if entry is not None:
        db.session.delete(entry)
        db.session.flush()
        return False
    db.session.add(ShortlistEntry(issue_id=issue.id, expert_id=expert_id, added_by_id=user.id))
    db.session.flush()
    return True


def accept_plan(user: User, choices: Iterable[tuple[Issue, int]], month_label: str) -> int:
    """Pin the chosen expert on each issue as this month's proposal; return how many were pinned."""
    count = 0
    for issue, expert_id in choices:
        curate(user, issue, expert_id, "pin", f"{month_label}の月次提案で採用")
        count += 1
    return count


def suggest_joint(user: User, issues: list[Issue]) -> int:
    """Notify the officers of every town in the group that a joint engagement is suggested."""
    if len(issues) < 2:
        raise ServiceError("連携の提案には2つ以上の課題が必要です。")
    towns = {i.municipality_code for i in issues}
    titles = "、".join(f"{i.municipality.name}「{i.title}」" for i in issues)
    officers = db.session.scalars(select(User).where(
        User.role == "officer", User.active.is_(True), User.municipality_code.in_(towns))).all()
    for officer in officers:
        db.session.add(Notification(
            user_id=officer.id, kind="joint_suggestion", title="連携プロジェクトの提案があります",
            body=f"同じ課題に取り組む市町村があります: {titles}。共同で外部人材の伴走支援を受けることを検討してください。",
            link=f"/issues/{next(i.id for i in issues if i.municipality_code == officer.municipality_code)}"))
    db.session.flush()
    audit.record("joint_suggested", actor_id=user.id, object_type="issue",
                 object_id=",".join(str(i.id) for i in issues))
    return len(officers)
