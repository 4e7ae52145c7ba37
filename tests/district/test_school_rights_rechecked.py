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
from portal.models import SchoolPlan, YearSubmission
from portal.policy import Actor
from portal.services import access, school_plans, staff, submissions
from tests.district.conftest import YEAR
from tests.support import factories as f

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
