"""Flask fixtures. Every test that uses `app` runs once on SQLite and once on PostgreSQL
(when TEST_DATABASE_URL is set), through one parametrised fixture."""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import freezegun
import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import create_engine, text

from tests.databases import ensure_database
from tests.web.booking_fixtures import people, program  # noqa: F401  (shared booking fixtures)
from web import create_app
from web.config import TestConfig, normalise_database_url
from web.extensions import db
from web.models import Base, ExpertProfile, Issue, Municipality, Prefecture, User

PASSWORD = "correct-horse-battery"

# freezegun patches every loaded module on each freeze (≈120 ms with the suite's 2,000+ modules). Libraries that
# never sit within freezegun's five inspected frames of our own clock calls are skipped (≈10 ms per freeze); the
# app, SQLAlchemy, Flask, Jinja, pytest and Hypothesis are NOT in the list, so frozen time reaches our code as before.
freezegun.configure(extend_ignore_list=[
    "sklearn", "scipy", "numpy", "sudachipy", "sudachidict_core", "matplotlib", "pandas", "psycopg", "icalendar",
    "holidays", "email", "http", "xml", "pydoc", "joblib", "threadpoolctl", "playwright", "pygments",
    "schemathesis", "hypothesis_jsonschema", "jsonschema", "referencing", "rpds", "yaml", "multiprocessing",
    "asyncio", "concurrent", "encodings", "importlib", "unicodedata", "redis", "limits", "cryptography",
    "requests", "urllib3", "idna", "charset_normalizer", "certifi", "greenlet", "pyee",
])


class FreshUserClient(FlaskClient):
    """A test client whose every request loads the user from its cookie again.

    Tests that hold an app context (the `app_ctx` fixture) share `g` with the requests they make; without this,
    Flask-Login's cached user would survive logout and hide session bugs.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def _test_config(**overrides: Any) -> dict[str, Any]:
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(overrides)
    return config


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Yield the URL of an empty schema on each backend; PostgreSQL's schema is built once (per xdist worker, in
    the worker's own database: tests/conftest.py points TEST_DATABASE_URL at it)."""
    if request.param == "sqlite":
        yield "sqlite://"
        return
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL run skipped")
    url = normalise_database_url(raw)
    ensure_database(url)
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    engine.dispose()


# Every sequence of the schema back to its start, as TRUNCATE ... RESTART IDENTITY would.
_RESTART_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = current_schema()"
)


def _empty_tables() -> None:
    """Delete every row (children first) and restart every sequence: a test's handful of rows goes in ≈20 ms,
    where TRUNCATE of the 26 tables took 250-500 ms (it makes new files for every table and index)."""
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(_RESTART_SEQUENCES)


_SQLITE_SCHEMA: list[sqlite3.Connection] = []  # the empty schema, made once per test process


def _create_sqlite_schema() -> None:
    """The schema in the app's in-memory database: db.create_all() the first time, then a copy of that empty
    database through SQLite's backup API (≈1 ms instead of ≈40 ms of DDL per test)."""
    if not _SQLITE_SCHEMA:
        db.create_all()
    with db.engine.connect() as conn:
        database = conn.connection.driver_connection
        if not _SQLITE_SCHEMA:
            template = sqlite3.connect(":memory:", check_same_thread=False)
            database.backup(template)
            _SQLITE_SCHEMA.append(template)
        else:
            _SQLITE_SCHEMA[0].backup(database)


