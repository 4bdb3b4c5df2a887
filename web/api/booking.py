"""/api/v1/requests, /api/v1/engagements and /api/v1/visits: the booking flow (issue #9) over the API.

Who sees what is decided by web.services.booking.access (officers: their town's issues, also as a co-owner;
coordinators: their prefecture; experts: their own; admins: all); anything else is 404, like a missing id.
Which side may do what (the town sends and withdraws, the expert answers and reports, either side confirms,
moves or cancels a visit) is the services' rule: the wrong side gets 409 with the reason.

A plan that breaks a program's cap or the expert's monthly capacity is 409 with rule "program_cap" or
"expert_capacity" and the numbers in Japanese; an overlapping visit is 409 "expert_overlap"; a second answer to
a request is 409 "already_answered". Times are ISO 8601 in Japan time (+09:00).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from web.api.auth import ID, api_blueprint, current_api_user
from web.api.booking_schemas import (
    AcceptSchema,
    DeclineSchema,
    EngagementAnswerSchema,
    EngagementCancelSchema,
    EngagementCompleteSchema,
    EngagementListArgsSchema,
    EngagementSchema,
    ReportCreateSchema,
    ReportQuestionSchema,
    ReportSchema,
    RequestCreatedSchema,
    RequestCreateSchema,
    RequestListArgsSchema,
    RequestSchema,
    VisitPatchSchema,
    VisitSchema,
)
from web.dates import format_fiscal_year
from web.extensions import db
from web.models import Engagement, EngagementRequest, Visit, VisitReport
from web.services import ledger
from web.services.booking import access, capacity, engagements, plans, reports, requests, visits
from web.services.errors import Conflict, NotFound
from web.transaction import transaction

requests_bp = api_blueprint("api_requests", "/requests", "支援の依頼（送信・承諾・辞退・取り下げ）")
engagements_bp = api_blueprint("api_engagements", "/engagements", "支援（承諾された依頼）と訪問の計画")
visits_bp = api_blueprint("api_visits", "/visits", "訪問の確認・日時の変更・中止・報告")
reports_bp = api_blueprint("api_reports", "/reports", "訪問報告の確認と質問")
blueprints = (requests_bp, engagements_bp, visits_bp, reports_bp)

LIST_LIMIT = 500


# ---------------------------------------------------------------- what the schemas read


@dataclass(frozen=True)
class RequestView:
    """A request with its plan, its engagement (if accepted) and, right after sending, the cap check."""

    request: EngagementRequest
    plan: list[plans.PlanItem]
    engagement_id: int | None
    cap_check: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.request, name)


def _engagement_id(request: EngagementRequest) -> int | None:
    return db.session.scalar(select(Engagement.id).where(Engagement.request_id == request.id))


def _view(request: EngagementRequest, plan: list[plans.PlanItem] | None = None,
          cap_check: dict[str, Any] | None = None) -> RequestView:
    return RequestView(request, plans.requested_items(request) if plan is None else plan, _engagement_id(request), cap_check)


def _amount(kind: str, value: int | None) -> float | None:
    """Visits as they are; online minutes as hours (like GET /programs/{id}/usage)."""
    if value is None:
        return None
    return float(value) if kind == ledger.ONSITE else round(value / 60, 2)


def cap_check_document(check: ledger.PlanCheck | None) -> dict[str, Any] | None:
    """The cap ledger's verdict on a plan, per fiscal year, town and kind, in visits and hours."""
    if check is None:
        return None
    lines = [{
        "fiscal_year": line.fiscal_year, "fiscal_year_label": format_fiscal_year(line.fiscal_year),
        "municipality_code": line.municipality_code, "kind": line.kind,
        "unit": "visits" if line.kind == ledger.ONSITE else "hours",
        "allowed": _amount(line.kind, line.tally.allowed), "used": _amount(line.kind, line.tally.used),
        "reserved": _amount(line.kind, line.tally.reserved), "planned": _amount(line.kind, line.planned),
        "excess": _amount(line.kind, line.excess), "message": line.message,
    } for line in check.lines]
    return {"ok": check.ok, "lines": lines, "messages": check.messages}


