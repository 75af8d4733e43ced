# finsam-warehouse: the two commands are `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-stamp
DATA_DIR ?= data
LANDING_DIR ?= $(DATA_DIR)/landing
UV_VERSION := $(shell sed -n 's/^uv==//p' requirements.lock)
DBT_INPUTS := $(shell find dbt_project/models dbt_project/seeds dbt_project/macros dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml

.PHONY: setup run test ui lock clean chromium postgresql lint lint-fix

## setup: create .venv and install the pinned project (a no-op in seconds when nothing changed)
setup: $(STAMP) dbt_project/target/manifest.json

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode -r requirements.lock
	@$(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode --no-deps -e .
	@touch $(STAMP)
	@echo "setup: .venv ready (pinned by requirements.lock)"

dbt_project/target/manifest.json: $(STAMP) $(DBT_INPUTS)
	@$(PY) -c "from pipelines.dbt_project import ensure_manifest; ensure_manifest()"
	@touch $@

## run: setup, demo exports into an empty landing dir, one refresh, a summary
run: setup
	@mkdir -p $(DATA_DIR)
	@if [ -z "$$(ls -A $(LANDING_DIR) 2>/dev/null)" ]; then \
		echo "run: landing dir $(LANDING_DIR) is empty: writing the demo exports"; \
		$(VENV)/bin/finsam demo-data --out $(LANDING_DIR); \
	fi
	@$(VENV)/bin/finsam refresh --data-dir $(DATA_DIR) --landing $(LANDING_DIR)

## test: setup, the linters (make lint), headless Chromium for the report screenshot test and the PostgreSQL server
## for the PostgreSQL publish tests, then the whole test suite on one pytest-xdist worker per core. A whole
## module stays on one worker (--dist loadfile): its module fixtures run their refreshes once, not once per worker.
## Modules are handed out in collection order (--no-loadscope-reorder), the modules that take minutes first
## (tests/integration/conftest.py) and the many quick unit modules last to even out the workers; xdist's default
## order, most tests first, would leave the few-test, many-minute refresh modules to the end, one after another.
## The tests' temp files (every data dir a test refreshes) go to tmpfs when the machine has one: a refresh
## commits thousands of small transactions to Dagster's SQLite event log and checkpoints DuckDB, each a flush
## to disk; the crash tests kill processes, not the machine, so no test needs the flush. Only the last
## session's temp dir is kept, as it holds memory there.
TEST_TMPDIR := $(shell test -d /dev/shm && test -w /dev/shm && echo /dev/shm)
test: setup lint chromium postgresql
	@$(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR) )$(VENV)/bin/python -m pytest -q -n auto --dist loadfile --no-loadscope-reorder \
		$(if $(TEST_TMPDIR),-o tmp_path_retention_count=1)

## chromium: Debian's headless browser, used by the report's screenshot test
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "setup: installing Debian's chromium for the report screenshot test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "setup: could not install chromium (not root / no apt?): the screenshot test will say so"; }

## postgresql: Debian's server binaries; the tests start a throwaway cluster of their own on a free
## port of 127.0.0.1 (pipelines/ops/pg_cluster.py) and never touch a running server
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "setup: installing Debian's postgresql for the PostgreSQL publish tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
		|| echo "setup: could not install postgresql (not root / no apt?): the PostgreSQL tests will say so"; }

## lint: ruff (lint, then format --check) over the Python, sqlfluff over the dbt SQL; every
## check runs, and any finding fails (config: pyproject.toml [tool.ruff], dbt_project/.sqlfluff)
lint: setup
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/sqlfluff lint dbt_project || status=1; \
	exit $$status

## lint-fix: apply the automatic fixes and the formatting; `make lint` then lists what is left
lint-fix: setup
	$(VENV)/bin/ruff check --fix --exit-zero .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/sqlfluff fix dbt_project

## ui: Dagster's webserver and daemon on http://127.0.0.1:3000 with the same instance as the CLI
ui: setup
	@mkdir -p $(DATA_DIR)/dagster_home && cp -n dagster.yaml $(DATA_DIR)/dagster_home/dagster.yaml 2>/dev/null || true
	DAGSTER_HOME=$(abspath $(DATA_DIR))/dagster_home FINSAM_DATA_DIR=$(abspath $(DATA_DIR)) $(VENV)/bin/dagster dev -w workspace.yaml

## lock: re-resolve every version together after changing pyproject.toml or constraints.in
lock:
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra dev -c constraints.in -o requirements.lock --python-version 3.11

clean:
	rm -rf $(DATA_DIR) dbt_project/target $(STAMP)
