"""append-only: the writers of a school's annual plan (``school_plan_writer``) like the ledger

Revision ``f5c1d7a3e9b4`` keeps every writer of a plan so that one who wrote it, then left for
the district's office, is still ``school_plans.involved`` and may not accept or return it. A row
changed or deleted would let that person decide their own plan. The ORM refuses updates and
deletes of these rows (``ledger.APPEND_ONLY``); these triggers make the database refuse them too,
whoever connects, and on PostgreSQL ``TRUNCATE`` (also through ``TRUNCATE school_plan CASCADE``),
with the function and the error of revisions ``7c1e5a90b3d2`` and ``5d8a2f61c0e4``, as
``d3b8f2a6c4e1`` did for the issued documents. Nothing about the rows changes.

Revision ID: a9e4c2d7f1b6
Revises: f5c1d7a3e9b4
Create Date: 2026-12-06 22:00:00
"""
from alembic import op

revision = "a9e4c2d7f1b6"
down_revision = "f5c1d7a3e9b4"
branch_labels = None
depends_on = None

TABLE = "school_plan_writer"
OPERATIONS = ("UPDATE", "DELETE")


def _name(operation: str) -> str:
    return f"{TABLE}_no_{operation.lower()}"


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for operation in OPERATIONS:
            op.execute(
                f"CREATE TRIGGER {_name(operation)} BEFORE {operation} ON {TABLE} "
                "FOR EACH ROW EXECUTE FUNCTION yanxiu_append_only()"
            )
        op.execute(
            f"CREATE TRIGGER {_name('TRUNCATE')} BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION yanxiu_append_only()"
        )
    elif dialect == "sqlite":
        for operation in OPERATIONS:
            op.execute(
                f"CREATE TRIGGER {_name(operation)} BEFORE {operation} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} rows are append-only ({operation} refused)'); END"
            )


def downgrade():
    dialect = op.get_bind().dialect.name
    names = [*OPERATIONS, "TRUNCATE"] if dialect == "postgresql" else list(OPERATIONS)
    for operation in names:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {_name(operation)} ON {TABLE}")
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {_name(operation)}")
