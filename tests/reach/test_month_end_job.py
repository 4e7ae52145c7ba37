"""A month's end, on the real worker: in a school that asks reading notes each month and whose
quotas decide the year, the end of a month moves verdicts by the clock alone
(``quotas.month_turned``), and the stored teacher-year rows written before it are no longer the
day's; until something is written there the district's counts compute that school on every
view (``teacher_years.counts_by_school``). The hourly job ``teacher_years.month_end`` rewrites
them through the ledger's own upkeep, so they equal a rebuild from scratch; a school without the
rule and a year the district accepted are left alone, and a second run writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from portal import jobs
from portal.extensions import db
from portal.models import School, TeacherYearRow, User, YearLock, YearSubmission
from portal.policy import SYSTEM
from portal.services import schools, teacher_years, writing
from portal.timeutil import parse_iso
from tests.reach.conftest import periodic_due, queued_config, wait_for
from tests.support import factories as f
from tests.support.queued import waiting_jobs
from tests.support.texts import prose

YEAR = "2026-2027"
ONLY_NOTES = {"quotas_decide": True, "required_hours": 0, "reading_notes_chars": 0, "papers_per_year": 0,
              "reflections_per_semester": 0, "books_per_semester": 0}


def _at(time_machine, local: str) -> None:
    """The clock at ``local``, a time in Beijing (the schools' zone)."""
    time_machine.move_to(parse_iso(local, "Asia/Shanghai").replace(tzinfo=UTC), tick=False)


def _rows(school_id: int) -> dict[int, tuple[str, datetime]]:
    """Each teacher's stored verdict of the year and when it was written."""
    return {r.user_id: (r.status, r.updated_at) for r in db.session.execute(
        select(TeacherYearRow).where(TeacherYearRow.school_id == school_id, TeacherYearRow.school_year == YEAR)
    ).scalars()}


def _school(code: str, per_month: int) -> int:
    s = f.school(code)
    people = f.staff(s, code.lower())
    # a school asking no note a month asks half an hour (a year must ask something: ``asks_nothing``)
    rules = {**ONLY_NOTES, "reading_notes_per_month": per_month, **({} if per_month else {"required_hours": 0.5})}
    schools.update_rules(s, rules, by=SYSTEM)
    writing.add_writing(s, people["t1"], "reading_notes", "《九月》", prose(320, "《九月》"))
    db.session.commit()
    return s.id


def test_the_worker_brings_the_rows_up_to_the_day_after_a_months_end(make_app, tmp_path, time_machine):
    _at(time_machine, "2026-09-10T12:00")
    app = make_app(**queued_config(tmp_path))
    # hourly, at two past: a month ends at each school's own midnight, whatever its zone
    assert periodic_due(app, datetime(2026, 11, 30, 16, 2)) == ["teacher_years.month_end"]
    assert periodic_due(app, datetime(2026, 11, 30, 16, 3)) == []
    with app.app_context():
        monthly, without, accepted = _school("S1", 1), _school("S2", 0), _school("S3", 1)
        school = db.session.get_one(School, accepted)
        admin = f.person(school, "s3adm2", "school_admin")
        sub = YearSubmission(district_id=school.district_id, school_id=accepted, school_year=YEAR,
                             status="accepted", submitted_by=admin.id)
        db.session.add(sub)
        db.session.flush()
        db.session.add(YearLock(school_id=accepted, school_year=YEAR, submission_id=sub.id, locked_by=admin.id))
        db.session.commit()
        assert {st for st, _ in _rows(monthly).values()} == {"met"}  # no month is over
        assert teacher_years.stale_years() == []
    # half an hour into October in Beijing (still 30 September in UTC): September is over
    _at(time_machine, "2026-10-01T00:30")
    with app.app_context():
        before = {sid: _rows(sid) for sid in (monthly, without, accepted)}
        assert teacher_years.stale_years() == [(monthly, YEAR)]  # not S2 (no rule), not S3 (accepted)
        counted = teacher_years.counts_by_school(YEAR, schools.all_schools())
        jobs.enqueue("teacher_years.month_end")
        assert _rows(monthly) == before[monthly]  # queued, not run here
    with jobs.running_worker(app):
        def done() -> bool:
            with app.app_context():
                return not teacher_years.stale_years()

        wait_for(done)
    with app.app_context():
        assert waiting_jobs(jobs.queue(app).huey) == []
        now = parse_iso("2026-10-01T00:30", "Asia/Shanghai")
        after = _rows(monthly)
        # every teacher's row rewritten, at the job's time; only t1 wrote in September
        assert set(after) == set(before[monthly])
        t1 = db.session.execute(select(User.id).where(User.username == "s1t1")).scalar_one()
        assert after[t1][0] == "met"
        assert sorted(st for st, _ in after.values()) == ["met"] + ["short"] * 5
        assert all(at == now for _, at in after.values())
        assert _rows(without) == before[without] and _rows(accepted) == before[accepted]
        # the district reads the rows again, and they say what the builder said from scratch
        assert teacher_years.counts_by_school(YEAR, schools.all_schools()) == counted
        # a second run finds nothing and writes nothing
        assert teacher_years.month_end() == 0
        assert _rows(monthly) == after
        stored = teacher_years.stored(YEAR)
        stored_types = teacher_years.stored_type_hours(YEAR)
        teacher_years.rebuild([YEAR])
        db.session.commit()
        assert teacher_years.stored(YEAR) == stored
        assert teacher_years.stored_type_hours(YEAR) == stored_types
