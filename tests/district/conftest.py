"""Two districts: D1 with schools S1 (credited hours) and S2, D2 with school T1; district staff of each."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal.models import Activity, District, School, User
from portal.services import districts
from tests.credits.helpers import credited
from tests.support import factories as f

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


@pytest.fixture
def world(app) -> World:
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
    return World(d1, d2, s1, s2, t1, staff, reviewer1, admin1, reviewer2, act, held)
