"""The application factory and its configuration."""
from __future__ import annotations

import os

import pytest

from web import create_app
from web.config import load_or_create_secret_key, normalise_database_url


def test_test_config_switches_testing_on(app):
    assert app.testing and not app.config["WTF_CSRF_ENABLED"]


def test_default_config_keeps_csrf_and_secure_cookies_on(tmp_path, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["WTF_CSRF_ENABLED"] is not False
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_or_create_secret_key(str(tmp_path))
    assert len(first) == 64 and load_or_create_secret_key(str(tmp_path)) == first
    assert oct(os.stat(tmp_path / "secret_key").st_mode & 0o777) == "0o600"


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_or_create_secret_key(str(tmp_path)) == "from-env"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("url, expected", [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_urls_use_psycopg3(url, expected):
    assert normalise_database_url(url) == expected


def test_health_check_answers_ok(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
