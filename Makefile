# Every target builds or reuses .venv with a Python 3.12 interpreter (found by scripts/find-python312;
# override with PYTHON=/path/to/python3.12) and installs the package with its test extras.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= standalone_host.settings
export PYTHONPATH := $(CURDIR)

.PHONY: demo test bench lint schema soak clean venv

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@interp=$$(PYTHON="$(PYTHON)" scripts/find-python312) || exit 1; \
	 if [ ! -x "$(PY)" ] || ! "$(PY)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then \
	   echo "creating $(VENV) with $$interp"; rm -rf "$(VENV)"; "$$interp" -m venv "$(VENV)" || exit 1; \
	 fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) -m standalone_host.demo $(DEMO_ARGS)

test: $(STAMP)
	@scripts/ensure-chromium
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

soak: $(STAMP)
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

schema: $(STAMP)
	$(PY) -m saleor_dividend_plugin.graphql.export graphql/schema.graphql

clean:
	rm -rf $(VENV) build *.egg-info
