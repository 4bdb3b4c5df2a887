# The two commands: `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := wsgi
# Development prints mail to the terminal (README: Mail and calendars); production sets MAIL_SERVER.
export MAIL_BACKEND ?= console

.PHONY: run test install install-dev migrate seed lint typecheck bench evaluate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed --show-logins
	$(BIN)/flask matcher rebuild

## make run: install, migrate, load the demo data and serve http://127.0.0.1:5000
run: seed
	@echo "http://$(HOST):$(PORT) で起動します（Ctrl+C で停止）"
	SESSION_COOKIE_SECURE=false $(BIN)/flask run --host $(HOST) --port $(PORT)

## make test: the whole suite (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set), on one pytest-xdist
## worker per CPU core (TEST_WORKERS=0 runs it in one process; tests/conftest.py gives each worker its own database)
TEST_WORKERS ?= auto
test: install-dev
	@$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; fi; \
	exit $$rc

## make screenshots: run the browser tests and save a full-page PNG of every page they check to docs/screenshots/
.PHONY: screenshots
screenshots: install-dev
	SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest tests/browser -q

lint: install-dev
	$(BIN)/ruff check matcher web tests

typecheck: install-dev
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance .hypothesis *.egg-info
