"""Alembic migrations: empty -> head -> base on both backends, and head matches the models."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from web import create_app
from web.config import TestConfig, normalise_database_url
from web.extensions import db
from web.models import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """Yield the URL of a brand-new, empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL run skipped")
    server = make_url(normalise_database_url(raw))
    name = f"dxm_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def _app_context(url: str) -> Iterator[None]:
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        yield
        db.engine.dispose()


def test_migrations_upgrade_to_head_and_back_to_empty(empty_database):
    engine = create_engine(empty_database)
    with _app_context(empty_database):
        upgrade()
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        downgrade(revision="base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_migration_head_matches_the_models(empty_database):
    with _app_context(empty_database):
        upgrade()
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def insert_town_and_issues(conn, budgets: list[str]) -> None:
    """Write 北海道, 岩見沢市 and one open spot issue per budget text as raw SQL (the schema of an old revision)."""
    conn.execute(text("INSERT INTO prefecture (code, name, kana, region) VALUES ('01', '北海道', 'ほ', '北海道')"))
    conn.execute(text("INSERT INTO municipality (code, name, kana, prefecture_code) "
                      "VALUES ('012106', '岩見沢市', 'いわみざわし', '01')"))
    for n, budget in enumerate(budgets, 1):
        conn.execute(text(
            "INSERT INTO issue (id, municipality_code, title, body, goal, constraints, budget_deadline, "
            "counterpart, sector, stage, menu, mode, months, status, created_at, updated_at) VALUES "
            f"({n}, '012106', '課題{n}', '本文', '', '', :budget, '', 'agriculture', 'use', 'spot', 'online', "
            "1, 'open', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"budget": budget})


def test_origin_migration_marks_only_pins_with_the_plans_exact_reason_as_plan_pins(empty_database):
    engine = create_engine(empty_database)
    with _app_context(empty_database):
        upgrade(revision="20261129_0005")
        with engine.begin() as conn:
            insert_town_and_issues(conn, ["", ""])
            conn.execute(text("INSERT INTO user_account (id, email, password_hash, display_name, role, active, "
                              "session_version, created_at) VALUES (1, 'e@example.jp', 'x', '人材', 'expert', "
                              "true, 1, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO expert_profile (id, user_id, display_name, bio, prefecture_code, "
                              "home_label, travel_range, monthly_capacity, contact_consent, skills, certifications, "
                              "last_confirmed_at, created_at, updated_at) VALUES (1, 1, '人材', '', '01', '札幌市', "
                              "'none', 1, false, '[]', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            for n, reason in ((1, "2026年4月の月次提案で採用"), (2, "面談の結果、2026年4月の月次提案で採用")):
                conn.execute(text("INSERT INTO candidate_curation (issue_id, expert_id, action, reason, created_at) "
                                  "VALUES (:n, 1, 'pin', :r, CURRENT_TIMESTAMP)"), {"n": n, "r": reason})
        upgrade()
        with engine.connect() as conn:
            origins = conn.execute(text("SELECT origin FROM candidate_curation ORDER BY issue_id")).scalars().all()
    engine.dispose()
    assert origins == ["plan", "manual"]
