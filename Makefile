# `make run` starts the emulator; `make test` installs what the tests need and runs them all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test lint bench install install-test install-bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs are stamped: they run again only when pyproject.toml changes (the install is editable,
# so code changes need none), and a second `make run` starts at once. `make run` installs the
# twilio SDK too (the testing extra): the README's Quick start runs in .venv as printed.
# compileall: an editable install leaves our modules uncompiled when PYTHONDONTWRITEBYTECODE is
# set, and compiling them at every start would cost ~40 ms of cold start.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[testing]'
	$(BIN)/python -m compileall -q emulator
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q emulator
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,fast]'
	$(BIN)/python -m compileall -q emulator bench
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

run: install
	$(BIN)/twilio-emulator serve $(ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n auto -q -rs

# Benchmarks, printed as a table (BENCH_ARGS="--quick" for a shorter run).
bench: install-bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
