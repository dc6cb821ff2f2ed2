# Everything a new user or CI needs: `make run`, `make test`, `make bench`, `make lint`.
# The venv is (re)installed only when pyproject.toml or constraints.txt changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
ARGS ?=

.PHONY: run test bench lint lint-imports snapshots constraints clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip==26.3"

$(VENV)/.installed-run: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e ".[test,dev]"
	@touch $@ $(VENV)/.installed-run

# The monitor on the simulated market (`make run ARGS="--seed 3"`, or RUN_ARGS="scan --sim").
RUN_ARGS ?= monitor --sim

run: $(VENV)/.installed-run
	$(BIN)/arbscope $(RUN_ARGS) $(ARGS)

# The import contract first: it takes about a second, and CI runs only `make test`.
test: lint-imports
	$(BIN)/python -m pytest -n 2 $(ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks $(ARGS)

lint: lint-imports
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

# The layers of pyproject.toml's [tool.importlinter] (docs/ARCHITECTURE.md): no import
# from a lower layer up, and none of textual or ccxt from the engine.
lint-imports: $(VENV)/.installed-test
	$(BIN)/lint-imports --no-cache

# Regenerate snapshot SVGs after an intended change of the screen.
snapshots: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2 --snapshot-update tests/ui

constraints: $(BIN)/python
	$(PIP) freeze --exclude-editable | grep -vi '^arbscope' > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .bench
