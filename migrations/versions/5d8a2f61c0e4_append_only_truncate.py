"""append-only: PostgreSQL refuses TRUNCATE of the credit ledger and the transition log

Revision ``7c1e5a90b3d2`` made the database refuse ``UPDATE`` and ``DELETE`` of these rows;
``TRUNCATE`` (also reached through ``TRUNCATE <parent> CASCADE``) is not a row operation and
passed. A statement-level ``BEFORE TRUNCATE`` trigger on each table refuses it with the same
error. SQLite has no ``TRUNCATE`` (``DELETE FROM`` is refused by the row triggers already).

Emptying a test or scratch database: the table owner disables the trigger for the length of
one transaction (``ALTER TABLE … DISABLE TRIGGER …; TRUNCATE …; ALTER TABLE … ENABLE TRIGGER …``,
as ``tests/conftest.py`` does), or drops and re-creates the schema.

Revision ID: 5d8a2f61c0e4
Revises: 3b9d0c4e2f61
Create Date: 2026-12-01 10:00:00
"""
from alembic import op

revision = "5d8a2f61c0e4"
down_revision = "3b9d0c4e2f61"
branch_labels = None
depends_on = None

TABLES = ("credit_entry", "transition_log")


def _name(table: str) -> str:
    return f"{table}_no_truncate"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # the function of revision 7c1e5a90b3d2 names TG_TABLE_NAME and TG_OP ('TRUNCATE'), and a
    # statement-level trigger may call it as well
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {_name(table)} BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION yanxiu_append_only()"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {_name(table)} ON {table}")
