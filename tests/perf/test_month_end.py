"""The month's end job (``teacher_years.month_end``): a bounded number of statements for each
school whose stored rows a month's end made stale, two to find them whatever the number of
schools; after it the district's counts read the stored rows again (one GROUP BY) instead of
computing those schools with the builder."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from portal.database import is_sqlite
from portal.extensions import db
from portal.models import School, YearLock, YearSubmission
from portal.policy import SYSTEM
from portal.services import credits, schools, teacher_years, users
from portal.timeutil import parse_iso
from tests.perf.conftest import QueryCounter

YEAR = "2026-2027"
MONTHLY = {"reading_notes_per_month": 1, "quotas_decide": True}
#: finding them: the schools, one GROUP BY of the rows of those the clock moves
FIND = 2
#: each stale school year, in a write transaction of its own: the school's row held for the
#: write (PostgreSQL only: FOR KEY SHARE), the year's locks asked, the school
#: read, then :func:`teacher_years.refresh` of every teacher — the builder's six reads (credits,
#: attendance, exemptions, writing, stints, people), one DELETE, one INSERT; the type totals'
#: DELETE and INSERT. The same at 20 teachers as at 200.
EACH = 12


def _at(time_machine, local: str) -> None:
    time_machine.move_to(parse_iso(local, "Asia/Shanghai").replace(tzinfo=UTC), tick=False)


def _counted(queries: QueryCounter) -> int:
    """The statements of the district's counts of every school (read afresh before)."""
    db.session.expire_all()
    subset = schools.all_schools()
    with queries.counting():
        teacher_years.counts_by_school(YEAR, subset)
    return queries.count


def test_the_job_costs_a_fixed_number_of_statements_per_stale_school(app, queries, generated, time_machine):
    codes = generated(schools=5, teachers=20, years=1, seed=41)
    _at(time_machine, "2026-12-20T12:00")
    all_schools = list(db.session.execute(select(School).order_by(School.id)).scalars())
    assert {s.code for s in all_schools} == set(codes)
    # the fourth keeps the seeds' rules (no note asked each month); the fifth asks them, but the
    # district accepted its year: its rows stay as accepted, read as they are
    for s in (*all_schools[:3], all_schools[4]):
        schools.update_rules(s, MONTHLY, by=SYSTEM)
    accepted = all_schools[4]
    admin = users.by_username(f"{accepted.code.lower()}-t001")
    sub = YearSubmission(district_id=accepted.district_id, school_id=accepted.id, school_year=YEAR,
                         status="accepted", submitted_by=admin.id)
    db.session.add(sub)
    db.session.flush()
    db.session.add(YearLock(school_id=accepted.id, school_year=YEAR, submission_id=sub.id, locked_by=admin.id))
    db.session.commit()
    kept = [r for r in teacher_years.stored(YEAR) if r[0] == accepted.id]
    read = _counted(queries)
    assert read == 1, queries.report()  # every school read from its rows
    _at(time_machine, "2027-01-01T00:30")  # December is over in Beijing
    stale = teacher_years.stale_years()
    assert stale == [(s.id, YEAR) for s in all_schools[:3]]
    computing = _counted(queries)
    assert computing > read  # the three computed by the builder, on every view
    db.session.expire_all()
    with queries.counting():
        assert teacher_years.month_end() == 3
    assert queries.count == FIND + 3 * (EACH + (0 if is_sqlite() else 1)), queries.report()
    # no school computed, the accepted one neither: its rows stay older than December's end, so
    # one more statement asks whether the district closed that year (only when some school's
    # rows are that old: a year accepted before its last month asking notes ended)
    assert _counted(queries) == read + 1, queries.report()
    assert "FROM year_lock" in queries.queries[-1] and not any("credit_entry" in q for q in queries.queries)
    assert [r for r in teacher_years.stored(YEAR) if r[0] == accepted.id] == kept
    # and the rows read say what the builder says today
    counts = teacher_years.counts_by_school(YEAR, all_schools)
    for sid, rows in credits.year_rows(all_schools, YEAR).items():
        assert counts[sid][0] == len(rows)
        assert counts[sid][1] == {st: sum(1 for ty in rows if ty.assessment.status == st) for st in counts[sid][1]}
    # a second run: only the finding, nothing written
    db.session.expire_all()
    with queries.counting():
        assert teacher_years.month_end() == 0
    assert queries.count == FIND, queries.report()
