"""The demo data makes a lively dashboard: every progress status, declines by reason, a town near or at a cap,
idle experts and stale profiles (SQLite and PostgreSQL; the seed is loaded once per backend)."""
from __future__ import annotations

from sqlalchemy import select

from tests.web import test_seed_bookings
from web.extensions import db
from web.models import User
from web.services.progress.dashboard import build_dashboard
from web.services.progress.scope import parse_filters

demo = test_seed_bookings.demo  # the seeded app (module scope), by name


def _board(email: str):  # type: ignore[no-untyped-def]
    user = db.session.scalar(select(User).where(User.email == email))
    return build_dashboard(user, parse_filters(user, {}))


def test_the_hokkaido_demo_dashboard_shows_every_status_and_each_kind_of_warning(demo: None) -> None:
    board = _board("coord.hokkaido@demo.example.jp")
    assert {row.status for row in board.progress} == {"on_track", "attention", "stalled"}
    assert sum(1 for c in board.pipeline.declines_by_reason if c.count) >= 2
    assert board.caps.towns_near or board.caps.towns_at
    assert board.experts.idle >= 1 and board.experts.stale >= 2
    assert board.visits_month.counts.planned >= 1


def test_the_miyagi_demo_dashboard_has_a_town_at_its_cap(demo: None) -> None:
    assert _board("coord.miyagi@demo.example.jp").caps.towns_at
