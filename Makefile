# The README's two commands. Each sets itself up on a fresh machine: a virtual environment
# in .venv, the package and its dependencies, and the sample data it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# axe-core, from npm, which the browser tests inject into every page (package-lock.json pins it).
AXE := node_modules/axe-core/axe.min.js

.PHONY: demo test test-spark audit lint bench bench-publish bench-england bench-spark bench-dashboard bench-pack bench-payments bench-api clean

# The spark extra (PySpark) is for the Spark engine's test, which also needs Java 17 or newer:
# .ci/run installs it where missing; elsewhere the test skips and says why.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools  # the venv's own are old
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/wholesystem demo

$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund && touch $(AXE); \
	else \
	  echo "npm not found: the browser tests will skip their accessibility (axe-core) checks"; \
	fi

# The dependency audit fails on a known vulnerability and says plainly, without failing, when
# PyPI's advisory data cannot be reached (tools/dependency_audit.py); it takes a few seconds.
test: $(STAMP) $(AXE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m tools.dependency_audit
	$(BIN)/python -m pytest -n 2 --dist loadscope --no-loadscope-reorder

# Only the Spark engine's tests (also part of `make test`): the fixture system and the default
# sample published on Spark local[2] and on DuckDB, compared table by table.
test-spark: $(STAMP)
	$(BIN)/python -m pytest tests/metrics/test_spark_engine.py

audit: $(STAMP)
	$(BIN)/python -m tools.dependency_audit

bench: $(STAMP)
	$(BIN)/python -m bench.etl_load

bench-publish: $(STAMP)
	$(BIN)/python -m bench.publish

bench-england: $(STAMP)
	$(BIN)/python -m bench.england

bench-spark: $(STAMP)
	$(BIN)/python -m bench.spark_publish

bench-dashboard: $(STAMP)
	$(BIN)/python -m bench.dashboard

bench-pack: $(STAMP)
	$(BIN)/python -m bench.pack

bench-payments: $(STAMP)
	$(BIN)/python -m bench.payments

bench-api: $(STAMP)
	$(BIN)/python -m bench.api

clean:
	rm -rf $(VENV) data sample_data/generated
