"""a school year is its teachers' from when their accounts existed: stored rows of years before

From this revision a school year's summary lists today's teachers only if their accounts existed
before the year was over (``credits.year_over_at``), besides anyone with something of the year.
Stored teacher-year rows written before it may hold such teachers (0 h, "short") in a past year.
A school's year has either no rows or a row for every teacher it lists, so the rows of each
school year holding one are removed whole: pages compute that year until the next change writes
it again. Years the district accepted whole keep their rows, as accepted. The type totals stay:
the teachers removed had no hours there.

Revision ID: b7d2e9f4a1c3
Revises: a9c4e2f7d310
Create Date: 2026-12-05 03:40:00
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "b7d2e9f4a1c3"
down_revision = "a9c4e2f7d310"
branch_labels = None
depends_on = None

WHOLE_YEAR = 0  # portal.models.district.WHOLE_YEAR


def _over_at(school_year: str) -> datetime:
    """1 September after the year (``credits.year_over_at``)."""
    return datetime(int(school_year[5:9]), 9, 1)


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT DISTINCT t.school_id, t.school_year, u.created_at FROM teacher_year t"
        " JOIN user_account u ON u.id = t.user_id"
        " WHERE NOT EXISTS (SELECT 1 FROM year_lock l WHERE l.school_id = t.school_id"
        " AND l.school_year = t.school_year AND l.semester = :whole)"
    ), {"whole": WHOLE_YEAR}).all()
    stale = set()
    for school_id, school_year, created in rows:
        if isinstance(created, str):  # SQLite hands the text back
            created = datetime.fromisoformat(created)
        if created is not None and created >= _over_at(school_year):
            stale.add((school_id, school_year))
    for school_id, school_year in sorted(stale):
        conn.execute(sa.text("DELETE FROM teacher_year WHERE school_id = :s AND school_year = :y"),
                     {"s": school_id, "y": school_year})


def downgrade():
    pass  # the rows are written again by the next change of each year (or `flask credits rebuild-year-rows`)
