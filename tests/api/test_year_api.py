"""The JSON API of the teacher's year (portal/api/views_year.py): groups, sign-up and plans,
the same rules as the pages; bad bodies are 422 and change nothing; refusals are coded and
in the language asked for."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import policy
from portal.demo import DEMO_PASSWORD
from portal.demo_year import signup_title
from portal.errors import Forbidden
from portal.extensions import db
from portal.models import Activity, DevelopmentPlan, School, SignupWindow, TeachingGroup, User
from portal.services import signup
from portal.timeutil import to_local, utcnow
from tests.web.conftest import login as page_login


def _id(model, **where) -> int:
    stmt = select(model.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return db.session.execute(stmt).scalar_one()


def test_groups_listed_created_updated_deleted(as_user):
    t = as_user("teacher1")
    listed = t.get("/api/v1/groups").get_json()
    assert [g["name"] for g in listed] == ["数学组", "语文组"]  # by pinyin: shu < yu
    a = as_user("admin")
    t4 = _id(User, username="teacher4")
    org = _id(User, username="organizer")
    assert t.post("/api/v1/groups", json={"name": "英语组"}).status_code == 403
    bad = a.post("/api/v1/groups", json={"name": "语文组", "member_ids": [999999]})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"name", "member_ids"}
    assert a.post("/api/v1/groups", json={"name": ""}).status_code == 422
    assert a.post("/api/v1/groups", json={"name": "英语组", "leader_id": t4}).status_code == 422  # not an organizer
    r = a.post("/api/v1/groups", json={"name": "英语组", "leader_id": org, "member_ids": [t4]})
    assert r.status_code == 201 and {m["username"] for m in r.get_json()["members"]} == {"teacher4", "organizer"}
    gid = r.get_json()["id"]
    r = a.put(f"/api/v1/groups/{gid}", json={"name": "外语组", "member_ids": []})
    assert r.status_code == 200 and r.get_json()["members"] == [] and r.get_json()["leader_id"] is None
    assert a.delete(f"/api/v1/groups/{gid}").status_code == 204
    assert a.delete(f"/api/v1/groups/{gid}").status_code == 404
    assert db.session.scalar(select(func.count(TeachingGroup.id))) == 2


def test_sign_up_through_the_api(as_user):
    act = _id(Activity, title=signup_title())
    t1 = as_user("teacher1")
    r = t1.get(f"/api/v1/activities/{act}/signup")
    assert r.status_code == 200
    body = r.get_json()
    assert body["capacity"] == 3 and body["free"] == 0 and [w["username"] for w in body["waiting"]] == ["teacher5", "teacher6"]
    r = t1.post(f"/api/v1/activities/{act}/signup/me")
    assert r.status_code == 201 and r.get_json()["mine"] == "waiting" and r.get_json()["position"] == 3
    twice = t1.post(f"/api/v1/activities/{act}/signup/me", headers={"Accept-Language": "zh-CN"})
    assert twice.status_code == 409 and twice.get_json()["message"] == "您已经报过名了"
    assert as_user("teacher2").delete(f"/api/v1/activities/{act}/signup/me").status_code == 204
    body = t1.get(f"/api/v1/activities/{act}/signup").get_json()
    assert "teacher5" in {s["username"] for s in body["seats"]} and body["position"] == 2
    org = as_user("organizer")
    for bad in ({"capacity": 0, "closes_at": "2026-12-01T10:00"}, {"capacity": 1001, "closes_at": "2026-12-01T10:00"},
                {"capacity": 3}, {"capacity": 3, "closes_at": "tomorrow"}, {"capacity": "3", "closes_at": "2030-01-01T10:00"}):
        assert org.put(f"/api/v1/activities/{act}/signup", json=bad).status_code == 422, bad
    after_start = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    r = org.put(f"/api/v1/activities/{act}/signup", json={"capacity": 3, "closes_at": after_start})
    assert r.status_code == 422 and "closes_at" in r.get_json()["fields"]
    assert t1.put(f"/api/v1/activities/{act}/signup", json={"capacity": 9, "closes_at": after_start}).status_code == 403
    assert org.get(f"/api/v1/activities/{act}/signup").get_json()["capacity"] == 3  # nothing changed
    r = org.post(f"/api/v1/activities/{act}/signup/confirm")
    assert r.status_code == 200 and r.get_json()["confirmed_at"]
    assert t1.delete(f"/api/v1/activities/{act}/signup/me").status_code == 409
    other = _id(Activity, title=db.session.execute(select(Activity.title).order_by(Activity.id)).scalars().first())
    assert t1.get(f"/api/v1/activities/{other}/signup").status_code == 404


def test_plans_through_the_api(as_user):
    """teacher3, who has no plan (the demo returned teacher2's), writes one through the API."""
    t3 = as_user("teacher3")
    assert t3.get("/api/v1/plans/me").status_code == 404
    for bad in ({"goals": ""}, {"goals": "x", "target_hours": 10}, {"goals": "x", "target_hours": 400},
                {"goals": "x", "target_hours": "49.5"}, {"goals": "x", "type_targets": {"lecture": -1}},
                {"goals": "x", "type_targets": {"nope": 1}}, {"goals": "x", "studies": ["a" * 201]},
                {"goals": "x", "extra": 1}):
        r = t3.put("/api/v1/plans/me", json=bad)
        assert r.status_code == 422, (bad, r.get_json())
    assert t3.put("/api/v1/plans/me?year=2026", json={"goals": "x"}).status_code == 422
    assert db.session.scalar(select(func.count(DevelopmentPlan.id))) == 2  # teacher1's, teacher2's (demo)
    r = t3.put("/api/v1/plans/me", json={"goals": "多听课", "studies": ["《课堂提问的艺术》"], "target_hours": 55,
                                         "type_targets": {"lecture": 10}, "submit": True})
    assert r.status_code == 200, r.get_json()
    plan = r.get_json()
    assert plan["status"] == "submitted" and plan["progress"][0]["type"] is None and plan["progress"][0]["planned"] == 55
    assert t3.put("/api/v1/plans/me", json={"goals": "改"}).status_code == 409
    assert t3.post(f"/api/v1/plans/{plan['id']}/decision", json={"decision": "approve"}).status_code == 403
    assert t3.get("/api/v1/plans").status_code == 403
    rev = as_user("reviewer")
    assert rev.post(f"/api/v1/plans/{plan['id']}/decision", json={"decision": "return"}).status_code == 422
    assert rev.post(f"/api/v1/plans/{plan['id']}/decision", json={"decision": "maybe"}).status_code == 422
    bad = rev.get("/api/v1/plans?status=maybe")
    assert bad.status_code == 422 and bad.get_json()["message"] == "the query string is not valid"
    assert set(bad.get_json()["fields"]) == {"status"}
    assert rev.post("/api/v1/plans/2147483648/decision", json={"decision": "nope"}).status_code == 404  # before the body
    waiting = rev.get("/api/v1/plans?status=submitted").get_json()
    assert [p["user"]["username"] for p in waiting] == ["teacher3"]
    r = rev.post(f"/api/v1/plans/{plan['id']}/decision", json={"decision": "approve", "comment": "好"})
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    assert as_user("teacher4").get(f"/api/v1/plans/{plan['id']}").status_code == 403
    mine = as_user("teacher1").get("/api/v1/plans/me").get_json()
    assert mine["status"] == "approved" and {"lecture", None} <= {line["type"] for line in mine["progress"]}


def test_the_deadline_through_the_api(as_user):
    a = as_user("admin")
    r = a.put("/api/v1/plans/deadline?year=2026-2027", json={"deadline": "2027-09-01"})
    assert r.status_code == 422 and "deadline" in r.get_json()["fields"]
    r = a.put("/api/v1/plans/deadline?year=2026-2027", json={"deadline": "2026-10-15"})
    assert r.status_code == 200 and r.get_json() == {"school_year": "2026-2027", "deadline": "2026-10-15"}
    assert as_user("reviewer").put("/api/v1/plans/deadline", json={"deadline": "2026-10-15"}).status_code == 403


def test_a_persons_groups_through_the_api(as_user):
    """``PUT /api/v1/users/<id>/groups``: the staff page's rule (services.groups), audited."""
    from portal.models import GroupMember, School, StaffChange
    from portal.policy import SYSTEM
    from portal.services import groups, staff
    from tests.support import factories as f

    a, t = as_user("admin"), as_user("teacher1")
    t1, t2, org = (_id(User, username=n) for n in ("teacher1", "teacher2", "organizer"))
    chinese, maths = _id(TeachingGroup, name="语文组"), _id(TeachingGroup, name="数学组")
    r = a.put(f"/api/v1/users/{t1}/groups", json={"group_ids": [chinese, maths]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"user_id": t1, "groups": [{"id": maths, "name": "数学组"}, {"id": chinese, "name": "语文组"}]}
    assert db.session.scalar(select(func.count(StaffChange.id)).where(StaffChange.user_id == t1)) == 1
    other = f.school("S2")
    foreign = groups.save_group(other, "英语组", by=SYSTEM).id
    stranger = f.person(other, "s2teacher", "teacher").id
    staff.deactivate(db.session.execute(select(School).where(School.code == "DEMO")).scalar_one(), t2, by=SYSTEM)
    db.session.commit()
    before = (db.session.scalar(select(func.count()).select_from(GroupMember)),
              db.session.scalar(select(func.count(StaffChange.id))))
    zh = {"Accept-Language": "zh-CN"}
    for user_id, body, field, words in (
        (t1, {"group_ids": [foreign]}, "group_ids", f"教研组 {foreign} 不是本校的教研组"),
        (t2, {"group_ids": [maths]}, "user_id", "在本校已停用"),
        (org, {"group_ids": [maths]}, "group_ids", "是语文组的组长"),
    ):
        r = a.put(f"/api/v1/users/{user_id}/groups", json=body, headers=zh)
        assert r.status_code == 422 and field in r.get_json()["fields"], r.get_json()
        assert words in str(r.get_json()["fields"][field])
    assert a.put(f"/api/v1/users/{t1}/groups", json={"group_ids": ["x"]}).status_code == 422
    assert a.put(f"/api/v1/users/{t1}/groups", json={}).status_code == 422
    assert a.put(f"/api/v1/users/{stranger}/groups", json={"group_ids": []}).status_code == 404
    assert a.put("/api/v1/users/99999999/groups", json={"group_ids": []}).status_code == 404
    assert t.put(f"/api/v1/users/{t1}/groups", json={"group_ids": []}).status_code == 403
    db.session.commit()
    assert (db.session.scalar(select(func.count()).select_from(GroupMember)),
            db.session.scalar(select(func.count(StaffChange.id)))) == before


def test_another_schools_person_is_not_found_before_the_body(as_user):
    """``PUT /api/v1/users/<id>/groups`` with another school's person: 404 whatever the body."""
    from tests.support import factories as f

    stranger = f.person(f.school("S2"), "s2person", "teacher").id
    db.session.commit()
    a = as_user("admin")
    for body in ({"group_ids": []}, {"group_ids": ["x"]}, {}):
        assert a.put(f"/api/v1/users/{stranger}/groups", json=body).status_code == 404


def test_the_sign_ups_open_to_the_caller(as_user, client):
    """``GET /signups/open``: what the caller may sign up for now (``signup.open_to``), as the
    sign-ups page lists it, closing first first; gone from the list once signed up; 403 for one
    who may not sign up."""
    act = _id(Activity, title=signup_title())
    t1 = as_user("teacher1")
    r = t1.get("/api/v1/signups/open")
    assert r.status_code == 200, r.get_json()
    rows = r.get_json()
    ours = next(row for row in rows if row["activity_id"] == act)
    activity = db.session.get(Activity, act)
    tz = db.session.get_one(School, activity.school_id).timezone
    window = db.session.execute(select(SignupWindow).where(SignupWindow.activity_id == act)).scalar_one()
    assert ours == {"activity_id": act, "title": signup_title(), "type": activity.type_key,
                    "starts_at": to_local(activity.starts_at, tz).isoformat(timespec="seconds"),
                    "ends_at": to_local(activity.ends_at, tz).isoformat(timespec="seconds"),
                    "hours": float(activity.hours), "location": activity.location or "", "capacity": 3,
                    "closes_at": to_local(window.closes_at, tz).isoformat(timespec="seconds")}
    assert [row["closes_at"] for row in rows] == sorted(row["closes_at"] for row in rows)
    # the same activities as the sign-ups page offers the teacher
    page = client.application.test_client()
    assert page_login(page, "teacher1", DEMO_PASSWORD).status_code == 302
    offered = [int(i) for i in re.findall(r'data-testid="open-signup-(\d+)"', page.get("/signups").get_data(as_text=True))]
    assert offered == [row["activity_id"] for row in rows]
    # signed up (on the waiting list): no longer open to them; nor to one waiting already
    assert t1.post(f"/api/v1/activities/{act}/signup/me").status_code == 201
    assert act not in [row["activity_id"] for row in t1.get("/api/v1/signups/open").get_json()]
    assert act not in [row["activity_id"] for row in as_user("teacher5").get("/api/v1/signups/open").get_json()]
    refused = as_user("district").get("/api/v1/signups/open", headers={"Accept-Language": "zh-CN", "X-School": "DEMO"})
    assert refused.status_code == 403, refused.get_json()
    # the service refuses one of the school who is no teacher (the page never asks for them)
    with pytest.raises(Forbidden) as refusal:
        signup.open_to(policy.Actor.of(_id(User, username="reviewer"), ["reviewer"]), activity.school_id)
    assert refusal.value.message == "only a teacher of this school may sign up"
