"""when a teacher joined the school (``membership.since``); stored rows of years before

From this revision a school year's summary lists today's teachers only if they joined the school
before the year was over (``credits.year_over_at``), besides anyone with something of the year.
``membership.since`` says when a role was given; the memberships made before this revision take
their account's creation (the best that is known; NULL would be "always"). Stored teacher-year rows
written before it may hold teachers who joined later (0 h, "short") in a past year. A school's
year has either no rows or a row for every teacher it lists, so the rows of each school year
holding one are removed whole (a day early, whatever the deployment's zone: removing more only
makes pages compute that year until its next change writes it again). Years the district accepted
whole keep their rows, as accepted. The type totals stay: the teachers removed had no hours there.

Revision ID: b7d2e9f4a1c3
Revises: a9c4e2f7d310
Create Date: 2026-12-05 03:40:00
"""
import sqlalchemy as sa
from alembic import op

from portal.year_rows_upgrade import NOT_ACCEPTED, PARAMS, drop_years, over_at, stored_time

revision = "b7d2e9f4a1c3"
down_revision = "a9c4e2f7d310"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("membership", sa.Column("since", sa.DateTime(), nullable=True))  # no table copy
    conn = op.get_bind()
    conn.execute(sa.text(
        "UPDATE membership SET since = (SELECT created_at FROM user_account u WHERE u.id = membership.user_id)"))
    rows = conn.execute(sa.text(
        "SELECT DISTINCT t.school_id, t.school_year, m.since FROM teacher_year t"
        " JOIN membership m ON m.user_id = t.user_id AND m.school_id = t.school_id AND m.role = 'teacher'"
        " WHERE" + NOT_ACCEPTED
    ), PARAMS).all()
    drop_years(conn, ((school_id, school_year) for school_id, school_year, since in rows
                      if since is not None and stored_time(since) >= over_at(school_year)))


def downgrade():
    # the rows removed are written again by the next change of each year (or `flask credits rebuild-year-rows`)
    op.drop_column("membership", "since")  # SQLite drops a column in place (no copy: triggers read the table)
