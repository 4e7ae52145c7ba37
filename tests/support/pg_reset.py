"""Putting a PostgreSQL test database back to its template's data, instead of copying the template again.

``CREATE DATABASE … TEMPLATE`` of the demo database costs about 0.8 s of a test's set-up (most of it
the checkpoint FILE_COPY makes, BENCHMARKS.md round 29); most tests change a few tables of it. A
database lent to a test is given back afterwards and put back like this, inside the database, with
no schema object added to it (the tests compare triggers and tables with the migrations'):

* what changed is found by the rows' ``xmin``: every row a later transaction inserted or updated
  carries a transaction id above the *mark* (the last one the reset itself used), and a deleted row
  shows in the table's row count. A table whose count or newest rows differ is emptied and filled
  again by ``COPY`` from the template's rows, read once per template and kept in memory;
  ``session_replication_role = replica`` (the test server's user is a superuser) leaves the
  foreign-key and lock triggers out of it for this one transaction;
* sequences whose value moved are ``setval``'d back;
* what a reset cannot put back makes the caller drop the database and copy the template again (as
  before): a change of schema (a row of the system catalogues newer than the mark, or fewer of
  them: migrations down and up, ``DISABLE TRIGGER``), a manual ``ANALYZE``/``VACUUM`` (a new copy
  has no ``last_analyze``, which ``tests/perf/test_planner_stats.py`` checks), or a connection that
  would not end.

Other sessions still connected (a live server's thread) are ended first, as ``DROP DATABASE … WITH
(FORCE)`` ended them.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

#: The catalogues a change of schema writes to (any ``CREATE``/``ALTER``/``DROP``/``COMMENT``).
CATALOGUES = ("pg_class", "pg_attribute", "pg_attrdef", "pg_constraint", "pg_index", "pg_trigger", "pg_proc",
              "pg_type", "pg_namespace", "pg_rewrite", "pg_sequence", "pg_depend", "pg_description", "pg_enum",
              "pg_extension", "pg_event_trigger", "pg_policy", "pg_inherits", "pg_statistic_ext",
              "pg_largeobject_metadata", "pg_default_acl", "pg_init_privs")

#: xmin is a 32-bit transaction id: a mark past this makes every reset give up (a throwaway test
#: server never gets near it).
LAST_MARK = 2**31


@dataclass(frozen=True)
class Snapshot:
    """A template's data as a reset needs it."""

    tables: dict[str, tuple[int, bytes]]  # table (quoted) → its row count, its rows (COPY, binary)
    sequences: dict[str, tuple[int, bool]]  # sequence (quoted) → last_value, is_called
    catalogues: dict[str, int]  # catalogue → its row count


def _relations(conn: psycopg.Connection, kinds: str) -> list[str]:
    """The quoted names of the database's own relations of ``kinds`` (``pg_class.relkind``)."""
    rows = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind = ANY(%s) AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        " AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%' ORDER BY 1, 2",
        [list(kinds)]).fetchall()
    return [sql.Identifier(schema, name).as_string(conn) for schema, name in rows]


def _sequence_values(conn: psycopg.Connection, sequences: list[str]) -> dict[str, tuple[int, bool]]:
    if not sequences:
        return {}
    query = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {i}, last_value, is_called FROM {s}").format(i=i, s=sql.SQL(s))
        for i, s in enumerate(sequences))
    return {sequences[i]: (value, called) for i, value, called in conn.execute(query).fetchall()}


def _catalogue_counts(conn: psycopg.Connection, mark: int) -> dict[str, tuple[int, int]]:
    """Each catalogue's row count, and how many of its rows are newer than ``mark``."""
    query = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {n}, count(*), count(*) FILTER (WHERE xmin::text::bigint > {m}) FROM pg_catalog.{c}").format(
            n=sql.Literal(c), m=sql.Literal(mark), c=sql.Identifier(c)) for c in CATALOGUES)
    return {name: (count, newer) for name, count, newer in conn.execute(query).fetchall()}


def take(conninfo: str) -> Snapshot:
    """Read a template database (nobody writes to it any more)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        tables: dict[str, tuple[int, bytes]] = {}
        for table in _relations(conn, "rp"):
            count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(table))).fetchone()
            data = bytearray()
            with conn.cursor().copy(sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(sql.SQL(table))) as copy:
                for chunk in copy:
                    data += chunk
            tables[table] = (count[0] if count else 0, bytes(data))
        sequences = _sequence_values(conn, _relations(conn, "S"))
        catalogues = {name: count for name, (count, _) in _catalogue_counts(conn, 0).items()}
    return Snapshot(tables, sequences, catalogues)


def mark_now(conn: psycopg.Connection) -> int:
    """A transaction id above that of every row written so far."""
    row = conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()
    assert row is not None
    return int(row[0])


def reset(conninfo: str, snapshot: Snapshot, mark: int) -> int | None:
    """Put the database back to ``snapshot``; the new mark, or None when it cannot be (drop it)."""
    if mark >= LAST_MARK:
        return None
    with psycopg.connect(conninfo, autocommit=True) as conn:
        others = ("SELECT {} FROM pg_stat_activity WHERE datname = current_database()"
                  " AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        conn.execute(others.format("pg_terminate_backend(pid, 5000)"))
        if conn.execute(others.format("count(*)")).fetchone() != (0,):
            return None
        analysed = conn.execute("SELECT count(*) FROM pg_stat_user_tables"
                                " WHERE last_analyze IS NOT NULL OR last_vacuum IS NOT NULL").fetchone()
        if analysed != (0,):
            return None
        catalogues = _catalogue_counts(conn, mark)
        if any(catalogues.get(name) != (count, 0) for name, count in snapshot.catalogues.items()):
            return None
        tables = list(snapshot.tables)
        query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {i}, count(*), count(*) FILTER (WHERE xmin::text::bigint > {m}) FROM {t}").format(
                i=sql.Literal(i), m=sql.Literal(mark), t=sql.SQL(t)) for i, t in enumerate(tables))
        dirty = [tables[i] for i, count, newer in conn.execute(query).fetchall()
                 if newer or count != snapshot.tables[tables[i]][0]]
        moved = {s: v for s, v in _sequence_values(conn, list(snapshot.sequences)).items()
                 if v != snapshot.sequences[s]}
        if not dirty and not moved:
            return mark
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")  # no FK, no lock triggers
            for table in dirty:
                conn.execute(sql.SQL("DELETE FROM {}").format(sql.SQL(table)))
            for table in dirty:
                with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(sql.SQL(table))) as copy:
                    copy.write(snapshot.tables[table][1])
            for sequence in moved:
                value, called = snapshot.sequences[sequence]
                conn.execute("SELECT setval(%s::regclass, %s, %s)", [sequence, value, called])
            return mark_now(conn)
