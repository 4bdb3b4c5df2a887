"""Coordinators pin or exclude candidates (with a kept reason); officers keep a shortlist;
coordinators accept the monthly plan and suggest joint engagements."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, or_, select

from web.dates import today_jst
from web.extensions import db
from web.models import CandidateCuration, ExpertProfile, Issue, ShortlistEntry, User
from web.models.curation import CURATION_ACTIONS
from web.services import audit
from web.services.errors import Conflict, NotFound, ServiceError
from web.services.issue_intake import lock_issue
from web.services.notifications import notify_once
from web.services.validation import Checker
from web.transaction import insert


def _expert(expert_id: int) -> ExpertProfile:
    profile = db.session.get(ExpertProfile, expert_id)
    if profile is None:
        raise NotFound("外部人材が見つかりません。")
    return profile


def curate(user: User, issue: Issue, expert_id: int, action: str, reason: str,
           origin: str = "manual") -> CandidateCuration:
    """Pin or exclude an expert for an issue; the reason is required and kept (also in the audit trail).

    One upsert (INSERT … ON CONFLICT DO UPDATE): the same decision made twice at once leaves one row and one
    audit record; repeating a decision that is already in place changes and records nothing.
    """
    checker = Checker()
    checker.choice("action", "操作", action, CURATION_ACTIONS)
    reason = checker.text("reason", "理由", reason, max_len=500)
    checker.raise_if_any()
    _expert(expert_id)
    new = insert(CandidateCuration).values(issue_id=issue.id, expert_id=expert_id, action=action, reason=reason,
                                           origin=origin, curated_by_id=user.id)
    upsert = new.on_conflict_do_update(
        index_elements=[CandidateCuration.issue_id, CandidateCuration.expert_id],
        set_={"action": new.excluded.action, "reason": new.excluded.reason, "origin": new.excluded.origin,
              "curated_by_id": new.excluded.curated_by_id},
        where=or_(CandidateCuration.action != new.excluded.action, CandidateCuration.reason != new.excluded.reason,
                  CandidateCuration.origin != new.excluded.origin),
    ).returning(CandidateCuration.issue_id)
    changed = db.session.execute(upsert).first() is not None
    curation = db.session.get_one(CandidateCuration, (issue.id, expert_id), populate_existing=True)
    if changed:
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


def toggle_shortlist(user: User, issue: Issue, expert_id: int, wanted: bool | None = None) -> bool:
    """Put the expert on the issue's shortlist or take them off; return whether they are on it now.

    `wanted` is the state the user asked for (the button they saw); without it the entry flips. Asking for the
    state that is already there changes nothing, so a double click, or twenty identical requests at once,
    leave exactly one row (INSERT … ON CONFLICT DO NOTHING).
    """
    _expert(expert_id)
    if wanted is None:
        wanted = db.session.get(ShortlistEntry, (issue.id, expert_id)) is None
    if wanted:
        db.session.execute(insert(ShortlistEntry).values(issue_id=issue.id, expert_id=expert_id, added_by_id=user.id)
                           .on_conflict_do_nothing())
    else:
        db.session.execute(delete(ShortlistEntry).where(ShortlistEntry.issue_id == issue.id,
                                                        ShortlistEntry.expert_id == expert_id))
    return wanted


#: Reason kept on a pin set by accepting the monthly plan (``{month}`` e.g. 「2026年5月」).
PLAN_PIN_REASON = "{month}の月次提案で採用"


def is_plan_pin(curation: CandidateCuration) -> bool:
    """Whether this pin was set by accepting a monthly plan (origin "plan"), not by hand."""
    return curation.action == "pin" and curation.origin == "plan"


@dataclass(frozen=True)
class PlanAcceptance:
    """What accepting the plan did: pins set (new or replacing a plan pin), unchanged, and choices not applied."""

    pinned: int = 0
    unchanged: int = 0
    kept: int = 0


def accept_plan(user: User, choices: Iterable[tuple[Issue, int]], month_label: str) -> PlanAcceptance:
    """Pin the chosen expert on each issue as this month's proposal; an issue never ends up with two pins.

    A choice that is already pinned changes nothing. An earlier plan pin for another expert is replaced (the
    audit trail keeps the old pin and why it went). A pin set by hand, or an exclusion of the chosen expert, is
    respected: that choice is not applied and counted in ``kept``.
    """
    pinned = unchanged = kept = 0
    reason = PLAN_PIN_REASON.format(month=month_label)
    # Issues in id order, each locked first: two coordinators accepting at once take turns per issue (and
    # never lock in opposite orders), so the second sees the first one's pin.
    for issue, expert_id in sorted(choices, key=lambda choice: choice[0].id):
        lock_issue(issue)
        _expert(expert_id)
        rows = {c.expert_id: c for c in db.session.scalars(
            select(CandidateCuration).where(CandidateCuration.issue_id == issue.id))}
        chosen, pins = rows.get(expert_id), [c for c in rows.values() if c.action == "pin"]
        if chosen is not None and chosen.action == "pin":
            unchanged += 1
        elif chosen is not None or any(not is_plan_pin(c) for c in pins):
            kept += 1
        else:
            for old in pins:
                _replace_plan_pin(user, issue, old, expert_id, month_label)
            curate(user, issue, expert_id, "pin", reason, origin="plan")
            pinned += 1
    return PlanAcceptance(pinned, unchanged, kept)


def _replace_plan_pin(user: User, issue: Issue, old: CandidateCuration, expert_id: int, month_label: str) -> None:
    audit.record("candidate_cleared", actor_id=user.id, object_type="issue", object_id=issue.id,
                 expert_id=old.expert_id, was=old.action, was_reason=old.reason, replaced_by=expert_id,
                 reason=f"{month_label}の月次提案で別の人材を採用したため置き換え")
    # A bulk delete: a concurrent acceptance that removed the row first is not an error.
    db.session.execute(delete(CandidateCuration).where(
        CandidateCuration.issue_id == issue.id, CandidateCuration.expert_id == old.expert_id))
    db.session.flush()


def suggest_joint(user: User, issues: list[Issue]) -> int:
    """Notify the officers of every town in the group that a joint engagement is suggested."""
    if len(issues) < 2:
        raise ServiceError("連携の提案には2つ以上の課題が必要です。")
    towns = {i.municipality_code for i in issues}
    titles = "、".join(f"{i.municipality.name}「{i.title}」" for i in issues)
    officers = db.session.scalars(select(User).where(
        User.role == "officer", User.active.is_(True), User.municipality_code.in_(towns)).order_by(User.id)).all()
    key, body = joint_suggestion_key(issues), (
        f"同じ課題に取り組む市町村があります: {titles}。共同で外部人材の伴走支援を受けることを検討してください。")
    notified = 0
    for officer in officers:
        own = next(i.id for i in issues if i.municipality_code == officer.municipality_code)
        if notify_once(officer, key, kind="joint_suggestion", title="連携プロジェクトの提案があります", body=body,
                       link=f"/issues/{own}"):
            notified += 1
    if officers and not notified:
        raise Conflict("この組み合わせの連携は、本日すでに提案しています。市町村担当者へのお知らせは1日1回です。")
    audit.record("joint_suggested", actor_id=user.id, object_type="issue",
                 object_id=",".join(str(i.id) for i in issues))
    return notified


def joint_suggestion_key(issues: list[Issue]) -> str:
    """Return the key that makes one joint suggestion of these issues reach each officer once a day."""
    ids = ",".join(str(i) for i in sorted({issue.id for issue in issues}))
    return f"joint:{today_jst().isoformat()}:{hashlib.sha256(ids.encode()).hexdigest()[:32]}"