def _refuse_plan(preview: requests.Preview) -> None:
    """A plan over a program's cap is 409 program_cap, else over the expert's monthly capacity 409
    expert_capacity; the detail lists every problem found (one per line, in Japanese, with the numbers)."""
    if preview.ok:
        return
    over_cap = preview.cap_check is not None and not preview.cap_check.ok
    rule = ledger.CapExceeded.rule if over_cap else capacity.CapacityExceeded.rule
    raise Conflict("\n".join(preview.problems), rule=rule)


# ---------------------------------------------------------------- requests


@requests_bp.route("", methods=["POST"])
@requests_bp.arguments(RequestCreateSchema)
@requests_bp.response(201, RequestCreatedSchema)
@requests_bp.alt_response(401, response="UNAUTHORIZED")
@requests_bp.alt_response(404, response="NOT_FOUND")
@requests_bp.alt_response(409, response="CONFLICT")
def post_request(payload: dict[str, Any]) -> RequestView:
    """Send a request to an expert (officer for their town's issue, coordinator for a town of their prefecture).

    The plan is checked first against the program's caps (per town and fiscal year) and the expert's monthly
    capacity: a plan that breaks either is 409 (rule program_cap or expert_capacity, with the numbers) and
    nothing is written. `cap_check` in the answer shows the numbers the plan was checked with."""
    user = current_api_user()
    data = requests.RequestInput(**payload)
    with transaction():
        try:
            request, preview = requests.send(user, data)
        except requests.PlanRefused as refused:
            _refuse_plan(refused.preview)
            raise
    return _view(request, preview.plan, cap_check_document(preview.cap_check))


@requests_bp.route("", methods=["GET"])
@requests_bp.arguments(RequestListArgsSchema, location="query", unknown=RAISE)
@requests_bp.response(200, RequestSchema(many=True))
@requests_bp.alt_response(401, response="UNAUTHORIZED")
def list_requests(args: dict[str, Any]) -> list[RequestView]:
    """The requests the caller may see, newest first (at most 500); `status` filters them."""
    found = requests.list_requests(current_api_user(), args.get("status"), limit=LIST_LIMIT)
    engaged = dict(db.session.execute(select(Engagement.request_id, Engagement.id)
                                      .where(Engagement.request_id.in_([request.id for request in found]))).all())
    return [RequestView(request, plans.requested_items(request), engaged.get(request.id)) for request in found]


@requests_bp.route(f"/<{ID}:request_id>", methods=["GET"])
@requests_bp.response(200, RequestSchema)
@requests_bp.alt_response(401, response="UNAUTHORIZED")
@requests_bp.alt_response(404, response="NOT_FOUND")
def get_request(request_id: int) -> RequestView:
    """One request the caller may see."""
    return _view(access.get_request(current_api_user(), request_id))


@requests_bp.route(f"/<{ID}:request_id>/accept", methods=["POST"])
@requests_bp.arguments(AcceptSchema, required=False)
@requests_bp.response(200, EngagementAnswerSchema)
@requests_bp.alt_response(401, response="UNAUTHORIZED")
@requests_bp.alt_response(404, response="NOT_FOUND")
@requests_bp.alt_response(409, response="CONFLICT")
def accept_request(payload: dict[str, Any], request_id: int) -> dict[str, int]:
    """The expert accepts: the engagement and its visit plan are created at once (body optional).

    A spot consultation needs slot_index (an offered slot) or proposed_start (another time). A request already
    answered (also by a concurrent click) is 409 already_answered; caps, capacity and overlaps are checked again."""
    with transaction():
        engagement = requests.accept(current_api_user(), request_id, slot_index=payload.get("slot_index"),
                                     proposed_start=payload.get("proposed_start"),
                                     meeting_url=payload.get("meeting_url") or "")
    return {"engagement_id": engagement.id}


@requests_bp.route(f"/<{ID}:request_id>/decline", methods=["POST"])
@requests_bp.arguments(DeclineSchema)
@requests_bp.response(200, RequestSchema)
@requests_bp.alt_response(401, response="UNAUTHORIZED")
@requests_bp.alt_response(404, response="NOT_FOUND")
@requests_bp.alt_response(409, response="CONFLICT")
def decline_request(payload: dict[str, Any], request_id: int) -> RequestView:
    """The expert declines with a reason (outside_field also excludes the pair from future candidate lists)."""
    with transaction():
        request = requests.decline(current_api_user(), request_id, payload["reason"], payload["note"])
    return _view(request)


