# Two commands on a fresh machine: `make run` and `make test`. Both create .venv and install kapsim first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install run test bench lint format golden docs clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/kapsim run scenarios/baseline.yaml --out outputs/baseline

# lint first: the formatter and the linter must be clean, then the whole suite
test: lint
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/kapsim bench --json outputs/bench.json

# record every shipped scenario's records and outputs anew (tests/golden): only for a change meant to change numbers
golden: install
	$(BIN)/python -m tests.golden

# the reference pages generated from the code (docs/metrics.md from the metrics catalogue)
docs: install
	$(BIN)/python -c "from sim.results.metrics import markdown; open('docs/metrics.md', 'w').write(markdown())"

lint: install
	$(BIN)/ruff format --check sim tests calibration
	$(BIN)/ruff check sim tests calibration

# rewrite the code in the project's format (what `make lint` checks)
format: install
	$(BIN)/ruff format sim tests calibration

clean:
	rm -rf outputs/* .pytest_cache
