"""Two districts: D1 with schools S1 (credited hours) and S2, D2 with school T1; district staff of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from portal.extensions import db
from portal.models import Activity, District, School, User
from portal.policy import Actor
from portal.services import access, districts, submissions
from tests.credits.helpers import credited
from tests.support import factories as f
from tests.support.prepared import prepared_by

BUILTIN = ("lecture", "observation", "mentorship", "research", "school_visit")
YEAR = "2026-2027"


@dataclass
class World:
    d1: District
    d2: District
    s1: School
    s2: School
    t1: School
    staff: dict[str, User]
    reviewer1: User  # district reviewer of D1
    admin1: User  # district admin of D1
    reviewer2: User  # district reviewer of D2
    act: Activity  # credited lecture of S1
    held: Activity  # a held lecture of S1 (attendance recorded, not reviewed)


def _build_world() -> dict[str, Any]:
    """The two districts, their schools and staff, a credited and a held lecture of S1 (built
    once per test process; each test gets a copy): their ids."""
    d1 = districts.create_district("D1", "第一区")
    d2 = districts.create_district("D2", "第二区", {"required_hours": 60})
    s1 = districts.move_school(f.school("S1", types=BUILTIN), d1)
    s2 = districts.move_school(f.school("S2", types=BUILTIN), d1)
    t1 = districts.move_school(f.school("T1", types=BUILTIN), d2)
    staff = f.staff(s1)
    f.staff(t1, prefix="t")
    from portal.services import users

    reviewer1 = users.create_user("rev.d1", f.PASSWORD, "区审核一", None, ["district_reviewer"], district_id=d1.id)
    admin1 = users.create_user("adm.d1", f.PASSWORD, "区管理一", None, ["district_admin"], district_id=d1.id)
    reviewer2 = users.create_user("rev.d2", f.PASSWORD, "区审核二", None, ["district_reviewer"], district_id=d2.id)
    people = [(staff["t1"], "attendee"), (staff["t2"], "attendee")]
    act = credited(s1, staff, "lecture", people, hours="4")
    held = credited(s1, staff, "lecture", [(staff["t3"], "attendee")], hours="2", until="held", title="待审活动")
    return {"d1": d1.id, "d2": d2.id, "s1": s1.id, "s2": s2.id, "t1": t1.id,
            "staff": f.ids(staff), "reviewer1": reviewer1.id, "admin1": admin1.id,
            "reviewer2": reviewer2.id, "act": act.id, "held": held.id}


prepared = prepared_by(_build_world)


@pytest.fixture
def world(app, make_app, prepared) -> World:
    ids = make_app.facts(prepared)
    get = db.session.get
    return World(get(District, ids["d1"]), get(District, ids["d2"]), get(School, ids["s1"]), get(School, ids["s2"]),
                 get(School, ids["t1"]), f.people_of(ids["staff"]),
                 get(User, ids["reviewer1"]), get(User, ids["admin1"]), get(User, ids["reviewer2"]),
                 get(Activity, ids["act"]), get(Activity, ids["held"]))


@pytest.fixture
def by_semester(world, time_machine) -> World:
    """S1's district collects semesters; it is July, both semesters have begun."""
    time_machine.move_to(datetime(2027, 7, 5, 2, 0, tzinfo=UTC))
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    db.session.commit()
    return world


def submit_semester(world: World, semester: int):
    """S1's admin sends the semester (committed)."""
    sub = submissions.submit(world.s1, YEAR, semester, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    return sub


def first_accepted_second_returned(world: World, comment: str) -> None:
    """S1 sends both semesters; the district accepts the first and returns the second with
    ``comment`` (committed)."""
    reviewer = Actor.of(world.reviewer1.id, ["district_reviewer"])
    submissions.decide(submit_semester(world, 1).id, True, by=reviewer, district_id=world.d1.id)
    submissions.decide(submit_semester(world, 2).id, False, comment, by=reviewer, district_id=world.d1.id)
    db.session.commit()
