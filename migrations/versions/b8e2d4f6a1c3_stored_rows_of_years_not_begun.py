"""stored teacher-year rows of a school year not begun are removed

From this revision a school year not begun is on no record (``credits.years_on_record``): its
summary, exports and the district's counts list nobody, whatever the school planned or set for it.
``flask credits rebuild-year-rows`` and the writes before it stored rows of such a year (0 h,
进行中, for each teacher) wherever the school held something of it — an activity planned ahead —
and the district's counts read them. Those rows are removed; a year begun in some zone (from 31
August before it, UTC) keeps its rows.

Revision ID: b8e2d4f6a1c3
Revises: a4c9e1f7d3b2
Create Date: 2026-12-07 20:40:00
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from portal.timeutil import utcnow
from portal.year_rows_upgrade import drop_years

revision = "b8e2d4f6a1c3"
down_revision = "a4c9e1f7d3b2"
branch_labels = None
depends_on = None


def begins_early(school_year: str) -> datetime:
    """31 August before the year (UTC): no zone's 1 September begins earlier."""
    return datetime(int(school_year[:4]), 8, 31)


def upgrade():
    conn = op.get_bind()
    years = conn.execute(sa.text("SELECT DISTINCT school_id, school_year FROM teacher_year")).all()
    now = utcnow()
    drop_years(conn, ((school_id, year) for school_id, year in years if now < begins_early(year)))


def downgrade():
    pass  # the rows removed are written again by `flask credits rebuild-year-rows` (of the rule before)
