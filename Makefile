# `make demo` and `make test` are the two commands the README promises: each
# creates .venv with the project and its tools on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# The tests run on both cores (pytest-xdist, one file per worker at a time);
# `make test` leaves out the tests marked slow, which .ci/run adds.
PYTEST := $(BIN)/pytest -n auto --dist loadfile

# The tests write thousands of small files (published sites, bundles) and
# SQLite syncs every commit to disk: on a tmpfs, where the machine has one,
# neither waits for the disk (two DB-heavy modules here: 49-54 s -> 41 s).
SHM := $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm)
test test-slow: export TMPDIR := $(or $(SHM),$(TMPDIR),/tmp)

.PHONY: demo test test-slow lint compile clean

$(BIN)/dualrandom: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dual-random needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(BIN)/dualrandom
	$(BIN)/dualrandom demo

lint: $(BIN)/dualrandom
	$(BIN)/ruff check .
	$(BIN)/mypy

# Many tests start the CLI or a scheduler in a child process, and each would
# compile the package anew where PYTHONDONTWRITEBYTECODE is set (as here):
# compiled once up front, each child imports it 0.3-0.4 s sooner.
compile: $(BIN)/dualrandom
	@$(BIN)/python -m compileall -q inspect

test: lint compile
	$(PYTEST) -m "not slow"

# Four workers on two cores: much of the slow tests' time is waiting (a lease
# running out, a killed process, a browser, the JVM), which the others fill.
test-slow: compile
	$(BIN)/pytest -n 4 --dist loadfile -m slow

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
