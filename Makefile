# The two commands that matter: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-backbone fuzz bench lint layers format typecheck openapi openapi-check check clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# Reinstall when the dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@# PostgreSQL server binaries for the embedded database, only where the machine has none.
	@$(BIN)/python -c 'from service.kit.embedded_pg import find_bin_dir; find_bin_dir()' 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet --only-binary=:all: "pgserver>=0.1.4" \
		|| echo "note: no PostgreSQL binaries and no pgserver wheel for this platform; set DATABASE_URL or install PostgreSQL"
	@touch $(STAMP)

## Run the service (embedded PostgreSQL under .data/ unless DATABASE_URL is set).
run: $(STAMP)
	$(BIN)/koshiki run

## Run the whole test suite against a real PostgreSQL (TEST_DATABASE_URL, else the embedded one).
test: $(STAMP)
	$(BIN)/pytest

## The queue backbone suite alone; set TEST_BROKER_URL=amqp://… or redis://… to run it on that broker.
test-backbone: $(STAMP)
	$(BIN)/pytest -m backbone

## Schemathesis over the committed OpenAPI document, against the service on a port and a throwaway
## database (TEST_DATABASE_URL's server, else the embedded one): no 5xx, no undocumented status, no
## response off its schema. FUZZ_MAX_EXAMPLES (default 10) bounds the cases per operation.
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz

## Benchmarks (figures printed beside their targets; not a pass/fail test).
bench: $(STAMP)
	$(BIN)/python -m bench.backbone
	$(BIN)/python -m bench.register
	$(BIN)/python -m bench.renewals
	$(BIN)/python -m bench.posts
	$(BIN)/python -m bench.imports
	$(BIN)/python -m bench.compliance

lint: $(STAMP)
	$(BIN)/ruff check service tests migrations bench
	$(BIN)/ruff format --check service tests migrations bench

## The declared layers (pyproject.toml, [tool.importlinter]): no upward import, no cycle.
layers: $(STAMP)
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix service tests migrations bench
	$(BIN)/ruff format service tests migrations bench

typecheck: $(STAMP)
	$(BIN)/mypy service

## Regenerate the committed OpenAPI document from the code.
openapi: $(STAMP)
	$(BIN)/koshiki openapi export

## Fail when the committed OpenAPI document differs from what the code serves.
openapi-check: $(STAMP)
	$(BIN)/koshiki openapi export --check

check: lint layers typecheck openapi-check test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