@requests_bp.route(f"/<{ID}:request_id>/withdraw", methods=["POST"])
@requests_bp.response(200, RequestSchema)
@requests_bp.alt_response(401, response="UNAUTHORIZED")
@requests_bp.alt_response(404, response="NOT_FOUND")
@requests_bp.alt_response(409, response="CONFLICT")
def withdraw_request(request_id: int) -> RequestView:
    """The town withdraws a pending request."""
    with transaction():
        request = requests.withdraw(current_api_user(), request_id)
    return _view(request)


# ---------------------------------------------------------------- engagements


def _with_visits(query: Any) -> Any:
    return query.options(selectinload(Engagement.visits).selectinload(Visit.report))


@engagements_bp.route("", methods=["GET"])
@engagements_bp.arguments(EngagementListArgsSchema, location="query", unknown=RAISE)
@engagements_bp.response(200, EngagementSchema(many=True))
@engagements_bp.alt_response(401, response="UNAUTHORIZED")
def list_engagements(args: dict[str, Any]) -> list[Engagement]:
    """The engagements the caller may see with their visits, newest first (at most 500)."""
    query = _with_visits(access.engagements_query(current_api_user()))
    if args.get("status"):
        query = query.where(Engagement.status == args["status"])
    return list(db.session.scalars(query.order_by(Engagement.created_at.desc(), Engagement.id.desc())
                                   .limit(LIST_LIMIT)))


@engagements_bp.route(f"/<{ID}:engagement_id>", methods=["GET"])
@engagements_bp.response(200, EngagementSchema)
@engagements_bp.alt_response(401, response="UNAUTHORIZED")
@engagements_bp.alt_response(404, response="NOT_FOUND")
def get_engagement(engagement_id: int) -> Engagement:
    """One engagement with its visits (times in Japan time, +09:00)."""
    return access.get_engagement(current_api_user(), engagement_id)


@engagements_bp.route(f"/<{ID}:engagement_id>/complete", methods=["POST"])
@engagements_bp.arguments(EngagementCompleteSchema)
@engagements_bp.response(200, EngagementSchema)
@engagements_bp.alt_response(401, response="UNAUTHORIZED")
@engagements_bp.alt_response(404, response="NOT_FOUND")
@engagements_bp.alt_response(409, response="CONFLICT")
def complete_engagement(payload: dict[str, Any], engagement_id: int) -> Engagement:
    """The town completes the engagement with an outcome (and a rating and comment); visits that have not
    happened are cancelled; the issue closes when no other engagement is active."""
    user = current_api_user()
    access.get_engagement(user, engagement_id)  # 404 before the body is judged
    with transaction():
        engagement = engagements.complete(user, engagement_id, payload["outcome"], payload["rating"],
                                          payload["comment"])
    return engagement


@engagements_bp.route(f"/<{ID}:engagement_id>/cancel", methods=["POST"])
@engagements_bp.arguments(EngagementCancelSchema)
@engagements_bp.response(200, EngagementSchema)
@engagements_bp.alt_response(401, response="UNAUTHORIZED")
@engagements_bp.alt_response(404, response="NOT_FOUND")
@engagements_bp.alt_response(409, response="CONFLICT")
def cancel_engagement(payload: dict[str, Any], engagement_id: int) -> Engagement:
    """Either side cancels the engagement with a reason; visits that have not happened are cancelled."""
    user = current_api_user()
    access.get_engagement(user, engagement_id)
    with transaction():
        engagement = engagements.cancel_engagement(user, engagement_id, payload["reason"])
    return engagement


# ---------------------------------------------------------------- visits


@visits_bp.route(f"/<{ID}:visit_id>", methods=["GET"])
@visits_bp.response(200, VisitSchema)
@visits_bp.alt_response(401, response="UNAUTHORIZED")
@visits_bp.alt_response(404, response="NOT_FOUND")
def get_visit(visit_id: int) -> Visit:
    """One visit the caller may see."""
    return access.get_visit(current_api_user(), visit_id)


