# Two commands for a newcomer: `make up` and `make test`. Each builds .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test test-deps bench histories clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

up: $(STAMP)
	$(BIN)/warroom up

# The Debian packages the tests drive (scripts/test-deps installs what is missing), then the suite.
test: test-deps $(STAMP)
	$(BIN)/python -m pytest -q

test-deps:
	@scripts/test-deps

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Re-record the workflow histories that tests/test_replay.py replays.
histories: $(STAMP)
	$(BIN)/python -m tests.record_histories

clean:
	rm -rf $(VENV) .warroom