class _SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept for the whole test process: each test's new app would compile every template it
    renders again (the same sources, the same environment settings); Jinja checks each source's checksum."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (data := self._store.get(bucket.key)) is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _SharedBytecodeCache()


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Return a factory of apps bound to the current backend, cleaned up after the test."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = create_app(_test_config(SQLALCHEMY_DATABASE_URI=database_url, **overrides))
        app.test_client_class = FreshUserClient
        app.jinja_env.bytecode_cache = _TEMPLATES
        if database_url.startswith("sqlite"):
            with app.app_context():
                _create_sqlite_schema()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            if database_url.startswith("postgresql"):
                _empty_tables()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask], request: pytest.FixtureRequest) -> Flask:
    """The app under test; ``@pytest.mark.app_config(NAME=value)`` adds configuration for one test."""
    marker = request.node.get_closest_marker("app_config")
    return make_app(**(marker.kwargs if marker else {}))


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def geo(app_ctx: None) -> dict[str, Municipality]:
    """Three prefectures and three real towns, enough for scoping tests."""
    db.session.add_all([
        Prefecture(code="01", name="北海道", kana="ほっかいどう", region="北海道", lat=43.0642, lon=141.3469),
        Prefecture(code="04", name="宮城県", kana="みやぎけん", region="東北", lat=38.2688, lon=140.8721),
        Prefecture(code="13", name="東京都", kana="とうきょうと", region="関東", lat=35.6895, lon=139.6917),
    ])
    towns = {
        "iwamizawa": Municipality(code="012106", name="岩見沢市", kana="いわみざわし", prefecture_code="01",
                                  subprefecture="空知総合振興局", lat=43.1962, lon=141.7759),
        "kushiro": Municipality(code="012068", name="釧路市", kana="くしろし", prefecture_code="01",
                                subprefecture="釧路総合振興局", lat=42.9849, lon=144.3820),
        "sendai": Municipality(code="041009", name="仙台市", kana="せんだいし", prefecture_code="04",
                               lat=38.2682, lon=140.8694),
    }
    db.session.add_all(towns.values())
    db.session.commit()
    return towns


@pytest.fixture
def make_user(geo: dict[str, Municipality]) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def factory(role: str = "officer", **overrides: Any) -> User:
        n = next(counter)
        scope: dict[str, Any] = {}
        if role == "officer":
            scope["municipality_code"] = overrides.pop("municipality_code", "012106")
        if role == "coordinator":
            scope["prefecture_code"] = overrides.pop("prefecture_code", "01")
        user = User(email=overrides.pop("email", f"user{n}@example.jp"), role=role,
                    display_name=overrides.pop("display_name", f"利用者{n}"), **scope, **overrides)
        user.set_password(PASSWORD, method="pbkdf2:sha256:1000")
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_issue(geo: dict[str, Municipality]) -> Callable[..., Issue]:
    def factory(**overrides: Any) -> Issue:
        co_owners = overrides.pop("co_municipality_codes", ())
        roles = overrides.pop("wanted_roles", ("project_manager",))
        fields: dict[str, Any] = {
            "municipality_code": "012106", "title": "スマート農業の導入", "body": "水田のドローン防除を検討したい。",
            "sector": "agriculture", "stage": "issue_definition", "menu": "accompaniment", "mode": "hybrid",
            "months": 6, "status": "open",
        }
        fields.update(overrides)
        issue = Issue(**fields)
        issue.wanted_roles.update(roles)
        issue.co_municipality_codes.update(co_owners)
        db.session.add(issue)
        db.session.commit()
        return issue

    return factory


@pytest.fixture
def make_expert(make_user: Callable[..., User]) -> Callable[..., ExpertProfile]:
    def factory(**overrides: Any) -> ExpertProfile:
        user = overrides.pop("user", None) or make_user("expert")
        roles = overrides.pop("roles", ("engineer",))
        sectors = overrides.pop("sectors", ("agriculture",))
        modes = overrides.pop("modes", ("hybrid",))
        fields: dict[str, Any] = {
            "user_id": user.id, "display_name": user.display_name, "bio": "農業ドローンの実証を担当。",
            "prefecture_code": "01", "home_label": "札幌市中央区", "lat": 43.0621, "lon": 141.3544,
            "travel_range": "prefecture", "monthly_capacity": 2,
        }
        fields.update(overrides)
        profile = ExpertProfile(**fields)
        profile.roles.update(roles)
        profile.sectors.update(sectors)
        profile.modes.update(modes)
        db.session.add(profile)
        db.session.commit()
        return profile

    return factory


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return self.client.post("/auth/login", data={"email": email, "password": password})

    def logout(self) -> Any:
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
