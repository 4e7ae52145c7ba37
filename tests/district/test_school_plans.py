"""The school's annual plan: written, sent to the district by its deadline, returned, sent again,
accepted; then planned against held by type and month."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.models import SchoolPlan
from portal.policy import Actor
from portal.services import access, school_plans
from tests.credits.helpers import login
from tests.district.conftest import YEAR

LINES = [
    {"type": "lecture", "month": 10, "title": "专题讲座：作业设计", "hours": "4", "responsible": "教科室"},
    {"type": "lecture", "month": 11, "title": "专题讲座：家校沟通", "hours": "2", "responsible": "德育处"},
    {"type": "observation", "month": 11, "title": "观摩课", "hours": "3", "responsible": "教研组长"},
]


def _admin(world) -> Actor:
    return access.actor(world.staff["admin"].id, world.s1.id)


def _rev(world, who=None) -> Actor:
    return Actor.of((who or world.reviewer1).id, ["district_reviewer"])


def test_plan_submit_return_resubmit_accept(world):
    plan = school_plans.save_plan(world.s1, YEAR, "提升作业设计能力", "50", LINES, by=_admin(world))
    assert plan.status == "draft" and len(school_plans.lines_of(plan.id)) == 3
    school_plans.submit_plan(world.s1, YEAR, by=_admin(world))
    assert plan.status == "submitted" and plan.late is True  # 2026-06-30 has passed
    with pytest.raises(Conflict):
        school_plans.save_plan(world.s1, YEAR, "改", "50", LINES, by=_admin(world))
    with pytest.raises(Invalid):
        school_plans.decide_plan(plan.id, False, "", by=_rev(world), district_id=world.d1.id)
    with pytest.raises(NotFound):
        school_plans.decide_plan(plan.id, True, by=_rev(world, world.reviewer2), district_id=world.d2.id)
    school_plans.decide_plan(plan.id, False, "请补充师徒结对安排", by=_rev(world), district_id=world.d1.id)
    school_plans.save_plan(world.s1, YEAR, "提升作业设计能力", "50", LINES[:2], by=_admin(world))
    school_plans.submit_plan(world.s1, YEAR, by=_admin(world))
    done = school_plans.decide_plan(plan.id, True, by=_rev(world), district_id=world.d1.id)
    assert done.status == "accepted"


def test_bad_plans_are_refused_and_change_nothing(world):
    with pytest.raises(Forbidden):
        school_plans.save_plan(world.s1, YEAR, "", "50", LINES, by=access.actor(world.staff["t1"].id, world.s1.id))
    with pytest.raises(NotFound):
        school_plans.save_plan(world.s1, YEAR, "", "50", [{"type": "nope", "month": 10, "title": "x", "hours": "1"}],
                        by=_admin(world))
    for bad in ([{"type": "lecture", "month": 13, "title": "x", "hours": "1"}],
                [{"type": "lecture", "month": 10, "title": "", "hours": "1"}],
                [{"type": "lecture", "month": 10, "title": "x", "hours": "1.3"}],
                "not a list"):
        with pytest.raises(Invalid):
            school_plans.save_plan(world.s1, YEAR, "", "50", bad, by=_admin(world))
    with pytest.raises(Invalid):
        school_plans.save_plan(world.s1, YEAR, "", "lots", LINES, by=_admin(world))
    assert db.session.execute(select(SchoolPlan)).first() is None
    school_plans.save_plan(world.s1, YEAR, "", "50", [], by=_admin(world))
    with pytest.raises(Conflict):  # nothing planned
        school_plans.submit_plan(world.s1, YEAR, by=_admin(world))


def test_planned_against_held_by_type_and_month(world):
    plan = school_plans.save_plan(world.s1, YEAR, "", "50", LINES, by=_admin(world))
    grid = school_plans.planned_vs_held(plan)
    # the world's two lectures started 2026-10-15 (one credited, one held)
    assert grid[("lecture", 10)].planned == 1 and grid[("lecture", 10)].held == 2
    assert grid[("observation", 11)].planned == 1 and grid[("observation", 11)].held == 0


def test_the_plan_pages(app, world):
    school = login(app.test_client(), world.staff["admin"], world.s1)
    data = {"year": YEAR, "aims": "目标", "target_hours": "50", "action": "submit",
            "type-0": "lecture", "month-0": "10", "title-0": "讲座", "hours-0": "3", "responsible-0": "教科室"}
    assert school.post("/school-plan", data={**data, "hours-0": "x"}).status_code == 422
    assert school.post("/school-plan", data=data).status_code == 303
    page = school.get(f"/school-plan?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="school-plan-grid"' in page and 'data-testid="school-plan-form"' not in page
    reviewer = login(app.test_client(), world.reviewer1)
    listing = reviewer.get(f"/district/plans?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="school-plan-row-S1"' in listing and "school-plan-row-T1" not in listing
    plan_id = db.session.execute(select(SchoolPlan.id)).scalar_one()
    reviewer.post(f"/district/plans/{plan_id}", data={"decision": "accept"})
    db.session.expire_all()
    assert db.session.get(SchoolPlan, plan_id).status == "accepted"
    other = login(app.test_client(), world.reviewer2)
    assert other.get(f"/district/plans/{plan_id}").status_code == 404


def test_the_plan_through_the_api(app, world):
    from portal.services import tokens

    client = app.test_client()
    admin = {"Authorization": f"Bearer {tokens.issue(world.staff['admin']).token}", "X-School": "S1"}
    rev = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    body = {"year": YEAR, "aims": "目标", "target_hours": 50,
            "lines": [{"type": "lecture", "month": 10, "title": "讲座", "hours": 3}]}
    assert client.put("/api/v1/school-plan", json={**body, "lines": [{"type": "lecture"}]}, headers=admin).status_code == 422
    plan = client.put("/api/v1/school-plan", json=body, headers=admin).get_json()
    assert plan["status"] == "draft" and plan["planned_vs_held"][0]["held"] == 2
    assert client.post("/api/v1/school-plan/submit", json={"year": YEAR}, headers=admin).get_json()["status"] == "submitted"
    r = client.post(f"/api/v1/school-plans/{plan['id']}/decision", json={"decision": "return", "comment": "补充"},
                    headers=rev)
    assert r.get_json()["status"] == "returned"
    other = {"Authorization": f"Bearer {tokens.issue(world.reviewer2).token}"}
    r = client.post(f"/api/v1/school-plans/{plan['id']}/decision", json={"decision": "accept"}, headers=other)
    assert r.status_code == 404


def test_the_plan_names_its_months(app, world):
    """The 月份 column, the list to plan from and the month grid showed 10, 11 with no 月: a month
    is named as the reader's language names it (10月, Oct), its value in the form stays the number."""
    school = login(app.test_client(), world.staff["admin"], world.s1)
    school_plans.save_plan(world.s1, YEAR, "", "50", LINES, by=_admin(world))
    db.session.commit()
    zh = school.get(f"/school-plan?year={YEAR}&lang=zh").get_data(as_text=True)
    grid = zh.split('data-testid="school-plan-grid"')[1].split("</thead>")[0]
    assert '<th class="text-center">10月</th>' in grid and '<th class="text-center">10</th>' not in grid
    assert '<option value="10" selected>10月</option>' in zh
    en = school.get(f"/school-plan?year={YEAR}&lang=en").get_data(as_text=True)
    assert '<th class="text-center">Oct</th>' in en and '<option value="11" selected>Nov</option>' in en
