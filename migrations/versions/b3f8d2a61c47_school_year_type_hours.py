"""school-year hours by activity type: the district chart's totals, kept with the teacher-year rows

``school_year_type_hours`` holds, per school, year and activity type, the sum of the school's
stored teacher-year rows' ``by_type``; ``portal.services.teacher_years.refresh`` rewrites a
school's year of it in the same transaction as the rows. Filled here from the stored rows (so
an upgraded deployment's chart is right at once; ``flask credits rebuild-year-rows`` rebuilds
both tables).

Revision ID: b3f8d2a61c47
Revises: c4e8a2d6f150
Create Date: 2026-12-01 15:45:00
"""
import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "b3f8d2a61c47"
down_revision = "c4e8a2d6f150"
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
    totals: dict[tuple[int, str, str], Decimal] = {}
    for school_id, year, by_type in op.get_bind().execute(
        sa.text("SELECT school_id, school_year, by_type FROM teacher_year")
    ):
        values = json.loads(by_type) if isinstance(by_type, str) else (by_type or {})
        for key, hours in values.items():
            totals[(school_id, year, key)] = totals.get((school_id, year, key), Decimal("0")) + Decimal(str(hours))
    if totals:
        table = sa.table("school_year_type_hours", sa.column("school_id"), sa.column("school_year"),
                         sa.column("type_key"), sa.column("hours"))
        op.bulk_insert(table, [{"school_id": k[0], "school_year": k[1], "type_key": k[2], "hours": float(v)}
                               for k, v in sorted(totals.items()) if v])


def downgrade():
    op.drop_index("ix_school_year_type_hours_year", table_name="school_year_type_hours")
    op.drop_table("school_year_type_hours")
