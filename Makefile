# `make run` starts the emulator; `make test` installs what the tests need and runs them all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

run: install
	$(BIN)/twilio-emulator serve $(ARGS)

test: install-test
	$(BIN)/python -m pytest -n auto -q

clean:
	rm -rf $(VENV) build *.egg-info
