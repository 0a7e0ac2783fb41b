# Two commands do all set-up on a fresh machine:
#   make demo   - a working call centre on the built-in simulator
#   make test   - every check and test (what CI runs)
# Everything else here is what those two need.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test setup system-deps lint typecheck pytest js bench docs clean mutation mutation-tables

$(STAMP): pyproject.toml sdk/python/pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "ctid needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' -e './sdk/python[test]'
	touch $@

setup: $(STAMP)

system-deps:
	scripts/install-system-deps

demo: setup
	$(BIN)/ctid demo $(ARGS)

lint: setup
	$(BIN)/ruff check ctid sdk/python tests bench
	$(BIN)/ruff format --check ctid sdk/python tests bench

typecheck: setup
	$(BIN)/mypy
	cd sdk/python && ../../$(BIN)/mypy

pytest: setup
	$(BIN)/pytest $(PYTEST_ARGS)
	cd sdk/python && ../../$(BIN)/pytest $(PYTEST_ARGS)

# The JavaScript SDK: npm ci from its lock file, type-check, build and test (vitest). Its
# integration and browser tests start .venv/bin/ctid and Debian's chromium (system-deps).
JS_STAMP := sdk/js/node_modules/.ci-stamp

$(JS_STAMP): sdk/js/package.json sdk/js/package-lock.json
	cd sdk/js && npm ci --no-audit --no-fund
	touch $@

js: setup $(JS_STAMP)
	cd sdk/js && npm run --silent typecheck
	cd sdk/js && npm test

test: system-deps lint typecheck pytest js

docs: setup
	$(BIN)/python -m ctid.testing.examples > docs/protocol-examples.md
	$(BIN)/python -m ctid.api.access_table docs/security.md

# Mutation testing of one module against its own tests (slow; not part of `make test`):
#   make mutation MODULE=ctid/records/reports.py [TESTS="tests/..."] [MUTANTS="names or globs"] [MAX_CHILDREN=1]
# See docs/testing.md. mutation-tables mutates the module-level tables mutmut skips.
mutation: setup
	@test -n "$(MODULE)" || { echo "usage: make mutation MODULE=ctid/path/to/module.py"; exit 2; }
	$(BIN)/python scripts/mutation.py $(MODULE) $(TESTS) $(if $(MUTANTS),--mutants $(MUTANTS)) $(if $(MAX_CHILDREN),--max-children $(MAX_CHILDREN))

mutation-tables: setup
	@test -n "$(MODULE)" || { echo "usage: make mutation-tables MODULE=ctid/path/to/module.py"; exit 2; }
	$(BIN)/python scripts/mutation_tables.py $(MODULE) $(TESTS)

bench: setup
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
