"""Nobody accepts their own school's annual plan: a district admin or reviewer who works at the
school (its admin wrote and sent the plan) leaves the decision — accept or return — to district
staff from outside the school, on the page and in the service, as for the school's year
(``policy.may_decide_school_plan_of``). Before, the school admin who was also a district admin
(区教师发展中心兼职) sent the plan and accepted it themself."""

from __future__ import annotations

import pytest

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import SchoolPlan, User
from portal.policy import Actor
from portal.services import access, school_plans, staff, users
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.district.test_school_plans import LINES


def _refused(app, world, plan: SchoolPlan, who: User, seat: Actor) -> None:
    """``who``, in their district ``seat``, neither accepts nor returns ``plan`` — in the service
    and on the page, which offers no decision and leaves the plan as it was."""
    for accept, comment in ((True, ""), (False, "退回自己写的计划")):
        with pytest.raises(Forbidden) as err:
            school_plans.decide_plan(plan.id, accept, comment, by=seat, district_id=world.d1.id)
        assert err.value.msg.code == "school_plan.own_school"
        db.session.rollback()
    page = login(app.test_client(), who)
    html = page.get(f"/district/plans/{plan.id}").get_data(as_text=True)
    assert 'data-testid="plan-decide"' not in html and 'data-testid="own-plan-note"' in html
    page.post(f"/district/plans/{plan.id}", data={"decision": "accept"})
    db.session.expire_all()
    assert db.session.get_one(SchoolPlan, plan.id).status == "submitted"


def test_the_district_admin_who_runs_the_school_does_not_accept_its_plan(app, world):
    users.add_role(world.admin1, world.s1, "school_admin")  # D1's district admin, also S1's school admin
    school_plans.save_plan(world.s1, YEAR, "提升作业设计能力", "50", LINES, by=access.actor(world.admin1.id, world.s1.id))
    plan = school_plans.submit_plan(world.s1, YEAR, by=access.actor(world.admin1.id, world.s1.id))
    _refused(app, world, plan, world.admin1, Actor.of(world.admin1.id, ["district_admin"]))
    other = login(app.test_client(), world.reviewer1)  # from outside the school
    assert 'data-testid="plan-decide"' in other.get(f"/district/plans/{plan.id}").get_data(as_text=True)
    done = school_plans.decide_plan(plan.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]),
                                    district_id=world.d1.id)
    assert done.status == "accepted"


def test_an_earlier_writer_of_the_plan_does_not_decide_it_after_leaving_the_school(app, world):
    """The plan's first writer — a district reviewer who was also the school's admin — left the
    school; its own admin rewrote and sent it. Every writer is involved
    (``school_plans.involved``), not only the last one: the reviewer still may not accept or
    return what they wrote. Before, only ``updated_by`` was, and they accepted their own plan."""
    users.add_role(world.reviewer1, world.s1, "school_admin")
    first = access.actor(world.reviewer1.id, world.s1.id)
    school_plans.save_plan(world.s1, YEAR, "提升作业设计能力", "50", LINES, by=first)
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    staff.deactivate(world.s1, world.reviewer1.id, by=admin)  # left the school
    school_plans.save_plan(world.s1, YEAR, "提升作业设计与课堂评价能力", "50", LINES, by=admin)
    plan = school_plans.submit_plan(world.s1, YEAR, by=admin)
    db.session.commit()
    assert plan.updated_by == world.staff["admin"].id  # not the reviewer any more
    assert world.reviewer1.id in school_plans.involved(plan)
    _refused(app, world, plan, world.reviewer1, Actor.of(world.reviewer1.id, ["district_reviewer"]))
    done = school_plans.decide_plan(plan.id, True, by=Actor.of(world.admin1.id, ["district_admin"]),
                                    district_id=world.d1.id)  # from outside the school, never a writer
    assert done.status == "accepted"
