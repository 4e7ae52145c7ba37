"""teacher-year rows: each teacher's totals, absence and verdict per school and year

Derived from the ledger, attendance and exemptions by ``credits.year_rows`` and kept in the
same transaction as the changes that move them (``portal.services.teacher_years``); the
district counts are a GROUP BY over this table. Created empty: fill it with
``flask credits rebuild-year-rows`` (until then the pages compute a school's year as before).

Revision ID: a7e3f1c2d9b8
Revises: a7c3e91d5b20
Create Date: 2026-12-01 12:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a7e3f1c2d9b8"
down_revision = "a7c3e91d5b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "teacher_year",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("total_hours", sa.Numeric(precision=8, scale=1, asdecimal=False), nullable=False),
        sa.Column("by_type", sa.JSON(), nullable=False),
        sa.Column("absent_hours", sa.JSON(), nullable=False),
        sa.Column("excused_hours", sa.JSON(), nullable=False),
        sa.Column("exemption_reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("school_id", "school_year", "user_id"),
    )
    op.create_index(
        "ix_teacher_year_year_school_status", "teacher_year", ["school_year", "school_id", "status"], unique=False
    )


def downgrade():
    op.drop_index("ix_teacher_year_year_school_status", table_name="teacher_year")
    op.drop_table("teacher_year")
