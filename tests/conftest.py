"""Shared fixtures.

Every test gets a fresh database. SQLite (default): a copy of a template file built once by
``flask db upgrade``. PostgreSQL (``YANXIU_TEST_DATABASE_URL`` set, as ``make test`` does in
its second run): the schema is migrated once and every table is truncated after each test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from portal import create_app
from portal.extensions import db

PG_URL = os.environ.get("YANXIU_TEST_DATABASE_URL", "")
FAST_HASH = "pbkdf2:sha256:1000"


def base_config(tmp: Path, uri: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "test-secret-key-0123456789",
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "UPLOAD_FOLDER": str(tmp / "uploads"),
        "CACHE_DIR": str(tmp / "cache"),
        "WTF_CSRF_ENABLED": False,
    }


def _pg_uri() -> str:
    """The PostgreSQL URL for this test process: one database per xdist worker, so parallel
    workers never truncate each other's tables."""
    uri = PG_URL
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            uri = "postgresql+psycopg://" + uri[len(prefix):]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return uri
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(uri)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> str:
    """Migrate an empty database once per session; return its URI (or file path for SQLite)."""
    tmp = tmp_path_factory.mktemp("template")
    if PG_URL:
        app = create_app(base_config(tmp, _pg_uri()))
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            upgrade()
            db.session.remove()
            db.engine.dispose()
        return _pg_uri()
    path = tmp / "template.db"
    app = create_app(base_config(tmp, f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    return str(path)


def _truncate_all(app: Flask) -> None:
    """Empty every table. The append-only tables refuse TRUNCATE (migration 5d8a2f61c0e4), so
    their TRUNCATE triggers are switched off inside this one transaction only: the table owner
    may, and no other connection ever sees them off (ALTER TABLE locks the table until commit)."""
    with app.app_context():
        db.session.remove()
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            guards = conn.execute(
                text(
                    "SELECT quote_ident(c.relname), quote_ident(t.tgname) FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE NOT t.tgisinternal AND (t.tgtype & 32) <> 0 AND n.nspname = current_schema()"
                )
            ).all()  # tgtype bit 5: a TRUNCATE trigger
            for table, trigger in guards:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for table, trigger in guards:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))


@pytest.fixture
def make_app(template_db, tmp_path) -> Iterator:
    """Factory: ``make_app(**config)`` → a fresh app on a fresh database."""
    made: list[Flask] = []

    def factory(**overrides) -> Flask:
        if PG_URL:
            uri = template_db
        else:
            target = tmp_path / f"test{len(made)}.db"
            shutil.copy(template_db, target)
            uri = f"sqlite:///{target}"
        cfg = base_config(tmp_path, uri)
        cfg.update(overrides)
        app = create_app(cfg)
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            db.session.remove()
    on_pg = [a for a in made if a.config["SQLALCHEMY_DATABASE_URI"] == template_db]  # not a test's own SQLite
    if PG_URL and on_pg:
        _truncate_all(on_pg[0])
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    """The invented DEMO school with staff, and activities of every type in every state."""
    from portal.demo import load_demo

    return load_demo()


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

