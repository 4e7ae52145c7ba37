"""Shared fixtures.

Every test gets databases of its own, copied from templates built once per test session (once
per pytest-xdist worker): one migrated by ``flask db upgrade`` and left empty, and one with the
DEMO school loaded as well (``make_app(demo=True)``, the ``demo`` fixture, the page tests'
``site``). The demo is dated relative to now (activities from 40 days ago to 10 days ahead),
which a session-long template keeps true.

A test's own data is prepared the same way: a ``prepared`` fixture returns a builder (a function
that makes the data through the services and returns their ids); the ``app`` fixture's database
is then a copy of a template that builder filled once per test process, and
``make_app.facts(builder)`` returns the ids (``tests/district/conftest.py``, for example). A
builder must not depend on the test: every test that uses it gets the same data.
``tests.support.prepared.prepared_by(builder)`` makes such a fixture.

* SQLite (default): the template file is copied, and so are the upload and export folders the demo wrote.
  The database files (templates and copies) live in a folder of this process in memory
  (``/dev/shm``, where there is one with 1 GiB free; ``YANXIU_TEST_SQLITE_DIR`` names another,
  e.g. ``/tmp`` to have them on disk), and a test's copy is deleted when the test is done: closing a database
  checkpoints its WAL into the file with an ``fsync``, 16 ms per test on this machine's disk
  and 0.2 ms in memory (BENCHMARKS.md: "the suite's SQLite files in memory"). The upload and
  export folders stay in ``tmp_path``.
* PostgreSQL (``YANXIU_TEST_DATABASE_URL`` set, as ``make test`` does in its second run): every
  app gets a database of its own, lent from the test process's spares of that template: after
  the test it is put back to the template's data (``tests/support/pg_reset.py``) and lent again,
  or, where that cannot be done, dropped; a new one is ``CREATE DATABASE … TEMPLATE …``.
  ``YANXIU_TEST_PG_COPY_EACH=1`` copies the template for every app and drops it after, as before.

A test client's every request runs as in production, in an app context of its own, even when
the test holds one around it (the ``app`` fixture does, so that tests can call services):
see :class:`OwnContextClient`.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask_migrate import upgrade
from hypothesis import settings
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from portal import create_app
from portal.extensions import db
from portal.jinja_env import compiler_settings
from portal.testing import OwnContextClient, base_config, share_compiled_statements, share_entry_points
from tests.support import pg_reset

PG_URL = os.environ.get("YANXIU_TEST_DATABASE_URL", "")
PG_COPY_EACH = os.environ.get("YANXIU_TEST_PG_COPY_EACH", "") == "1"

# Hypothesis: the property and state-machine tests draw the same examples on every run (``ci``,
# the default: a failure is the same on the next run and on another machine), or new ones each
# run with HYPOTHESIS_PROFILE=explore. Neither keeps a .hypothesis database; a failure prints the
# ``@reproduce_failure`` blob that replays it. No deadline in ``ci``: a test's speed on a shared
# machine must not decide whether it passes. A test's own ``@settings(...)`` (or a ``settings(...)``
# it builds) overrides only what it names and takes the rest from the profile loaded here.
# Hypothesis's caches (the Unicode tables, the constants it reads from the code) go to the
# temporary directory rather than a .hypothesis folder in the checkout.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / f"yanxiu-hypothesis-{os.getuid()}")
)
settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
# The garbage collector: each test makes apps (routes, Jinja, SQLAlchemy) that are garbage a
# moment later, and with Python's defaults a collection of the oldest generation walked the
# whole process (half a million objects: the modules, the prepared templates) dozens of times
# per hundred tests, about a tenth of the suite's CPU (BENCHMARKS.md, round 29). A young
# generation of 50,000 objects collects the tests' garbage in far fewer passes, and what lives
# for the whole session (the modules after collection, each template's caches once built) is
# moved out of the collector's way with ``gc.freeze``. Tests only: the app sets nothing.
GC_THRESHOLDS = (50_000, 20, 100)


def _freeze_what_lives_on() -> None:
    gc.collect()
    gc.freeze()


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    share_entry_points()  # every app's plugin loader reads the installed entry points once, not again


def pytest_collection_finish(session: pytest.Session) -> None:
    _freeze_what_lives_on()


# What the demo template was built with: a demo app may not change them.
DEMO_FIXED = ("SQLALCHEMY_DATABASE_URI", "EXTRA_PLUGINS", "PLUGINS_ALLOWLIST", "PASSWORD_HASH_METHOD")


class SharedBytecode(BytecodeCache):
    """Compiled templates shared by every app of this test process.

    Each test builds its own app, whose Jinja environment would compile every template it
    renders again (a third of a page test's time). Like Jinja's file cache, an entry is found
    by template name and file and used only if the source checksum matches; the key also
    holds what the environment's compiler depends on, so differently configured apps do not
    share code."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        key = f"{self.get_cache_key(name, filename)}:{compiler_settings(environment)}"
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


BYTECODE = SharedBytecode()


@dataclass(frozen=True)
class Template:
    uri: str  # SQLite: the file's path; PostgreSQL: the database name
    uploads: Path  # the upload folder it was built with
    facts: Any = None  # what a prepared template's builder returned (ids of what it made)

    @property
    def folders(self) -> tuple[Path, ...]:
        """The folders of files its database names: uploads, and the exports written (the demo's)."""
        return self.uploads, self.uploads.with_name("exports")


def _copy_folders(template: Template, to: Path) -> None:
    for folder in template.folders:
        if folder.is_dir():
            shutil.copytree(folder, to / folder.name, dirs_exist_ok=True)


#: A builder of prepared data: runs once per test process in an app context on a copy of the
#: empty database, through the services, and returns plain facts (ids) the tests look up again.
Builder = Callable[[], Any]


def _kind(build: Builder) -> str:
    """A template's short name for a builder (PostgreSQL database names are at most 63 bytes)."""
    return "p" + hashlib.sha256(f"{build.__module__}.{build.__qualname__}".encode()).hexdigest()[:10]


def _memory_folder(path: str = "/dev/shm", room: int = 1 << 30) -> str:
    """``path`` if it is a folder this process may write with ``room`` bytes free, else "": a full
    run's templates are ~10 MB per worker, but a container's ``/dev/shm`` may be 64 MB in all,
    which Chromium shares."""
    try:
        free = os.statvfs(path)
    except OSError:
        return ""
    return path if os.access(path, os.W_OK) and free.f_bavail * free.f_frsize >= room else ""


#: Where the SQLite database files of the tests go: a folder in memory if the machine has one.
SQLITE_ROOT = os.environ.get("YANXIU_TEST_SQLITE_DIR") or _memory_folder()
SQLITE_PREFIX = "yanxiu-tests-"


def _sqlite_folder(fallback: Path) -> Path:
    """A new folder of this process for SQLite files under ``SQLITE_ROOT`` (``fallback`` if none),
    after removing the folders left there by test processes that no longer run (killed before
    their session's end removed them: in memory they would hold the RAM until a reboot)."""
    if not SQLITE_ROOT:
        return fallback
    root = Path(SQLITE_ROOT)
    for left in root.glob(f"{SQLITE_PREFIX}*-*"):
        pid = left.name.removeprefix(SQLITE_PREFIX).split("-", 1)[0]
        if pid.isdigit() and left.is_dir() and left.stat().st_uid == os.getuid() and not _running(int(pid)):
            shutil.rmtree(left, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{SQLITE_PREFIX}{os.getpid()}-", dir=root))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sqlalchemy_url(url: str) -> URL:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return make_url(url)


class Templates:
    """This test process's template databases, built on first use, and copies of them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.built: dict[str, Template] = {}
        self.serial = itertools.count()
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.pg = _sqlalchemy_url(PG_URL) if PG_URL else None
        self.sqlite = None if self.pg is not None else _sqlite_folder(tmp)  # the SQLite files' folder
        self._admin: Engine | None = None
        self._reusable: bool | None = None
        self.snapshots: dict[str, pg_reset.Snapshot] = {}  # template kind → its data, for resets
        self.spare: dict[str, list[tuple[str, int]]] = {}  # template kind → databases reset (name, mark)
        self.lent: dict[str, tuple[str, int]] = {}  # database lent to a test → its template kind, mark
        self.resets = {"lent again": 0, "copied": 0, "dropped": 0}

    # -- PostgreSQL ---------------------------------------------------------------------
    def admin(self) -> Engine:
        assert self.pg is not None
        if self._admin is None:
            self._admin = create_engine(self.pg, isolation_level="AUTOCOMMIT")
        return self._admin

    def pg_name(self, suffix: str) -> str:
        assert self.pg is not None
        return f"{self.pg.database}_{self.worker}_{suffix}"

    def pg_uri(self, name: str) -> str:
        assert self.pg is not None
        return self.pg.set(database=name).render_as_string(hide_password=False)

    def conninfo(self, name: str) -> str:
        """libpq's URI of database ``name`` (for psycopg itself: COPY)."""
        assert self.pg is not None
        return self.pg.set(drivername="postgresql", database=name).render_as_string(hide_password=False)

    def reusable(self) -> bool:
        """Whether databases are reset between tests rather than copied: a reset needs a superuser
        (``session_replication_role``), as the test server's user is."""
        if self._reusable is None:
            with self.admin().connect() as conn:
                superuser = conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
            self._reusable = bool(superuser) and not PG_COPY_EACH
        return self._reusable

    def lend(self, kind: str, template: Template) -> str:
        """A database holding ``template``'s data for one test: a spare one reset, or a new copy."""
        spare = self.spare.get(kind)
        if spare:
            name, mark = spare.pop()
            self.resets["lent again"] += 1
        else:
            name = self.pg_name(str(next(self.serial)))
            self.create_database(name, template.uri)
            self.resets["copied"] += 1
            with psycopg.connect(self.conninfo(name), autocommit=True) as conn:
                mark = pg_reset.mark_now(conn)
        self.lent[name] = (kind, mark)
        return name

    def release(self, names: list[str]) -> None:
        """Databases a test is done with: the lent ones reset and kept for the next test, the
        others (and those a reset cannot put back) dropped; SQLite: the copies' files deleted."""
        if self.pg is None:
            for name in names:
                _remove_sqlite(Path(name))
            return
        drop = []
        for name in names:
            if name not in self.lent:
                drop.append(name)
                continue
            kind, mark = self.lent.pop(name)
            if kind not in self.snapshots:
                self.snapshots[kind] = pg_reset.take(self.conninfo(self.built[kind].uri))
            new_mark = pg_reset.reset(self.conninfo(name), self.snapshots[kind], mark)
            if new_mark is None:
                drop.append(name)
                self.resets["dropped"] += 1
            else:
                self.spare.setdefault(kind, []).append((name, new_mark))
        self.drop_databases(drop)

    def create_database(self, name: str, template: str | None = None) -> None:
        with self.admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            source = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{source}'))

    def drop_databases(self, names: list[str]) -> None:
        if not names:
            return
        with self.admin().connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    # -- templates ----------------------------------------------------------------------
    def get(self, kind: str, build: Builder | None = None) -> Template:
        if kind not in self.built:
            if build is not None:
                self.built[kind] = self._build(kind, self.get("empty"), build)
            else:
                self.built[kind] = self._build_empty() if kind == "empty" else self._build_demo()
        return self.built[kind]

    def _build(self, kind: str, source: Template | None, fill: Callable[[], object]) -> Template:
        folder = self.tmp / kind
        folder.mkdir()
        if self.pg is not None:
            name = self.pg_name(kind)
            self.create_database(name, source.uri if source else None)
            uri, where = self.pg_uri(name), name
        else:
            assert self.sqlite is not None
            where = str(self.sqlite / f"{kind}.db")
            if source is not None:
                shutil.copy(source.uri, where)
            uri = f"sqlite:///{where}"
        if source is not None:
            _copy_folders(source, folder)
        app = create_app(base_config(folder, uri))
        with app.app_context():
            facts = fill()
            db.session.commit()  # a builder through the services has committed; this makes sure
            db.session.remove()
            db.engine.dispose()  # SQLite checkpoints its WAL into the file; PostgreSQL: no session left
        if self.pg is None:
            assert not Path(f"{where}-wal").exists(), "the template's WAL was not checkpointed"
        _freeze_what_lives_on()  # what building it cached for the session
        return Template(where, folder / "uploads", facts)

    def _build_empty(self) -> Template:
        return self._build("empty", None, upgrade)

    def _build_demo(self) -> Template:
        from portal.demo import load_demo

        return self._build("demo", self.get("empty"), lambda: load_demo() and None)  # facts: none

    def copy(self, kind: str, tmp: Path, created: list[str], build: Builder | None = None) -> str:
        """A new database copied from the ``kind`` template; its upload (and export) files go to
        ``tmp/uploads`` (``tmp/exports``). ``created`` gets its name (PostgreSQL) or its file
        (SQLite), which :meth:`release` gives back or deletes."""
        template = self.get(kind, build)
        n = next(self.serial)
        _copy_folders(template, tmp)
        if self.pg is not None:
            if self.reusable():
                name = self.lend(kind, template)
            else:
                name = self.pg_name(str(n))
                self.create_database(name, template.uri)
            created.append(name)
            return self.pg_uri(name)
        assert self.sqlite is not None
        target = self.sqlite / f"test{n}.db"
        shutil.copy(template.uri, target)
        created.append(str(target))
        return f"sqlite:///{target}"

    def close(self) -> None:
        if self.sqlite is not None and self.sqlite != self.tmp:
            shutil.rmtree(self.sqlite, ignore_errors=True)
        if self.pg is not None and self._admin is not None:
            spares = [name for kept in self.spare.values() for name, _mark in kept]
            self.drop_databases(spares + list(self.lent) + [t.uri for t in reversed(list(self.built.values()))])
            self._admin.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> Iterator[Templates]:
    made = Templates(tmp_path_factory.mktemp("templates"))
    yield made
    made.close()


class AppMaker:
    """The ``make_app`` fixture: ``make_app(**config)`` → a fresh app on a fresh database; with
    ``demo=True`` the database (and upload folder) holds the DEMO school; with
    ``prepared=build`` it holds what ``build`` made (built once per test process, copied for
    each test: a fixture's data made through the services is paid for once, not per test), and
    ``make_app.facts(build)`` is what ``build`` returned. Apps of one test share the upload and
    cache folders, not their databases (unless given the same SQLALCHEMY_DATABASE_URI)."""

    def __init__(self, templates: Templates, tmp_path: Path) -> None:
        self.templates, self.tmp_path = templates, tmp_path
        self.made: list[Flask] = []
        self.created: list[str] = []  # PostgreSQL databases to give back, SQLite files to delete

    def facts(self, build: Builder) -> Any:
        return self.templates.get(_kind(build), build).facts

    def __call__(self, demo: bool = False, prepared: Builder | None = None, **overrides: Any) -> Flask:
        if (demo or prepared) and set(overrides) & set(DEMO_FIXED):
            raise ValueError(f"prepared data is built with the default {', '.join(DEMO_FIXED)}")
        if demo and prepared:
            raise ValueError("demo or prepared data, not both")
        cfg = base_config(self.tmp_path, "")
        if "SQLALCHEMY_DATABASE_URI" not in overrides:
            kind = _kind(prepared) if prepared else "demo" if demo else "empty"
            cfg["SQLALCHEMY_DATABASE_URI"] = self.templates.copy(kind, self.tmp_path, self.created, prepared)
        cfg.update(overrides)
        app = create_app(cfg)
        app.test_client_class = OwnContextClient
        app.jinja_env.bytecode_cache = BYTECODE
        share_compiled_statements(app)  # statements compiled once per test process, not per app
        self.made.append(app)
        return app

    def close(self) -> None:
        for app in self.made:
            share_compiled_statements(app)  # the first engine of its kind to connect lends its dialect on
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        self.templates.release(self.created)


@pytest.fixture
def make_app(templates, tmp_path) -> Iterator[AppMaker]:
    """See :class:`AppMaker`."""
    maker = AppMaker(templates, tmp_path)
    try:
        yield maker
    finally:
        maker.close()


@pytest.fixture
def app(make_app, request) -> Iterator[Flask]:
    """A fresh app (with the DEMO school when the test uses ``demo``; with what the test's
    ``prepared`` fixture, a builder, makes when it uses one) and an app context held for the
    test's own calls to services; its test clients' requests run in their own."""
    build = request.getfixturevalue("prepared") if "prepared" in request.fixturenames else None
    app = make_app(demo="demo" in request.fixturenames, prepared=build)
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    """The invented DEMO school with staff, and activities of every type in every state (the
    ``app`` fixture's database is a copy of the demo template when a test asks for this)."""
    from portal.demo import load_demo

    return load_demo()  # finds the school


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The ``slow`` end-to-end runs first (a stable sort keeps every other order), so that none
    of them ends the run alone. With ``--dist=worksteal`` (``pyproject.toml``) the first worker
    is given the first half of the tests, so all of the slow ones at its front, and the second
    the other half; a worker that runs out takes half of what the other has not started, from
    its end: the slow ones, never at an end, are not taken, and the run does not end on one.
    (With ``--dist=load`` they would be dealt round-robin instead.)"""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# -- figures measured by the tests ---------------------------------------------------------
# Tests send figures as user properties ("figure" lines, schemathesis counts); they travel in
# the reports, so these hooks (here, where the xdist controller loads them) print them.
_FIGURES: list[str] = []
_FUZZ = {"requests": 0, "server_errors": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == "figure":
            _FIGURES.append(str(value))
        elif name in ("schemathesis_requests", "schemathesis_server_errors"):
            _FUZZ[name.removeprefix("schemathesis_")] += int(value)


def pytest_terminal_summary(terminalreporter) -> None:
    lines = list(_FIGURES)
    if _FUZZ["requests"]:
        lines.append(f"schemathesis: {_FUZZ['requests']} requests, {_FUZZ['server_errors']} server errors")
    if lines:
        terminalreporter.section("figures measured by the tests")
        for line in lines:
            terminalreporter.write_line(line)

