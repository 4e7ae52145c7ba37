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
import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "c8e3f1a5b7d2"
down_revision = "b7d2e9f4a1c3"
branch_labels = None
depends_on = None

WHOLE_YEAR = 0  # portal.models.district.WHOLE_YEAR


def _over_at(school_year: str) -> datetime:
    """1 September after the year, a day early (``credits.year_over_at`` in any zone)."""
    return datetime(int(school_year[5:9]), 8, 31)


def _time(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value  # SQLite hands text back


def _roles(value) -> list:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def upgrade():
    op.add_column("membership", sa.Column("until", sa.DateTime(), nullable=True))  # no table copy
    conn = op.get_bind()
    ended: dict[tuple[int, int, str], datetime] = {}  # (school, user, role) → the last change ending it
    for school_id, user_id, before, after, at in conn.execute(sa.text(
        "SELECT school_id, user_id, before, after, created_at FROM staff_change WHERE what = 'roles'"
    )):
        at = _time(at)
        for role in set(_roles(before)) - set(_roles(after)):
            key = (school_id, user_id, role)
            if at is not None and (key not in ended or at > ended[key]):
                ended[key] = at
    left = conn.execute(sa.text(
        "SELECT id, school_id, user_id, role FROM membership WHERE active = :no AND school_id IS NOT NULL"
    ), {"no": False}).all()
    for mid, school_id, user_id, role in left:
        at = ended.get((school_id, user_id, role))
        if at is not None:
            conn.execute(sa.text("UPDATE membership SET until = :at WHERE id = :id"), {"at": at, "id": mid})
    stale = set()
    rows = conn.execute(sa.text(
        "SELECT DISTINCT t.school_id, t.school_year, m.user_id, m.until, m.since FROM teacher_year t"
        " JOIN membership m ON m.school_id = t.school_id AND m.role = 'teacher' AND m.active = :no"
        " AND m.until IS NOT NULL"
        " WHERE NOT EXISTS (SELECT 1 FROM year_lock l WHERE l.school_id = t.school_id"
        " AND l.school_year = t.school_year AND l.semester = :whole)"
        " AND NOT EXISTS (SELECT 1 FROM teacher_year o WHERE o.school_id = t.school_id"
        " AND o.school_year = t.school_year AND o.user_id = m.user_id)"
    ), {"no": False, "whole": WHOLE_YEAR}).all()
    for school_id, school_year, _user_id, until, since in rows:
        over = _over_at(school_year)  # the years they left after, from when they joined
        if _time(until) >= over and (since is None or _time(since) < over):
            stale.add((school_id, school_year))
    for school_id, school_year in sorted(stale):
        conn.execute(sa.text("DELETE FROM teacher_year WHERE school_id = :s AND school_year = :y"),
                     {"s": school_id, "y": school_year})


def downgrade():
    # the rows removed are written again by the next change of each year (or `flask credits rebuild-year-rows`)
    op.drop_column("membership", "until")  # SQLite drops a column in place (no copy: triggers read the table)
