"""The benchmark's synthetic volume (tests/probes/volume.py) is consistent with the schema and the booking rules."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.probes import volume
from web.extensions import db
from web.models import ExpertProfile, Issue, User, Visit, VisitReport
from web.services.seeding import load_seed

SEED = Path(__file__).resolve().parents[2] / "seed_data"


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def demo(app_ctx: None) -> dict[str, int]:
    load_seed(SEED)
    db.session.commit()
    return {"experts": _count(ExpertProfile), "issues": _count(Issue), "visits": _count(Visit)}


def test_twice_the_volume_is_consistent_and_recognised_and_the_check_catches_a_load_that_disagrees(demo):
    # One build serves both halves (a build loads the demo seed twice over: the slowest fixture of the suite).
    assert volume.present(1) and not volume.present(2)

    counts = volume.build(2)
    db.session.commit()

    assert _count(ExpertProfile) == 2 * demo["experts"]
    assert _count(Issue) == 2 * demo["issues"]
    assert _count(Visit) > demo["visits"] and _count(VisitReport) > 0
    assert counts["engagement_active"] > 0 and counts["engagement_completed"] > 0
    assert counts["request_declined"] + counts["request_expired"] + counts["request_pending"] > 0
    assert volume.check() == []
    assert volume.present(2) and not volume.present(1) and not volume.present(3)

    # The check is not blind: a visit cancelled without freeing its load and ledger is reported.
    synthetic = select(Visit).join(ExpertProfile, ExpertProfile.id == Visit.expert_id) \
        .join(User, User.id == ExpertProfile.user_id) \
        .where(User.email.like(f"%@{volume.DOMAIN}"), Visit.status == "proposed").order_by(Visit.id).limit(1)
    visit = db.session.scalars(synthetic).one()
    visit.status, visit.cancel_reason = "cancelled", "テスト"  # cancelled without freeing the load and ledger
    db.session.flush()

    problems = volume.check()
    assert any(p.startswith(f"expert {visit.expert_id} in ") for p in problems)
