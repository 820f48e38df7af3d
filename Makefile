# The newcomer's commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint check-system migrate demo demo-code clean serve bench

setup: $(VENV)/.installed node_modules/.installed check-system

# Runtime pins (requirements.txt, all the Docker image gets) and test/tool pins (requirements-dev.txt) both.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)." % sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment. On Debian/Ubuntu: sudo apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip check --disable-pip-version-check >/dev/null
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed to install the front-end assets (Bootstrap, the PDF font) from the npm registry. On Debian/Ubuntu: sudo apt-get install nodejs npm"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

check-system: $(VENV)/.installed
	@$(PY) scripts/check_system.py

migrate: setup
	$(PY) manage.py migrate --no-input

demo: migrate
	$(PY) manage.py load_demo_clinic

# A Celery worker with beat runs beside the web server (reminders, PDF summaries, exports); it stops with it.
# Without REDIS_URL its broker is a folder in var/celery (see README, "Background work").
CELERY_VAR := $(or $(KAPCOUPLES_VAR_DIR),var)/celery
run: demo
	@$(PY) manage.py demo_logins --url http://$(HOST):$(PORT)/
	@mkdir -p $(CELERY_VAR)
	@$(VENV)/bin/celery -A kapcouples worker --beat --pool=solo --purge --loglevel=INFO \
		--schedule $(CELERY_VAR)/beat-schedule >>$(CELERY_VAR)/worker.log 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Background worker started (pid $$worker, log in $(CELERY_VAR)/worker.log)."; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Lint, format check, migrations complete, the import contracts (.importlinter: one-way layers, no cycles, nothing
# imports the demo), then the suite with coverage (the floor is in pyproject.toml, [tool.coverage.report]).
# The clinical rules' own modules are held to a higher floor than the whole (CONTRIBUTING.md, "Adding a rule"):
# 96% on 2026-12-06. records/guards.py is not among them: half of it is the SQLite triggers, which CI (PostgreSQL)
# does not run; records/tests try every trigger on both databases.
DOMAIN_MODULES := cases/policy.py cases/scores.py cases/instruments.py cases/services.py sessions/course.py \
	sessions/services.py dosing/approvals.py dosing/clinical_time.py dosing/doses.py dosing/gate.py dosing/holds.py \
	dosing/integrity.py dosing/lifecycle.py dosing/notices.py dosing/protocol.py dosing/record.py dosing/discharge.py dosing/requests.py \
	dosing/stock.py dosing/vitals.py dosing/wording.py integration/measures.py integration/services.py \
	kapcouples/clock.py kapcouples/spreadsheet.py
comma := ,
space := $(subst ,, )
DOMAIN_FLOOR := 95

test: setup lint
	$(PY) -m pytest --cov --cov-report=term
	@echo "Coverage of the clinical rules' modules (floor $(DOMAIN_FLOOR)%):"
	$(PY) -m coverage report --include='$(subst $(space),$(comma),$(strip $(DOMAIN_MODULES)))' --fail-under=$(DOMAIN_FLOOR)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports

# The production stack on this machine: gunicorn, the Celery workers and beat (Procfile) with production
# settings, on the machine's PostgreSQL and Redis (README, "Running in production"). Ctrl-C stops it all.
serve: setup
	$(PY) scripts/serve.py

# Performance at clinic-network scale (docs/benchmarks.md): a throwaway kapcouples_bench database on the local
# PostgreSQL (postgres@127.0.0.1) and Redis database 3, 1,000, 10,000 then 30,000 generated couples.
# Writes var/bench/latest.json and regenerates docs/benchmarks.md from it. Not part of `make test`.
bench: setup
	$(PY) -m bench.run

# The code of a demo prescriber or admin for the second factor: make demo-code who=sam (or who=lee). It reads the
# same database as make run, so give it the same KAPCOUPLES_VAR_DIR or DATABASE_URL.
demo-code: $(VENV)/.installed
	@test -n "$(who)" || { echo "Say whose code: make demo-code who=sam (or who=lee)"; exit 2; }
	@$(PY) manage.py demo_code $(who)

clean:
	rm -rf $(VENV) node_modules var/test-artifacts
