"""every writer of a school's annual plan is kept (``school_plan_writer``)

``school_plan.updated_by`` keeps only the plan's last writer, so one who wrote it before another
rewrote it — and then left the school for the district's office — could accept or return it
(``school_plans.involved``). Each save and each sending now adds a row here. A plan written
before keeps its one known writer: its ``updated_by`` at ``updated_at``.

Revision ID: f5c1d7a3e9b4
Revises: e8b2c4f6a1d3
Create Date: 2026-12-06 19:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "f5c1d7a3e9b4"
down_revision = "e8b2c4f6a1d3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "school_plan_writer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["school_plan.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_school_plan_writer_plan_id", "school_plan_writer", ["plan_id"], unique=False)
    op.execute(
        "INSERT INTO school_plan_writer (plan_id, user_id, written_at) "
        "SELECT id, updated_by, updated_at FROM school_plan"
    )


def downgrade():
    op.drop_index("ix_school_plan_writer_plan_id", table_name="school_plan_writer")
    op.drop_table("school_plan_writer")
