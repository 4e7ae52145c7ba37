"""A locked year freezes who took part: the services refuse adding, removing or re-roling a
participant and planning an activity in it (``year.locked``), and the database refuses the same
writes and any write of the year's stored teacher-year rows — on SQLite and PostgreSQL alike.
The rows are still kept up while the year is open, and reopen → change → accept again works."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Participation, TeacherYearRow
from portal.policy import Actor
from portal.services import access, activities, submissions, teacher_years
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.district.test_locks import _console, _refused_as_locked
from tests.support import factories as f


def _accept(world):
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    return sub


@pytest.fixture
def locked(world):
    return _accept(world)


def _roster(act_id: int) -> dict[int, str]:
    return dict(db.session.execute(
        select(Participation.user_id, Participation.role).where(Participation.activity_id == act_id)).all())


def test_the_services_refuse_roster_changes(world, locked):
    org, held = world.staff["organizer"], world.held
    before = _roster(held.id)
    _refused_as_locked(lambda: activities.set_participants(held, org, [{"user_id": world.staff["t4"].id}]))
    _refused_as_locked(lambda: activities.set_participants(
        held, org, [{"user_id": world.staff["t3"].id, "role": "speaker"}]))
    _refused_as_locked(lambda: activities.remove_participant(held, org, world.staff["t3"].id))
    assert _roster(held.id) == before


def test_planning_in_a_locked_year_is_refused_with_the_field(world, locked):
    with pytest.raises(Invalid) as info:
        f.plan(world.s1, world.staff["organizer"], "lecture", [(world.staff["t4"], "attendee")], {"topic": "锁定后"},
               start=datetime(2026, 11, 3, 14, 0))
    assert info.value.fields["starts_at"].code == "year.locked"
    db.session.rollback()
    # the year before is open
    f.plan(world.s1, world.staff["organizer"], "lecture", [(world.staff["t4"], "attendee")], {"topic": "上一年"},
           start=datetime(2025, 11, 3, 14, 0))


def test_the_web_page_says_why_next_to_the_action(app, world, locked):
    c = login(app.test_client(), world.staff["organizer"], world.s1)
    page = c.get(f"/activities/{world.held.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'data-testid="year-locked"' in body
    assert "已锁定" in body or "锁定" in body
    assert 'data-testid="attendance-link"' not in body


def test_the_database_refuses_roster_and_teacher_year_writes(app, world, locked):
    t3, t4 = world.staff["t3"].id, world.staff["t4"].id
    rows_before = teacher_years.stored(YEAR)
    assert rows_before  # the year's rows were written before the lock
    engine = _console(app)
    statements = [
        ("INSERT INTO participation (activity_id, user_id, role, absent_hours, excused_hours) "
         "VALUES (:a, :u, 'attendee', 0, 0)", {"a": world.held.id, "u": t4}),
        ("DELETE FROM participation WHERE activity_id = :a AND user_id = :u", {"a": world.held.id, "u": t3}),
        ("UPDATE participation SET role = 'speaker' WHERE activity_id = :a", {"a": world.held.id}),
        ("UPDATE teacher_year SET total_hours = 99 WHERE school_id = :s AND school_year = :y",
         {"s": world.s1.id, "y": YEAR}),
        ("DELETE FROM teacher_year WHERE school_id = :s AND school_year = :y", {"s": world.s1.id, "y": YEAR}),
        ("INSERT INTO teacher_year (school_id, school_year, user_id, total_hours, by_type, absent_hours, "
         "excused_hours, status, reason, updated_at) VALUES (:s, :y, :u, 1, '{}', '{}', '{}', 'short', '', "
         "CURRENT_TIMESTAMP)", {"s": world.s2.id, "y": "2099-2100", "u": t4}),
    ]
    try:
        for sql, params in statements[:5]:
            with pytest.raises(DBAPIError) as info, engine.begin() as conn:
                conn.execute(text(sql), params)
            assert "locked" in str(info.value)
        with engine.begin() as conn:  # a year (and school) nobody locked takes rows as before
            conn.execute(text(statements[5][0]), statements[5][1])
            conn.execute(text("UPDATE teacher_year SET total_hours = 2 WHERE school_year = '2099-2100'"))
            conn.execute(text("DELETE FROM teacher_year WHERE school_year = '2099-2100'"))
    finally:
        engine.dispose()
    db.session.rollback()
    assert teacher_years.stored(YEAR) == rows_before
    assert _roster(world.held.id) == {t3: "attendee"}


def test_a_semester_lock_leaves_the_year_rows_open(app, world):
    """A district that collects semesters locks semester 1: the roster of its activities is
    frozen, the year's rows still move with semester 2."""
    from portal.services import districts

    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    sub = submissions.submit(world.s1, YEAR, 1, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    org = world.staff["organizer"]
    _refused_as_locked(lambda: activities.remove_participant(world.held, org, world.staff["t3"].id))
    act = f.plan(world.s1, org, "lecture", [(world.staff["t4"], "attendee")], {"topic": "第二学期"},
                 start=datetime(2027, 3, 3, 14, 0))
    activities.remove_participant(act, org, world.staff["t4"].id)  # semester 2 is open
    db.session.commit()


def test_rows_are_kept_while_open_and_reopen_change_accept_again(app, world):
    """Open: a credit moves the stored row. Accepted: locked. Reopened: the school changes the
    roster and credits, the rows follow; accepted again: locked again, rows as accepted."""
    org, rev, t3 = world.staff["organizer"], world.staff["reviewer"], world.staff["t3"]

    def stored_total(uid: int):
        return db.session.execute(select(TeacherYearRow.total_hours).where(
            TeacherYearRow.school_id == world.s1.id, TeacherYearRow.school_year == YEAR,
            TeacherYearRow.user_id == uid)).scalar_one()

    first = _accept(world)
    reviewer_d1 = Actor.of(world.admin1.id, ["district_admin"])
    submissions.reopen(first.id, "补录一位教师", by=reviewer_d1, district_id=world.d1.id)
    db.session.commit()
    t4 = world.staff["t4"]
    activities.set_participants(world.held, org, [{"user_id": t4.id, "role": "attendee"}])
    f.attend(world.held, org)
    from tests.credits.helpers import prepare_approve

    prepare_approve(world.held, org, [(t3, "attendee"), (t4, "attendee")])
    f.fire(world.held, rev, "approve", "材料齐全")
    f.fire(world.held, rev, "credit")
    db.session.commit()
    assert stored_total(t4.id) == 2
    second = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(second.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]),
                       district_id=world.d1.id)
    db.session.commit()
    assert second.round == 2 and {r["user_id"]: r["total"] for r in second.rows}[t4.id] == "2"
    with pytest.raises(Invalid) as info:  # locked again
        f.plan(world.s1, org, "lecture", [(t4, "attendee")], {"topic": "再次锁定"}, start=datetime(2026, 11, 3, 14, 0))
    assert info.value.fields["starts_at"].code == "year.locked"
    db.session.rollback()
    assert stored_total(t4.id) == 2


