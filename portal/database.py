"""Engine set-up and the write transaction every service uses.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign keys on.
A write transaction begins with ``BEGIN IMMEDIATE`` so concurrent writers wait for the lock
instead of failing with "database is locked" when a read transaction tries to upgrade.

The SQLite file (and its ``-wal``/``-shm`` companions, which SQLite creates with the
database file's mode) is readable by its owner and group only: the app creates it with mode
0640 before SQLite first opens it (so ``flask db upgrade`` on a new install makes it so) and
takes the bits for others away from an existing one.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import Integer, String, event, literal_column
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine, Result
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql import Executable

from portal.extensions import db

M = TypeVar("M")
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("yanxiu_write_intent", default=False)
_writing: contextvars.ContextVar[bool] = contextvars.ContextVar("yanxiu_writing", default=False)
_AFTER_COMMIT = "yanxiu.after_commit"  # session.info: what waits for the write's commit
SQLITE_FILE_MODE = 0o640
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_sqlite_file(path: str) -> None:
    """Create the database file with :data:`SQLITE_FILE_MODE` if it does not exist yet, and
    narrow an existing file (or companion) that grants more. A folder that does not exist or
    a file owned by someone else is left for SQLite to report."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE)
    except FileExistsError:
        pass
    except OSError:
        return
    else:
        os.close(fd)
    for name in (path + suffix for suffix in SQLITE_COMPANIONS):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
            if mode & ~SQLITE_FILE_MODE:
                os.chmod(name, mode & SQLITE_FILE_MODE)
        except OSError:
            continue


def configure_engine(app: Flask) -> None:
    """Attach SQLite pragmas and the BEGIN (IMMEDIATE) hook to the app's engine."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database
    if database not in (None, "", ":memory:") and not database.startswith("file:"):
        private_sqlite_file(database)
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
        if immediate:  # may wait for the lock and fail: SQLAlchemy's errors and events, as any statement
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # every page's first read: a deferred BEGIN takes no lock and cannot wait
            conn.connection.driver_connection.execute("BEGIN").close()


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
    token, writing = _write_intent.set(True), _writing.set(True)
    session = db.session()
    try:
        if session.in_transaction() and is_sqlite():
            if not session.connection().info.get("immediate"):
                session.commit()
        try:
            yield session
            session.commit()
        except BaseException:
            session.info.pop(_AFTER_COMMIT, None)
            session.rollback()
            raise
    finally:
        _writing.reset(writing)
        _write_intent.reset(token)
    for run in session.info.pop(_AFTER_COMMIT, ()):
        run()


def after_commit(run: Callable[[], object]) -> None:
    """Call ``run`` once the :func:`write_transaction` running now has committed; never if it
    rolls back. Outside one: ``RuntimeError`` (a commit elsewhere would not call it)."""
    if not _writing.get():
        raise RuntimeError("after_commit is for the body of a write_transaction")
    db.session().info.setdefault(_AFTER_COMMIT, []).append(run)


class CompiledOnce:
    """The compiled form of one statement built once (module level, or ``functools.cache``d
    per shape), kept beside it: SQLAlchemy's compiled cache is one dictionary for the whole
    engine, and every execution looked its statement up there by a key holding the whole
    statement's structure — a tuple of tuples hashed afresh each time (about 23 µs for the
    teacher year's UNION ALL, more than SQLite took to run it). Here the key is compared with
    the one kept, and the statement's own memoized key makes that an identity check. Kept per
    dialect (an engine each; a few apps in one process, as the tests make, each compile once);
    what is kept depends only on the code and the engine, never on a request."""

    __slots__ = ("_by_dialect", "options")
    _MOST = 8  # dialects kept (one per engine; the tests' apps come and go)

    def __init__(self) -> None:
        self._by_dialect: dict[int, tuple[Any, Any]] = {}
        self.options = {"compiled_cache": self}

    def get(self, key: Any) -> Any:
        # ``key``: (dialect, the statement's cache key, bound names, …) as SQLAlchemy makes it
        entry = self._by_dialect.get(id(key[0]))
        return entry[1] if entry is not None and entry[0] == key else None

    def __setitem__(self, key: Any, compiled: Any) -> None:
        if len(self._by_dialect) >= self._MOST:
            self._by_dialect = {}
        self._by_dialect[id(key[0])] = (key, compiled)  # the key holds its dialect: its id stays its own


# the statements read with a compiled form of their own (:func:`keep_compiled`), by ``id``:
# held here, so an id is never another statement's
_KEPT: dict[int, tuple[Executable, CompiledOnce]] = {}

E = TypeVar("E", bound=Executable)


def keep_compiled(statement: E) -> E:
    """Mark ``statement`` — built once, run on every visit of a page — to be read through
    :func:`read_rows` with its compiled form kept beside it (:class:`CompiledOnce`). Only for
    statements that live as long as the process: each one marked is held for good."""
    _KEPT.setdefault(id(statement), (statement, CompiledOnce()))
    return statement


def read_rows(statement: Executable, params: Mapping[str, Any] | None = None) -> Result[*tuple[Any, ...]]:
    """Run a select of columns (no ORM entities) on the session's connection and transaction.

    ``Session.execute`` prepares every statement for the ORM (execution state, events, entity
    loading) even when it only selects columns: about half the cost of a small query. A page's
    plain-row queries go straight to the connection instead. The session's autoflush is kept,
    so a query run in the middle of a write still sees what was added before it. A statement
    marked with :func:`keep_compiled` finds its compiled form beside it."""
    session = db.session()
    if session.autoflush:
        session.flush()
    kept = _KEPT.get(id(statement))
    if kept is None:
        return session.connection().execute(statement, params)
    return session.connection().execute(statement, params, execution_options=kept[1].options)


_WORD = re.compile(r"(?:[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)?")  # dotted too: the core's triggers


def constant(value: str | int, type_: Any = None) -> Any:
    """``value`` — one of the code's own constants (a state's or a kind's name, a month, a
    semester, a trigger such as ``organizer.handed_over``) — written into the SQL of a statement
    built once, not bound: every bound value is looked up, converted and passed on each run (the
    teacher home's year statement had 121, two thirds of them such constants: most of what
    SQLAlchemy spent on it). Only plain words (dotted ones too) and integers, which read the same
    in every dialect; anything else: ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"not a constant for SQL: {value!r}")
    if isinstance(value, int):
        return literal_column(str(value), type_ if type_ is not None else Integer())
    if not _WORD.fullmatch(value):
        raise ValueError(f"not a plain word for SQL: {value!r}")
    return literal_column(f"'{value}'", type_ if type_ is not None else String())


