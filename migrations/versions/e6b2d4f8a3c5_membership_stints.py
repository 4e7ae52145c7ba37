"""the stretches a role was held before a gap (``membership_stint``): a teacher who left and came
back keeps the years over while they were there before

Since revision ``c8e3f1a5b7d2`` a role given back after a school year ended while it was off is
dated from its return (``membership.since``), so the years the person was away are not theirs;
but the years over before they left went with them. From this revision the stretch before the
gap is kept (``users.give_back`` writes it), and a school year over while it was held lists the
teacher again (``credits._teachers_statement``).

For the roles given back that way before this revision, the staff audit log (``staff_change``,
every change of roles a school admin made) says when: a role ended, then given again in a later
school year, with ``since`` after the ending (dated from the return) had such a stretch. It began
at the role's last giving before the ending in the log (a role given to someone already on the
staff began then, not when their account was made), or, with none there or when it came with
the account (the person's first line, from no role), when the account was made. A school year
over in such a stretch whose stored teacher-year rows (a year not accepted whole) lack the
teacher has its rows removed whole, as ``c8e3f1a5b7d2`` did (pages compute it from the ledger;
``flask credits rebuild-year-rows`` stores it again).

Revision ID: e6b2d4f8a3c5
Revises: d9f4a2c6e813
Create Date: 2026-12-05 09:00:00
"""
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from portal.timeutil import current_school_year
from portal.year_rows_upgrade import (
    NOT_ACCEPTED,
    PARAMS,
    drop_years,
    logged_roles,
    over_at,
    over_late,
    stored_time,
)

revision = "e6b2d4f8a3c5"
down_revision = "d9f4a2c6e813"
branch_labels = None
depends_on = None


def _stints(conn: sa.Connection) -> list[tuple[int, int, int, datetime, datetime]]:
    """(membership, school, user, since, until) of each stretch before a gap the log shows."""
    changes: dict[tuple[int, int], list[tuple[datetime, set, set]]] = defaultdict(list)
    for school_id, user_id, before, after, at in conn.execute(sa.text(
        "SELECT school_id, user_id, before, after, created_at FROM staff_change WHERE what = 'roles' ORDER BY id"
    )):
        if (at := stored_time(at)) is not None:
            changes[(school_id, user_id)].append((at, logged_roles(before), logged_roles(after)))
    out = []
    for mid, school_id, user_id, role, since, made in conn.execute(sa.text(
        "SELECT m.id, m.school_id, m.user_id, m.role, m.since, u.created_at FROM membership m"
        " JOIN user_account u ON u.id = m.user_id WHERE m.school_id IS NOT NULL AND m.since IS NOT NULL"
    )):
        since, began = stored_time(since), stored_time(made)
        ended = None
        lines = sorted(changes.get((school_id, user_id), ()), key=lambda c: c[0])
        for n, (at, before, after) in enumerate(lines):
            if role in before and role not in after:
                ended = at
            elif role in after and role not in before:
                if ended is None:
                    # given (the person's first line, from nothing: the account made with it,
                    # dated as the account is, ``users.create_user``; else given then)
                    began = began if n == 0 and not before else at
                elif since > ended and current_school_year(None, ended) != current_school_year(None, at):
                    out.append((mid, school_id, user_id, began, ended))  # dated from this return since
                    began = at
                ended = None
    return out


def upgrade():
    op.create_table(
        "membership_stint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=True),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["membership_id"], ["membership.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_membership_stint_membership_id", "membership_stint", ["membership_id"])
    conn = op.get_bind()
    stints = _stints(conn)
    for mid, _school, _user, since, until in stints:
        conn.execute(sa.text("INSERT INTO membership_stint (membership_id, since, until) VALUES (:m, :s, :u)"),
                     {"m": mid, "s": since, "u": until})
    stored: dict[tuple[int, str], set[int]] = defaultdict(set)  # (school, year) → its stored teachers
    for school_id, school_year, user_id in conn.execute(sa.text(
        "SELECT t.school_id, t.school_year, t.user_id FROM teacher_year t WHERE" + NOT_ACCEPTED), PARAMS):
        stored[(school_id, school_year)].add(user_id)
    # the years over in a stretch kept, stored without its teacher (its ends compared a day out
    # either way, whatever the deployment's zone: one given on a year's last day was there)
    drop_years(conn, ((school_id, year) for (school_id, year), people in stored.items()
                      for _mid, sid, uid, since, until in stints
                      if sid == school_id and uid not in people
                      and (since is None or since < over_late(year)) and until >= over_at(year)))


def downgrade():
    op.drop_index("ix_membership_stint_membership_id", table_name="membership_stint")
    op.drop_table("membership_stint")

