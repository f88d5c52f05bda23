# conflictwire: `make run` (main job on the embedded broker) and `make test` each set up what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test drills evaluate train lint typecheck check bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: install
	$(BIN)/conflictwire run $(ARGS)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Crash, replay and hostile-input drills on the real broker (issue 9), kept out of `make test`
# (14-18 minutes a run here). DRILL_RUNS=3 runs them three times in a row and prints the table.
DRILL_RUNS ?= 1
drills: install
	$(BIN)/python -m tests.support.drill_runs --runs $(DRILL_RUNS) -- $(PYTEST_ARGS)

# accuracy on the three dev sets in ../shared/eval, the figure selector cross-validated
evaluate: install
	$(BIN)/conflictwire evaluate $(ARGS)

# refit the figure selector on the dev sets and write workers/data/models/figure_selector.json
train: install
	$(BIN)/python -m workers.training

lint: install
	$(BIN)/ruff check workers tests benchmarks
	$(BIN)/ruff format --check workers tests benchmarks

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

bench: install
	$(BIN)/python benchmarks/throughput.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .conflictwire
