# One entry point for a newcomer. Every target runs `setup` first; setup is idempotent.
SHELL := /bin/bash
VENV := .venv/bin
SLITHER := .venv-slither
SCHEMATHESIS := .venv-schemathesis
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/.solc

.PHONY: setup build test test-fast test-contracts lint up walkthrough bench broker clean api-check schemathesis-venv console-screenshots

setup:
	@./toolchain/setup.sh

build: setup
	@$(VENV)/python -m toolchain.build

# slither gets its own virtual environment: its pins clash with brownie's
$(SLITHER)/.installed: toolchain/slither-requirements.txt
	@python3 -m venv $(SLITHER)
	@$(SLITHER)/bin/pip install --quiet --disable-pip-version-check -r toolchain/slither-requirements.txt
	@touch $@

# schemathesis too: it needs a newer hypothesis than brownie pins
$(SCHEMATHESIS)/.installed: toolchain/schemathesis-requirements.txt
	@python3 -m venv $(SCHEMATHESIS)
	@$(SCHEMATHESIS)/bin/pip install --quiet --disable-pip-version-check -r toolchain/schemathesis-requirements.txt
	@touch $@

schemathesis-venv: $(SCHEMATHESIS)/.installed

# both OpenAPI documents against the live stack, every schemathesis check, bounded in time
api-check: build $(SCHEMATHESIS)/.installed
	@$(VENV)/python toolchain/schemathesis_check.py

# ruff, import-linter, mypy, solhint, and slither against its baseline (toolchain/slither-baseline.txt)
lint: setup $(SLITHER)/.installed
	@$(VENV)/ruff check toolchain deploy devstack tests issuer custody_mock servicekit bench
	@set -o pipefail; $(VENV)/lint-imports --no-cache | tail -n 4   # the rules: pyproject.toml
	@$(VENV)/mypy   # every module; strict on those [[tool.mypy.overrides]] lists
	@node_modules/.bin/solhint --max-warnings 0 --disc 'contracts/**/*.sol' && echo "solhint: clean"
	@$(SLITHER)/bin/python toolchain/slither_check.py

# the unit layer alone: no chain, no service (tests/conftest.py marks the layers)
test-fast: setup
	@$(VENV)/python -m pytest -q -p no:cacheprovider -p no:pytest-brownie -m unit --ignore=tests/contracts

# the contracts on anvil
test-contracts: build
	@$(VENV)/python -m pytest -q -p no:cacheprovider -n 2 tests/contracts

# the SQLite pass and the PostgreSQL pass at the same time (toolchain/test_passes.py), each with
# two pytest-xdist workers and their own anvils (brownie adds the worker's number to the port)
test: build lint $(SCHEMATHESIS)/.installed
	@$(VENV)/python toolchain/test_passes.py

# the operator console's screenshots in docs/ (the README shows them), taken by its browser test
console-screenshots: build
	@CONSOLE_SCREENSHOTS=docs $(VENV)/python -m pytest -q -p no:cacheprovider tests/integration/test_console.py

# the whole stack and its story; `make up ARGS=--keep-running` leaves it up (see --help)
up: build
	@PYTHONWARNINGS=ignore::FutureWarning $(VENV)/python -m devstack $(ARGS)

# the contracts alone on a devnet, driven with brownie (freeze, recovery, a split by hand)
walkthrough: build
	@PYTHONWARNINGS=ignore::FutureWarning $(VENV)/python -m toolchain.run deploy.walkthrough

bench: build
	@PYTHONWARNINGS=ignore::FutureWarning $(VENV)/python -m toolchain.run deploy.bench_gas
	@PYTHONWARNINGS=ignore::FutureWarning $(VENV)/python -m toolchain.run deploy.gas_breakdown
	@$(VENV)/python bench/broker_orders.py
	@$(VENV)/python bench/stack.py
	@$(VENV)/python bench/itn.py
	@$(VENV)/python bench/public_reserves.py

# the mock broker alone, on http://127.0.0.1:8700 (OpenAPI docs at /docs)
broker: setup
	@$(VENV)/python -m custody_mock --port $${PORT:-8700}

clean:
	rm -rf build reports .hypothesis $(SLITHER) $(SCHEMATHESIS)
