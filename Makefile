# The README's commands. Every target builds or refreshes its own virtualenv first, from uv.lock,
# so a fresh machine needs only Python >= 3.11 and access to the package registries.
PYTHON     ?= python3
VENV       ?= .venv
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed
UV_VERSION := 0.13.8
UV         := UV_PROJECT_ENVIRONMENT=$(abspath $(VENV)) $(BIN)/uv
HOST       ?= 127.0.0.1
PORT       ?= 8000
DATA       ?= ./var
FSYNC      ?= interval
CODE       := packages/eventram/src packages/billing/src tests bench

.PHONY: install lock serve test check bench format wheels clean

install: $(STAMP)

# uv is bootstrapped with pip once; the lock pins the same uv, so `uv sync` keeps it.
$(STAMP): uv.lock pyproject.toml packages/eventram/pyproject.toml packages/billing/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(UV) sync --frozen --all-packages --all-groups --all-extras --no-python-downloads --python $(BIN)/python
	touch $(STAMP)

# Update the lock on purpose (newest versions the pyproject ranges allow), then run `make test
# check` before committing uv.lock with a message that names what moved.
lock: $(STAMP)
	$(UV) lock --upgrade --no-python-downloads --python $(BIN)/python

serve: $(STAMP)
	$(BIN)/billing serve --host $(HOST) --port $(PORT) --data-dir $(DATA) --fsync $(FSYNC)

test: $(STAMP)
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix $(CODE)
	$(BIN)/ruff format $(CODE)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Both distributions as wheels, in dist/.
wheels: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps --wheel-dir dist packages/eventram packages/billing

clean:
	rm -rf $(VENV) dist .pytest_cache .mypy_cache .ruff_cache .coverage
