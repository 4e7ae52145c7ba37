"""SQLite write path: a write transaction begins with ``BEGIN IMMEDIATE``, so concurrent
writers wait for the lock instead of failing with "database is locked".

These tests are about SQLite itself, so they always run on a SQLite file of their own (also
in the PostgreSQL run of the suite).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event, func, select

from portal.database import write_transaction
from portal.extensions import db
from portal.models import School
from portal.services import schools
from tests.support import factories


@pytest.fixture
def sqlite_app(make_app, tmp_path) -> Iterator[Flask]:
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'writes.db'}")
    with app.app_context():
        upgrade()
        yield app


@pytest.fixture
def begins(sqlite_app) -> Iterator[list[str]]:
    """The BEGINs SQLite itself ran (its trace callback on every connection checked out): a
    read's deferred BEGIN is sent on the driver's connection, past SQLAlchemy's statement events."""
    seen: list[str] = []

    def trace(statement: str) -> None:
        if statement.lstrip().upper().startswith("BEGIN"):
            seen.append(" ".join(statement.split()).upper())

    def on_checkout(dbapi_conn, _record, _proxy) -> None:
        dbapi_conn.set_trace_callback(trace)

    db.session.remove()
    db.engine.dispose()  # connections made before the listener are traced too: none are kept
    event.listen(db.engine, "checkout", on_checkout)
    yield seen
    event.remove(db.engine, "checkout", on_checkout)
    db.session.remove()
    db.engine.dispose()


def test_a_reads_begin_is_not_a_statement_of_sqlalchemys(sqlite_app, begins):
    """Round 40: every page's first read begins with a deferred ``BEGIN`` sent on the driver's
    connection (``exec_driver_sql`` cost ~10 µs of a page's fixed part: SQLAlchemy's execution
    context, events and cursor); SQLite runs it as before, and ``BEGIN IMMEDIATE`` still goes
    through SQLAlchemy (it may wait for the lock and fail: its errors as any statement's)."""
    through: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:
        through.append(statement.strip().upper())

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        db.session.execute(select(func.count(School.id))).scalar()
        db.session.remove()
        with write_transaction() as s:
            s.add(School(code="W3", name="写入学校三", timezone="Asia/Shanghai", rules={}))
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]
    assert [t for t in through if t.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]  # old code: ["BEGIN", …]


def test_write_transaction_begins_immediate(sqlite_app, begins):
    with write_transaction() as s:
        s.add(School(code="W1", name="写入学校", timezone="Asia/Shanghai", rules={}))
    assert begins == ["BEGIN IMMEDIATE"]


def test_reads_begin_deferred(sqlite_app, begins):
    db.session.execute(select(func.count(School.id))).scalar()
    assert begins == ["BEGIN"]


def test_a_read_transaction_is_finished_before_the_write_begins(sqlite_app, begins):
    db.session.execute(select(func.count(School.id))).scalar()  # opens a deferred read
    schools.create_school("W2", "写入学校二")  # service: checks (reads), then writes
    assert begins[0] == "BEGIN" and begins[-1] == "BEGIN IMMEDIATE"
    assert db.session.execute(select(School.code)).scalars().all() == ["W2"]


def _run_two_writers(app: Flask, body) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(tag: str) -> None:
        try:
            with app.app_context():
                body(tag)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=run, args=(tag,)) for tag in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def _new_school(s, code: str) -> None:
    s.add(School(code=code, name=f"并发{code}", timezone="Asia/Shanghai", rules={}))


def test_two_threads_writing_at_once_both_succeed(sqlite_app):
    """Both threads read then write inside each transaction, overlapping all the time."""
    factories.school("W0")
    db.session.remove()
    per_thread = 25

    def body(tag: str) -> None:
        for i in range(per_thread):
            with write_transaction() as s:
                s.execute(select(func.count(School.id))).scalar()
                time.sleep(0.002)  # hold the transaction so the other thread queues behind it
                _new_school(s, f"{tag}{i}")

    assert _run_two_writers(sqlite_app, body) == []
    assert db.session.scalar(select(func.count(School.id))) == 1 + 2 * per_thread


def test_without_begin_immediate_the_same_race_fails(sqlite_app):
    """The control: two deferred transactions that both read, then both write — the second
    writer cannot upgrade its stale read and SQLite refuses it at once."""
    both_read = threading.Barrier(2, timeout=10)
    first_written = threading.Event()

    def body(tag: str) -> None:
        s = db.session()
        s.execute(select(func.count(School.id))).scalar()  # deferred BEGIN: a read snapshot
        both_read.wait()
        if tag == "B":
            first_written.wait(10)
        try:
            _new_school(s, f"D{tag}")
            s.commit()
        finally:
            if tag == "A":
                first_written.set()

    errors = _run_two_writers(sqlite_app, body)
    assert len(errors) == 1 and "locked" in str(errors[0])
