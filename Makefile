# Convenience targets for this machine; on Windows use the pip commands in the README.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/examkit kernel install
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/examkit demo --jobs 2

test: $(STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env tests notebooks

lint: $(STAMP)
	$(BIN)/ruff check examkit tests benchmarks
	$(BIN)/ruff format --check examkit tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format examkit tests benchmarks
	$(BIN)/ruff check --fix examkit tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf outputs/* data/demo data/fixture/*.sqlite* .pytest_cache
