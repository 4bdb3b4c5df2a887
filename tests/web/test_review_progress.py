"""Regression tests from the review of the progress dashboards (issue #10)."""
from __future__ import annotations

import itertools

import pytest

from tests.web import progress_world as world_module
from tests.web.test_api import api_as
from web.services.progress import opendata

progress_world = world_module.progress_world  # the fixture, by name


def test_a_month_with_a_huge_number_on_the_dashboard_is_400_not_500(client, auth, progress_world):
    auth.login(progress_world.coordinator.email)
    response = client.get("/coordinator/dashboard?month=2026-99999999999999999999")
    assert response.status_code == 400
    assert "月は" in response.get_data(as_text=True)


def _recoverable(published: tuple[int | None, ...]) -> set[int]:
    """The blank parts an outsider can work out from the published row and docs/opendata.md's rules: a primary
    blank is 1 or 2, a part blanked to protect it was shown before (≥ MIN_COUNT), the total is the sum of parts."""
    total, parts = published[0], published[1:]
    blanks = [i for i, value in enumerate(parts) if value is None]
    if total is None or not blanks:
        return set()
    rest = total - sum(value for value in parts if value is not None)
    ranges = [range(1, total + 1) for _ in blanks]  # the widest the rules allow: any positive count
    solutions = [combo for combo in itertools.product(*ranges) if sum(combo) == rest
                 and sum(1 for value in combo if value < opendata.MIN_COUNT) >= 1]
    return {blanks[i] for i in range(len(blanks)) if len({combo[i] for combo in solutions}) == 1}


@pytest.mark.parametrize("counts", [(3, 1, 1, 1, 0, 0), (5, 1, 1, 3, 0, 0), (7, 2, 2, 3, 0, 0), (4, 1, 1, 1, 1, 0)])
def test_blank_open_data_counts_cannot_be_worked_out_from_the_total(counts):
    published = opendata.suppress(counts)
    assert all(value is None or not 0 < value < opendata.MIN_COUNT for value in published)
    assert _recoverable(published) == set()


def test_the_open_data_refuses_a_program_filter_whose_difference_would_give_back_suppressed_counts(
        client, auth, progress_world):
    """Rows are per month x town x sector x role, not per program: with program 1 showing 3 solved and the
    whole table 4, the one solved engagement of the other programs (suppressed there) is 4 - 3 = 1."""
    query = f"fiscal_year=2026&program_id={progress_world.program.id}"
    auth.login(progress_world.coordinator.email)
    response = client.get(f"/coordinator/exports/opendata.csv?{query}")
    assert response.status_code == 400 and "支援制度で絞り込めません" in response.get_data(as_text=True)
    client.post("/auth/logout")
    api = api_as(client, progress_world.coordinator)
    assert api.get(f"/exports/opendata.csv?{query}").status_code == 422
    assert api.get("/exports/opendata.csv?fiscal_year=2026").status_code == 200
    assert api.get(f"/exports/engagements.csv?{query}").status_code == 200
