# `make run` starts the emulator; `make test` installs what the tests need and runs them all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test bench install install-test install-bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# compileall: an editable install leaves our modules uncompiled when PYTHONDONTWRITEBYTECODE is
# set, and compiling them at every start would cost ~40 ms of cold start.
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q emulator

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q emulator

install-bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,fast]'
	$(BIN)/python -m compileall -q emulator bench

run: install
	$(BIN)/twilio-emulator serve $(ARGS)

test: install-test
	$(BIN)/python -m pytest -n auto -q

# Benchmarks, printed as a table (BENCH_ARGS="--quick" for a shorter run).
bench: install-bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
