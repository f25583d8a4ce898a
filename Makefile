# rez-agent — the two commands: `make up` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_WORKERS ?= 2

.PHONY: up test test-unit test-e2e bench lint clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

up: venv            ## start the complete local stack in the foreground (Ctrl-C stops it)
	$(BIN)/rez up

test: venv          ## run everything, in parallel
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider

test-unit: venv
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider tests/unit tests/contract

test-e2e: venv
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider tests/e2e

bench: venv         ## print start time, latency percentiles, throughput, memory, and the floor
	$(BIN)/python -m benchmarks.bench

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .rez build dist *.egg-info
