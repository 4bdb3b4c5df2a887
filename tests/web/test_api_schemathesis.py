"""Property-based run of schemathesis over the API's GET endpoints, in process (QUALITY.md R4).

Skipped when schemathesis is not installed (it belongs in the dev extra).
"""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.web.test_api import api_as

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture
def populated(make_issue, make_expert) -> None:
    make_expert(bio="農業ドローンの実証とスマート農業の導入支援。", roles=("project_manager",))
    make_issue(body="水田のドローン防除を検討したいが、庁内に知見がなく進め方が分からない。")
    make_issue(status="draft")


def _run(schema: Any, mode: Any, token: str) -> None:
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @SETTINGS
        def check(case: Any) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        check()


@pytest.mark.parametrize("role", ["officer", "expert"])
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_get_endpoints_conform_to_the_openapi_document(app, client, make_user, populated, role, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).include(method="GET")
    token = api_as(client, make_user(role)).token
    _run(schema, GenerationMode(mode), token)
