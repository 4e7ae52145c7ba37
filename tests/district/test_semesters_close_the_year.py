"""A district that collects semesters closes a school's year by accepting both: from then on the
year keeps the teachers and the rules it was closed with, as a year accepted whole does
(``locks.closed_clause``; the shared cases are ``test_locks``'s ``closed`` fixture).

Audit: after both semesters were accepted, the school lowered its required hours for the coming
year and every live page turned a short teacher of the closed year to "met", while the rounds the
district accepted said "short"; a teacher who joined in August appeared on the closed year, short
with 0 h. What is particular to semesters is tested here: which acceptance's rules the closed year
keeps, one semester leaving the year open, and the database's own refusal."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.policy import Actor
from portal.services import access, credits, districts, schools, submissions, teacher_years
from tests.district.conftest import YEAR, submit_semester


def _accept(world, sub):
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    return sub


def _reopen(world, sub):
    submissions.reopen(sub.id, "更正请假记录", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()


def _require(world, hours: int) -> None:
    schools.update_rules(world.s1, {"required_hours": hours}, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()


def _t1(world) -> tuple[Decimal, str, str]:
    """t1's required hours and status on the summary, and as the district counts it (stored rows)."""
    row = next(ty for ty in credits.school_summary(world.s1, YEAR) if ty.user.id == world.staff["t1"].id)
    stored = {r[2]: r[8] for r in teacher_years.stored(YEAR) if r[0] == world.s1.id}
    return row.facts.required_hours, row.assessment.status, stored[world.staff["t1"].id]


def test_one_semester_accepted_leaves_the_year_to_todays_rules(app, by_semester):
    world = by_semester
    _accept(world, submit_semester(world, 1))
    assert _t1(world) == (Decimal("50"), "short", "short")  # 4 h credited
    _require(world, 4)
    assert _t1(world) == (Decimal("4"), "met", "met")


def test_the_closing_acceptance_judges_the_year_by_its_own_round(app, by_semester):
    """The school lowered its requirement after submitting semester 2 and before the district
    accepted it (a semester's round is compared by its own figures, not the rules): the year is
    closed by the rules that round was submitted with, on the pages and in the stored rows the
    district counts alike."""
    world = by_semester
    _accept(world, submit_semester(world, 1))
    second = submit_semester(world, 2)
    _require(world, 4)
    _accept(world, second)
    assert _t1(world) == (Decimal("50"), "short", "short")
    assert teacher_years.counts_by_school(YEAR, [world.s1])[world.s1.id][1]["met"] == 0


def test_a_semester_accepted_again_closes_the_year_by_its_new_round(app, by_semester):
    """The later of the two acceptances decides: semester 1 reopened, the requirement lowered,
    semester 1 submitted and accepted again — the year is closed by that round's rules, and a
    rule changed after that moves the years to come only."""
    world = by_semester
    first = _accept(world, submit_semester(world, 1))
    _accept(world, submit_semester(world, 2))
    _reopen(world, first)
    _require(world, 4)
    assert _t1(world) == (Decimal("4"), "met", "met")  # open again: today's rules
    _accept(world, submit_semester(world, 1))
    _require(world, 60)
    assert _t1(world) == (Decimal("4"), "met", "met")
    assert credits.teacher_year(world.staff["t1"], world.s1, YEAR).facts.required_hours == Decimal("4")
    assert credits.teacher_year(world.staff["t1"], world.s1, "2027-2028").facts.required_hours == Decimal("60")


