"""The sign-up in the API lists who withdrew (and who moved up) for the organizer and the school
admin only; a teacher gets ``withdrawn: null`` and their own withdrawal time."""

from __future__ import annotations

from sqlalchemy import select

from portal.demo_year import signup_title
from portal.extensions import db
from portal.models import Activity


def test_withdrawals_in_the_api(as_user):
    act = db.session.execute(select(Activity.id).where(Activity.title == signup_title())).scalar_one()
    url = f"/api/v1/activities/{act}/signup"
    for who in ("organizer", "admin"):
        body = as_user(who).get(url).get_json()
        assert [(w["username"], w["promoted_at"]) for w in body["withdrawn"]] == [("teacher1", None)], who
        assert body["withdrawn"][0]["withdrawn_at"] >= body["withdrawn"][0]["signed_at"]
        promoted = {e["username"]: e["promoted_at"] for e in body["seats"]}
        assert promoted["teacher4"] is not None and promoted["teacher2"] is None
        assert [e["username"] for e in body["waiting"]] == ["teacher5", "teacher6"]
    t1 = as_user("teacher1").get(url).get_json()
    assert t1["withdrawn"] is None and t1["mine"] == "withdrawn" and t1["withdrawn_at"]
    t2 = as_user("teacher2").get(url).get_json()
    assert t2["withdrawn"] is None and t2["mine"] == "seat" and t2["withdrawn_at"] is None
    doc = as_user("teacher2").get("/api/v1/openapi.json").get_json()
    props = doc["components"]["schemas"]["SignupOut"]["properties"]
    assert {"withdrawn", "withdrawn_at"} <= set(props)


def test_my_sign_ups_in_the_api(as_user):
    act = db.session.execute(select(Activity.id).where(Activity.title == signup_title())).scalar_one()
    mine = as_user("teacher1").get("/api/v1/me/signups").get_json()
    row = next(r for r in mine if r["activity_id"] == act)
    assert row["status"] == "withdrawn" and row["withdrawn_at"] >= row["signed_at"] and row["promoted_at"] is None
    t4 = next(r for r in as_user("teacher4").get("/api/v1/me/signups").get_json() if r["activity_id"] == act)
    assert t4["status"] == "seat" and t4["promoted_at"] and t4["withdrawn_at"] is None
    assert as_user("teacher1").get("/api/v1/me/signups?year=2020-2021").get_json() == []
    assert as_user("teacher1").get("/api/v1/me/signups?year=2026").status_code == 422
