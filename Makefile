# success-assistant: `make run` serves on the embedded defaults, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install system-deps run ingest test test-fast test-load test-cluster lint lock bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	# an editable install leaves the project's own modules uncompiled (pip compiles only what
	# it copies); compile them once, so a cold command does not compile ~130 files (0.3-0.5 s)
	# where PYTHONDONTWRITEBYTECODE keeps Python from caching them itself
	$(BIN)/python -m compileall -q assistant ingest >/dev/null
	touch $(STAMP)

install: $(STAMP)

# chromium (browser tests) and redis-server (cluster tests), from Debian, when missing
system-deps:
	./scripts/system-deps.sh

run: $(STAMP)
	$(BIN)/assistant ingest knowledge
	$(BIN)/assistant import-accounts knowledge/accounts
	$(BIN)/assistant serve --host 127.0.0.1 --port 8000

ingest: $(STAMP)
	$(BIN)/assistant ingest knowledge

test: $(STAMP) system-deps
	$(BIN)/pytest -m "not cluster"

test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow and not cluster"

# cluster profile (issue 17): Postgres, Redis, Chroma server, 2 Celery + 2 API workers on
# loopback; not part of `make test`, its own CI step (.ci/run)
test-cluster: $(STAMP) system-deps
	$(BIN)/pytest -m cluster

# 50 clients for 60 s against a real server on a temporary data dir (not part of `test`)
test-load: $(STAMP)
	$(BIN)/python bench/load.py --clients 50 --seconds 60

lint: $(STAMP)
	$(BIN)/ruff check assistant ingest tests bench eval
	$(BIN)/ruff format --check assistant ingest tests bench eval
	$(BIN)/mypy

# Re-pin the lock file (pip-tools honours this machine's pip config: torch 2.13.0+cpu).
lock: $(STAMP)
	$(BIN)/pip-compile --extra dev --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	! grep -iE '^(nvidia|triton)' requirements.lock

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/query.py
	$(BIN)/python bench/beir.py
	# issue 15: embedding backends and cold start
	$(BIN)/python bench/embed.py
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
