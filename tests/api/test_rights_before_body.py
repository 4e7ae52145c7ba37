"""Rights first, then the body: every write route of the API asks the caller's right
(``operation(may=…)``, a question of ``portal.policy``) before spectree validates the body. A caller
without it who sends a malformed body is 403 (or 404: another tenant's object), never 422 with
the route's field names — what the route takes is not told to whoever may not use it."""

from __future__ import annotations

import re

from portal import policy
from portal.api.openapi import declared
from portal.models import User
from portal.services import access

WRITES = ("post", "put", "patch", "delete")
CALLERS = ("teacher1", "reviewer", "organizer", "admin", "district")
#: The write routes whose right is the path's object's or the body's (this activity's organizer,
#: one's own row, the trigger sent): their service asks it, the one place that knows it. The
#: walk below holds them to the rule all the same for callers their school role already refuses.
OF_THE_OBJECT = {
    "create_token", "revoke_token",  # signing in and out: anyone's own
    "put_attendance", "reschedule", "add_participants", "remove_participant", "add_evidence", "fire_transition",
    "ask_correction", "put_signup", "sign_up", "withdraw", "confirm_signup", "edit_my_writing", "delete_my_writing",
    "put_my_plan", "delete_group",
}
BAD = {"zz_unknown": [1], "title": 7}


def _write_ops(app, doc):
    for path, ops in sorted(doc["paths"].items()):
        for method, op in sorted(ops.items()):
            if method in WRITES:  # (an operation documented per activity type: its id ends in the type's key)
                name = op["operationId"].removesuffix("_" + path.rsplit("/", 1)[1]) if "x-path-template" in op \
                    else op["operationId"]
                yield path, method, name, declared(app.view_functions[f"api.{name}"])


def _actor(user_id: int, school: bool) -> policy.Actor:
    schools, seat = access.schools_and_district_role(user_id)
    if school:
        roles = next((r for s, r in schools if s.code == "DEMO"), frozenset())
    else:
        roles = seat.roles if seat is not None else frozenset()
    return policy.Actor.of(user_id, roles)


def test_every_write_route_declares_its_right_or_says_why_not(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    undeclared = {name for _p, _m, name, d in _write_ops(app, doc) if d is not None and d.may is None}
    assert undeclared == OF_THE_OBJECT


def test_a_caller_without_the_right_and_a_bad_body_is_refused_not_told_the_fields(app, client, demo, as_user):
    doc = client.get("/api/v1/openapi.json").get_json()
    users = {u.username: u.id for u in User.query.filter(User.username.in_(CALLERS)).order_by(User.id)}
    walked = 0
    for path, method, _name, decl in _write_ops(app, doc):
        if decl is None or decl.may is None:
            continue
        url = re.sub(r"\{[a-z_]+\}", "1", path)
        for name in CALLERS:
            if decl.may(_actor(users[name], decl.school)):
                continue
            if decl.school and name == "district":  # no school of their own: they name one first (X-School)
                continue
            caller = as_user(name)
            r = caller.client.open(url, method=method.upper(), json=BAD,
                                   headers={"Authorization": f"Bearer {caller.token}", "Accept-Language": "en"})
            body = r.get_json() or {}
            assert r.status_code in (403, 404), (method, path, name, r.status_code, body)
            assert "fields" not in body or not body["fields"], (method, path, name, body)
            walked += 1
    assert walked > 40  # the walk went through the routes (each refused to someone of the demo)


def test_a_reviewer_creating_a_school_with_a_bad_body_is_403(demo, as_user):
    r = as_user("reviewer").post("/api/v1/district/schools", json={"code": 1})
    assert r.status_code == 403 and "code" not in (r.get_json().get("fields") or {})
    r = as_user("teacher1").put("/api/v1/activity-types/lecture", json={"zz": 1})
    assert r.status_code == 403 and not r.get_json().get("fields")
