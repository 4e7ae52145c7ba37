"""District roles reach their own district's schools only. A district reviewer of D2 who is also
a teacher at S1, a school of D1 (a teacher seconded to the other district's 教师发展中心, or a
school moved to another district with its staff), is a plain teacher at S1: before, their D2 roles
were added to their roles at S1, and they read every S1 teacher's record, the school's summary
and its 学分认定表 — another district's figures. Their own district's schools they still see as
district staff."""

from __future__ import annotations

from portal.services import access, users
from tests.credits.helpers import login


def test_a_district_reviewer_teaching_in_another_districts_school_is_a_teacher_there(app, world):
    users.add_role(world.reviewer2, world.s1, "teacher")  # D2's reviewer, teaching at S1 (D1)
    page = login(app.test_client(), world.reviewer2)
    other = world.staff["t1"]
    for url in (f"/teachers/{other.id}/record", "/reports/summary", f"/activities/{world.act.id}/certificate"):
        assert page.get(url).status_code in (403, 404), url
    assert page.get(f"/teachers/{world.reviewer2.id}/record").status_code == 200  # their own, as a teacher
    schools, seat = access.schools_and_district_role(world.reviewer2.id)
    assert access.school_in_context(schools, seat, school_id=world.s1.id)[1] == {"teacher"}


def test_a_district_reviewer_teaching_in_their_own_districts_school_keeps_their_district_roles(app, world):
    users.add_role(world.reviewer1, world.s2, "teacher")  # D1's reviewer, teaching at S2 (D1)
    schools, seat = access.schools_and_district_role(world.reviewer1.id)
    assert access.school_in_context(schools, seat, school_id=world.s2.id)[1] == {"teacher", "district_reviewer"}
    page = login(app.test_client(), world.reviewer1)
    assert page.get("/reports/summary").status_code == 200
