# microcred — every target creates the virtual environment and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORE   := src/microcred

.PHONY: system-deps dev run tour migrate test lint fmt typecheck conformance bench bench-full docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Test-time npm tools (hardhat JSON-RPC node and solc for the chain tests, Digital Bazaar's VC stack for
# the interoperability tests); never used at run time of the product.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package-lock.json
	HARDHAT_DISABLE_TELEMETRY_PROMPT=true npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

dev: $(STAMP) $(NODE_STAMP)

## run: start the product on 127.0.0.1:8000 with the demo data (scripts/run.sh)
run: $(STAMP)
	BIN=$(BIN) bash scripts/run.sh

## tour: the command-line tour of the credential engine
tour: $(STAMP)
	$(BIN)/python scripts/tour.py

## migrate: create or upgrade the database schema (MICROCRED_DATABASE_URL, default ./var)
migrate: $(STAMP)
	$(BIN)/microcred migrate

## test: lint, type-check the core, then the whole test suite
## system-deps: Chromium, poppler-utils, zbar-tools for the browser and certificate tests
system-deps:
	bash scripts/system-deps.sh

# The suite runs in TEST_WORKERS processes (pytest-xdist; many tests wait on subprocesses, the
# browser, PostgreSQL or a chain node); TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2
test: $(STAMP) $(NODE_STAMP) system-deps lint typecheck
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal

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

## bench: every benchmark, short (--all --quick: JSON lines + tables); bench-full: 2 s each + 10 s HTTP
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --all --quick

bench-full: $(STAMP)
	$(BIN)/python -m benchmarks.run --all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
