"""The SQL of the triggers by which a table's rows raise their school's data stamp
(``school.data_version``), as the revisions that add such tables share it (``3b9d0c4e2f61``,
``a7e3c1d9f042``, ``a15e0f7c2d31``, ``f1a7c3e9b2d4``): on SQLite one ``AFTER`` trigger per event
setting a random stamp on the row's school (old and new), on PostgreSQL one row trigger calling
``data_version_stamp`` of ``3b9d0c4e2f61``. Plain SQL text: no model is read, so later changes
of the models leave the revisions as they ran."""

from __future__ import annotations

from typing import Any

EVENTS = ("INSERT", "UPDATE", "DELETE")


def random_stamp(dialect: str) -> str:
    """A random 62-bit number (random, not +1: a restored backup must not reuse stamps)."""
    if dialect == "postgresql":
        return "floor(random() * 4611686018427387903)::bigint"
    return "(random() & 4611686018427387903)"


def create(op: Any, table: str, school: str = "R.school_id") -> None:
    """``table``'s rows raise their school's stamp (``op``: Alembic's operations, in a revision's
    upgrade). ``school``: the SQL of a row's school, ``R.`` naming the row (its ``school_id``, or
    a sub-select through the row's activity or group)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in EVENTS:
            rows = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[event]
            where = " OR ".join(f"id = {school.replace('R.', r + '.')}" for r in rows)
            op.execute(
                f"CREATE TRIGGER data_version_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN UPDATE school SET data_version = {random_stamp(dialect)} WHERE {where}; END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION data_version_{table}() RETURNS trigger AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN PERFORM data_version_stamp({school.replace('R.', 'OLD.')}); END IF;
                IF TG_OP <> 'DELETE' THEN PERFORM data_version_stamp({school.replace('R.', 'NEW.')}); END IF;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION data_version_{table}()"
        )


def drop(op: Any, table: str) -> None:
    """Undo :func:`create` (in the revision's downgrade)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{event.lower()}")
    elif dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS data_version_{table} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS data_version_{table}()")
