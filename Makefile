# One place for the project's routines. `make demo` and `make test` set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
AS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)

.PHONY: setup demo test lint typecheck check bench lab-deps screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The lab's Debian packages, only as root (tests that need the lab skip otherwise).
lab-deps: setup
ifeq ($(AS_ROOT),yes)
	$(BIN)/ipsec-tui lab deps
endif

# The cockpit on captures recorded from the real lab: no root, network or inventory needed.
demo: setup
	$(BIN)/ipsec-tui demo

test: lab-deps
	$(BIN)/python -m pytest tests benchmarks

# ruff, and the layers of pyproject.toml's [tool.importlinter] (tests/test_layers.py too)
lint: setup
	$(BIN)/ruff check ipsec_tui tests benchmarks
	$(BIN)/ruff format --check ipsec_tui tests benchmarks
	$(BIN)/lint-imports --no-cache

typecheck: setup
	$(BIN)/mypy

check: lint typecheck test

bench: lab-deps
	$(BIN)/python -m pytest benchmarks --benchmark-enable --benchmark-columns=min,median,max,rounds

screenshots: setup
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .benchmarks
