"""The district's submissions give hours as the rest of the API does: JSON numbers in steps of
0.5 (the API's description, ``portal.api.openapi``; a teacher's credits, the ledger, the year).

Left by the district walks (hDW, hDZ): ``GET /api/v1/district/submissions`` gave
``total_hours`` as a number but ``by_type``'s hours as strings (``{"lecture": "8"}``, as the
submission stores them), and its document said any value; its teachers' rows too."""

from __future__ import annotations

from portal.services import access, submissions, tokens
from tests.district.conftest import YEAR


def test_a_submissions_hours_are_numbers_in_the_answers_and_the_document(app, world):
    submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    client = app.test_client()
    head = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    listed = client.get("/api/v1/district/submissions", headers=head).get_json()["items"]
    one = client.get(f"/api/v1/district/submissions/{listed[0]['id']}", headers=head).get_json()
    for sub in (listed[0], one):
        # two teachers credited 4 hours of a lecture: numbers, never "8"
        assert (sub["total_hours"], sub["by_type"]) == (8, {"lecture": 8})
        assert all(type(h) is float for h in [sub["total_hours"], *sub["by_type"].values()]), sub

    # and so do its teachers' frozen rows
    row = next(r for r in one["rows"] if r["username"] == "t1")
    assert (row["total"], row["by_type"], row["semester_hours"]) == (4, {"lecture": 4}, {"1": 4})
    assert all(type(h) is float for r in one["rows"] for h in [r["total"], r["required"], *r["by_type"].values(),
                                                               *r["absent"].values(), *r["excused"].values()]), one

    # as a teacher's own credits give them
    teacher = {"Authorization": f"Bearer {tokens.issue(world.staff['t1']).token}", "X-School": "S1"}
    mine = client.get(f"/api/v1/users/{world.staff['t1'].id}/credits?year={YEAR}", headers=teacher).get_json()
    assert type(mine["by_type"]["lecture"]) is type(one["by_type"]["lecture"])

    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Submission"]["properties"]
    assert schema["by_type"]["additionalProperties"]["type"] == "number"
    assert schema["total_hours"]["type"] == "number"
