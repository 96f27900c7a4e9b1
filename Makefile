# Targets the README names. Each sets up the virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: setup preview test lint typecheck format golden clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --progress-bar off -r requirements.txt
	touch $@

setup: $(BIN)/.installed

## Offline preview of a stack (STACK=dev by default): no CLI, no credentials.
preview: setup
	$(BIN)/python -m tools.preview $(STACK)

## Lint, type-check and run every test.
test: setup lint typecheck
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy components tools policy

## Rewrite tests/golden/<stack>.urns.txt after an intended change of URNs.
golden: setup
	$(BIN)/python -m tools.golden

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
