"""the stretch before a gap within one school year is kept too (``membership_stint``)

Until this revision a role given back in the school year it ended in kept its first date and
no trace of the gap (``users.give_back``): a teacher who left in October and came back in
March was taken for on the staff all year, so an activity held while they were away, in which
they were still listed and recorded as missing, counted as their absence. From this revision
every return on a later day than the leaving is dated from the return and the stretch before
it kept, whatever the school year (``services.stints``: what was held in a gap asks nothing of
the teacher).

For the returns made before, the staff audit log (``staff_change``, every change of roles a
school admin made) says when: a role ended, then given again on a later day, at or after the
role's stored ``since`` (earlier gaps were dated by revision ``e6b2d4f8a3c5`` already). Each such
stretch is written (from the stored ``since``, or the return before it), and the role is dated
from its last return. The stored teacher-year rows of the school years such a gap lies in (not
accepted whole) are removed whole, as ``c8e3f1a5b7d2`` did: their absence may count less now
(pages compute them from the ledger; ``flask credits rebuild-year-rows`` stores them again).

Downgrade leaves the data: the code before this revision reads the stretches and dates alike
(a stretch ending inside a school year changes none of its years).

Revision ID: f1c7a3e9b250
Revises: b5e1d7c3a9f2
Create Date: 2026-12-05 15:30:00
"""
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from portal.models.district import WHOLE_YEAR
from portal.timeutil import current_school_year, default_zone, to_local
from portal.year_rows_upgrade import logged_roles, stored_time

revision = "f1c7a3e9b250"
down_revision = "b5e1d7c3a9f2"
branch_labels = None
depends_on = None


def _day(at: datetime):
    return to_local(at, default_zone()).date()


def _years_between(first: datetime, last: datetime) -> list[str]:
    """The school years from the one ``first`` falls in to the one ``last`` falls in."""
    start, end = (int(current_school_year(None, t)[:4]) for t in (first, last))
    return [f"{y}-{y + 1}" for y in range(start, end + 1)]


def upgrade():
    conn = op.get_bind()
    changes: dict[tuple[int, int], list[tuple[datetime, set, set]]] = defaultdict(list)
    for school_id, user_id, before, after, at in conn.execute(sa.text(
        "SELECT school_id, user_id, before, after, created_at FROM staff_change WHERE what = 'roles' ORDER BY id"
    )):
        if (at := stored_time(at)) is not None:
            changes[(school_id, user_id)].append((at, logged_roles(before), logged_roles(after)))
    gaps: set[tuple[int, str]] = set()  # (school, year) a gap written lies in
    for mid, school_id, user_id, role, since in conn.execute(sa.text(
        "SELECT id, school_id, user_id, role, since FROM membership WHERE school_id IS NOT NULL"
    )).all():
        since = stored_time(since)
        began, back, ended = since, None, None
        for at, before, after in sorted(changes.get((school_id, user_id), ()), key=lambda c: c[0]):
            if role in before and role not in after:
                ended = at
            elif role in after and role not in before and ended is not None:
                if (since is None or ended >= since) and _day(at) != _day(ended):
                    conn.execute(sa.text(
                        "INSERT INTO membership_stint (membership_id, since, until) VALUES (:m, :s, :u)"),
                        {"m": mid, "s": began, "u": ended})
                    gaps.update((school_id, year) for year in _years_between(ended, at))
                    began = back = at
                ended = None
        if back is not None:
            conn.execute(sa.text("UPDATE membership SET since = :at WHERE id = :m"), {"at": back, "m": mid})
    for school_id, year in sorted(gaps):
        closed = {sem for (sem,) in conn.execute(sa.text(
            "SELECT semester FROM year_lock WHERE school_id = :s AND school_year = :y"), {"s": school_id, "y": year})}
        if WHOLE_YEAR in closed or {1, 2} <= closed:  # closed: its rows stay as accepted
            continue
        conn.execute(sa.text("DELETE FROM teacher_year WHERE school_id = :s AND school_year = :y"),
                     {"s": school_id, "y": year})


def downgrade():
    pass
