# Two commands: `make run` (set up + start on the embedded SQLite default) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# Tests run in parallel, one worker per core (pytest-xdist); PYTEST_ARGS= runs them in one process.
PYTEST_ARGS ?= -n auto

.PHONY: run test setup setup-dev init bench clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.runtime

setup-dev: $(VENV)/.dev

init: setup
	$(PY) -m tracker init

run: init
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address 0.0.0.0

test: setup-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# The benchmark measures SQLite and PostgreSQL: without TRACKER_BENCH_POSTGRES_URL it starts a throwaway
# cluster (scripts/pg-throwaway, Debian's postgresql) for the run; BENCH_ARGS passes options (README).
bench: setup-dev
	@if [ -n "$$TRACKER_BENCH_POSTGRES_URL" ]; then \
		$(PY) -m tracker bench $(BENCH_ARGS); \
	else \
		dir=$$(mktemp -d /tmp/tracker-bench-pg.XXXXXX); \
		trap 'scripts/pg-throwaway stop "$$dir" >/dev/null 2>&1; rm -rf "$$dir"' EXIT INT TERM; \
		if url=$$(scripts/pg-throwaway start "$$dir" | tail -1) && [ -n "$$url" ]; then \
			TRACKER_BENCH_POSTGRES_URL="$$url" $(PY) -m tracker bench $(BENCH_ARGS); \
		else \
			echo "Không khởi động được PostgreSQL (apt-get install postgresql): chỉ đo SQLite."; \
			$(PY) -m tracker bench $(BENCH_ARGS); \
		fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache
