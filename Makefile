# Lotse: `make run` for the demo, `make test` for the whole suite. Both start from nothing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export LOTSE_DEBUG ?= 1
# The demo and benchmarks serve feeds on loopback; production keeps this off.
run bench-ingest: export LOTSE_ALLOW_PRIVATE_NETWORKS ?= 1

.PHONY: install services db demo run test test-faults test-fast lint format bench clean

$(STAMP): pyproject.toml constraints.txt
	@bash scripts/ensure_python.sh $(PYTHON)
	@test -x $(BIN)/pip || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)
	@bash scripts/ensure_dotenv.sh

services:
	@bash scripts/ensure_services.sh

db: install services
	@bash scripts/ensure_database.sh
	$(BIN)/python manage.py migrate_schemas --executor=standard -v 0

demo: db
	$(BIN)/python manage.py demo_setup

run: demo
	@bash scripts/ensure_pdf.sh
	@bash scripts/run.sh

# The suite in two stages. Unit tests run on TEST_WORKERS pytest-xdist workers, each with a
# test database and a Redis database of its own (config/settings_test.py). Then the tests
# that start servers, workers or clusters, on two workers: one runs the `serial` and
# end-to-end tests one at a time, the other the fault tests on their own PostgreSQL cluster
# and Redis (tests/conftest.py, LiveBesideFaults). The second stage runs even when the first
# failed, and the target fails when either did.
TEST_WORKERS ?= 2
UNIT := not e2e and not faults and not serial

test: install services
	@bash scripts/ensure_chromium.sh
	@bash scripts/ensure_pdf.sh
	@status=0; \
	$(BIN)/pytest -n $(TEST_WORKERS) -m "$(UNIT)" || status=$$?; \
	$(BIN)/pytest -n 2 --dist loadgroup -m "e2e or faults or serial" || status=$$?; \
	exit $$status

test-faults: install services
	$(BIN)/pytest -m faults

test-fast: install services
	@bash scripts/ensure_pdf.sh
	@status=0; \
	$(BIN)/pytest -n $(TEST_WORKERS) -m "$(UNIT)" || status=$$?; \
	$(BIN)/pytest -m "(faults or serial) and not e2e" || status=$$?; \
	exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install services
	$(BIN)/python bench/push_to_inbox.py

clean:
	rm -rf $(VENV) var test-artifacts
