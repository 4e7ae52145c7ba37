"""stored teacher-year rows of a year over that its school holds nothing of are removed

From this revision a school year over that the school holds nothing of — no activity, ledger line,
exemption, writing or lock of it — is on no record (``credits.years_on_record``): its summary lists
nobody. ``flask credits rebuild-year-rows`` stored rows for every school of each year some school
held (``teacher_years.data_years``), so a school holding nothing of the year kept a row for each of
its teachers (0 h, short), which the district's counts read. Those rows are removed; a year not
surely over in every zone (before 2 September after it) keeps its rows, and so does any year with a
lock (accepted: held).

Revision ID: a4c9e1f7d3b2
Revises: f1a7c3e9b2d4
Create Date: 2026-12-07 17:50:00
"""
import sqlalchemy as sa
from alembic import op

from portal.timeutil import utcnow
from portal.year_rows_upgrade import drop_years, over_late

revision = "a4c9e1f7d3b2"
down_revision = "f1a7c3e9b2d4"
branch_labels = None
depends_on = None

#: what a school holds of a year (``credits._HELD``), as tables with ``school_id`` and ``school_year``
HELD = ("activity", "credit_entry", "exemption", "own_writing", "year_lock")


def upgrade():
    conn = op.get_bind()
    held = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {table} h WHERE h.school_id = t.school_id"
                        f" AND h.school_year = t.school_year)" for table in HELD)
    years = conn.execute(sa.text(f"SELECT DISTINCT t.school_id, t.school_year FROM teacher_year t WHERE {held}")).all()
    now = utcnow()
    drop_years(conn, ((school_id, year) for school_id, year in years if over_late(year) < now))


def downgrade():
    pass  # the rows removed are written again by `flask credits rebuild-year-rows` (of the rule before)
