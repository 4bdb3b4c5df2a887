"""Property-based run of schemathesis over the whole API, in process (QUALITY.md R4).

Every operation except token revocation (it would end the run's own token), as an officer, an expert and a
coordinator, with valid (positive) and invalid (negative) data, and every built-in check: no server error,
responses that match the document, invalid data refused and valid data accepted.
Skipped when schemathesis is not installed (it belongs in the dev extra).
"""
from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from tests.web.test_api import api_as
from web.extensions import db
from web.models import ExpertProfile, Issue, SupportProgram

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode

SETTINGS = settings(max_examples=8, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture
def populated(make_issue, make_expert) -> None:
    make_expert(bio="農業ドローンの実証とスマート農業の導入支援。", roles=("project_manager",))
    make_issue(body="水田のドローン防除を検討したいが、庁内に知見がなく進め方が分からない。")
    make_issue(status="draft")
    db.session.add_all([SupportProgram(code="advisor", name="地域情報化アドバイザー", max_onsite_visits_per_fy=3,
                                       max_online_hours_per_fy=10.5),
                        SupportProgram(code="free", name="県独自の伴走支援")])
    db.session.commit()


# What no JSON Schema can say: which towns are stored and whose they are, and for PATCH the rules between a
# field sent and one stored (POST states its rules between fields in the document). Positive cases keep to them
# (the document describes each in words), so a refusal of anything else is a real finding.
OWN_TOWN, NEIGHBOUR_TOWN = "012106", "012068"  # 岩見沢市 and 釧路市 in the `geo` fixture, both 北海道
OWN_PREFECTURE = "01"


def _within_stored_data(role: str, case: Any) -> Any:
    body, method = case.body, case.method.upper()
    if case.operation.path == "/api/v1/programs/{program_id}/usage" and isinstance(case.query, dict):
        case.query["municipality_code"] = OWN_TOWN  # a stored town the officer and the coordinator may read
        return case
    if case.operation.path == "/api/v1/exports/{kind}.csv" and isinstance(case.query, dict):
        if (case.path_parameters or {}).get("kind") == "opendata":  # refuses a program filter (said in words)
            case.query.pop("program_id", None)
        elif "program_id" in case.query:  # a stored program ("one of the programs" is said in words only)
            case.query["program_id"] = db.session.scalar(select(SupportProgram.id).order_by(SupportProgram.id))
        return case
    if isinstance(body, dict) and case.operation.path == "/api/v1/requests" and method == "POST":
        _requestable(body)
        return case
    if isinstance(body, dict) and case.operation.path == "/api/v1/experts/me":
        body["prefecture_code"] = OWN_PREFECTURE  # one of the 47 codes, but only three are stored here
        # Changing stored contact details needs current_password: keep them as stored (none), so no consent.
        body["contact"], body["contact_consent"] = None, False
        body.pop("current_password", None)  # a secret no generator can know (a wrong one is refused, 422)
        return case
    if not isinstance(body, dict) or case.operation.path not in ("/api/v1/issues", "/api/v1/issues/{issue_id}"):
        return case
    if body.get("deadline"):  # "a real date from today to ten years ahead": relative to today, so in words only
        body["deadline"] = (date.today() + timedelta(days=90)).isoformat()
    if "municipality_code" in body or (role == "coordinator" and method == "POST"):
        body["municipality_code"] = OWN_TOWN  # officers: their own town or none; coordinators: one of theirs
    if body.get("co_municipality_codes"):
        body["co_municipality_codes"] = [NEIGHBOUR_TOWN]
    if method == "PATCH":  # the stored issue is an accompaniment of 6 months without co-owners
        if body.get("menu") == "spot":
            body["months"] = 1
        elif body.get("menu") == "joint":
            body["co_municipality_codes"] = [NEIGHBOUR_TOWN]
    return case


def _requestable(body: dict[str, Any]) -> None:
    """A request for the stored published issue and expert under the uncapped program, starting next month.

    What the document can only say in words: the ids must be stored and visible, the first month must not be
    past, the on-site months lie inside the plan, joint needs a co-owned issue, spot needs future slots.
    """
    issue_id = db.session.scalar(select(Issue.id).where(Issue.status != "draft").order_by(Issue.id))
    program_id = db.session.scalar(select(SupportProgram.id).where(SupportProgram.code == "free"))
    months = min(max(body.get("months") or 1, 1), 36)
    next_month = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    body.update(issue_id=issue_id, expert_id=db.session.scalar(select(ExpertProfile.id)), menu="accompaniment",
                program_id=program_id, first_month=f"{next_month:%Y-%m}", months=months, slots=[],
                message="ご相談させてください。")
    if body.get("onsite_months"):
        body["onsite_months"] = [month for month in body["onsite_months"] if month <= months]


def _run(schema: Any, mode: Any, token: str, *, role: str) -> None:
    """Run every operation, then report every failing one at once."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = operation.as_strategy(generation_mode=mode)
        if mode == GenerationMode.POSITIVE:
            strategy = strategy.map(functools.partial(_within_stored_data, role))

        @given(case=strategy)
        @SETTINGS
        def check(case: Any) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        try:
            check()
        except Exception as error:  # noqa: BLE001  (collected, then reported together below)
            failures.append(f"{operation.label} as {role}: {error}")
    assert not failures, "\n\n".join(failures)


def _whole_api(app: Any) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema.exclude(method="DELETE", path="/api/v1/auth/token")


@pytest.mark.parametrize("role", ["officer", "expert", "coordinator"])
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_every_operation_conforms_to_the_openapi_document(app, client, make_user, populated, role, mode):
    token = api_as(client, make_user(role)).token
    _run(_whole_api(app), GenerationMode(mode), token, role=role)


def test_the_run_covers_every_operation_but_token_revocation(app):
    operations = {(o.ok().method.upper(), o.ok().path) for o in _whole_api(app).get_all_operations()}
    assert ("DELETE", "/api/v1/auth/token") not in operations
    assert {("POST", "/api/v1/auth/token"), ("PUT", "/api/v1/experts/me"), ("PATCH", "/api/v1/issues/{issue_id}"),
            ("POST", "/api/v1/issues"), ("POST", "/api/v1/issues/{issue_id}/publish"),
            ("GET", "/api/v1/me/calendar"), ("POST", "/api/v1/me/calendar/regenerate"),
            ("GET", "/api/v1/programs"), ("GET", "/api/v1/programs/{program_id}/usage"),
            ("POST", "/api/v1/requests"), ("POST", "/api/v1/requests/{request_id}/accept"),
            ("PATCH", "/api/v1/visits/{visit_id}"), ("POST", "/api/v1/visits/{visit_id}/report"),
            ("GET", "/api/v1/exports/{kind}.csv"), ("GET", "/api/v1/dashboard")} <= operations
    assert len(operations) == 32
