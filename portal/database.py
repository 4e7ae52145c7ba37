"""Engine set-up and the write transaction every service uses.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign keys on.
A write transaction begins with ``BEGIN IMMEDIATE`` so concurrent writers wait for the lock
instead of failing with "database is locked" when a read transaction tries to upgrade.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from portal.extensions import db

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("yanxiu_write_intent", default=False)


def configure_engine(app: Flask) -> None:
    """Attach SQLite pragmas and the BEGIN (IMMEDIATE) hook to the app's engine."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = _write_intent.get()
        conn.info["immediate"] = immediate
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine | None = None) -> bool:
    return (engine or db.engine).dialect.name == "sqlite"


def set_write_intent(value: bool) -> contextvars.Token:
    """Mark the current context (a POST request, a CLI command) as about to write."""
    return _write_intent.set(value)


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Run the body in one write transaction: commit at the end, roll back on any error.

    On SQLite, a read transaction already open is finished first, so the write starts
    with ``BEGIN IMMEDIATE`` and waits its turn rather than failing mid-way.
    """
    token = _write_intent.set(True)
    session = db.session()
    try:
        if session.in_transaction() and is_sqlite():
            if not session.connection().info.get("immediate"):
                session.commit()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
    finally:
        _write_intent.reset(token)