@visits_bp.route(f"/<{ID}:visit_id>", methods=["PATCH"])
@visits_bp.arguments(VisitPatchSchema)
@visits_bp.response(200, VisitSchema)
@visits_bp.alt_response(401, response="UNAUTHORIZED")
@visits_bp.alt_response(404, response="NOT_FOUND")
@visits_bp.alt_response(409, response="CONFLICT")
def patch_visit(payload: dict[str, Any], visit_id: int) -> Visit:
    """Confirm, reschedule or cancel a visit (exactly one of the three forms of the body).

    - `{"action": "confirm"}`: the caller's side agrees; when both sides have, the visit is confirmed.
    - `{"starts_at": ..., "note": ...}`: propose another time; the other side must confirm again. A time the
      expert is busy is 409 expert_overlap; a month without capacity or cap room is 409 expert_capacity /
      program_cap; a past time or a day the town hall is closed is 422 under starts_at.
    - `{"status": "cancelled", "reason": ...}`: cancel; what the visit held in the cap ledger is freed."""
    user = current_api_user()
    access.get_visit(user, visit_id)  # a visit the caller cannot see is 404 whatever the body says
    with transaction():
        if "action" in payload:
            visit = visits.confirm(user, visit_id)
        elif "starts_at" in payload:
            visit = visits.move(user, visit_id, payload["starts_at"], payload.get("note", ""),
                                duration_minutes=payload.get("duration_minutes"),
                                meeting_url=payload.get("meeting_url"), place=payload.get("place"))
        else:
            visit = visits.cancel(user, visit_id, payload["reason"])
    return visit


@visits_bp.route(f"/<{ID}:visit_id>/report", methods=["POST"])
@visits_bp.arguments(ReportCreateSchema)
@visits_bp.response(201, ReportSchema)
@visits_bp.alt_response(401, response="UNAUTHORIZED")
@visits_bp.alt_response(404, response="NOT_FOUND")
@visits_bp.alt_response(409, response="CONFLICT")
def post_report(payload: dict[str, Any], visit_id: int) -> VisitReport:
    """The expert reports a confirmed visit that has started; the visit becomes done and its cap reservation
    becomes use. Sending again updates the report until the town has acknowledged it."""
    with transaction():
        report = reports.file_report(current_api_user(), visit_id, reports.ReportInput(**payload))
    return report



# ---------------------------------------------------------------- reports


def _visible_report(report_id: int) -> VisitReport:
    """A report whose visit the caller may see (404 otherwise, like a missing id)."""
    report = db.session.get(VisitReport, report_id)
    try:
        if report is None:
            raise NotFound("報告が見つかりません。")
        access.get_visit(current_api_user(), report.visit_id)
    except NotFound:
        raise NotFound("報告が見つかりません。") from None
    return report


@reports_bp.route(f"/<{ID}:report_id>/acknowledge", methods=["POST"])
@reports_bp.response(200, ReportSchema)
@reports_bp.alt_response(401, response="UNAUTHORIZED")
@reports_bp.alt_response(404, response="NOT_FOUND")
@reports_bp.alt_response(409, response="CONFLICT")
def acknowledge_report(report_id: int) -> VisitReport:
    """The town acknowledges a report (acknowledging again changes nothing); the expert can no longer edit it."""
    _visible_report(report_id)
    with transaction():
        report = reports.acknowledge(current_api_user(), report_id)
    return report


@reports_bp.route(f"/<{ID}:report_id>/question", methods=["POST"])
@reports_bp.arguments(ReportQuestionSchema)
@reports_bp.response(200, ReportSchema)
@reports_bp.alt_response(401, response="UNAUTHORIZED")
@reports_bp.alt_response(404, response="NOT_FOUND")
@reports_bp.alt_response(409, response="CONFLICT")
def ask_about_report(payload: dict[str, Any], report_id: int) -> VisitReport:
    """The town asks about a report that is not acknowledged yet; the expert answers by sending the report again."""
    _visible_report(report_id)
    with transaction():
        report = reports.ask(current_api_user(), report_id, payload["question"])
    return report
