"""a school year asks something of its teachers: stored rows of years judged by 0 hours are removed

From this revision a school's required hours are at least ``LEAST_REQUIRED_HOURS`` (0.5) unless
its writing quotas decide the year and ask for some writing (``portal.models.school.asks_nothing``):
the rules page and ``PUT /api/v1/school/rules`` refuse less, and a rule stored as less before
reads as 0.5 (``School.rule``), so no rule is rewritten. The stored teacher-year rows of a school
whose required hours read less than 0.5 may have called every teacher "met" for nothing: the rows
of each such school's years the district has not accepted whole are removed whole (a year has
either no rows or a row for every teacher; removing more only makes pages compute it). Pages then
compute those years from the ledger by today's reading; `flask credits rebuild-year-rows` after
upgrading stores them again. Years the district accepted whole keep their rows, as accepted
(judged by the rules they were accepted with).

Revision ID: d3f7b1c9e5a2
Revises: a9e4c2d7f1b6
Create Date: 2026-12-07 06:30:00
"""
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from portal.year_rows_upgrade import NOT_ACCEPTED, PARAMS, drop_years

revision = "d3f7b1c9e5a2"
down_revision = "a9e4c2d7f1b6"
branch_labels = None
depends_on = None

FLOOR = 0.5  # ``portal.models.school.LEAST_REQUIRED_HOURS`` as this revision ran


def _required(rules: Any) -> Any:
    """The required hours a school's stored rules (or its district's) hold, as the connection
    hands them back (SQLite: JSON text); None if none."""
    if isinstance(rules, str):
        rules = json.loads(rules or "{}")
    value = (rules or {}).get("required_hours") if isinstance(rules, dict) else None
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _below(own: Any, district: Any) -> bool:
    """The school read required hours below the floor: its own rule, else its district's, else 50;
    never below the district's (whatever its quotas: their rows are computed again)."""
    mine, theirs = _required(own), _required(district)
    value = mine if mine is not None else theirs if theirs is not None else 50
    if theirs is not None:
        value = max(value, theirs)
    return value < FLOOR


def upgrade():
    conn = op.get_bind()
    schools = [sid for sid, own, district in conn.execute(sa.text("SELECT id, rules, district_rules FROM school"))
               if _below(own, district)]
    for school_id in schools:
        years = conn.execute(sa.text(
            "SELECT DISTINCT t.school_id, t.school_year FROM teacher_year t WHERE t.school_id = :s AND" + NOT_ACCEPTED
        ), {**PARAMS, "s": school_id}).all()
        drop_years(conn, ((s, y) for s, y in years))


def downgrade():
    pass  # the rows removed are written again by the next change of each year (or `flask credits rebuild-year-rows`)
