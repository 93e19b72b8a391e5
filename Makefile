# microcred — every target creates the virtual environment and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORE   := src/microcred

.PHONY: dev run test lint fmt typecheck conformance bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

dev: $(STAMP)

## run: start the product (for now: the CLI tour of the credential engine)
run: $(STAMP)
	$(BIN)/python scripts/tour.py

## test: lint, type-check the core, then the whole test suite
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q

conformance: $(STAMP)
	$(BIN)/python -m pytest -q tests/conformance

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

fmt: $(STAMP)
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy --strict $(CORE)

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
