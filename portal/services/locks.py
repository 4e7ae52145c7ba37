"""Whether a school year (or semester) is locked: the district accepted it.

Every service that changes the ledger, attendance, exemptions or evidence of a year asks
:func:`require_unlocked` first and refuses with ``year.locked``; the database triggers of
migration ``a7d3c9e15b20`` refuse the same writes from anywhere else.

The question and the acceptance must not pass each other: a write that found the year open
must be seen by the acceptance's comparison of the figures, or wait for it and then find the
year locked. :func:`hold` is the one lock both take, on the school's row (PostgreSQL): a write
holds it shared (FOR KEY SHARE) from the question to its commit, the acceptance exclusively
(FOR UPDATE) from before its comparison to its commit. SQLite runs one write transaction at a
time already.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, exists, literal, or_, select
from sqlalchemy.orm import aliased

from portal.database import constant, in_constants, is_sqlite
from portal.errors import Conflict
from portal.extensions import db
from portal.messages import SchoolYear, msg
from portal.models import Activity, School, YearLock
from portal.models.district import WHOLE_YEAR
from portal.services.quotas import SEMESTERS


def _covers(lock_semester: Any, semester: Any) -> ColumnElement[bool]:
    """The one rule of what a lock covers within its school year: a whole year's lock
    (``WHOLE_YEAR``) every semester, a semester's lock that semester."""
    return or_(lock_semester == constant(WHOLE_YEAR), lock_semester == semester)


def locked_clause(school_id: Any, school_year: Any, semester: Any) -> ColumnElement[bool]:
    """:func:`is_locked` as a SQL expression over columns (or values), to read a lock along with
    the row it concerns in the same statement (an activity: locked by a lock of its semester or
    of its whole year)."""
    return exists().where(YearLock.school_id == school_id, YearLock.school_year == school_year,
                          _covers(YearLock.semester, semester))


def covered_clause(school_id: Any, school_year: Any, semester: int) -> ColumnElement[bool]:
    """The activities a lock of ``school_year`` (``semester``: ``WHOLE_YEAR`` or 1 or 2) of the
    school covers, or will once the district accepts that period: the converse of
    :func:`locked_clause`, by the same rule."""
    return and_(Activity.school_id == school_id, Activity.school_year == school_year,
                _covers(literal(semester, Integer), Activity.semester))


def closed_clause(school_id: Any, school_year: Any) -> ColumnElement[bool]:
    """:func:`covers` of the whole year as a SQL expression over columns (or values): the
    school's year is closed — the district accepted it whole, or both its semesters. A closed
    year keeps the teachers and the rules it was closed with (its stored rows, and the rules of
    the lock :func:`closes_year` picks); the triggers of migration ``c2f6a8e4d1b9`` refuse any
    write of its stored rows by the same rule."""

    def locked(*semesters: int) -> ColumnElement[bool]:
        return exists().where(YearLock.school_id == school_id, YearLock.school_year == school_year,
                              YearLock.semester.in_(semesters))

    return or_(locked(WHOLE_YEAR), and_(*(locked(s) for s in SEMESTERS)))


def closes_year(lock: Any) -> ColumnElement[bool]:
    """Whether the lock row ``lock`` (``YearLock`` or an alias of it) is the acceptance that
    closed its school year (:func:`closed_clause`): the whole year's lock, or — a district that
    collects semesters, no whole year's lock — the later of the two semesters' locks (the other
    semester's was written before it: a semester reopened and accepted again is the later). The
    closed year is judged by the rules of that lock's submission."""
    other, whole = aliased(YearLock), aliased(YearLock)

    def same_year(row: Any) -> ColumnElement[bool]:
        return and_(row.school_id == lock.school_id, row.school_year == lock.school_year)

    return or_(lock.semester == constant(WHOLE_YEAR), and_(
        in_constants(lock.semester, SEMESTERS),  # not an expanding list: in statements built once
        exists().where(same_year(other), in_constants(other.semester, SEMESTERS), other.semester != lock.semester,
                       other.id < lock.id),
        ~exists().where(same_year(whole), whole.semester == constant(WHOLE_YEAR)),
    ))


def is_locked(school_id: int, school_year: str, semester: int | None = None) -> bool:
    """Locked for ``semester`` as :func:`covers` says (1 or 2: by a lock of that semester or of
    the whole year; ``WHOLE_YEAR``: by the year's lock or both its semesters'); ``semester``
    None: by any lock of the year (an exemption covers the whole year)."""
    accepted = accepted_periods(school_id, school_year)
    return bool(accepted) if semester is None else covers(accepted, semester)


def accepted_periods(school_id: int, school_year: str) -> frozenset[int]:
    """The periods of ``school_year`` the district has accepted (locked) at the school: its
    semesters (1, 2) and ``WHOLE_YEAR`` for the whole year. Nothing more is written in one:
    :func:`portal.services.forecast.period_over` takes it as over."""
    return frozenset(db.session.execute(
        select(YearLock.semester).where(YearLock.school_id == school_id, YearLock.school_year == school_year)
    ).scalars())


def covers(accepted: Collection[int], semester: int) -> bool:
    """Whether the periods the district ``accepted`` (:func:`accepted_periods`) leave nothing more
    to write in ``semester``: a semester by its own lock or the whole year's (:func:`_covers`), the
    whole year (``WHOLE_YEAR``) by its own lock or by both its semesters' — a district that
    collects semesters never locks the year whole, yet once it has accepted both, nothing more is
    written, recorded or credited in it."""
    if WHOLE_YEAR in accepted or semester in accepted:
        return True
    return semester == WHOLE_YEAR and all(s in accepted for s in SEMESTERS)


def hold(school_id: int, *, accepting: bool = False) -> None:
    """In the transaction that writes into the school's year (or accepts it): lock the school's
    row until the transaction ends — shared for a write (FOR KEY SHARE: writes do not wait for
    one another, nor for the ``data_version`` stamp they make), exclusive for the district's
    acceptance (FOR UPDATE), which so waits for the writes that found the year open, and they
    for it. Ask or compare after it (a new statement sees what the other committed). Nothing
    on SQLite, whose write transactions run one at a time."""
    if is_sqlite():
        return
    q = select(School.id).where(School.id == school_id)
    db.session.execute(q.with_for_update() if accepting else q.with_for_update(read=True, key_share=True))


def require_unlocked(school_id: int, school_year: str, semester: int | None = None) -> None:
    """Refuse (``year.locked``) a write into a locked year. Takes :func:`hold` first, so call it
    in the transaction that writes: the acceptance cannot slip between this answer and the
    write. On PostgreSQL the session's transaction runs on to the write's commit, so a call just
    before ``write_transaction`` holds too; inside it the answer also holds on SQLite, which
    finishes a read transaction before the write begins."""
    hold(school_id)
    if is_locked(school_id, school_year, semester):
        raise Conflict(msg("year.locked", year=SchoolYear.said(school_year)), school_year=school_year)
