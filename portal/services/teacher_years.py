"""Upkeep of the stored teacher-year rows (``portal.models.TeacherYearRow``).

A row is what :func:`portal.services.credits.year_rows` says about one teacher, school and
year — hours by type, absence per semester, exemption, the assess hook's verdict — written
in the transaction of the change that moved it: credits and reversals and changes of phase
that make absence count (``transitions``), attendance (``activities``), exemptions, school
rules, and who teaches where. Only the teachers a change touches are assessed again.

One invariant keeps counts right: for a school and year there are either no rows at all or a
row for every teacher :func:`credits.year_rows` lists. The first write of a school's year
therefore fills the whole school; readers fall back to computing a school and year with no
rows (:func:`counts_by_school`; :func:`summary_rows`, the school summary page). ``flask
credits rebuild-year-rows`` rebuilds everything from scratch (after installing a policy
plugin, for example).

With the rows, each school's year of ``school_year_type_hours`` (hours by activity type, the
sum of the rows' ``by_type``: :func:`type_hours_rows`) is rewritten, so the district's chart
counts the same teachers' hours as the summaries and submissions, from schools × types rows.
A year the district closed (accepted whole, or both its semesters: ``locks.closed_clause``)
keeps its rows, and so its type totals, as accepted.

Two writers in one school never refresh at once: every change that moves rows first writes a
row the ``data_version`` trigger stamps on the school, and the school's row stays locked to
the other writer until commit (PostgreSQL; SQLite has one writer at a time).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    union,
)

from portal import jobs
from portal.assessment import STATUSES, hours_recognised
from portal.database import keep_compiled, read_rows, write_transaction
from portal.extensions import db
from portal.models import (
    TEACHER,
    Activity,
    CreditEntry,
    Exemption,
    Membership,
    OwnWriting,
    School,
    SchoolYearTypeHours,
    TeacherYearRow,
    User,
    YearLock,
)
from portal.models.district import WHOLE_YEAR
from portal.services import credits, locks, quotas
from portal.timeutil import current_school_year, utcnow, zone_of

log = logging.getLogger(__name__)
ZERO = Decimal("0")
REBUILD_BATCH = 50  # schools per year_rows call in a rebuild


def _values(school_id: int, year: str, ty: credits.TeacherYear) -> dict:
    f = ty.facts
    return {
        "school_id": school_id,
        "school_year": year,
        "user_id": f.user_id,
        "total_hours": f.total_hours,
        "by_type": {k: str(v) for k, v in sorted(f.by_type.items())},
        "absent_hours": {str(k): str(v) for k, v in sorted(f.absent_hours.items())},
        "excused_hours": {str(k): str(v) for k, v in sorted(f.excused_hours.items())},
        "exemption_reason": f.exemption_reason,
        "status": ty.assessment.status,
        "reason": ty.assessment.reason or "",
        "updated_at": utcnow(),
    }


def built_rows(schools: list[School], year: str) -> list[dict]:
    """The rows of every teacher of ``schools`` for ``year``, as the one builder computes
    them (rebuilds and the district data generator write these)."""
    return [_values(sid, year, ty) for sid, tys in credits.year_rows(schools, year).items() for ty in tys]


def type_hours_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict]:
    """The ``school_year_type_hours`` rows of teacher-year rows (mappings with ``school_id``,
    ``school_year``, ``by_type`` and ``status``): the hours of the recognised years summed per
    school, year and type. The one
    computation of that table: upkeep, rebuild and the data generator all call it."""
    sums: dict[tuple[int, str, str], Decimal] = {}
    for row in rows:
        if not hours_recognised(row["status"]):  # as the schools' totals (counts_by_school)
            continue
        for key, hours in row["by_type"].items():
            at = (row["school_id"], row["school_year"], key)
            sums[at] = sums.get(at, ZERO) + Decimal(str(hours))
    return [
        {"school_id": sid, "school_year": year, "type_key": key, "hours": hours}
        for (sid, year, key), hours in sorted(sums.items())
        if hours
    ]


def _write_type_hours(school_ids: Collection[int], year: str, rows: Iterable[Mapping[str, Any]] | None) -> None:
    """Rewrite the type totals of ``school_ids`` for ``year`` from their teacher-year rows
    (None: read the stored ones). One DELETE, one INSERT (and one read)."""
    if rows is None:
        rows = [
            dict(r)
            for r in db.session.execute(
                select(TeacherYearRow.school_id, TeacherYearRow.school_year, TeacherYearRow.by_type,
                       TeacherYearRow.status)
                .where(TeacherYearRow.school_year == year, TeacherYearRow.school_id.in_(sorted(school_ids)))
            ).mappings()
        ]
    totals = type_hours_rows(rows)
    db.session.execute(
        delete(SchoolYearTypeHours).where(
            SchoolYearTypeHours.school_year == year, SchoolYearTypeHours.school_id.in_(sorted(school_ids))
        )
    )
    if totals:
        db.session.execute(insert(SchoolYearTypeHours), totals)


def refresh(school: School, year: str, user_ids: Collection[int] | None = None,
            closing_rules: Mapping[str, Any] | None = None) -> int:
    """Compute and store the rows of these teachers (None: every teacher of the school) for
    ``year``, and the school's type totals of the year, in the caller's transaction; with
    ``closing_rules``, as the acceptance closing the year judges them (:func:`credits.year_rows`). A fixed
    number of statements whatever the number of teachers: one check, the builder's four
    reads, one DELETE, one INSERT; for the totals one read, one DELETE, one INSERT."""
    if user_ids is not None:
        if not user_ids:
            return 0
        has_rows = db.session.execute(
            select(TeacherYearRow.user_id)
            .where(TeacherYearRow.school_id == school.id, TeacherYearRow.school_year == year)
            .limit(1)
        ).first()
        if has_rows is None:
            user_ids = None  # the school's first row of the year: every teacher's, or none
    built = credits.year_rows([school], year, user_ids, closing_rules)[school.id]
    gone = delete(TeacherYearRow).where(TeacherYearRow.school_id == school.id, TeacherYearRow.school_year == year)
    if user_ids is not None:
        gone = gone.where(TeacherYearRow.user_id.in_(sorted(set(user_ids))))
    db.session.execute(gone)
    values = [_values(school.id, year, ty) for ty in built]
    if values:
        db.session.execute(insert(TeacherYearRow), values)
    # every teacher's row was just built (None) or only some: then the others are read back
    _write_type_hours([school.id], year, values if user_ids is None else None)
    return len(built)


def years_of(school_id: int) -> list[str]:
    """School years the school has rows for, and the current one, less the years the district
    closed (accepted whole, or both semesters): a closed year keeps its rows as accepted
    (nothing that moves them is allowed there), so a later change of rules or staff leaves them
    alone. One query."""
    school = db.session.get(School, school_id)
    found = db.session.execute(
        union(
            select(TeacherYearRow.school_year, literal(False).label("locked"))
            .where(TeacherYearRow.school_id == school_id),
            select(YearLock.school_year, literal(True).label("locked"))
            .where(YearLock.school_id == school_id, locks.closes_year(YearLock)),
        )
    ).all()
    locked = {year for year, is_lock in found if is_lock}
    stored = {year for year, is_lock in found if not is_lock}
    return sorted({*stored, current_school_year(zone_of(school))} - locked)


def refresh_people(school_id: int, user_ids: Collection[int] | None = None) -> None:
    """Every stored year of the school (and the current one) for these people: a change of
    rules, roles, names or birth dates moves every year, not one."""
    school = db.session.get_one(School, school_id)
    locks.hold(school_id)  # the years an acceptance locks meanwhile are seen locked (services.locks)
    for year in years_of(school_id):
        refresh(school, year, user_ids)


def refresh_user(user_id: int, school_ids: Iterable[int]) -> None:
    for sid in school_ids:
        refresh_people(sid, [user_id])


# -- a month's end --------------------------------------------------------------------------


def stale_years(now: datetime | None = None) -> list[tuple[int, str]]:
    """(school id, year) of every stored year whose rows a month's end alone made stale: its
    oldest row predates :func:`quotas.month_turned` (the school asks reading notes each month and
    its quotas decide), and the district has not closed it (a closed year keeps its rows as
    accepted). These are the schools :func:`counts_by_school` computes instead of reading. Two
    statements whatever the number of schools: the schools, and one GROUP BY over the rows of
    those whose rules the clock moves."""
    now = now or utcnow()
    ruled = {s.id: s for s in db.session.execute(select(School)).scalars() if quotas.turns_by_clock(s.rule)}
    if not ruled:
        return []
    found = db.session.execute(
        select(TeacherYearRow.school_id, TeacherYearRow.school_year, func.min(TeacherYearRow.updated_at))
        .where(TeacherYearRow.school_id.in_(sorted(ruled)))
        .group_by(TeacherYearRow.school_id, TeacherYearRow.school_year)
        .having(~locks.closed_clause(TeacherYearRow.school_id, TeacherYearRow.school_year))
        .order_by(TeacherYearRow.school_id, TeacherYearRow.school_year)
    ).all()
    return [(sid, year) for sid, year, oldest in found if outdated(ruled[sid], year, oldest, now)]


def outdated(school: School, year: str, oldest: datetime, now: datetime) -> bool:
    """Whether the school's stored rows of ``year``, the oldest written at ``oldest``, predate the
    last month's end that moved its verdicts (:func:`quotas.month_turned`): not the day's."""
    turn = quotas.month_turned(school.rule, year, school.timezone, now)
    return turn is not None and oldest < turn


@jobs.periodic("teacher_years.month_end", minute="2")  # every hour: a midnight passes somewhere
def month_end() -> int:
    """Bring the stored rows that a month's end made stale (:func:`stale_years`) up to the day,
    each school's year in a transaction of its own through :func:`refresh` (every teacher, as
    a rebuild computes them), so the district's figures read them again instead of computing
    those schools on every view. Run hourly by the worker: a school's month ends at its own
    midnight, whatever its zone's offset (half hours too). Idempotent: a second run finds
    nothing stale and writes nothing. A year the district closed meanwhile is left as accepted.
    A school whose refresh fails does not stop the others; the job then raises, and huey's
    retry finds only what is still stale. Returns the school years refreshed."""
    done, failed = 0, 0
    stale = stale_years()
    db.session.commit()  # the read ends: each school is read again in its own write
    for sid, year in stale:
        try:
            with write_transaction():
                locks.hold(sid)  # an acceptance waits for this write, or this write sees it
                if locks.is_locked(sid, year, WHOLE_YEAR):
                    continue
                refresh(db.session.get_one(School, sid), year)
            done += 1
        except Exception:
            log.exception("the rows of school %s, %s, after a month's end", sid, year)
            failed += 1
    if failed:
        raise RuntimeError(f"{failed} school years not refreshed after a month's end (logged above)")
    log.info("month's end: %s school years' rows refreshed", done)
    return done


# -- reading -------------------------------------------------------------------------------


def counts_by_school(year: str, subset: list[School]) -> dict[int, tuple[int, dict[str, int], Decimal]]:
    """(teachers, teachers by status, hours credited) of each school of ``subset`` for ``year``
    (the hours of a year not recognised left out: ``assessment.hours_recognised``): one
    GROUP BY school, status over the stored rows, the same statement at 10 schools or 1,000.
    A school without rows for the year (nothing written since it began) is computed by the
    same builder instead, read only; so is a school whose rows are older than the last month
    whose end alone moved its verdicts (:func:`quotas.month_turned`: it asks reading notes each
    month and its quotas decide), until a write or the hourly :func:`month_end` brings them up to
    the day — not a year the district closed, whose rows stay as accepted."""
    ids = [s.id for s in subset]
    out: dict[int, tuple[int, dict[str, int], Decimal]] = {}
    if not ids:
        return out
    written: dict[int, datetime] = {}  # the oldest row of each school
    for sid, status, n, hours, oldest in db.session.execute(
        select(TeacherYearRow.school_id, TeacherYearRow.status, func.count(), func.sum(TeacherYearRow.total_hours),
               func.min(TeacherYearRow.updated_at))
        .where(TeacherYearRow.school_year == year, TeacherYearRow.school_id.in_(ids))
        .group_by(TeacherYearRow.school_id, TeacherYearRow.status)
    ):
        teachers, by_status, total = out.get(sid, (0, dict.fromkeys(STATUSES, 0), ZERO))
        by_status[status] = by_status.get(status, 0) + n
        if hours_recognised(status):
            total += Decimal(str(hours or 0)).quantize(Decimal("0.1"))
        out[sid] = (teachers + n, by_status, total)
        written[sid] = min(oldest, written.get(sid, oldest))
    now = utcnow()
    # rows written before a month's end moved their verdicts: not the day's, unless the district
    # closed the year (kept as accepted; asked only when some school's rows are that old)
    old = [s.id for s in subset if s.id in written and outdated(s, year, written[s.id], now)]
    for sid in set(old) - (closed_schools(year, old) if old else set()):
        del out[sid]
    missing = [s for s in subset if s.id not in out]
    if missing:
        for sid, rows in credits.year_rows(missing, year).items():
            by_status = dict.fromkeys(STATUSES, 0)
            for ty in rows:
                by_status[ty.assessment.status] = by_status.get(ty.assessment.status, 0) + 1
            out[sid] = (len(rows), by_status, recognised_hours(rows))
    return out


def recognised_hours(rows: Iterable[credits.TeacherYear]) -> Decimal:
    """The hours credited of these teacher years that count in a school's total (a year not
    recognised left out): what :func:`counts_by_school` sums in SQL, and a submission freezes."""
    return sum((ty.facts.total_hours for ty in rows if hours_recognised(ty.assessment.status)), ZERO)


def _summary_statement() -> Select:
    """The stored rows of a school's year with their teachers' columns (``school_id``, ``year``
    bound), none when the district closed the year (:func:`summary_rows`). Built once."""
    school_id: BindParameter[int] = bindparam("school_id")
    year: BindParameter[str] = bindparam("year")
    return (
        select(
            User.id, User.username, User.display_name, User.gender, User.birth_date,
            # as their JSON text: most teachers' absences are alike, read once each (stored_years)
            cast(TeacherYearRow.by_type, String), cast(TeacherYearRow.absent_hours, String),
            cast(TeacherYearRow.excused_hours, String),
            TeacherYearRow.exemption_reason,
            Membership.since,  # what is expected of them by a day counts from it (forecast.expected_by)
        )
        .join(User, User.id == TeacherYearRow.user_id)
        .outerjoin(Membership, and_(Membership.user_id == TeacherYearRow.user_id,
                                    Membership.school_id == TeacherYearRow.school_id, Membership.role == TEACHER))
        .where(TeacherYearRow.school_id == school_id, TeacherYearRow.school_year == year,
               ~locks.closed_clause(school_id, year))
    )


_SUMMARY_ROWS = keep_compiled(_summary_statement())


def summary_rows(school: School, year: str) -> list[credits.StoredYear] | None:
    """The school summary's rows read from the stored rows (:func:`credits.stored_years`): the
    builder's figures without aggregating the ledger and attendance again, each assessed by
    the policy hook. None when there are none to read — the year has no rows yet, or the
    district closed it (its rows stay as accepted while the page has always shown the
    year as computed today): then :func:`credits.school_summary` computes it. Two queries."""
    rows = read_rows(_SUMMARY_ROWS, {"school_id": school.id, "year": year}).all()
    # rows only of a year not closed (the statement's ``locks.closed_clause``): told so
    return credits.stored_years(school, year, rows, closed=False) if rows else None


# -- rebuilding ----------------------------------------------------------------------------


def data_years() -> list[str]:
    """Every school year with ledger entries, activities, exemptions or a teacher's own
    writing (what puts a person on a year: ``credits._counted_statement``), and the current one of
    each school (in its zone: a school may be in its new year while the deployment's is not)."""
    zones = set(db.session.execute(select(School.timezone).distinct()).scalars())
    found: set[str] = {current_school_year(zone or None) for zone in zones} or {current_school_year()}
    for column in (CreditEntry.school_year, Activity.school_year, Exemption.school_year, OwnWriting.school_year):
        found.update(db.session.execute(select(column).distinct()).scalars())
    return sorted(found)


def closed_schools(year: str, among: Collection[int] | None = None) -> set[int]:
    """Schools (of ``among``, when given) whose ``year`` the district closed: their rows stay as
    accepted, whatever a rebuild would compute today (the database refuses to write them, see
    :func:`years_of`)."""
    if among is None:
        return set(read_rows(_CLOSED, {"year": year}).scalars())
    return set(read_rows(_CLOSED_AMONG, {"year": year, "among": sorted(among)}).scalars())


# built once: the acceptance rule's aliases and exists cost more to build than the query to run
# (a third of the district page's time, asked on every visit)
_CLOSED = keep_compiled(
    select(YearLock.school_id).where(YearLock.school_year == bindparam("year"), locks.closes_year(YearLock))
)
_CLOSED_AMONG = keep_compiled(_CLOSED.where(YearLock.school_id.in_(bindparam("among", expanding=True))))


def rebuild(years: list[str] | None = None) -> int:
    """Delete and compute again every row of ``years`` (default: :func:`data_years`) and the
    type totals, every school, in batches of schools; the caller commits. The rows of a year
    the district accepted are kept (their totals are summed again from them). Returns the
    rows written."""
    schools = list(db.session.execute(select(School).order_by(School.id)).scalars())
    written = 0
    for year in years or data_years():
        kept = closed_schools(year)
        db.session.execute(
            delete(TeacherYearRow).where(TeacherYearRow.school_year == year, TeacherYearRow.school_id.not_in(kept))
        )
        if kept:
            _write_type_hours(kept, year, None)
        for i in range(0, len(schools), REBUILD_BATCH):
            batch = [s for s in schools[i : i + REBUILD_BATCH] if s.id not in kept]
            if not batch:
                continue
            rows = built_rows(batch, year)
            if rows:
                db.session.execute(insert(TeacherYearRow), rows)
            _write_type_hours([s.id for s in batch], year, rows)
            written += len(rows)
    return written


def stored_type_hours(year: str | None = None) -> list[tuple]:
    """Every stored type total as comparable values (the rebuild tests compare them)."""
    q = select(SchoolYearTypeHours).order_by(
        SchoolYearTypeHours.school_id, SchoolYearTypeHours.school_year, SchoolYearTypeHours.type_key
    )
    if year is not None:
        q = q.where(SchoolYearTypeHours.school_year == year)
    return [(r.school_id, r.school_year, r.type_key, r.hours) for r in db.session.execute(q).scalars()]


def stored(year: str | None = None) -> list[tuple]:
    """Every stored row as comparable values (the rebuild test compares them)."""
    q = select(TeacherYearRow).order_by(TeacherYearRow.school_id, TeacherYearRow.school_year, TeacherYearRow.user_id)
    if year is not None:
        q = q.where(TeacherYearRow.school_year == year)
    return [
        (r.school_id, r.school_year, r.user_id, r.total_hours, r.by_type, r.absent_hours, r.excused_hours,
         r.exemption_reason, r.status, r.reason)
        for r in db.session.execute(q).scalars()
    ]
