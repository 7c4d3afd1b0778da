# brandpulse: `make run` runs the pipeline on this machine, `make test` runs every test tier.
# Each target installs what it needs into .venv first (Python 3.11+ and its venv module required).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-unit test-integration lint bench clean debs evaluate

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(STAMP)
	$(BIN)/brandpulse up

# Debian's Alertmanager (and Prometheus), which the integration tests start on loopback ports.
DEBS := prometheus-alertmanager prometheus
debs:
	@command -v prometheus-alertmanager >/dev/null && command -v promtool >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEBS); }

test: $(STAMP) debs
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/agents

test-integration: $(STAMP) debs
	$(BIN)/python -m pytest tests/integration

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

evaluate: $(STAMP)
	$(BIN)/brandpulse evaluate

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .brandpulse .pytest_cache