def test_cli_rebuild_keeps_a_locked_year_and_cli_triggers_are_refused(app, world, locked):
    before = teacher_years.stored(YEAR)
    runner = app.test_cli_runner()
    r = runner.invoke(args=["credits", "rebuild-year-rows", "--year", YEAR])
    assert r.exit_code == 0, r.output
    db.session.expire_all()
    assert teacher_years.stored(YEAR) == before
    from tests.credits.helpers import prepare_approve

    prepare_approve(world.held, world.staff["organizer"], [(world.staff["t3"], "attendee")])
    db.session.commit()
    r = runner.invoke(args=["activity", "fire", str(world.held.id), "approve", "--comment", "命令行", "--as", "rev"])
    assert r.exit_code != 0 and "locked" in r.output
    assert db.session.execute(select(func.count()).select_from(Participation).where(
        Participation.activity_id == world.held.id)).scalar_one() == 1


def test_a_signup_list_of_a_locked_year_is_not_confirmed(app, world):
    """The organiser's confirmation adds participants: refused once the year is locked, and the
    activity page says why where the button was."""
    from portal.services import signup
    from portal.timeutil import utcnow
    from tests.year.helpers import closes_in

    org, t4 = world.staff["organizer"], world.staff["t4"]
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    act = f.plan(world.s1, org, "lecture", [], {"topic": "报名"}, start=start)
    signup.open_signup(act, 5, closes_in(2), by=access.actor(org.id, world.s1.id), tz=world.s1.timezone)
    signup.sign_up(act, t4, by=access.actor(t4.id, world.s1.id))
    _accept(world)
    _refused_as_locked(lambda: signup.confirm(act, by=access.actor(org.id, world.s1.id)))
    assert _roster(act.id) == {}
    page = login(app.test_client(), org, world.s1).get(f"/activities/{act.id}").get_data(as_text=True)
    assert 'data-testid="signup-year-locked"' in page and 'data-testid="signup-confirm"' not in page
