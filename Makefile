# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test venv generate validate check bench fuzz docs clean

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

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run

fuzz: $(STAMP)
	$(BIN)/python tools/fuzz.py

docs: $(STAMP)
	$(BIN)/python tools/make_input_schemas.py
	$(BIN)/modelserve rules --markdown > docs/rules.md

clean:
	rm -rf $(VENV) build *.egg-info
