"""when a teacher left the school (``membership.until``); stored rows of the years they stay on

From this revision a school year's summary lists, besides today's teachers, those who left the
school after the year was over (``credits.year_over_at``): taking someone's teacher role away
today no longer takes them off last year. ``membership.until`` says when a role was last ended;
for the roles ended before this revision, the staff audit log's last change that took the role
away says when (``staff_change``, written by every change of roles a school admin made). A role
ended with no such line keeps NULL: the rule before this revision (on the year only for what it
counts of theirs).

A school's year has either no stored teacher-year rows or a row for every teacher it lists, so
the rows of each school year that now lists such a teacher without a row are removed whole (a day
early, whatever the deployment's zone). Pages then compute that year from the ledger, as they do
for a year without rows; `flask credits rebuild-year-rows` after upgrading stores them again (the
district dashboard's chart reads the stored rows). Years the district accepted whole keep their
rows, as accepted.

Revision ID: c8e3f1a5b7d2
Revises: b7d2e9f4a1c3
Create Date: 2026-12-05 06:10:00
"""
from typing import Any

import sqlalchemy as sa
from alembic import op

from portal.year_rows_upgrade import NOT_ACCEPTED, PARAMS, drop_years, logged_roles, over_at, stored_time

revision = "c8e3f1a5b7d2"
down_revision = "b7d2e9f4a1c3"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("membership", sa.Column("until", sa.DateTime(), nullable=True))  # no table copy
    conn = op.get_bind()
    ended: dict[tuple[int, int, str], Any] = {}  # (school, user, role) → the last change ending it
    for school_id, user_id, before, after, at in conn.execute(sa.text(
        "SELECT school_id, user_id, before, after, created_at FROM staff_change WHERE what = 'roles'"
    )):
        at = stored_time(at)
        for role in logged_roles(before) - logged_roles(after):
            key = (school_id, user_id, role)
            if at is not None and (key not in ended or at > ended[key]):
                ended[key] = at
    left = conn.execute(sa.text(
        "SELECT id, school_id, user_id, role FROM membership WHERE active = :no AND school_id IS NOT NULL"
    ), PARAMS).all()
    for mid, school_id, user_id, role in left:
        at = ended.get((school_id, user_id, role))
        if at is not None:
            conn.execute(sa.text("UPDATE membership SET until = :at WHERE id = :id"), {"at": at, "id": mid})
    rows = conn.execute(sa.text(
        "SELECT DISTINCT t.school_id, t.school_year, m.user_id, m.until, m.since FROM teacher_year t"
        " JOIN membership m ON m.school_id = t.school_id AND m.role = 'teacher' AND m.active = :no"
        " AND m.until IS NOT NULL"
        " WHERE" + NOT_ACCEPTED +
        " AND NOT EXISTS (SELECT 1 FROM teacher_year o WHERE o.school_id = t.school_id"
        " AND o.school_year = t.school_year AND o.user_id = m.user_id)"
    ), PARAMS).all()
    # the years they left after, from when they joined
    drop_years(conn, ((school_id, school_year) for school_id, school_year, _user, until, since in rows
                      if stored_time(until) >= over_at(school_year)
                      and (since is None or stored_time(since) < over_at(school_year))))


def downgrade():
    # the rows removed are written again by the next change of each year (or `flask credits rebuild-year-rows`)
    op.drop_column("membership", "until")  # SQLite drops a column in place (no copy: triggers read the table)