def _console(app):
    """Another connection to the same database, as a console or script would have."""
    return create_engine(app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql://", "postgresql+psycopg://"))


def test_the_database_refuses_writing_the_rows_of_a_year_both_semesters_closed(app, by_semester):
    """Migration ``c2f6a8e4d1b9``: the stored rows of a closed year are refused to any writer
    (insert, update, delete), on SQLite and PostgreSQL alike; one semester leaves them open."""
    world = by_semester
    t1 = world.staff["t1"].id
    params = {"s": world.s1.id, "y": YEAR, "u": t1}
    update = "UPDATE teacher_year SET status = 'met' WHERE school_id = :s AND school_year = :y AND user_id = :u"
    statements = (
        update,
        "DELETE FROM teacher_year WHERE school_id = :s AND school_year = :y AND user_id = :u",
        "INSERT INTO teacher_year (school_id, school_year, user_id, total_hours, by_type, absent_hours, "
        "excused_hours, status, reason, updated_at) SELECT school_id, school_year, :other, total_hours, by_type, "
        "absent_hours, excused_hours, status, reason, updated_at FROM teacher_year "
        "WHERE school_id = :s AND school_year = :y AND user_id = :u",
    )
    _accept(world, submit_semester(world, 1))
    engine = _console(app)
    try:
        with engine.begin() as conn:  # one semester: the year is open, its rows move
            assert conn.execute(text(update.replace("'met'", "status")), params).rowcount == 1
        _accept(world, submit_semester(world, 2))
        before = teacher_years.stored(YEAR)
        for sql in statements:
            with pytest.raises(DBAPIError) as info, engine.begin() as conn:
                conn.execute(text(sql), {**params, "other": world.reviewer1.id})
            assert "locked" in str(info.value)
    finally:
        engine.dispose()
    db.session.expire_all()
    assert teacher_years.stored(YEAR) == before


def _collect(world, period: str) -> None:
    """The district switches between collecting whole years and semesters."""
    districts.update_settings(world.d1, {"submission_period": period},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    db.session.commit()


def _refused(code: str, call) -> None:
    from portal.errors import Conflict

    with pytest.raises(Conflict) as info:
        call()
    db.session.rollback()
    assert info.value.msg.code == code


def test_reopening_a_semester_of_a_year_still_accepted_whole_keeps_it_closed(app, by_semester):
    """Attack: semester 1 accepted, the district switches to whole years and accepts the year
    whole (the two locks coexist). Reopening semester 1 then failed with a database error (it
    rewrote the rows of a year the whole year's lock still closes, refused by the triggers).
    The year stays closed by the whole year's acceptance: its rows and rules stay as accepted."""
    world = by_semester
    first = _accept(world, submit_semester(world, 1))
    _collect(world, "year")
    _accept(world, submit_semester(world, 0))
    _require(world, 4)
    before = teacher_years.stored(YEAR)
    _reopen(world, first)
    assert _t1(world) == (Decimal("50"), "short", "short")
    assert teacher_years.stored(YEAR) == before


def test_a_year_closed_by_its_semesters_is_not_submitted_again_whole(app, by_semester):
    """Attack: both semesters accepted (t1 short of 50 h), the school lowers its requirement to
    4 h, the district switches to whole years and the school submits the closed year whole: the
    district accepted it and the year took that round's rules — every page said t1 met while the
    stored rows the district counts said short. A closed year has nothing left to submit, nor to
    accept (a whole year's round sent before the second semester closed it)."""
    world = by_semester
    _accept(world, submit_semester(world, 1))
    second = submit_semester(world, 2)
    _collect(world, "year")
    whole = submit_semester(world, 0)  # sent while the year was still open
    _collect(world, "semester")
    _accept(world, second)
    _require(world, 4)
    _collect(world, "year")
    reviewer = Actor.of(world.reviewer1.id, ["district_reviewer"])
    _refused("submission.already_accepted", lambda: submissions.decide(
        whole.id, True, by=reviewer, district_id=world.d1.id))
    assert db.session.get(type(whole), whole.id).status == submissions.SUBMITTED
    submissions.decide(whole.id, False, "学年已由两个学期验收", by=reviewer, district_id=world.d1.id)
    db.session.commit()
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    _refused("submission.already_accepted", lambda: submissions.submit(world.s1, YEAR, 0, by=admin))
    assert _t1(world) == (Decimal("50"), "short", "short")


def test_the_closing_semester_is_refused_when_the_years_teachers_changed_since_it_was_sent(app, by_semester):
    """Attack: semester 2 submitted (6 teachers), then a teacher joins and t3 (nothing in that
    semester) leaves; the district accepted it — its own round lists t3 and not the newcomer, the
    closed year (its stored rows, the summary, the district's counts) the other way round. The
    acceptance that closes the year freezes its teachers: it is refused when they changed since
    the round was sent (as a whole year's is), and the school submits again."""
    from portal.services import staff as staff_service
    from tests.support import factories as f

    world = by_semester
    _accept(world, submit_semester(world, 1))
    second = submit_semester(world, 2)
    f.person(world.s1, "newbie", "teacher", name="新来")
    staff_service.deactivate(world.s1, world.staff["t3"].id, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    _refused("submission.changed", lambda: _accept(world, second))
    submissions.decide(second.id, False, "教师名单有变", by=Actor.of(world.reviewer1.id, ["district_reviewer"]),
                       district_id=world.d1.id)
    db.session.commit()
    again = _accept(world, submit_semester(world, 2))
    names = {ty.user.username for ty in credits.school_summary(world.s1, YEAR)}
    assert names == {row["username"] for row in again.rows} and "newbie" in names and "t3" not in names
    assert len([r for r in teacher_years.stored(YEAR) if r[0] == world.s1.id]) == again.teachers == len(names)


def test_the_districts_accepted_figures_are_those_of_the_round_that_closed_the_year(app, by_semester):
    """Semester 2 sent (50 h required), the requirement lowered to 4 h, semester 1 sent and
    accepted, then semester 2 accepted: the year is closed by semester 2's round (t1 short, on
    every page and in the district's counts), but the district's dashboard shares and its export
    of accepted figures read the latest round sent — semester 1's, t1 met at 4 of 4, 2 met.
    They read the round whose acceptance closed the year (``locks.closes_year``)."""
    from portal.reports import district_exports
    from portal.services import dashboard, overview

    world = by_semester
    second = submit_semester(world, 2)
    _require(world, 4)
    _accept(world, submit_semester(world, 1))
    _accept(world, second)
    assert _t1(world) == (Decimal("50"), "short", "short")
    counted = next(r for r in overview.district_overview(YEAR, district_id=world.d1.id) if r.school.id == world.s1.id)
    assert counted.met == 0
    share = next(s for s in dashboard.dashboard(world.d1.id, YEAR).schools if s.school.id == world.s1.id)
    assert share.submission is not None and share.submission.id == second.id and dict(share.shares)["met"] == 0
    rows = list(district_exports.teacher_rows(world.d1.id, YEAR))
    t1 = dict(zip(rows[0], next(r for r in rows if r[0] == "S1" and r[5] == "t1"), strict=True))
    assert (t1["应修学时"], t1["考核结果"]) == (Decimal("50"), "未达标")
    summary = list(district_exports.summary_rows(world.d1.id, YEAR))
    s1 = dict(zip(summary[0], next(r for r in summary if r[0] == "S1"), strict=True))
    assert (s1["达标"], s1["教师人数"]) == (0, counted.teachers)


def test_the_closing_semester_is_refused_when_the_other_semester_moved_since_it_was_sent(app, by_semester):
    """Semester 2 sent while semester 1 was still open; t4 is then credited 2 h in semester 1,
    and semester 1 sent and accepted. Accepting semester 2 closed the year with its round saying
    t4 had 0 h — the district's accepted figures (its round) — while the closed year (pages,
    stored rows, counts) has 2 h. The acceptance that closes the year vouches for the whole
    year as it is frozen: compared by all its figures (by the rules of its own round), it is
    refused, and the school sends semester 2 again."""
    from tests.credits.helpers import credited

    world = by_semester
    t4 = world.staff["t4"]
    second = submit_semester(world, 2)
    credited(world.s1, world.staff, "lecture", [(t4, "attendee")], hours="2", start=datetime(2026, 11, 10, 6, 0),
             title="第一学期补记")
    db.session.commit()
    _accept(world, submit_semester(world, 1))
    _refused("submission.changed", lambda: _accept(world, second))
    submissions.decide(second.id, False, "第一学期有变", by=Actor.of(world.reviewer1.id, ["district_reviewer"]),
                       district_id=world.d1.id)
    db.session.commit()
    again = _accept(world, submit_semester(world, 2))
    frozen = {row["username"]: (Decimal(row["total"]), row["status"]) for row in again.rows}
    summary = {ty.user.username: (ty.facts.total_hours, ty.assessment.status)
               for ty in credits.school_summary(world.s1, YEAR)}
    assert frozen == summary and frozen["t4"][0] == Decimal("2")


def test_the_upgrade_names_each_year_its_semesters_closed_before_it(app, by_semester, capfd):
    """Migration ``c2f6a8e4d1b9`` freezes the stored rows of a year both semesters closed before
    it ran, as they were last judged (no SQL can judge them again): it names each such school
    year in the upgrade's log, for the district to reopen and accept again if a rule changed."""
    from flask_migrate import downgrade, upgrade

    world = by_semester
    _accept(world, submit_semester(world, 1))
    _accept(world, submit_semester(world, 2))
    db.session.remove()
    downgrade(revision="f3a7c1e9d5b2")
    capfd.readouterr()
    upgrade()  # its log goes where migrations/alembic.ini sends it: standard error
    named = [line for line in capfd.readouterr().err.splitlines() if "both semesters accepted, now" in line]
    assert len(named) == 1 and named[0].endswith(
        f"school S1, year {YEAR}: both semesters accepted, now closed with its stored rows as they are; "
        "reopen its later semester and accept it again if a rule changed since"), named
