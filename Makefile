# Yanxiu — two commands: `make run` (set up + serve the demo on SQLite), `make test` (all tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export YANXIU_INSTANCE_PATH ?= $(CURDIR)/instance
FLASK := $(BIN)/flask --app wsgi
PYTEST_ARGS ?= -n 2

.PHONY: install test-deps translations run serve lint test test-sqlite test-postgres test-salon test-fast bench bench-postgres bench-load bench-district bench-backup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP) translations

# The out-of-tree example plugin, installed before pytest starts so every test process
# (pytest-xdist workers included) can import it; its tests check it is found by entry point.
EXAMPLE_STAMP := $(VENV)/.example-installed
$(EXAMPLE_STAMP): $(STAMP) examples/reading-club/pyproject.toml
	$(BIN)/python -m pip install -q -e examples/reading-club
	touch $(EXAMPLE_STAMP)

LESSON_STUDY_STAMP := $(VENV)/.example-lesson-study-installed
$(LESSON_STUDY_STAMP): $(STAMP) examples/lesson-study/pyproject.toml
	$(BIN)/python -m pip install -q -e examples/lesson-study
	touch $(LESSON_STUDY_STAMP)

test-deps: install $(EXAMPLE_STAMP) $(LESSON_STUDY_STAMP)

# The 教研沙龙 example (examples/teaching-salon) is tested in an environment of its own layered on
# the portal's (a .pth adds the portal's site-packages), installed as a plugin author installs it:
# installed beside the others, its type would join every test's DEMO school and move the suite's
# page pins. Its 21 tests take about 5 s (about 15 s with making the environment).
SALON_ENV := $(CURDIR)/.venv-teaching-salon
SALON_STAMP := $(SALON_ENV)/.installed
$(SALON_STAMP): $(STAMP) examples/teaching-salon/pyproject.toml
	rm -rf $(SALON_ENV)
	$(BIN)/python -m venv --without-pip $(SALON_ENV)
	echo "import site; site.addsitedir('$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')')" \
		> "$$($(SALON_ENV)/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/yanxiu-portal.pth"
	$(BIN)/python -m pip -q --python $(SALON_ENV)/bin/python install --no-deps -e examples/teaching-salon
	touch $(SALON_STAMP)

## make test-salon: the 教研沙龙 example's own tests, in its own environment (see above)
test-salon: test-deps $(SALON_STAMP)
	$(SALON_ENV)/bin/python -m pytest -q -p no:cacheprovider examples/teaching-salon/tests

translations: $(STAMP)
	$(BIN)/pybabel -q compile -d portal/translations -f

## make run: virtualenv, install, migrate, demo data, serve on http://127.0.0.1:5000 with the
## background worker (email, reminders) beside it; Ctrl-C stops both
run: install
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

## make serve: production-style gunicorn (set SECRET_KEY, DATABASE_URL, YANXIU_PUBLIC_URL, YANXIU_ENV=production; WORKERS
## and THREADS, 4 each by default) and one job worker for this machine (in production run each under
## systemd: README, Deploying)
serve: install
	$(FLASK) db upgrade
	$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn --workers $${WORKERS:-4} --worker-class gthread --threads $${THREADS:-4} --timeout 120 \
		--bind $${BIND:-127.0.0.1:8000} wsgi:app

## make lint: ruff (style, imports, likely bugs) and mypy (types) over the code and the tests
LINTED := portal plugins workflows tests bench examples
lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/mypy

## make test: lint, then the whole suite on SQLite, then again on a private PostgreSQL server
test: lint test-sqlite test-postgres test-salon

test-sqlite: test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: test-deps
	$(BIN)/python tests/support/pg_server.py -- $(BIN)/python -m pytest $(PYTEST_ARGS)

## make test-fast: SQLite only, no browser
test-fast: test-deps
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run.py

## make bench-postgres: the page and workflow figures on a private PostgreSQL server
bench-postgres: install
	$(BIN)/python tests/support/pg_server.py -- sh -c '$(BIN)/python bench/run.py --no-exports --postgres "$$YANXIU_TEST_DATABASE_URL"'

## make bench-load: a district's morning with Locust (bench/load/): 1,000 generated schools on a
## private PostgreSQL server, gunicorn 2 workers × 4 threads, several user counts, p50/p95/p99 per
## page; other sizes with LOAD_ARGS, e.g. LOAD_ARGS="--schools 100 --users 10,20 --run-time 30"
## The private server's files stay in LOAD_PGDATA, so the next run reuses the generated schools
## (bench/load/run.py --rebuild to generate them again; rm -rf the folder to free the disk)
LOAD_PGDATA ?= /tmp/yanxiu-bench/pgdata
bench-load: install
	$(BIN)/python tests/support/pg_server.py --keep-data $(LOAD_PGDATA) -- sh -c '$(BIN)/python bench/load/run.py --postgres "$$YANXIU_TEST_DATABASE_URL" $(LOAD_ARGS)'

## make bench-district: the district dashboard, submissions queue and schools table at 100 and
## 1,000 schools (bench/district_bench.py), on the kept server of bench-load (same data)
bench-district: install
	$(BIN)/python tests/support/pg_server.py --keep-data $(LOAD_PGDATA) -- sh -c '$(BIN)/python bench/district_bench.py --postgres "$$YANXIU_TEST_DATABASE_URL" $(DISTRICT_ARGS)'

## make bench-backup: the README's backup and restore (pg_dump --format=custom, pg_restore
## --no-owner) of the 1,000-school database bench-load keeps, timed, the restored copy compared
## table by table with the original (bench/backup_bench.py; --sqlite FILE for flask backup)
bench-backup: install
	$(BIN)/python tests/support/pg_server.py --keep-data $(LOAD_PGDATA) -- sh -c '$(BIN)/python bench/backup_bench.py --postgres "$$YANXIU_TEST_DATABASE_URL" $(BACKUP_ARGS)'

clean:
	rm -rf $(VENV) $(SALON_ENV) instance test-artifacts .pytest_cache
