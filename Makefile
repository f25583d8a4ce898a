# rez-agent — the two commands: `make up` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_WORKERS ?= 2

.PHONY: up test test-unit test-e2e demo bench lint clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

up: venv            ## start the complete local stack in the foreground (Ctrl-C stops it)
	$(if $(TARGET),REZ_TARGET=$(TARGET) )$(BIN)/rez up

test: venv build    ## run everything (after building the Lambda artifacts), in parallel
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider

test-unit: venv
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider tests/unit tests/contract

test-e2e: venv
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider tests/e2e

demo: venv          ## the recorded demos: `make demo` lists them, `make demo NAME=golf-booking` runs one
	$(BIN)/rez demo $(if $(NAME),run $(NAME),list)

bench: venv         ## print start time, latency percentiles, throughput, memory, and the floor
	$(BIN)/python -m benchmarks.bench

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .rez build dist *.egg-info

# --- Lambda artifacts, AWS deployment, other data-plane backends ----------------------------------
STAGE ?= dev
E2E_LANE = $(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider -rs tests/e2e

.PHONY: build preview deploy test-localstack test-ministack

build: venv         ## one reproducible Lambda zip per function, in build/lambda (python3.12, manylinux)
	$(BIN)/python -m infra.packaging build

preview: venv       ## pulumi preview of STAGE (dev|prod) with AWS_PROFILE
	$(BIN)/python -m infra.deploy preview --stage $(STAGE) $(if $(AWS_PROFILE),--profile $(AWS_PROFILE))

deploy: venv        ## pulumi up of STAGE with AWS_PROFILE (required): make deploy STAGE=dev AWS_PROFILE=me
	$(BIN)/python -m infra.deploy up --stage $(STAGE) $(if $(AWS_PROFILE),--profile $(AWS_PROFILE))

test-localstack: venv   ## e2e suite with the data plane on LocalStack 4.14 (DynamoDB on moto); skips if it cannot start
	REZ_TARGET=localstack $(E2E_LANE)

test-ministack: venv    ## e2e suite with the data plane on Ministack; skips if it cannot start
	REZ_TARGET=ministack $(E2E_LANE)

# --- a real local LLM behind the Bedrock stand-in, and the agent evaluation -----------------------
.PHONY: llm eval-agent test-llm

llm: venv           ## build/install llama-cpp-python's server + the pinned model (cached in ~/.cache/rez-agent/llm)
	$(BIN)/python -m emulation.fakes.bedrock.backends.local_install --smoke

eval-agent: venv    ## run the agent evaluation on every available backend (BACKENDS=intent,local CASES=id,...)
	$(BIN)/python -m evals.agent_eval $(if $(BACKENDS),--backends $(BACKENDS)) $(if $(CASES),--cases $(CASES))

test-llm: venv      ## the seed conversation on the real local model (after make llm)
	REZ_TEST_LOCAL_LLM=1 $(BIN)/pytest -n 0 -q -p no:cacheprovider -rs -m local_llm tests/e2e
