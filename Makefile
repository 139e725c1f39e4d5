# NeedleChart: `make run` serves the app with demo data; `make test` runs the whole suite.
# Both install what the machine lacks: uv, the virtual environment, and (as root on Debian)
# Chromium for the browser tests.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export NEEDLECHART_DEBUG ?= 1
# `make test` runs the suite on every core with pytest-xdist, each worker with its own database (and,
# on PostgreSQL, its own application role). `make test PYTEST_WORKERS=0` runs it in one process, as
# plain `pytest` does. worksteal: every item runs (loadfile and loadscope merge items that share a
# node id, as schemathesis's do), and an idle worker takes tests from the busy one's queue.
PYTEST_WORKERS ?= auto
XDIST = -n $(PYTEST_WORKERS) --dist worksteal

.PHONY: run test bench lint sysdeps clean screenshots

$(STAMP): pyproject.toml
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install -q uv
	uv venv -q --allow-existing --python $(PYTHON) $(VENV)
	uv pip install -q --python $(BIN)/python -e ".[dev]"
	@touch $@

run: $(STAMP)
	$(BIN)/needlechart kb check
	$(BIN)/needlechart manage migrate --noinput
	$(BIN)/needlechart manage seed_demo
	@echo "NeedleChart: open http://$(HOST):$(PORT)/ (the trigger-point explorer needs no login; patients at /patients/)"
	@BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) bash scripts/run-dev.sh  # the server, with the job worker and sweeps beside it

sysdeps:
	@bash scripts/sysdeps.sh

test: $(STAMP) sysdeps
	$(BIN)/ruff check needlechart tests scripts
	$(BIN)/mypy
	NEEDLECHART_DEBUG= $(BIN)/pytest -q $(XDIST)
	NEEDLECHART_DEBUG= BIN=$(BIN) PYTEST_XDIST="$(XDIST)" bash scripts/test-postgres.sh

bench: $(STAMP)  ## core latency, then each page's requests/s against the signed-in floor page on PostgreSQL (needs wrk: apt-get install -y wrk); VISITS_PER_PATIENT=200: at 400,000 visits
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null 2>&1; } || true
	$(BIN)/python scripts/bench.py --output bench-results.json
	$(BIN)/python scripts/bench_web.py --output bench-web-results.json --visits-per-patient $(or $(VISITS_PER_PATIENT),20)

lint: $(STAMP)
	$(BIN)/ruff check needlechart tests scripts
	$(BIN)/mypy
	$(BIN)/ruff format --check needlechart tests scripts

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

screenshots: $(STAMP) sysdeps  ## the README's screenshots, taken in Chromium by the browser tests
	NEEDLECHART_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/explorer/test_browser.py tests/charting/test_browser_flow.py tests/charting/test_follow_up_browser.py tests/outcomes/test_browser.py tests/learn/test_browser.py tests/portal/test_browser.py tests/portal/test_between_browser.py tests/portal/test_browser_intake.py tests/selfcheck/test_browser.py
