# Two commands on a fresh machine: `make run` and `make test`. Each builds the project's own
# virtual environment (.venv) when it is missing or pyproject.toml changed, and installs into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint types unit bench bench-service bench-worker bench-match postgres browser \
	screenshots bench-console bench-reports clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo in ./leadflow.sqlite (loaded once; an admin key printed each time), then the server
# on HOST:PORT (`make run PORT=8700`, or PORT and HOST from the environment); links in messages
# point there unless LEADFLOW_PUBLIC_URL says otherwise.
HOST ?= 127.0.0.1
PORT ?= 8000
run: export LEADFLOW_DATABASE_URL ?= sqlite:///$(CURDIR)/leadflow.sqlite
# a wildcard address is reached at 127.0.0.1; an IPv6 one is written in brackets
LINK_HOST = $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(if $(findstring :,$(HOST)),[$(HOST)],$(HOST)))
run: export LEADFLOW_PUBLIC_URL ?= http://$(LINK_HOST):$(PORT)
run: $(STAMP)
	$(BIN)/leadflow demo
	$(BIN)/leadflow serve --host $(HOST) --port $(PORT)

# The database tests run on SQLite and on PostgreSQL (127.0.0.1:5432, database `test`, trust
# auth): start the machine's cluster when it is installed but down; fail loudly when absent.
test: $(STAMP) lint types postgres browser
	$(BIN)/python -m pytest -q

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@pg_isready -h 127.0.0.1 -p 5432

# The console's browser tests drive Debian's Chromium (Playwright cannot download its own here).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }
	@test -x /usr/bin/chromium

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/python bench/simulate_bench.py

bench-service: $(STAMP) postgres
	$(BIN)/python bench/service_bench.py

bench-worker: $(STAMP) postgres
	$(BIN)/python bench/worker_bench.py

# Account matching on 100,000 accounts built from ../shared/data/companies (when present).
bench-match: $(STAMP)
	$(BIN)/python bench/match_bench.py

# A PNG of every console page with the demo data, into docs/screenshots/ (docs/console.md).
screenshots: $(STAMP) browser
	$(BIN)/python scripts/screenshots.py

# The console's pages with 100,000 leads and 200 reps stored (SQLite): p95 per page.
bench-console: $(STAMP)
	$(BIN)/python bench/console_bench.py

# Reports over 1,000,000 stored leads on SQLite and PostgreSQL, and intake at 200 leads/s while
# reports run (docs/reports.md, "Speed").
bench-reports: $(STAMP) postgres
	$(BIN)/python bench/report_bench.py
	$(BIN)/python bench/report_intake_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
