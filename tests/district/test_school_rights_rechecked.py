"""A school admin's write to the district asks the admin's right again inside its transaction
(``access.require_still``, the rule the district's own writes and the staff page ask).

The right was read once, before the write: admin B opens the year page, admin A takes B's
role at the same moment, and B's submission still froze every teacher's figures and sent the
year to the district; B's school plan was still written and sent. Each test reads B as a
request does, takes the role, then lets B write: refused with the policy's message, nothing
changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import School, SchoolPlan, YearSubmission
from portal.policy import Actor
from portal.services import access, credits, school_plans, staff, staff_log, submissions
from tests.district.conftest import YEAR
from tests.support import factories as f
from tests.support.at_once import meanwhile, side_by_side

LINES = [{"type": "lecture", "month": 10, "title": "专题讲座", "hours": "4", "responsible": "教科室"}]


def _read_then_taken(world) -> tuple[Actor, Actor]:
    """S1's admin A and a second admin B as a request read them, then B's role taken by A."""
    b = f.person(world.s1, "s1.adm2", "school_admin", "teacher")
    as_a, as_b = access.actor(world.staff["admin"].id, world.s1.id), access.actor(b.id, world.s1.id)
    staff.set_roles(world.s1, b.id, ["teacher"], by=as_a)
    return as_a, as_b


def test_an_admin_whose_role_was_taken_submits_no_year(world):
    as_a, as_b = _read_then_taken(world)
    with pytest.raises(Forbidden) as refused:
        submissions.submit(world.s1, YEAR, by=as_b)
    assert refused.value.msg.code == "policy.submit_admin_only"
    db.session.expire_all()
    assert db.session.execute(select(YearSubmission.id)).first() is None
    assert submissions.submit(world.s1, YEAR, by=as_a).status == "submitted"  # the admin who still is one


def test_an_admin_whose_role_was_taken_writes_and_sends_no_school_plan(world):
    as_a, as_b = _read_then_taken(world)
    with pytest.raises(Forbidden) as refused:
        school_plans.save_plan(world.s1, YEAR, "目标", "50", LINES, by=as_b)
    assert refused.value.msg.code == "policy.submit_admin_only"
    db.session.expire_all()
    assert db.session.execute(select(SchoolPlan.id)).first() is None
    plan = school_plans.save_plan(world.s1, YEAR, "目标", "50", LINES, by=as_a)
    with pytest.raises(Forbidden):
        school_plans.submit_plan(world.s1, YEAR, by=as_b)
    db.session.expire_all()
    assert school_plans.get_plan(world.s1.id, YEAR).status == "draft"
    assert school_plans.submit_plan(world.s1, YEAR, by=as_a).id == plan.id



@pytest.mark.parametrize("taken", ["the submitter's", "another admin's"])
def test_a_role_taken_while_the_submission_waits_for_it(app, world, monkeypatch, taken):
    """Really at once (the race is PostgreSQL's): admin A's change of roles holds the admins'
    memberships while B's submission reaches its re-check. B's snapshot was taken before A's
    commit, so its lock met a changed row and failed (a server error, nothing written); it is
    tried once more on a snapshot that sees A's change: refused with the policy's message when
    B's own role was taken, done when another admin's was."""
    b = f.person(world.s1, "s1.adm2", "school_admin", "teacher")
    c = f.person(world.s1, "s1.adm3", "school_admin", "teacher")
    as_a, as_b = access.actor(world.staff["admin"].id, world.s1.id), access.actor(b.id, world.s1.id)
    school_id, b_id, gone = world.s1.id, b.id, (b if taken == "the submitter's" else c).id
    db.session.commit()
    db.session.remove()
    meanwhile(monkeypatch, (staff_log, "record"), (credits, "parse_year"))  # B comes while A holds the lock

    def take() -> None:
        staff.deactivate(db.session.get_one(School, school_id), gone, by=as_a)

    def submit() -> None:
        submissions.submit(db.session.get_one(School, school_id), YEAR, by=as_b)

    outcome = side_by_side(app, take, submit)
    monkeypatch.undo()
    submitted = db.session.execute(select(YearSubmission.submitted_by)).scalars().all()
    if taken == "the submitter's":
        assert outcome == ["done", "policy.submit_admin_only"] and submitted == []
    else:
        assert outcome == ["done", "done"] and submitted == [b_id]
