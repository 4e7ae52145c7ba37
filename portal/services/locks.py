"""Whether a school year (or semester) is locked: the district accepted it.

Every service that changes the ledger, attendance, exemptions or evidence of a year asks
:func:`require_unlocked` first and refuses with ``year.locked``; the database triggers of
migration ``a7d3c9e15b20`` refuse the same writes from anywhere else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select

from portal.errors import Conflict
from portal.extensions import db
from portal.messages import msg
from portal.models import YearLock
from portal.models.district import WHOLE_YEAR


def locked_clause(school_id: Any, school_year: Any, semester: Any) -> ColumnElement[bool]:
    """:func:`is_locked` as a SQL expression over columns (or values), to read a lock along with
    the row it concerns in the same statement (an activity: locked by a lock of its semester or
    of its whole year)."""
    return exists().where(YearLock.school_id == school_id, YearLock.school_year == school_year,
                          or_(YearLock.semester == WHOLE_YEAR, YearLock.semester == semester))


def is_locked(school_id: int, school_year: str, semester: int | None = None) -> bool:
    """Locked for ``semester`` (1 or 2: by a lock of that semester or of the whole year);
    ``semester`` None: by any lock of the year (an exemption covers the whole year)."""
    q = select(YearLock.id).where(YearLock.school_id == school_id, YearLock.school_year == school_year)
    if semester is not None:
        q = q.where(YearLock.semester.in_((WHOLE_YEAR, semester)))
    return db.session.execute(q.limit(1)).first() is not None


def require_unlocked(school_id: int, school_year: str, semester: int | None = None) -> None:
    if is_locked(school_id, school_year, semester):
        raise Conflict(msg("year.locked", year=school_year), school_year=school_year)
