"""Per-IP limits: only failures count, one budget for the login form and the token endpoint, shared by workers."""
from __future__ import annotations

import logging
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from tests.web.test_api import request_token
from web.extensions import init_limiter

REDIS_URL = "redis://127.0.0.1:6379/2"
REPO = Path(__file__).resolve().parents[2]
# A second worker: its own process, its own app, the same limit storage.
WORKER = """
import sys
import types
from web import create_app
from web.config import TestConfig
from web.extensions import db
config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=sys.argv[1], RATELIMIT_LOGIN="3 per minute")
app = create_app(config)
with app.app_context():
    db.create_all()
client = app.test_client()
codes = [client.post("/auth/login", data={"email": f"w2-{n}@example.jp", "password": "wrong-pass"}).status_code
         for n in range(2)]
print(*codes)
"""


def _wrong_login(client, n: int) -> int:
    return client.post("/auth/login", data={"email": f"w1-{n}@example.jp", "password": "wrong-pass"}).status_code


def _second_worker(storage_uri: str) -> list[int]:
    done = subprocess.run([sys.executable, "-c", WORKER, storage_uri], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=True)
    return [int(code) for code in done.stdout.split()]


@pytest.fixture
def shared_redis() -> Iterator[str]:
    """Yield the URL of an empty Redis db 2 (tests only ever flush that one); skip when Redis is not running."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()


def test_two_workers_on_one_redis_share_the_per_ip_failure_limit(make_app, shared_redis):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=shared_redis,
                      RATELIMIT_LOGIN="3 per minute").test_client()
    assert [_wrong_login(client, n) for n in range(2)] == [200, 200]
    assert _second_worker(shared_redis) == [200, 429]
    assert _wrong_login(client, 3) == 429


def test_two_workers_with_memory_storage_count_apart(make_app):
    """The defect the Redis setting fixes (and proof that the test above can fail)."""
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      RATELIMIT_LOGIN="3 per minute").test_client()
    assert [_wrong_login(client, n) for n in range(2)] == [200, 200]
    assert _second_worker("memory://") == [200, 200]


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
def test_successful_logins_from_one_address_are_never_limited(make_user, auth):
    users = [make_user("officer") for _ in range(6)]
    for user in users:
        assert auth.login(user.email).status_code == 302
        auth.logout()


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
def test_login_form_and_token_endpoint_draw_on_one_failure_budget(client, geo):
    assert [_wrong_login(client, n) for n in range(2)] == [200, 200]
    assert request_token(client, "w1-9@example.jp", "wrong-pass").status_code == 401
    assert request_token(client, "w1-10@example.jp", "wrong-pass").status_code == 429


def test_memory_storage_outside_tests_logs_a_warning_naming_the_workers(monkeypatch, caplog):
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    app = Flask("probe")
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    with caplog.at_level(logging.WARNING, logger="web.extensions"):
        init_limiter(app)
    assert "WEB_CONCURRENCY=2" in caplog.text and "RATELIMIT_STORAGE_URI=redis://" in caplog.text


def test_a_single_process_such_as_a_cli_command_does_not_warn_about_memory_storage(monkeypatch, caplog):
    for name in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    for server in ("gunicorn", "uwsgi", "waitress", "mod_wsgi"):
        monkeypatch.delitem(sys.modules, server, raising=False)
    app = Flask("probe")
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    with caplog.at_level(logging.WARNING, logger="web.extensions"):
        init_limiter(app)
    assert "memory://" not in caplog.text


def test_under_gunicorn_memory_storage_logs_a_warning(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "gunicorn", types.ModuleType("gunicorn"))
    app = Flask("probe")
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    with caplog.at_level(logging.WARNING, logger="web.extensions"):
        init_limiter(app)
    assert "RATELIMIT_STORAGE_URI=redis://" in caplog.text


def test_the_test_app_does_not_warn_about_memory_storage(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="web.extensions"):
        make_app()
    assert "memory://" not in caplog.text
