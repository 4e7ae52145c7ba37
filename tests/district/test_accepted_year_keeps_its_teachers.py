"""A past year the district accepted keeps the teachers it was accepted with.

Review: with a year's teachers taken from when they joined the school, a past year accepted
while no teacher-year rows were stored was computed from today's staff, filtered by that rule,
and lost every teacher after the upgrade. Accepting a whole year now writes its rows (what the
school submitted: the acceptance has checked nothing moved), and a locked year's teachers are
its rows, whoever joins later."""

from __future__ import annotations

from portal.extensions import db
from portal.policy import Actor
from portal.services import access, credits, submissions, teacher_years
from tests.credits.helpers import hold_year
from tests.support import factories as f

PAST = "2025-2026"


def test_an_accepted_past_year_keeps_its_teachers_whoever_joins_later(app, world):
    s1, staff = world.s1, world.staff
    assert not [row for row in teacher_years.stored(PAST) if row[0] == s1.id]  # nothing written into the past year
    hold_year(s1, staff["organizer"], PAST)  # nothing that counts: the year is on the school's records
    sub = submissions.submit(s1, PAST, by=access.actor(staff["admin"].id, s1.id))
    submitted = sorted(submissions.teacher_ids(sub))
    assert submitted and staff["t1"].id in submitted
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    stored = sorted(uid for sid, _y, uid, *_ in teacher_years.stored(PAST) if sid == s1.id)
    assert stored == submitted  # written as accepted
    new = f.person(s1, "new", "teacher", name="新来的", since=None)  # joins after the acceptance
    db.session.expire_all()
    listed = sorted(ty.user.id for ty in credits.school_summary(s1, PAST))
    assert listed == submitted and new.id not in listed
    ty = credits.teacher_year(new, s1, PAST)
    assert ty.joined_after_acceptance and not ty.joined_after_year and ty.year_accepted
    t1 = credits.teacher_year(staff["t1"], s1, PAST)
    assert not t1.joined_after_acceptance and not t1.joined_after_year
