"""the school-year type totals leave out the hours of a year not recognised, as stored before too

Since the hours of a teacher whose year is not recognised stopped counting in a school's and the
district's hours credited (``assessment.hours_recognised``), ``school_year_type_hours`` is summed
from the recognised rows only (``teacher_years.type_hours_rows``). The totals stored before — by
revision ``b3f8d2a61c47`` and by the upkeep until then — still held those hours, and a year
nobody changed since (a year the district accepted, above all) kept them on the district's chart.
Each school year with stored teacher-year rows has its totals summed again from them. A year
without stored rows keeps its totals (nothing here to sum them from; ``flask credits
rebuild-year-rows`` writes both again).

Revision ID: d2b6f8a4c1e7
Revises: c5f2a8d4e1b7
Create Date: 2026-12-05 23:30:00
"""
import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "d2b6f8a4c1e7"
down_revision = "c5f2a8d4e1b7"
branch_labels = None
depends_on = None

NOT_RECOGNISED = "not_recognised"  # ``assessment.NOT_RECOGNISED`` as this revision reads it


def upgrade():
    conn = op.get_bind()
    years: set[tuple[int, str]] = set()
    totals: dict[tuple[int, str, str], Decimal] = {}
    for school_id, year, by_type, status in conn.execute(
        sa.text("SELECT school_id, school_year, by_type, status FROM teacher_year")
    ):
        years.add((school_id, year))
        if status == NOT_RECOGNISED:
            continue
        values = json.loads(by_type) if isinstance(by_type, str) else (by_type or {})
        for key, hours in values.items():
            totals[(school_id, year, key)] = totals.get((school_id, year, key), Decimal("0")) + Decimal(str(hours))
    for school_id, year in sorted(years):
        conn.execute(sa.text("DELETE FROM school_year_type_hours WHERE school_id = :s AND school_year = :y"),
                     {"s": school_id, "y": year})
    rows = [{"s": k[0], "y": k[1], "t": k[2], "h": float(v)} for k, v in sorted(totals.items()) if v]
    if rows:
        conn.execute(sa.text("INSERT INTO school_year_type_hours (school_id, school_year, type_key, hours)"
                             " VALUES (:s, :y, :t, :h)"), rows)


def downgrade():
    pass  # the totals summed here are what the code before this revision writes too
