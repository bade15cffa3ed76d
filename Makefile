# Two commands matter: `make demo` (the main job on the sandbox league) and `make test` (the suite).
# Both build .venv from uv.lock with the machine's python3; uv itself comes from PyPI into .tools/.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export DO_NOT_TRACK := 1

.PHONY: demo test test-gcp lint bench install clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --extra dev --extra gcp --python $(PYTHON)
	touch $@

install: $(VENV)/.installed  ## create .venv from the lock file

demo: $(VENV)/.installed  ## the main job, end to end, on the sandbox league
	$(VENV)/bin/nbaprops demo --data-dir demo-data

test: $(VENV)/.installed  ## the whole suite (warnings are errors, coverage reported)
	$(VENV)/bin/python -m pytest --cov --cov-report=term:skip-covered -q

test-gcp: $(VENV)/.installed  ## live BigQuery + GCS checks on a real project (not part of `make test`)
	@test -n "$$NBAPROPS_GCP_PROJECT" -a -n "$$NBAPROPS_TEST_GCS_BUCKET" || { \
		echo "make test-gcp: set NBAPROPS_GCP_PROJECT and NBAPROPS_TEST_GCS_BUCKET, and Google credentials"; exit 2; }
	$(VENV)/bin/python -m pytest -q --no-cov -p no:cacheprovider tests_gcp

lint: $(VENV)/.installed  ## ruff (broad rule set) and mypy --strict
	$(VENV)/bin/ruff check src tests tests_gcp bench
	$(VENV)/bin/ruff format --check src tests tests_gcp bench
	$(VENV)/bin/mypy

bench: $(VENV)/.installed  ## every benchmark in bench/, one JSON line each
	@for script in bench/bench_*.py; do $(VENV)/bin/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .tools demo-data .pytest_cache .mypy_cache .ruff_cache .coverage
