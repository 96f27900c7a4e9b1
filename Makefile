# Targets the README names. Each sets up the virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev
STACKS := $(sort $(patsubst stacks/Pulumi.%.yaml,%,$(wildcard stacks/Pulumi.*.yaml)))
BASE ?=

.PHONY: setup preview diff diagram test live lint typecheck format golden bench fleet clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --progress-bar off -r requirements.txt
	touch $@

setup: $(BIN)/.installed

## Offline preview of a stack (STACK=dev by default): no CLI, no credentials.
preview: setup
	$(BIN)/python -m tools.preview $(STACK)

## Offline difference of every stack against another checkout (BASE=<dir>), as
## Markdown. Exits 3 when a protected resource would be removed or replaced.
diff: setup
	@test -n "$(BASE)" || { echo "usage: make diff BASE=<checkout of the base revision>" >&2; exit 2; }
	@mkdir -p build/base-json
	@status=0; for stack in $(STACKS); do \
	  if [ -f "$(BASE)/stacks/Pulumi.$$stack.yaml" ]; then \
	    (cd "$(BASE)" && "$(CURDIR)/$(BIN)/python" -m tools.preview $$stack --json) \
	      > build/base-json/$$stack.json || { echo "the base revision of $$stack does not preview"; status=1; continue; }; \
	  else \
	    : > build/base-json/$$stack.json; \
	  fi; \
	  $(BIN)/python -m tools.preview $$stack --diff build/base-json/$$stack.json || status=$$?; \
	  echo; \
	done; exit $$status

## Regenerate the prod fleet diagram the README embeds.
diagram: setup
	$(BIN)/python -m tools.mermaid --update README.md

## Opt-in live test against real Azure and Harness (see the README for its variables).
live: setup
	ACR_FLEET_LIVE=1 $(BIN)/python -m pytest -m live tests/live -rs

## Benchmark: offline preview of generated fleets (10, 100, 1,000 registries)
## against a bare baseline; prints a table and rewrites BENCHMARKS.md. Minutes.
bench: setup
	$(BIN)/python -m tools.bench $(BENCH_ARGS)

## A generated stack file in build/: make fleet [SUBSCRIPTIONS=50] [REGISTRIES=20] [SEED=1].
SUBSCRIPTIONS ?= 50
REGISTRIES ?= 20
SEED ?= 1
fleet: setup
	@mkdir -p build
	$(BIN)/python -m tools.fleet $(SUBSCRIPTIONS) $(REGISTRIES) --seed $(SEED) -o build/Pulumi.fleet.yaml
	@echo wrote build/Pulumi.fleet.yaml

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
	rm -rf $(VENV) build .pytest_cache .ruff_cache .mypy_cache
