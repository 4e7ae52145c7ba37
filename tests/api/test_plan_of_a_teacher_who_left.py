"""The plan of a teacher who has left the school stays the school's record: the list of plans
shows it, the plan page shows it, and so do ``GET /api/v1/plans/{id}`` and the decision's answer.
Before, both answered 404 "user not found" — the decision after it had been saved, so a client
took a sign-off that was made for one that was not."""

from __future__ import annotations

from portal.extensions import db
from portal.services import plans, tokens
from portal.services import staff as staff_service
from portal.timeutil import current_school_year
from tests.support import factories as f
from tests.year.helpers import actor


def test_a_plan_of_a_teacher_who_left_is_read_and_decided_through_the_api(app, client):
    s = f.school("LP")
    people = f.staff(s, "lp")
    t1 = people["t1"]
    year = current_school_year(s.timezone)
    plans.set_deadline(s, year, plans.year_bounds(year)[1].isoformat(), by=actor(people["admin"], s))
    plan_id = plans.save(s, t1, year, "提高课堂提问的有效性。", by=actor(t1, s), submit=True).id
    staff_service.deactivate(s, t1.id, by=actor(people["admin"], s))  # left the school
    api = {"Authorization": f"Bearer {tokens.issue(people['reviewer']).token}", "X-School": "LP"}
    listed = client.get("/api/v1/plans", headers=api)
    assert [p["id"] for p in listed.get_json()] == [plan_id]
    got = client.get(f"/api/v1/plans/{plan_id}", headers=api)
    assert got.status_code == 200, got.get_json()
    assert got.get_json()["user"]["id"] == t1.id and got.get_json()["status"] == "submitted"
    decided = client.post(f"/api/v1/plans/{plan_id}/decision", json={"decision": "approve"}, headers=api)
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["status"] == "approved"
    db.session.expire_all()
    assert plans.get_plan(plan_id, s.id).status == "approved"

