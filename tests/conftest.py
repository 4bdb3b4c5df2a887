"""Suite-wide setup for parallel runs with pytest-xdist (`make test` runs `pytest -n auto --dist loadgroup`).

Each xdist worker (gw0, gw1, ...) gets its own PostgreSQL database, derived from TEST_DATABASE_URL by suffixing the
worker id (…/test → …/test_gw0) and created on the fly when missing, so every test that reads TEST_DATABASE_URL
(the `database_url` fixture of tests/web/conftest.py, the migration tests) is isolated from the other workers
without knowing about them. Without xdist (a plain `pytest`, or `-n 0`) nothing changes.

Tests that share something outside the process run on one worker, one after the other (xdist_group, honoured by
`--dist loadgroup`): the browser tests (one live server and one chromium per run) and every test that uses the
`shared_redis` fixture (they flush the same Redis db).
"""
from __future__ import annotations

import os
import sys

import pytest

# Fixtures whose tests must not run at the same time as each other on different workers, and their group.
SERIAL_FIXTURES = {"shared_redis": "redis"}
BROWSER_DIR = os.path.join("tests", "browser", "")


def _share_url_builders() -> None:
    """Let every app of the test process reuse the URL builders werkzeug compiles for its routes.

    Each test makes a new app, and werkzeug compiles two small Python functions per route for url_for
    (`Rule._compile_builder`, ≈40% of create_app's time with ≈180 routes). A builder depends only on the rule's
    parsed parts, its defaults and the flag; it keeps no state and is bound to its rule afterwards, so the same
    inputs may share one compiled function. Skipped when werkzeug's internals differ from what this expects.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "_shared", False) or not hasattr(Rule, "compile"):
        return
    builders: dict[tuple, object] = {}

    def shared(self: Rule, append_unknown: bool = True):  # type: ignore[no-untyped-def]
        try:
            key = (self.rule, append_unknown, tuple(self._trace), repr(sorted((self.defaults or {}).items())),
                   tuple((name, type(conv)) for name, conv in self._converters.items()))
            hash(key)
        except (AttributeError, TypeError):
            return compile_builder(self, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    shared._shared = True  # type: ignore[attr-defined]
    Rule._compile_builder = shared  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    _share_url_builders()
    # Registered here too so a run without the xdist plugin (`-p no:xdist`) knows the mark.
    config.addinivalue_line("markers", "xdist_group(name): run on the same xdist worker as the group's other tests")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    raw = os.environ.get("TEST_DATABASE_URL")
    if worker and raw:
        # Imported only here: the matcher tests stay free of the web app's imports.
        from tests.databases import ensure_database, worker_database_url

        os.environ["TEST_DATABASE_URL"] = worker_database_url(raw, worker)
        try:  # here already for the tests that only need the server (the migrations make their own databases)
            ensure_database(os.environ["TEST_DATABASE_URL"])
        except RuntimeError as error:  # the PostgreSQL tests report it again, each in its own failure
            print(error, file=sys.stderr)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_DIR in str(item.path):
            item.add_marker(pytest.mark.xdist_group("browser"))
            continue
        for fixture, group in SERIAL_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(group))
