"""Reports (訪問報告): the expert reports each visit; the town acknowledges it or asks a question.

Filing moves the visit to done and its ledger amounts from reserved to used. One report per visit: filing again
updates the same report (the expert's answer to a question) until the town has acknowledged it; after that it is
refused.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from web.codes import STAGES
from web.extensions import db
from web.models import User, Visit, VisitReport
from web.models.base import utcnow
from web.services import audit
from web.services.booking import access, plans
from web.services.booking.visits import lock_expert, tell_side, when
from web.services.errors import Conflict, NotFound
from web.services.validation import Checker

TEXT_MAX = 4000
QUESTION_MAX = 2000
HOURS_MAX = 24
HOURS_MESSAGE = f"時間は0より大きく{HOURS_MAX}以下の数で入力してください（例: 1.5）。"


@dataclass(frozen=True)
class ReportInput:
    summary: str
    decisions: str = ""
    next_actions: str = ""
    hours: float | None = None
    stage: str | None = None


def _hours(checker: Checker, value: object) -> float | None:
    """None/"" → None; a number (full-width digits accepted) with 0 < h ≤ 24, else a message under "hours"."""
    if value is None or value == "":
        return None
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(unicodedata.normalize("NFKC", value).strip().replace(",", ""))
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or not 0 < number <= HOURS_MAX:
        checker.add("hours", HOURS_MESSAGE)
        return None
    return round(number, 2)


def validate(data: ReportInput) -> ReportInput:
    """Return the cleaned input or raise InvalidInput with a Japanese message under each refused field."""
    checker = Checker()
    data = checker.screen(data, "報告")
    summary = checker.text("summary", "実施内容", data.summary, max_len=TEXT_MAX)
    decisions = checker.text("decisions", "決まったこと", data.decisions, required=False, max_len=TEXT_MAX)
    next_actions = checker.text("next_actions", "次の作業", data.next_actions, required=False, max_len=TEXT_MAX)
    hours = _hours(checker, data.hours)
    stage = checker.choice("stage", "DXの段階", data.stage, STAGES) if data.stage else None
    checker.raise_if_any()
    return ReportInput(summary, decisions, next_actions, hours, stage or None)


def file_report(user: User, visit_id: int, data: ReportInput) -> VisitReport:
    """The expert reports a confirmed visit that has started (or updates an unacknowledged report)."""
    visit = access.get_visit(user, visit_id)
    access.require_side(user, visit.expert_id, "expert", "訪問の報告")
    clean = validate(data)
    lock_expert(visit.expert_id)
    db.session.refresh(visit, with_for_update=True)
    if visit.report is not None:
        return _update(user, visit.report, clean)
    if visit.status != "confirmed":
        raise Conflict(f"「{visit.status_label}」の訪問は報告できません。日程が確定した訪問を報告してください。",
                       rule="visit_state")
    if visit.starts_at > utcnow():
        raise Conflict(f"この訪問は{when(visit.starts_at)}からです。訪問の開始後に報告してください。",
                       rule="visit_not_started")
    visit.transition_to("done")
    plans.use_up([visit], visit.engagement)
    report = VisitReport(visit_id=visit.id, author_id=user.id, summary=clean.summary, decisions=clean.decisions,
                         next_actions=clean.next_actions, hours=clean.hours, stage=clean.stage)
    db.session.add(report)
    db.session.flush()
    audit.record("visit_reported", actor_id=user.id, object_type="visit_report", object_id=report.id)
    tell_side(visit.engagement, "town", f"visit:{visit.id}:report", kind="visit_reported",
              title="訪問の報告が届きました",
              body=f"{visit.engagement.expert.display_name}さんから{when(visit.starts_at)}の訪問の報告が届きました。"
                   "内容を確認してください。")
    return report


def _update(user: User, report: VisitReport, clean: ReportInput) -> VisitReport:
    if report.acknowledged_at is not None:
        raise Conflict("この報告は市町村が確認済みのため変更できません。", rule="report_acknowledged")
    report.summary, report.decisions, report.next_actions = clean.summary, clean.decisions, clean.next_actions
    report.hours, report.stage = clean.hours, clean.stage
    report.updated_at = utcnow()
    db.session.flush()
    audit.record("visit_report_updated", actor_id=user.id, object_type="visit_report", object_id=report.id)
    visit = report.visit
    tell_side(visit.engagement, "town", f"visit:{visit.id}:report:{report.updated_at.isoformat()}",
              kind="visit_report_updated", title="訪問の報告が更新されました",
              body=f"{visit.engagement.expert.display_name}さんが{when(visit.starts_at)}の訪問の報告を更新しました。")
    return report


def _town_report(user: User, report_id: int, action: str) -> VisitReport:
    """The report, if the user may see its visit and acts for the town; read again under a row lock."""
    report = db.session.get(VisitReport, report_id)
    if report is None:
        raise NotFound("報告が見つかりません。")
    try:
        visit: Visit = access.get_visit(user, report.visit_id)
    except NotFound:
        raise NotFound("報告が見つかりません。") from None
    access.require_side(user, visit.expert_id, "town", action)
    db.session.refresh(report, with_for_update=True)
    return report


def acknowledge(user: User, report_id: int) -> VisitReport:
    """The town acknowledges a report (again: nothing changes); the expert is told."""
    report = _town_report(user, report_id, "報告の確認")
    if report.acknowledged_at is not None:
        return report
    report.acknowledged_at = utcnow()
    report.acknowledged_by_id = user.id
    db.session.flush()
    audit.record("visit_report_acknowledged", actor_id=user.id, object_type="visit_report", object_id=report.id)
    visit = report.visit
    tell_side(visit.engagement, "expert", f"report:{report.id}:acknowledged", kind="visit_report_acknowledged",
              title="訪問の報告が確認されました", body=f"{when(visit.starts_at)}の訪問の報告を市町村が確認しました。")
    return report


def ask(user: User, report_id: int, question: str) -> VisitReport:
    """The town asks about a report; the expert answers by updating it."""
    checker = Checker()
    text = checker.text("question", "質問", question, max_len=QUESTION_MAX)
    checker.raise_if_any()
    report = _town_report(user, report_id, "報告への質問")
    if report.acknowledged_at is not None:
        raise Conflict("確認済みの報告には質問できません。", rule="report_acknowledged")
    report.question, report.question_at = text, utcnow()
    db.session.flush()
    audit.record("visit_report_question", actor_id=user.id, object_type="visit_report", object_id=report.id)
    visit = report.visit
    tell_side(visit.engagement, "expert", f"report:{report.id}:question:{report.question_at.isoformat()}",
              kind="visit_report_question", title="訪問の報告に質問が届きました",
              body=f"{when(visit.starts_at)}の訪問の報告に市町村から質問が届きました。\n\n{text}\n\n"
                   "報告を更新して回答してください。")
    return report


def report_of(visit: Visit) -> VisitReport | None:
    return db.session.scalar(select(VisitReport).where(VisitReport.visit_id == visit.id))
