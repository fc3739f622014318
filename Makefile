# Set-up and everyday tasks. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: demo test bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## run the sample organisation and its catalog on http://127.0.0.1:8000/
demo: $(STAMP)
	$(BIN)/streammesh demo

## install test dependencies and run every test (unit, integration, slow ones too)
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

## run the benchmarks and print their tables (see benchmarks/README.md)
bench: $(STAMP)
	$(BIN)/python benchmarks/log/bench_log.py
	$(BIN)/python benchmarks/schemas/bench_serde.py
	$(BIN)/python benchmarks/sdk/bench_sdk.py
	$(BIN)/python benchmarks/kafka/bench_kafka.py --events 200000
	$(BIN)/python benchmarks/nexmark/bench_queries.py --events 1000000 --batch 50000
	$(BIN)/python benchmarks/api/bench_api.py --metadata both

## regenerate docs/cli.md from the commands' --help
docs: $(STAMP)
	$(BIN)/python scripts/gen_cli_docs.py > docs/cli.md

clean:
	rm -rf $(VENV) .pytest_cache build dist src/*.egg-info
