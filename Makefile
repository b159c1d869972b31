# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast lint venv generate validate check bench fuzz docs clean

venv: $(STAMP)

# pykustomize declares Python >= 3.14 but works on 3.11, hence --ignore-requires-python.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/pip install --quiet --disable-pip-version-check --ignore-requires-python pykustomize
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/modelserve generate
	$(BIN)/modelserve validate

generate: $(STAMP)
	$(BIN)/modelserve generate

validate: $(STAMP)
	$(BIN)/modelserve validate

check: $(STAMP)
	$(BIN)/modelserve check

# What CI runs (.ci/run): the linters, then every test with coverage and its floor.
test: lint
	$(BIN)/python -m pytest --cov=modelserve --cov-report=term:skip-covered --cov-fail-under=95

# The quick tier: everything but the tests marked slow (pre-commit, the fuzz driver, long runs).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run

fuzz: $(STAMP)
	$(BIN)/python tools/fuzz.py

# Everything generated from the code: docs/rules.md, the README's rule count, the input schemas.
docs: $(STAMP)
	$(BIN)/python tools/make_docs.py

clean:
	rm -rf $(VENV) build *.egg-info
