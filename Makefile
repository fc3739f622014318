# Set-up and everyday tasks. Each target installs what it needs into .venv first:
#   make demo  the package alone (what the demo runs on); no test tools, no browser
#   make test  also the test, benchmark and dev extras, the Kafka/PostgreSQL drivers and Debian's chromium
# Each has its own stamp, keyed by pyproject.toml, so either order works and an edit of pyproject.toml reinstalls.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HASH := $(shell cksum < pyproject.toml | cut -d' ' -f1)
DEMO_STAMP := $(VENV)/.demo-$(HASH)
TEST_STAMP := $(VENV)/.test-$(HASH)
PYTEST_ARGS ?=

.PHONY: demo test lint bench docs clean install-demo install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# --no-compile: Python writes the bytecode of the modules the demo imports when it first imports them, instead
# of pip compiling every module of every dependency up front (~77 MB of __pycache__, mostly never used)
$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e .
	rm -f $(VENV)/.demo-* $(VENV)/.installed-*
	touch $@

# a superset of the demo's install, so it stamps both
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,bench,dev]"
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	rm -f $(VENV)/.demo-* $(VENV)/.test-* $(VENV)/.installed-*
	touch $@ $(DEMO_STAMP)

## install only (what 'make demo' / 'make test' install before they run)
install-demo: $(DEMO_STAMP)
install-test: $(TEST_STAMP)

## run the sample organisation and its catalog on http://127.0.0.1:8000/
demo: $(DEMO_STAMP)
	$(BIN)/streammesh demo

## lint, format check, type check and the layer contract (fails on the first that does not pass)
LINTED := src tests benchmarks scripts
lint: $(TEST_STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports

## install the test tools and a browser, lint, then run every test (unit, integration, slow ones too);
## pytest exits 5 when it collects nothing, and make fails on it like on any non-zero exit
test: lint
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

## run the benchmarks and print their tables (see benchmarks/README.md)
bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/log/bench_log.py
	$(BIN)/python benchmarks/schemas/bench_serde.py
	$(BIN)/python benchmarks/sdk/bench_sdk.py
	$(BIN)/python benchmarks/kafka/bench_kafka.py --events 200000
	$(BIN)/python benchmarks/nexmark/bench_queries.py --events 1000000 --batch 50000
	$(BIN)/python benchmarks/api/bench_api.py --metadata both

## regenerate docs/cli.md from the commands' --help
docs: $(DEMO_STAMP)
	$(BIN)/python scripts/gen_cli_docs.py > docs/cli.md

clean:
	rm -rf $(VENV) .pytest_cache build dist src/*.egg-info
