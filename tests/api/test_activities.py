"""Activities through the API: planning, attendance, evidence, transitions, credits, reports,
and every error code, with a small school built by the test factories."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import School
from portal.services import users
from tests.api.conftest import ApiClient, login
from tests.support import factories
from tests.support.factories import PASSWORD
from tests.support.prepared import prepared_by

START, END = "2026-10-15T14:00", "2026-10-15T17:00"


def _build_world() -> dict:
    """School S1 (staff org, rev, adm, t1–t4) and school S2 (staff b-prefixed): their ids."""
    s1, s2 = factories.school("S1"), factories.school("S2")
    staff, other = factories.staff(s1), factories.staff(s2, prefix="b")
    return {"s1": s1.id, "s2": s2.id, "staff": factories.ids(staff), "other": factories.ids(other)}


prepared = prepared_by(_build_world)


@pytest.fixture
def world(client, app, make_app, prepared):
    """School S1 (staff org, rev, adm, t1–t4) and school S2 (staff b-prefixed), with API clients."""
    ids = make_app.facts(prepared)
    s1, s2 = db.session.get(School, ids["s1"]), db.session.get(School, ids["s2"])
    staff, other = factories.people_of(ids["staff"]), factories.people_of(ids["other"])

    class World:
        school, school2, people, people2 = s1, s2, staff, other

        def api(self, key: str) -> ApiClient:
            user = staff.get(key) or other[key.removeprefix("b-")]
            return login(client, user.username, PASSWORD)

    return World()


def lecture(world, api: ApiClient | None = None, **overrides) -> dict:
    p = world.people
    body = {
        "type": "lecture",
        "title": "新课标专题讲座",
        "starts_at": START,
        "ends_at": END,
        "hours": 3,
        "location": "报告厅",
        "participants": [
            {"user_id": p["t1"].id, "role": "speaker"},
            {"user_id": p["t2"].id, "role": "attendee"},
            {"user_id": p["t3"].id},
        ],
        "details": {"topic": "单元整体教学"},
        **overrides,
    }
    r = (api or world.api("organizer")).post("/api/v1/activities", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def attendance(world, act_id: int, api: ApiClient | None = None):
    p = world.people
    rows = [
        {"user_id": p["t1"].id, "attended_hours": 3},
        {"user_id": p["t2"].id, "attended_hours": 3, "absent_hours": 0},
        {"user_id": p["t3"].id, "attended_hours": 1.5, "absent_hours": 0.5, "excused_hours": 1},
    ]
    return (api or world.api("organizer")).put(f"/api/v1/activities/{act_id}/attendance", json=rows)


def fire(api: ApiClient, act_id: int, trigger: str, **body):
    return api.post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": trigger, **body})


# -- the whole lifecycle ---------------------------------------------------------------------


def test_lifecycle_through_the_api_alone(world):
    p = world.people
    org, rev, t2 = world.api("organizer"), world.api("reviewer"), world.api("t2")
    act = lecture(world, org)
    assert act["state"] == "planned" and act["hours"] == 3 and act["type"] == "lecture"
    assert act["starts_at"] == "2026-10-15T14:00:00+08:00" and act["school_year"] == "2026-2027"
    assert act["details"]["topic"] == "单元整体教学"
    assert {(x["user_id"], x["role"]) for x in act["participants"]} == {
        (p["t1"].id, "speaker"), (p["t2"].id, "attendee"), (p["t3"].id, "attendee")}
    assert act["allowed_triggers"] == ["hold", "cancel"]
    assert act["attendance"] == {"people": 3, "present": 0, "partly": 0, "absent": 0, "excused": 0, "unrecorded": 3}
    aid = act["id"]

    r = attendance(world, aid, org)
    assert r.status_code == 200
    t3_row = next(x for x in r.get_json()["participants"] if x["user_id"] == p["t3"].id)
    assert (t3_row["attended_hours"], t3_row["absent_hours"], t3_row["excused_hours"]) == (1.5, 0.5, 1)
    # each in one part, as the review queue's card counts them: t3 partly present, partly absent and on leave
    assert r.get_json()["attendance"] == {"people": 3, "present": 2, "partly": 1, "absent": 0, "excused": 0,
                                          "unrecorded": 0}

    r = fire(org, aid, "hold")
    assert r.status_code == 200 and r.get_json()["state"] == "held"

    # evidence: a file from the participant (multipart), a written piece from the organizer (JSON)
    r = t2.post(f"/api/v1/activities/{aid}/evidence", data={
        "kind": "reflection", "title": "听讲反思", "file": (io.BytesIO("听完讲座的体会。".encode()), "reflection.txt")},
        content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    ev = r.get_json()
    assert ev["user_id"] == p["t2"].id and ev["filename"] == "reflection.txt" and ev["size"] > 0
    r = org.post(f"/api/v1/activities/{aid}/evidence",
                 json={"user_id": p["t3"].id, "kind": "reflection", "text": "讲座让我重新思考单元设计。"})
    assert r.status_code == 201 and r.get_json()["char_count"] == len("讲座让我重新思考单元设计")  # 。 is not counted

    # the reviewer approves, adjusting one teacher's hours with a reason
    assert rev.get(f"/api/v1/activities/{aid}").get_json()["allowed_triggers"] == ["approve", "return"]
    r = fire(rev, aid, "approve", comment="t3 late: 1 hour", hours={str(p["t3"].id): 1})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["state"] == "reviewed"
    assert next(x for x in body["participants"] if x["user_id"] == p["t3"].id)["adjusted_hours"] == 1

    r = fire(rev, aid, "credit")
    assert r.status_code == 200 and r.get_json()["state"] == "credited"

    # each teacher's year shows the hours: speaker twice the attended hours, the adjustment kept
    expected = {"t1": 6, "t2": 3, "t3": 1}
    for key, hours in expected.items():
        r = world.api(key).get(f"/api/v1/users/{p[key].id}/credits?year=2026-2027")
        assert r.status_code == 200
        body = r.get_json()
        assert body["total_hours"] == hours and body["by_type"] == {"lecture": hours}
        assert body["required_hours"] == 50 and body["status"] == "in_progress" and body["year"] == "2026-2027"
        assert [e["hours"] for e in body["entries"]] == [hours] and body["entries"][0]["activity_id"] == aid
    t3_year = world.api("t3").get(f"/api/v1/users/{p['t3'].id}/credits?year=2026-2027").get_json()
    assert t3_year["absent_hours"] == {"1": 0.5, "2": 0.0}

    report = rev.get("/api/v1/reports/credits?year=2026-2027").get_json()
    totals = {row["username"]: row["total_hours"] for row in report["teachers"]}
    assert totals["t1"] == 6 and totals["t2"] == 3 and totals["t3"] == 1 and totals["t4"] == 0

    history = rev.get(f"/api/v1/activities/{aid}/history").get_json()
    assert [(h["trigger"], h["from_state"], h["to_state"]) for h in history] == [
        ("attendance.recorded", "planned", "planned"),  # who wrote the hours (activities.record_attendance)
        ("hold", "planned", "held"), ("approve", "held", "reviewed"), ("credit", "reviewed", "credited")]
    assert history[2]["actor"]["id"] == p["reviewer"].id and history[2]["comment"] == "t3 late: 1 hour"

    # revoke writes reversing entries: the totals drop back to zero, the entries stay
    r = fire(rev, aid, "revoke", comment="录入错误")
    assert r.status_code == 200 and r.get_json()["state"] == "reviewed"
    body = world.api("t1").get(f"/api/v1/users/{p['t1'].id}/credits?year=2026-2027").get_json()
    assert body["total_hours"] == 0 and [e["kind"] for e in body["entries"]] == ["credit", "reversal"]

    # return sends it back to held, with the reviewer's comment
    r = fire(rev, aid, "return", comment="请补充材料")
    assert r.status_code == 200 and r.get_json()["state"] == "held"
    assert rev.get(f"/api/v1/activities/{aid}/history").get_json()[-1]["comment"] == "请补充材料"


def test_cancel_path(world):
    org = world.api("organizer")
    aid = lecture(world, org)["id"]
    r = fire(org, aid, "cancel", comment="时间冲突")
    assert r.status_code == 200 and r.get_json()["state"] == "cancelled"
    assert r.get_json()["allowed_triggers"] == []


# -- transition errors ------------------------------------------------------------------------


def test_illegal_trigger_is_409_with_allowed_whoever_sends_it(world):
    aid = lecture(world)["id"]
    for who in ("t4", "reviewer", "organizer"):
        r = fire(world.api(who), aid, "credit")
        assert r.status_code == 409, who
        body = r.get_json()
        assert body["error"] == "illegal_transition" and body["allowed"] == ["hold", "cancel"]
    # another school's staff cannot even learn that it exists
    r = fire(world.api("b-organizer"), aid, "credit")
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"


def test_legal_trigger_without_the_role_is_403(world):
    aid = lecture(world)["id"]
    r = fire(world.api("t4"), aid, "hold")
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"


def test_guard_failed_is_422_with_missing(world):
    org, rev = world.api("organizer"), world.api("reviewer")
    aid = lecture(world, org)["id"]
    assert fire(org, aid, "hold").status_code == 200
    r = fire(rev, aid, "approve")  # attendance was never recorded
    assert r.status_code == 422
    body = r.get_json()
    assert body["error"] == "guard_failed" and body["missing"]
    assert any("attendance not recorded" in m for m in body["missing"])
    assert rev.get(f"/api/v1/activities/{aid}").get_json()["state"] == "held"


def test_guard_for_required_evidence(world):
    adm, org, rev = world.api("admin"), world.api("organizer"), world.api("reviewer")
    assert adm.put("/api/v1/activity-types/lecture", json={"settings": {"attendee_reflection": True}}).status_code == 200
    aid = lecture(world, org)["id"]
    assert attendance(world, aid, org).status_code == 200
    assert fire(org, aid, "hold").status_code == 200
    r = fire(rev, aid, "approve")
    assert r.status_code == 422 and r.get_json()["error"] == "guard_failed"
    assert any("reflection" in m.lower() for m in r.get_json()["missing"])


def test_transition_input_errors(world):
    org, rev = world.api("organizer"), world.api("reviewer")
    aid = lecture(world, org)["id"]
    r = fire(org, aid, "teleport")
    assert r.status_code == 422 and "trigger" in r.get_json()["fields"]
    r = org.post(f"/api/v1/activities/{aid}/transitions", json={"comment": "x"})
    assert r.status_code == 422 and r.get_json()["fields"] == {"trigger": "required"}
    assert fire(org, aid, "hold").status_code == 200
    r = fire(rev, aid, "return")
    assert r.status_code == 422 and "comment" in r.get_json()["fields"]
    r = fire(rev, aid, "approve", comment="x", hours={"1": "3"})
    assert r.status_code == 422 and "hours.1" in r.get_json()["fields"]
    r = fire(rev, aid, "approve", comment="x", hours={"abc": 3})
    assert r.status_code == 422
    assert rev.get(f"/api/v1/activities/{aid}").get_json()["state"] == "held"


# -- planning --------------------------------------------------------------------------------


def test_plan_checks_details_with_the_types_form(world):
    org = world.api("organizer")
    base = {"type": "lecture", "title": "讲座", "starts_at": START, "ends_at": END, "hours": 2}
    r = org.post("/api/v1/activities", json={**base, "details": {}})
    assert r.status_code == 422 and "topic" in r.get_json()["fields"]["details"]
    r = org.post("/api/v1/activities", json={**base, "details": {"topic": "x", "colour": "red"}})
    assert r.status_code == 422 and r.get_json()["fields"]["details"]["colour"] == ["unknown field"]
    r = org.post("/api/v1/activities", json={**base, "details": {"topic": "x" * 201}})
    assert r.status_code == 422 and "topic" in r.get_json()["fields"]["details"]


def test_plan_input_errors_change_nothing(world):
    org = world.api("organizer")
    base = {"type": "lecture", "title": "讲座", "starts_at": START, "ends_at": END, "hours": 2,
            "details": {"topic": "x"}}
    cases = [
        ({"hours": "2"}, "hours"),  # hours are numbers, not strings
        ({"hours": 1.25}, "hours"),  # steps of 0.5
        ({"hours": 0}, "hours"),
        ({"type": "séance"}, "type"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"ends_at": "2026-10-15T13:00"}, "ends_at"),
        ({"title": ""}, "title"),
        ({"participants": [{"user_id": world.people2["t1"].id}]}, "participants"),
        ({"participants": [{"user_id": world.people["t1"].id, "role": "juggler"}]}, "participants"),
        ({"surprise": 1}, "surprise"),
    ]
    for change, field in cases:
        r = org.post("/api/v1/activities", json={**base, **change})
        assert r.status_code == 422, change
        assert r.get_json()["error"] == "invalid"
        assert any(k == field or k.startswith(field + ".") for k in r.get_json()["fields"]), (change, r.get_json())
    assert org.get("/api/v1/activities").get_json()["total"] == 0


def test_plan_needs_an_organizer_or_admin(world):
    body = {"type": "lecture", "title": "讲座", "starts_at": START, "ends_at": END, "hours": 2, "details": {"topic": "x"}}
    r = world.api("t1").post("/api/v1/activities", json=body)
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"
    assert world.api("admin").post("/api/v1/activities", json=body).status_code == 201


def test_plan_a_disabled_type_is_invalid(world):
    adm = world.api("admin")
    assert adm.put("/api/v1/activity-types/research", json={"enabled": False}).status_code == 200
    body = {"type": "research", "title": "课题", "starts_at": START, "ends_at": END, "hours": 2, "details": {}}
    r = world.api("organizer").post("/api/v1/activities", json=body)
    assert r.status_code == 422 and r.get_json()["fields"]["type"] == "not enabled"


def test_malformed_bodies_are_400(world):
    org = world.api("organizer")
    r = org.post("/api/v1/activities", data=b"{\"type\": ", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"] == "invalid"
    r = org.post("/api/v1/activities", data=b"title=x", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    r = org.post("/api/v1/activities", data=b'{"hours": NaN}', content_type="application/json")
    assert r.status_code == 400


# -- reading -----------------------------------------------------------------------------------


def test_list_filters_and_pages(world):
    org = world.api("organizer")
    ids = [lecture(world, org, title=f"讲座{i}")["id"] for i in range(3)]
    fire(org, ids[0], "cancel", comment="时间冲突")
    r = org.get("/api/v1/activities?per_page=2")
    body = r.get_json()
    assert r.status_code == 200 and body["total"] == 3 and body["pages"] == 2 and len(body["items"]) == 2
    assert len(org.get("/api/v1/activities?per_page=2&page=2").get_json()["items"]) == 1
    assert [a["id"] for a in org.get("/api/v1/activities?state=cancelled").get_json()["items"]] == [ids[0]]
    assert org.get("/api/v1/activities?type=observation").get_json()["total"] == 0
    assert org.get("/api/v1/activities?year=2026-2027&type=lecture").get_json()["total"] == 3
    assert org.get("/api/v1/activities?year=2025-2026").get_json()["total"] == 0
    for bad in ("page=0", "page=x", "per_page=1000", "year=2026", "state=Held!", "stat=held"):
        r = org.get(f"/api/v1/activities?{bad}")
        assert r.status_code == 422 and r.get_json()["error"] == "invalid", bad
    # another school sees none of them
    assert world.api("b-organizer").get("/api/v1/activities").get_json()["total"] == 0


def test_another_schools_activity_is_404_everywhere(world):
    aid = lecture(world)["id"]
    other = world.api("b-admin")
    for method, path, body in (
        ("get", f"/api/v1/activities/{aid}", None),
        ("get", f"/api/v1/activities/{aid}/history", None),
        ("put", f"/api/v1/activities/{aid}/attendance", [{"user_id": 1, "attended_hours": 1}]),
        ("post", f"/api/v1/activities/{aid}/evidence", {"kind": "reflection", "text": "x"}),
        ("post", f"/api/v1/activities/{aid}/transitions", {"trigger": "cancel"}),
    ):
        r = getattr(other, method)(path, json=body) if body is not None else getattr(other, method)(path)
        assert r.status_code == 404 and r.get_json() == {"error": "not_found", "message": "activity not found"}, path
    assert other.get("/api/v1/activities/999999").status_code == 404
    assert other.get("/api/v1/activities/99999999999999999999999").status_code == 404


# -- attendance and evidence ---------------------------------------------------------------


def test_attendance_errors(world):
    org = world.api("organizer")
    p = world.people
    aid = lecture(world, org)["id"]
    r = org.put(f"/api/v1/activities/{aid}/attendance",
                json=[{"user_id": p["t1"].id, "attended_hours": 3, "absent_hours": 1}])
    assert r.status_code == 422 and "attendance" in r.get_json()["fields"]  # 4 hours > 3
    r = org.put(f"/api/v1/activities/{aid}/attendance", json=[{"user_id": p["t4"].id, "attended_hours": 1}])
    assert r.status_code == 422  # not a participant
    r = org.put(f"/api/v1/activities/{aid}/attendance", json=[{"user_id": p["t1"].id, "attended_hours": "3"}])
    assert r.status_code == 422 and "0.attended_hours" in r.get_json()["fields"]
    r = org.put(f"/api/v1/activities/{aid}/attendance", json=[])
    assert r.status_code == 422
    r = world.api("t1").put(f"/api/v1/activities/{aid}/attendance", json=[{"user_id": p["t1"].id, "attended_hours": 3}])
    assert r.status_code == 403
    detail = org.get(f"/api/v1/activities/{aid}").get_json()
    assert all(x["attended_hours"] is None for x in detail["participants"])


def test_attendance_is_frozen_once_reviewed(world):
    org, rev = world.api("organizer"), world.api("reviewer")
    aid = lecture(world, org)["id"]
    attendance(world, aid, org)
    fire(org, aid, "hold")
    assert fire(rev, aid, "approve").status_code == 200
    r = attendance(world, aid, org)
    assert r.status_code == 409 and r.get_json()["error"] == "conflict"


def test_evidence_errors(world):
    org, t2, t4 = world.api("organizer"), world.api("t2"), world.api("t4")
    p = world.people
    aid = lecture(world, org)["id"]
    url = f"/api/v1/activities/{aid}/evidence"
    r = t2.post(url, json={"kind": "reflection", "text": "x", "user_id": p["t3"].id})
    assert r.status_code == 403  # only one's own
    r = t4.post(url, json={"kind": "reflection", "text": "x"})
    assert r.status_code == 422 and "user_id" in r.get_json()["fields"]  # not a participant
    r = t2.post(url, json={"kind": "poem", "text": "x"})
    assert r.status_code == 422 and "kind" in r.get_json()["fields"]
    r = t2.post(url, data={"kind": "reflection", "file": (io.BytesIO(b"MZ\x90\x00"), "virus.exe")},
                content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["fields"]
    r = t2.post(url, data={"kind": "reflection", "file": (io.BytesIO(b"not a pdf"), "fake.pdf")},
                content_type="multipart/form-data")
    assert r.status_code == 422
    r = t2.post(url, data={"kind": "reflection"}, content_type="multipart/form-data")
    assert r.status_code == 422 and r.get_json()["fields"] == {"file": "required"}
    assert org.get(f"/api/v1/activities/{aid}").get_json()["evidence"] == []


def test_body_too_large_is_json_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    with app.app_context():
        s = factories.school("S1")
        staff = factories.staff(s)
        client = app.test_client()
        api = login(client, staff["organizer"].username, PASSWORD)
        act = factories.plan(s, staff["organizer"], "lecture", [(staff["t1"], "attendee")], {"topic": "x"})
        r = api.post(f"/api/v1/activities/{act.id}/evidence",
                     data={"kind": "reflection", "file": (io.BytesIO(b"x" * 4096), "a.txt")},
                     content_type="multipart/form-data")
        assert r.status_code == 413 and r.get_json()["error"] == "too_large"


# -- types ---------------------------------------------------------------------------------------


def test_activity_types_say_which_evidence_waits_for_the_start(world):
    """Plugin author: the list of types named a type's evidence kinds but not which of them are
    refused before the activity starts (``evidence.before_start``): a client learnt it only by
    being refused. ``evidence_after_start`` lists them, within ``evidence_kinds``."""
    types = world.api("t1").get("/api/v1/activity-types").get_json()
    lecture_type = next(t for t in types if t["key"] == "lecture")
    assert {"reflection", "evaluation"} <= set(lecture_type["evidence_after_start"])
    assert "reading_notes" not in lecture_type["evidence_after_start"]
    for t in types:
        assert set(t["evidence_after_start"]) < set(t["evidence_kinds"]), t["key"]


def test_activity_types(world):
    adm, t1 = world.api("admin"), world.api("t1")
    types = t1.get("/api/v1/activity-types").get_json()
    lecture_type = next(t for t in types if t["key"] == "lecture")
    assert {r["key"] for r in lecture_type["roles"]} == {"speaker", "attendee"}
    assert {"name": "topic", "type": "StringField", "required": True} .items() <= next(
        f for f in lecture_type["fields"] if f["name"] == "topic").items()
    assert lecture_type["settings"] == {"speaker_multiplier": 2, "attendee_reflection": False}

    r = adm.put("/api/v1/activity-types/lecture", json={"enabled": False})
    assert r.status_code == 200 and r.get_json()["enabled"] is False
    assert "lecture" not in {t["key"] for t in t1.get("/api/v1/activity-types").get_json()}
    r = adm.put("/api/v1/activity-types/lecture", json={"enabled": True, "settings": {"speaker_multiplier": 3}})
    assert r.status_code == 200 and r.get_json()["settings"]["speaker_multiplier"] == 3
    # the other school is untouched
    other = world.api("b-t1").get("/api/v1/activity-types").get_json()
    assert next(t for t in other if t["key"] == "lecture")["settings"]["speaker_multiplier"] == 2

    assert t1.put("/api/v1/activity-types/lecture", json={"enabled": False}).status_code == 403
    assert adm.put("/api/v1/activity-types/no_such_type", json={"enabled": True}).status_code == 404
    r = adm.put("/api/v1/activity-types/lecture", json={"settings": {"volume": 11}})
    assert r.status_code == 422 and "settings.volume" in r.get_json()["fields"]
    r = adm.put("/api/v1/activity-types/lecture", json={"enabled": "yes"})
    assert r.status_code == 422 and "enabled" in r.get_json()["fields"]


# -- credits and reports -------------------------------------------------------------------------


def test_user_credits_permissions(world):
    p = world.people
    assert world.api("t1").get(f"/api/v1/users/{p['t1'].id}/credits").status_code == 200
    r = world.api("t1").get(f"/api/v1/users/{p['t2'].id}/credits")
    assert r.status_code == 403
    body = world.api("reviewer").get(f"/api/v1/users/{p['t2'].id}/credits").get_json()
    assert body["total_hours"] == 0 and body["status"] == "in_progress" and body["entries"] == []  # the year under way
    assert world.api("reviewer").get(f"/api/v1/users/{world.people2['t1'].id}/credits").status_code == 404
    r = world.api("t1").get(f"/api/v1/users/{p['t1'].id}/credits?year=2026-2028")
    assert r.status_code == 422 and "year" in r.get_json()["fields"]


def test_credit_report_formats_and_permissions(world):
    rev = world.api("reviewer")
    body = rev.get("/api/v1/reports/credits?year=2026-2027&format=json").get_json()
    assert body["school"] == "S1" and body["year"] == "2026-2027" and body["required_hours"] == 50
    assert {t["username"] for t in body["teachers"]} >= {"t1", "t2", "t3", "t4"}
    r = rev.get("/api/v1/reports/credits?year=2026-2027&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "t1" in r.get_data(as_text=True) or "t1" in r.get_data(as_text=True).replace("\ufeff", "")
    r = rev.get("/api/v1/reports/credits?year=2026-2027&format=xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert load_workbook(io.BytesIO(r.data)).active.max_row >= 5
    assert world.api("t1").get("/api/v1/reports/credits").status_code == 403
    assert rev.get("/api/v1/reports/credits?format=pdf").status_code == 422
    assert rev.get("/api/v1/reports/credits?year=1999-2001").status_code == 422


# -- HTTP-level errors are JSON too -----------------------------------------------------------


def test_unknown_path_and_wrong_method_are_json(client, world):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"
    r = client.patch("/api/v1/me")
    assert r.status_code == 405 and r.get_json()["error"] == "method_not_allowed"
    assert "GET" in r.headers["Allow"]
    r = client.get("/api/v1/activities/abc")
    assert r.status_code == 404 and r.is_json


def test_api_needs_no_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        s = factories.school("S1")
        users.create_user("solo", PASSWORD, "独行", s, ["organizer"])
        r = app.test_client().post("/api/v1/auth/token", json={"username": "solo", "password": PASSWORD})
        assert r.status_code == 200


def test_nul_characters_are_refused_not_stored(client, world):
    r = client.post("/api/v1/auth/token", json={"username": "t1\x00", "password": "x"})
    assert r.status_code == 422 and r.get_json()["fields"] == {"username": "must not contain NUL characters"}
    org = world.api("organizer")
    body = {"type": "lecture", "title": "讲\x00座", "starts_at": START, "ends_at": END, "hours": 2,
            "details": {"topic": "x"}}
    r = org.post("/api/v1/activities", json=body)
    assert r.status_code == 422 and "title" in r.get_json()["fields"]
    aid = lecture(world, org)["id"]
    r = org.post(f"/api/v1/activities/{aid}/evidence",
                 data={"kind": "reflection", "user_id": str(world.people["t1"].id),
                       "file": (io.BytesIO(b"text"), "a\x00.txt")},
                 content_type="multipart/form-data")
    assert r.status_code in (400, 422)


def test_an_admin_whose_role_is_taken_as_the_attendance_is_written_records_none(world, monkeypatch):
    """Attack: a school admin sends the attendance of an activity someone else organises while
    another admin takes their role at that moment. The right was read before the write, so the
    hours went in; now it is asked again inside it (``access.require_still``): 403 with the
    policy's message, no hours recorded."""
    from sqlalchemy import select

    from portal.models import Participation
    from portal.services import access, activities, staff
    from tests.support.at_once import just_before_the_write

    aid, school_id, adm = lecture(world)["id"], world.school.id, world.people["admin"].id
    taker = factories.person(world.school, "s1.adm2", "school_admin").id
    api = world.api("admin")

    def take() -> None:
        staff.set_roles(db.session.get_one(School, school_id), adm, ["teacher"], by=access.actor(taker, school_id))

    just_before_the_write(monkeypatch, activities, take)
    r = attendance(world, aid, api)
    assert r.status_code == 403, r.get_json()
    assert r.get_json()["message"] == "only the activity's organizer or a school admin may do this"
    db.session.expire_all()
    hours = db.session.execute(select(Participation.attended_hours).where(Participation.activity_id == aid)).all()
    assert hours and all(h is None for (h,) in hours)


