"""What the migrations that change who is on a school year share (revisions ``b7d2e9f4a1c3``,
``c8e3f1a5b7d2``): they find the stored teacher-year rows of years the district has not accepted
whole that the new rule lists otherwise, and remove each such year's rows whole (a year has
either no rows or one for every teacher it lists; pages then compute it from the ledger, and
``flask credits rebuild-year-rows`` stores it again). Plain SQL on the migration's connection:
no model is read, so later changes of the models leave the revisions as they ran."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from portal.models.district import WHOLE_YEAR

#: A ``WHERE`` condition on ``teacher_year t``: its year was not accepted whole (bound ``whole``).
NOT_ACCEPTED = (" NOT EXISTS (SELECT 1 FROM year_lock l WHERE l.school_id = t.school_id"
                " AND l.school_year = t.school_year AND l.semester = :whole)")
PARAMS = {"whole": WHOLE_YEAR, "no": False}


def over_at(school_year: str) -> datetime:
    """1 September after the year, a day early (``credits.year_over_at`` in any zone)."""
    return datetime(int(school_year[5:9]), 8, 31)


def over_late(school_year: str) -> datetime:
    """2 September after the year: no zone's end of the year (:func:`over_at`) is later. A role
    given before it may have been held when the year was over: compared with it, a year is
    removed if it may list the person (removing more only makes pages compute it)."""
    return datetime(int(school_year[5:9]), 9, 2)


def logged_roles(value: Any) -> set[str]:
    """The roles of a staff-log line's ``before`` or ``after`` as the connection hands them back
    (SQLite: JSON text)."""
    return set(json.loads(value) if isinstance(value, str) else (value or []))


def stored_time(value: Any) -> datetime | None:
    """A time as the connection hands it back (SQLite: text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def drop_years(conn: sa.Connection, years: Iterable[tuple[int, str]]) -> None:
    """Remove the stored rows of each (school id, school year) whole."""
    for school_id, school_year in sorted(set(years)):
        conn.execute(sa.text("DELETE FROM teacher_year WHERE school_id = :s AND school_year = :y"),
                     {"s": school_id, "y": school_year})
