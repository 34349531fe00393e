# Two commands on a fresh machine:  make demo  |  make test
# Both install what they need (uv, then the locked dependencies in .venv).
SHELL := /bin/bash
PY ?= python3
UV := $(PY) -m uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench setup clean serve cin-validator

$(BIN)/frontdoor: pyproject.toml uv.lock
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --all-groups
	@touch $@

setup: $(BIN)/frontdoor

demo: setup  ## load a synthetic caseload, run every journey flow and a sweep, deliver the email
	$(BIN)/frontdoor demo

serve: setup  ## embedded scheduler: a sweep every few minutes (uses FRONTDOOR_DATABASE_URL)
	$(BIN)/frontdoor serve

AXE := tests/integration/web/js/node_modules/axe-core/axe.min.js
$(AXE): tests/integration/web/js/package-lock.json  ## axe-core for the accessibility tests (npm)
	npm ci --prefix tests/integration/web/js --no-audit --no-fund --silent
	@touch $@

test: setup cin-validator $(AXE)  ## the whole test suite (unit + integration on SQLite, PostgreSQL and real SMTP)
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup  ## sweep and gates evaluation at 10k and 100k open journeys, against bare SQL
	$(BIN)/python -m bench.sweep_bench

.PHONY: bench-dashboard
bench-dashboard: setup  ## dashboard pages with 10,000 open journeys against bare SQL (issue 4)
	$(BIN)/python -m bench.dashboard_bench

.PHONY: bench-whatif
bench-whatif: setup  ## what-if over ~500k events against the plain replay (issue 5)
	$(BIN)/python -m bench.whatif_bench

clean:
	rm -rf demo-output .prefect frontdoor.db .pytest_cache .mypy_cache .ruff_cache

# DfE's CIN census rules (csc-validator-be-cin) in their own venv: they pin pandas<2, need
# numpy<2 and import pytest without declaring it. The returns tests use it.
CIN_VALIDATOR := .cin-validator
cin-validator: $(CIN_VALIDATOR)/.installed
$(CIN_VALIDATOR)/.installed:
	$(PY) -m venv $(CIN_VALIDATOR)
	$(CIN_VALIDATOR)/bin/pip install --quiet --disable-pip-version-check "csc-validator-be-cin==0.1.13" "numpy<2" pytest
	@touch $@
