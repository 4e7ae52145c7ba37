"""The district's schools, its dashboard and the school plan give hours as the rest of the API:
JSON numbers in steps of 0.5, exact (``portal.api.openapi``, 1.2.0).

Left by hED (1.1.0: the district submissions): ``GET /api/v1/district/schools``' ``hours``, the
dashboard's ``hours_by_type`` and ``behind_plan`` hours, and the school plan's
``target_hours``, lines' ``hours`` and ``planned_vs_held`` hours were strings (``"9.5"``)."""

from __future__ import annotations

from datetime import datetime

from portal.extensions import db
from portal.policy import Actor
from portal.services import access, dashboard, submissions, tokens
from tests.credits.helpers import credited
from tests.district.conftest import YEAR


def _numbers(*values: object) -> bool:
    return all(type(v) is float for v in values)


def test_the_schools_and_the_dashboard_give_hours_as_numbers(app, world, monkeypatch):
    # a half hour more for t1: S1 credited 4 + 4 + 1.5 hours of lectures
    credited(world.s1, world.staff, "lecture", [(world.staff["t1"], "attendee")], hours="1.5", title="半小时讲座")
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    client = app.test_client()
    head = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}

    schools = {r["school"]: r for r in client.get(f"/api/v1/district/schools?year={YEAR}", headers=head).get_json()}
    assert (schools["S1"]["hours"], schools["S2"]["hours"]) == (9.5, 0)
    assert _numbers(schools["S1"]["hours"], schools["S2"]["hours"]), schools

    monkeypatch.setattr(dashboard, "utcnow", lambda: datetime(2026, 12, 1, 2, 0))
    body = client.get(f"/api/v1/district/dashboard?year={YEAR}", headers=head).get_json()
    assert body["hours_by_type"] == {"lecture": 9.5} and _numbers(*body["hours_by_type"].values()), body


def test_the_school_plan_gives_hours_as_numbers(app, world):
    client = app.test_client()
    admin = {"Authorization": f"Bearer {tokens.issue(world.staff['admin']).token}", "X-School": "S1"}
    body = {"year": YEAR, "aims": "目标", "target_hours": 50.5,
            "lines": [{"type": "lecture", "month": 10, "title": "讲座", "hours": 1.5},
                      {"type": "lecture", "month": 10, "title": "再一次讲座", "hours": 2}]}
    answers = [client.put("/api/v1/school-plan", json=body, headers=admin).get_json(),
               client.get(f"/api/v1/school-plan?year={YEAR}", headers=admin).get_json(),
               client.post("/api/v1/school-plan/submit", json={"year": YEAR}, headers=admin).get_json()]
    rev = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    answers.append(client.post(f"/api/v1/school-plans/{answers[0]['id']}/decision", json={"decision": "accept"},
                               headers=rev).get_json())
    for plan in answers:
        assert plan["target_hours"] == 50.5 and [ln["hours"] for ln in plan["lines"]] == [1.5, 2], plan
        # October: the two lines planned (3.5 hours), the world's lectures held (4 + 2 hours)
        (cell,) = plan["planned_vs_held"]
        assert (cell["planned_hours"], cell["held_hours"]) == (3.5, 6), plan
        assert _numbers(plan["target_hours"], *[ln["hours"] for ln in plan["lines"]],
                        cell["planned_hours"], cell["held_hours"]), plan
