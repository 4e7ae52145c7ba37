"""The district's announced deadlines are reminded 7 and 1 days before by the calendar of each
person's school, as the school's own deadlines are (its annual plan's, its teachers' plans'):
they were counted by the deployment's day, so a school west of it got "due in 1 day" two days
before on its own calendar, and no reminder the day before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import Notification, User
from portal.policy import SYSTEM, Actor
from portal.services import announcements, district_notices, schools
from portal.services.districts import move_school
from tests.support import factories as f


def _days(made: list[int]) -> dict[str, int]:
    rows = db.session.execute(select(Notification).where(Notification.id.in_(made))).scalars()
    return {db.session.get_one(User, n.user_id).username: n.params["days"] for n in rows if n.kind == "deadline_due"}


def test_an_announced_deadline_is_counted_by_each_schools_calendar(app, world, monkeypatch):
    ny = move_school(schools.create_school("NY1", "纽约学校", "America/New_York"), world.d1)
    schools.set_type(ny, "lecture", enabled=True, by=SYSTEM)
    f.person(ny, "ny.t", "teacher")
    monkeypatch.setattr(announcements, "utcnow", lambda: datetime(2027, 3, 1, 2, 0))
    announcements.announce(world.d1.id, "研修总结报送", "2027-03-10", "", "all_staff",
                           by=Actor.of(world.admin1.id, ["district_admin"]))
    # 9 March 08:27 in Beijing, 8 March 19:27 in New York
    told = _days(district_notices.remind_deadlines(datetime(2027, 3, 9, 0, 27)))
    assert told["t1"] == 1 and told["ny.t"] == 2
    # 10 March 08:27 in Beijing (the day itself: nothing), 9 March 20:27 in New York: the day before
    told = _days(district_notices.remind_deadlines(datetime(2027, 3, 10, 0, 27)))
    assert told == {"ny.t": 1}


def test_an_announced_deadline_stays_on_a_schools_home_a_week_by_its_calendar(app, world, monkeypatch):
    ny = move_school(schools.create_school("NY1", "纽约学校", "America/New_York"), world.d1)
    monkeypatch.setattr(announcements, "utcnow", lambda: datetime(2027, 3, 1, 2, 0))
    row = announcements.announce(world.d1.id, "研修总结报送", "2027-03-10", "", "all_staff",
                                 by=Actor.of(world.admin1.id, ["district_admin"]))
    # 18 March 00:30 in Beijing (8 days past: gone), 17 March 12:30 in New York (7 days: still shown)
    monkeypatch.setattr(announcements, "utcnow", lambda: datetime(2027, 3, 17, 16, 30))
    db.session.refresh(ny)
    db.session.refresh(world.s1)
    assert [a.id for a in announcements.for_school_member(ny, {"teacher"})] == [row.id]
    assert announcements.for_school_member(world.s1, {"teacher"}) == []


def test_a_reminder_run_reads_the_year_of_its_own_instant(app, world):
    # the jobs counted the days to a deadline from the run's instant but took the year (whose
    # deadline) from the wall clock: a run for another day reminded of the wrong year's deadline
    schools.set_type(world.s1, "lecture", enabled=True, by=SYSTEM)
    # 24 October 2027 09:00 in Beijing: 7 days before the 2027-2028 plans' deadline (31 October)
    made = district_notices.remind_plan_deadline(datetime(2027, 10, 24, 1, 0))
    told = db.session.execute(select(Notification).where(Notification.id.in_(made))).scalars().all()
    assert told and {(n.params["year"], n.params["days"]) for n in told} == {("2027-2028", 7)}
    # 23 June 2027: 7 days before the district's deadline (30 June) for the annual plan of 2027-2028
    made = district_notices.remind_school_plan_deadline(datetime(2027, 6, 23, 1, 0))
    told = db.session.execute(select(Notification).where(Notification.id.in_(made))).scalars().all()
    assert {(n.user_id, n.params["year"], n.params["days"]) for n in told if n.school_id == world.s1.id} \
        == {(world.staff["admin"].id, "2027-2028", 7)}
