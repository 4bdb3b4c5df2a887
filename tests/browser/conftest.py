"""Browser tests: Playwright driving Debian's chromium against a live server with the demo data.

Skipped cleanly when /usr/bin/chromium (or CHROMIUM_PATH) is missing; `.ci/run` installs it.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from web import create_app
from web.config import TestConfig
from web.extensions import db
from web.services import matching
from web.services.seeding import load_seed

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
HARDEN = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DEMO_PASSWORD = "dx-demo-2026"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "")) if os.environ.get("SCREENSHOT_DIR") else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium fonts-noto-cjk)")
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": [*browser_type_launch_args.get("args", []), *HARDEN]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo",
            "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def live_app(live_server: str) -> Flask:
    """The app behind `live_server`, for the few steps a journey cannot click (time passing before a report)."""
    return _LIVE["app"]


_LIVE: dict[str, Flask] = {}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the real app (CSRF on, strict CSP) on a seeded SQLite file, on a free loopback port."""
    database = tmp_path_factory.mktemp("browser") / "browser.sqlite3"
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}", WTF_CSRF_ENABLED=True, TESTING=False,
                  RATELIMIT_ENABLED=False)
    app = create_app(config)
    with app.app_context():
        db.create_all()
        load_seed()
        db.session.commit()
        matching.rebuild_index(save=False)
    _LIVE["app"] = app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()
