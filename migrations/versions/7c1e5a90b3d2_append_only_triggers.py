"""append-only triggers on the credit ledger and the transition log

The ORM already refuses updates and deletes of these rows; these triggers make the
database refuse them too, whoever connects (a script, a console, another app).
TRUNCATE is not blocked: operators and the test suite may still empty a database.

Revision ID: 7c1e5a90b3d2
Revises: 1456b1ddd087
Create Date: 2026-11-22 14:30:00
"""
from alembic import op

revision = "7c1e5a90b3d2"
down_revision = "1456b1ddd087"
branch_labels = None
depends_on = None

TABLES = ("credit_entry", "transition_log")
OPERATIONS = ("UPDATE", "DELETE")


def _name(table: str, operation: str) -> str:
    return f"{table}_no_{operation.lower()}"


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION yanxiu_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(
                    f"CREATE TRIGGER {_name(table, operation)} BEFORE {operation} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION yanxiu_append_only()"
                )
    elif dialect == "sqlite":
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(
                    f"CREATE TRIGGER {_name(table, operation)} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only ({operation} refused)'); END"
                )


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        for operation in OPERATIONS:
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {_name(table, operation)} ON {table}")
            elif dialect == "sqlite":
                op.execute(f"DROP TRIGGER IF EXISTS {_name(table, operation)}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS yanxiu_append_only()")
