# The two commands of the README: `make run` and `make test`. Everything else is
# what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
# Where the API fuzzing writes its report (CI's two passes write one each).
FUZZ_REPORT ?= api-fuzz-report.txt
# pytest's worker processes (pytest-xdist): one per core. Each has its own test
# database; a test file stays on one worker, so a module's fixtures are made once.
# The browser tests run after the others, in a pytest run of their own: Playwright's
# sync API leaves its event loop marked as the main thread's running loop, which a
# later test of the same process calling an async view would trip over.
TEST_WORKERS ?= auto
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile
PYENV_ROOT := $(shell pyenv root 2>/dev/null)
# Django 6 needs Python 3.12+. Each candidate is run, not just looked up: pyenv shims
# exist on PATH even for versions that are not active.
PYTHON_CANDIDATES := $(PYTHON) python3.13 python3.12 \
	$(sort $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3 $(PYENV_ROOT)/versions/3.12*/bin/python3)) \
	python3

RUN_ENV := DJANGO_HTTPS=0 ALLOWED_HOSTS=127.0.0.1,localhost \
	CSRF_TRUSTED_ORIGINS=http://127.0.0.1:8000,http://localhost:8000 \
	SECRET_KEY="$$(cat .secret_key)" \
	VAPID_PRIVATE_KEY="$$(sed -n 's/^VAPID_PRIVATE_KEY=//p' .vapid_keys)" \
	VAPID_PUBLIC_KEY="$$(sed -n 's/^VAPID_PUBLIC_KEY=//p' .vapid_keys)"

.PHONY: run test install lint format bench api-fuzz check-deploy browser clean

$(VENV)/.installed: pyproject.toml
	@py=""; for candidate in $(PYTHON_CANDIDATES); do \
		if "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
			py="$$candidate"; break; fi; done; \
	if [ -z "$$py" ]; then \
		echo "No Python 3.12 or newer found (Django 6 needs it). Install one, or run: make PYTHON=/path/to/python3.12"; \
		exit 1; fi; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

.secret_key:
	@$(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# Browser push's key pair (manage.py vapid_keys), made once like the secret key:
# browsers stay subscribed across restarts. Push works on http://127.0.0.1:8000, as
# browsers treat localhost as secure.
.vapid_keys: | $(VENV)/.installed .secret_key
	@SECRET_KEY="$$(cat .secret_key)" $(PY) manage.py vapid_keys > $@.tmp \
		&& mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

run: install .secret_key .vapid_keys
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py createcachetable
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(PY) manage.py demo_seed
	@echo "Serving on http://127.0.0.1:8000, with a task worker and the scheduler. Ctrl-C stops all."
	@trap 'kill 0' EXIT INT TERM; \
	keep_up() { name=$$1; shift; while true; do "$$@"; status=$$?; \
		echo "The $$name stopped (exit status $$status); restarting it in 2 s." >&2; sleep 2; done; }; \
	keep_up "task worker" env $(RUN_ENV) $(PY) manage.py run_worker --no-startup-delay & \
	keep_up scheduler env $(RUN_ENV) $(PY) manage.py scheduler --every 10 & \
	$(RUN_ENV) $(VENV)/bin/gunicorn config.asgi:application --worker-class uvicorn_worker.UvicornWorker \
		--bind 127.0.0.1:8000 --workers 2 --graceful-timeout 10 --access-logfile - & \
	wait

# Browser tests drive Debian's Chromium (Playwright's own download does not work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Chromium for the browser tests"; \
			(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null; \
		else echo "The browser tests need Chromium: sudo apt-get install chromium"; exit 1; fi; }

test: install browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PYTEST) -m "not e2e"
	@# The API fuzzing (a server and a database of its own) runs beside the browser
	@# tests, which leave the cores half idle while pages settle; its output follows.
	@log=$$(mktemp); $(PY) -m tests.api_fuzz --output $(FUZZ_REPORT) >"$$log" 2>&1 & fuzz=$$!; \
	trap 'kill $$fuzz 2>/dev/null; rm -f "$$log"' EXIT; \
	$(PYTEST) -m e2e; browser=$$?; \
	wait $$fuzz; fuzzed=$$?; cat "$$log"; \
	[ $$browser = 0 ] && [ $$fuzzed = 0 ]

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports

format:
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

# Timings of request paths on PostgreSQL, in a database made for the run (tests/bench).
bench: install
	$(PY) -m tests.bench --output bench-report.md

# Schemathesis against the API's OpenAPI schema, on a server and database made for the
# run (tests/api_fuzz); fails on a 5xx or a response the schema does not describe.
api-fuzz: install
	$(PY) -m tests.api_fuzz --output $(FUZZ_REPORT)

check-deploy: install
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		ALLOWED_HOSTS=goals.example.com EMAIL_URL=smtp+tls://goaltrack:secret@smtp.example.com \
		$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles db.sqlite3* .secret_key .vapid_keys