def test_a_step_sent_with_the_version_read_is_refused_once_the_figures_moved(world):
    """The version of the activity (moved by attendance, evidence and every step) sent back with
    a step: the reviewer approves only the figures they read, or nothing (409, nothing changes).
    Without it the step is taken as before."""
    p = world.people
    org, rev = world.api("organizer"), world.api("reviewer")
    aid = lecture(world, org)["id"]
    assert attendance(world, aid, org).status_code == 200 and fire(org, aid, "hold").status_code == 200
    read = rev.get(f"/api/v1/activities/{aid}").get_json()
    assert isinstance(read["version"], int) and read["version"] >= 1
    rows = [{"user_id": p["t3"].id, "attended_hours": 3, "absent_hours": 0, "excused_hours": 0}]
    assert org.put(f"/api/v1/activities/{aid}/attendance", json=rows).status_code == 200
    r = fire(rev, aid, "approve", version=read["version"])
    assert r.status_code == 409 and r.get_json()["error"] == "conflict"
    assert "changed after you opened it" in r.get_json()["message"]
    after = rev.get(f"/api/v1/activities/{aid}").get_json()
    assert after["state"] == "held" and after["version"] > read["version"]
    last = rev.get(f"/api/v1/activities/{aid}/history").get_json()[-1]  # the organiser's change, no approval
    assert last["trigger"] == "attendance.recorded" and last["actor"]["id"] == p["organizer"].id
    for bad in (0, -1, "3", 1.5, True, 2**31):
        r = fire(rev, aid, "approve", version=bad)
        assert r.status_code == 422 and "version" in r.get_json()["fields"], bad
    r = fire(rev, aid, "approve", version=after["version"])
    assert r.status_code == 200 and r.get_json()["state"] == "reviewed"
    assert r.get_json()["version"] > after["version"]
