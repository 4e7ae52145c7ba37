"""both semesters accepted close the year: its stored teacher-year rows are frozen as a whole year's

A district that collects semesters never locks a year whole. Once it has accepted both, the
year is closed as if accepted whole (``locks.closed_clause``): it keeps the teachers and the
rules it was closed with. The triggers of ``b3e8d1f4a620`` refused writing the stored
``teacher_year`` rows of a year locked whole only; they now refuse them of a closed year too,
by the same rule. The rows already stored for such a year stay as they are (they list the
teachers the pages showed); the services write them at the closing acceptance from now on.
Their verdicts were last judged by the rules then in force, which the pages no longer use for
the closed year (they use the closing round's): no SQL can judge them again (the policy hook
does), so the upgrade names each such school year in its log; the district brings one up to
date by reopening its later semester and accepting it again.

Revision ID: c2f6a8e4d1b9
Revises: f3a7c1e9d5b2
Create Date: 2026-12-05 13:20:00
"""
import logging

import sqlalchemy as sa
from alembic import op

from portal.lock_triggers import either, pg_function, sqlite_raise

revision = "c2f6a8e4d1b9"
down_revision = "f3a7c1e9d5b2"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def _lock(semester: int) -> str:
    return ("EXISTS (SELECT 1 FROM year_lock l WHERE l.school_id = {r}.school_id "
            f"AND l.school_year = {{r}}.school_year AND l.semester = {semester})")


# The school year of a teacher-year row ({r}) is closed: locked whole (0), or both semesters.
CLOSED = f"({_lock(0)} OR ({_lock(1)} AND {_lock(2)}))"
# As ``b3e8d1f4a620`` wrote it: locked whole only.
LOCKED_WHOLE = _lock(0)

SQLITE_TRIGGERS = (
    ("year_lock_teacher_year_insert", "INSERT", "NEW"),
    ("year_lock_teacher_year_update", "UPDATE", "NEW"),
    ("year_lock_teacher_year_update_old", "UPDATE", "OLD"),
    ("year_lock_teacher_year_delete", "DELETE", "OLD"),
)


def _sqlite(condition: str) -> None:
    for name, event, row in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON teacher_year WHEN {condition.format(r=row)} "
                   f"BEGIN {sqlite_raise('teacher-year change')}; END")


def _postgres(condition: str) -> None:
    op.execute(pg_function("year_lock_teacher_year", either(condition), "teacher-year change", replace=True))


def _triggers(condition: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite(condition)
    elif dialect == "postgresql":
        _postgres(condition)


def upgrade():
    closed = op.get_bind().execute(sa.text(
        "SELECT s.code, l.school_year FROM year_lock l JOIN school s ON s.id = l.school_id WHERE l.semester = 1 "
        "AND EXISTS (SELECT 1 FROM year_lock o WHERE o.school_id = l.school_id AND o.school_year = l.school_year "
        "AND o.semester = 2) AND NOT EXISTS (SELECT 1 FROM year_lock w WHERE w.school_id = l.school_id "
        "AND w.school_year = l.school_year AND w.semester = 0) ORDER BY s.code, l.school_year")).all()
    for code, school_year in closed:
        log.warning("school %s, year %s: both semesters accepted, now closed with its stored rows as they are; "
                    "reopen its later semester and accept it again if a rule changed since", code, school_year)
    _triggers(CLOSED)


def downgrade():
    _triggers(LOCKED_WHOLE)
