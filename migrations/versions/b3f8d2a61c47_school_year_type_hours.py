"""school-year hours by activity type: the district chart's totals, kept with the teacher-year rows

``school_year_type_hours`` holds, per school, year and activity type, the sum of the school's
stored teacher-year rows' ``by_type``; ``portal.services.teacher_years.refresh`` rewrites a
school's year of it in the same transaction as the rows. Created empty: fill it with
``flask credits rebuild-year-rows`` (which also rebuilds the teacher-year rows).

Revision ID: b3f8d2a61c47
Revises: a7d3c9e15b20
Create Date: 2026-12-01 15:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b3f8d2a61c47"
down_revision = "a7d3c9e15b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "school_year_type_hours",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("type_key", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.Numeric(precision=8, scale=1, asdecimal=False), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("school_id", "school_year", "type_key"),
    )
    op.create_index(
        "ix_school_year_type_hours_year", "school_year_type_hours", ["school_year", "school_id"], unique=False
    )


def downgrade():
    op.drop_index("ix_school_year_type_hours_year", table_name="school_year_type_hours")
    op.drop_table("school_year_type_hours")
