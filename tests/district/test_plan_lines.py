"""Activities planned from a line of the school's annual plan: the page's "plan from this line"
opens the planning form filled from the line; the activity records its line, and the planned
against held grid counts it in the line's cell (even when held in another month). The API takes
``plan_line_id`` (another school's line: 404)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.models import Activity
from portal.services import school_plans, tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.district.test_school_plans import LINES, _admin
from tests.support import factories as f


@pytest.fixture
def plan(world):
    plan = school_plans.save_plan(world.s1, YEAR, "目标", "50", LINES, by=_admin(world))
    db.session.commit()
    return plan


def _line(plan, title: str):
    return next(ln for ln in school_plans.lines_of(plan.id) if ln.title == title)


def _plan_from(world, line_id, type_key="lecture", start=datetime(2026, 11, 25, 14, 0)):
    from portal.services import activities

    return activities.plan_activity(world.s1, world.staff["organizer"], type_key, "按计划", start,
                                    start.replace(hour=16), "2", [], {"topic": "作业"}, plan_line_id=line_id)


def test_an_activity_from_a_line_counts_in_the_lines_cell(world, plan):
    octo = _line(plan, "专题讲座：作业设计")  # planned for October
    before = school_plans.planned_vs_held(plan)
    act = _plan_from(world, octo.id)  # held in November
    assert act.plan_line_id == octo.id
    f.fire(act, world.staff["organizer"], "hold")
    db.session.commit()
    grid = school_plans.planned_vs_held(plan)
    assert grid[("lecture", 10)].held == before[("lecture", 10)].held + 1
    assert grid[("lecture", 11)].held == before[("lecture", 11)].held == 0
    assert school_plans.activities_per_line(plan.id) == {octo.id: 1}
    # rewriting the plan keeps a line that stays (same type, month, title) and its link
    school_plans.save_plan(world.s1, YEAR, "目标", "50", [LINES[0], LINES[2]], by=_admin(world))
    db.session.commit()
    assert _line(plan, "专题讲座：作业设计").id == octo.id
    # a line dropped leaves its activities unlinked (not deleted)
    school_plans.save_plan(world.s1, YEAR, "目标", "50", LINES[2:], by=_admin(world))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Activity, act.id).plan_line_id is None


def test_bad_lines_are_refused_and_plan_nothing(world, plan):
    count = db.session.execute(select(Activity.id)).all()
    with pytest.raises(NotFound):
        _plan_from(world, 999_999)
    with pytest.raises(NotFound):
        _plan_from(world, "12")  # not an id
    other = school_plans.save_plan(world.t1, YEAR, "", "50", LINES, by=_admin_of(world))
    with pytest.raises(NotFound):  # another school's line
        _plan_from(world, school_plans.lines_of(other.id)[0].id)
    with pytest.raises(Invalid) as info:  # an observation line for a lecture
        _plan_from(world, _line(plan, "观摩课").id)
    assert info.value.fields["plan_line_id"].code == "school_plan.line_type"
    with pytest.raises(Invalid) as info:  # a date in another school year
        _plan_from(world, _line(plan, "专题讲座：家校沟通").id, start=datetime(2027, 10, 3, 14, 0))
    assert info.value.fields["starts_at"].code == "school_plan.line_year"
    said = info.value.fields["starts_at"].render("zh_Hans_CN")  # the plan's year in words, as data nowhere
    assert said == "这一项计划属于2026—2027学年：请选择该学年内的日期", said
    db.session.rollback()
    assert db.session.execute(select(Activity.id)).all() == count


def _admin_of(world):
    from portal.services import access, users

    return access.actor(users.by_username("tadm").id, world.t1.id)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pages_plan_from_a_line(app, world, plan, lang):
    client = login(app.test_client(), world.staff["admin"], world.s1)
    client.get(f"/lang/{lang}")
    line = _line(plan, "专题讲座：家校沟通")
    page = client.get(f"/school-plan?year={YEAR}").get_data(as_text=True)  # a draft
    assert f'data-testid="plan-from-line-{line.id}"' in page
    assert ("按此计划安排活动" if lang == "zh" else "Plan an activity from this line") in page
    form = client.get(f"/activities/new/lecture?plan_line={line.id}")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and 'data-testid="from-plan-line"' in html
    assert 'value="专题讲座：家校沟通"' in html and 'value="2026-11-15 14:00"' in html and 'value="2"' in html
    assert client.get(f"/activities/new/observation?plan_line={line.id}").status_code == 404  # not its type
    assert client.get("/activities/new/lecture?plan_line=999999").status_code == 404
    r = client.post("/activities/new/lecture", data={
        "plan_line_id": str(line.id), "title": line.title, "starts_at": "2026-11-15 14:00",
        "ends_at": "2026-11-15 16:00", "hours": "2", "details-topic": "家校沟通"})
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:2000]
    act = db.session.execute(select(Activity).where(Activity.plan_line_id == line.id)).scalar_one()
    assert act.type_key == "lecture"
    page = client.get(f"/school-plan?year={YEAR}").get_data(as_text=True)
    assert f'data-testid="line-{line.id}"' in page


def test_the_api_takes_a_plan_line(app, world, plan):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens.issue(world.staff['admin']).token}", "X-School": "S1"}
    got = client.get(f"/api/v1/school-plan?year={YEAR}", headers=headers).get_json()
    line = next(ln for ln in got["lines"] if ln["title"] == "专题讲座：家校沟通")
    body = {"type": "lecture", "title": "按计划", "starts_at": "2026-11-20T14:00", "ends_at": "2026-11-20T16:00",
            "hours": 2, "details": {"topic": "家校沟通"}, "plan_line_id": line["id"]}
    r = client.post("/api/v1/activities", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["plan_line_id"] == line["id"]
    got = client.get(f"/api/v1/school-plan?year={YEAR}", headers=headers).get_json()
    assert next(ln for ln in got["lines"] if ln["id"] == line["id"])["activities"] == 1
    assert client.post("/api/v1/activities", json={**body, "plan_line_id": 999_999}, headers=headers).status_code == 404
    assert client.post("/api/v1/activities", json={**body, "plan_line_id": "x"}, headers=headers).status_code == 422
    r = client.post("/api/v1/activities", json={**body, "type": "observation"}, headers=headers)
    assert r.status_code in (404, 422)