def in_constants(column: Any, values: Sequence[str | int]) -> Any:
    """``column IN (…)`` of the code's constants written in (:func:`constant`), not an expanding
    list nor a bound value each: for a statement built once per fixed set (states asked of the
    workflow's phases, evidence kinds, semesters). An expanding list is written into the SQL
    again on every execution, and its cache key read deeper."""
    return column.in_([constant(value, column.type) for value in values])


@functools.cache
def _layout(model: type) -> tuple[Mapper[Any], tuple[str, ...], tuple[int, ...]]:
    mapper: Mapper[Any] = sa_inspect(model)
    keys = tuple(attr.key for attr in mapper.column_attrs)
    primary = tuple(keys.index(mapper.get_property_by_column(c).key) for c in mapper.primary_key)
    return mapper, keys, primary


def loaded_columns(model: type) -> list[Any]:
    """The mapped columns of ``model`` in the order :func:`as_loaded` takes their values."""
    return [getattr(model, key) for key in _layout(model)[1]]


def as_loaded(model: type[M], values: Sequence[Any]) -> M | None:
    """The object of ``model`` for a row of :func:`loaded_columns` read with :func:`read_rows`,
    put in the session as a query would have loaded it: persistent, nothing to flush, its
    relationships loaded on access as usual (SQLAlchemy's ``make_transient_to_detached``, then
    ``Session.add``). None when the session holds that row already: the caller then loads it
    through the ORM, which refreshes the object it has.

    Why: loading through ``Session.execute`` costs about 100 µs more for the login query, which
    every page of a signed-in person runs first (``access.user_with_schools``)."""
    mapper, keys, primary = _layout(model)  # type: ignore[arg-type]  # a mapped class is hashable
    session = db.session()
    if mapper.identity_key_from_primary_key(tuple(values[i] for i in primary)) in session.identity_map:
        return None
    obj = mapper.class_manager.new_instance()
    instance_state(obj).dict.update(zip(keys, values, strict=True))
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


#: PostgreSQL's SQLSTATEs of a table or column that does not exist
_UNDEFINED = ("42P01", "42703")
#: SQLite's words for the same
_SQLITE_UNDEFINED = ("no such table", "no such column", "has no column named")


def unreachable(exc: BaseException) -> str | None:
    """The driver's reason (its first line) when ``exc`` is a failure to connect — no statement
    was sent: a server that is down, a wrong host, port or password, a SQLite file that cannot
    be opened — else None. The CLI says it in one line (``portal.cli.common``)."""
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError) and exc.statement is None:
        return (str(exc.orig).strip().splitlines() or ["?"])[0]
    return None


def schema_missing(exc: BaseException) -> bool:
    """Whether ``exc`` (a SQLAlchemy error, or the driver's) says a table or column this code
    uses does not exist: the database was never set up, or is older than the code — ``flask db
    upgrade`` has not been run. The CLI and the pages say so instead of showing the driver's
    error (``portal.cli.common``, ``portal.web.errors``)."""
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) in _UNDEFINED:
        return True
    return type(orig).__module__ == "sqlite3" and str(orig).startswith(_SQLITE_UNDEFINED)


def pending_migrations(app: Flask) -> list[str]:
    """The migrations (revision ids, oldest first) the code has and the database has not run:
    ``flask db upgrade`` not run since the code was upgraded. Empty when the database is at the
    code's heads, or at a revision this code does not know (:func:`migration_state`)."""
    return migration_state(app)[0]


def migration_state(app: Flask) -> tuple[list[str], list[str]]:
    """(the migrations the database has not run, oldest first; the revisions the database is at
    that this code does not know, past one it has — a newer release upgraded it and this older code
    was put back without the backup made before: README, Upgrading). Either is empty when there is
    none. A revision unknown here that starts a branch of its own (a plugin's, not installed here:
    removed without ``flask db downgrade <branch>@base``, or new in a later release) is neither:
    the code serves without that plugin's tables, as it would without the plugin."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        try:
            with db.engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_heads()
        finally:
            db.engine.dispose()  # nothing opened here is handed on to a forked worker
        known = [rev for rev in current if _known(script, rev)]
        unknown = [rev for rev in current if rev not in known]
        try:
            applied = {r.revision for r in script.iterate_revisions(tuple(known), "base")} if known else set()
        except (CommandError, RevisionError):
            return [], []
        every = [r.revision for r in script.walk_revisions("base", "heads")]
    pending = [rev for rev in reversed(every) if rev not in applied]
    if unknown:  # a branch of the code's beyond its head (what seems not run is what replaced it), or none
        return [], unknown if pending else []
    return pending, []


def _known(script: Any, revision: str) -> bool:
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    try:
        return script.get_revision(revision) is not None
    except (CommandError, RevisionError):  # "Can't locate revision identified by …"
        return False
