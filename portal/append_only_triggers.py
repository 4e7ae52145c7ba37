"""The SQL of the database's refusal to change or delete the rows of an append-only table, as
the migrations that add it to a table share it (revisions ``d3b8f2a6c4e1``, ``a9e4c2d7f1b6``):
``BEFORE UPDATE`` and ``BEFORE DELETE`` row triggers on SQLite and PostgreSQL, and on PostgreSQL
a ``BEFORE TRUNCATE`` statement trigger (also reached through ``TRUNCATE <parent> CASCADE``),
calling the function of revision ``7c1e5a90b3d2`` (``yanxiu_append_only``): "<table> rows are
append-only (<operation> refused)". Plain SQL text: no model is read, so later changes of the
models leave the revisions as they ran."""

from __future__ import annotations

from typing import Any

OPERATIONS = ("UPDATE", "DELETE")


def trigger_name(table: str, operation: str) -> str:
    return f"{table}_no_{operation.lower()}"


def create(op: Any, table: str) -> None:
    """Make ``table`` append-only (``op``: Alembic's operations, in a revision's upgrade)."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for operation in OPERATIONS:
            op.execute(
                f"CREATE TRIGGER {trigger_name(table, operation)} BEFORE {operation} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION yanxiu_append_only()"
            )
        op.execute(
            f"CREATE TRIGGER {trigger_name(table, 'TRUNCATE')} BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION yanxiu_append_only()"
        )
    elif dialect == "sqlite":
        for operation in OPERATIONS:
            op.execute(
                f"CREATE TRIGGER {trigger_name(table, operation)} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only ({operation} refused)'); END"
            )


def drop(op: Any, table: str) -> None:
    """Undo :func:`create` (in the revision's downgrade)."""
    dialect = op.get_bind().dialect.name
    names = [*OPERATIONS, "TRUNCATE"] if dialect == "postgresql" else list(OPERATIONS)
    for operation in names:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {trigger_name(table, operation)} ON {table}")
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {trigger_name(table, operation)}")
