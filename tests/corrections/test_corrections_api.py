"""Correction requests in the API: asked, listed, closed; bad input 422 and nothing saved, one's own
request 403 to close, another school's 404; documented with its data rules."""

from __future__ import annotations

from tests.api.conftest import login
from tests.corrections.test_corrections_service import _notices, _recorded_by_admin, _requests, _talk
from tests.support import factories
from tests.support.factories import PASSWORD


def _api(client, user):
    return login(client, user.username, PASSWORD)


def test_ask_list_and_close_through_the_api(client, world):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    org, admin = _api(client, p["organizer"]), _api(client, p["admin"])
    url = f"/api/v1/activities/{act.id}/corrections"
    for body, field in (({"kind": "row", "wanted": "出席 3 小时", "reason": "  "}, "reason"),
                        ({"kind": "row", "wanted": "出席 3 小时", "reason": "长" * 501}, "reason"),
                        ({"kind": "fix", "reason": "漏签"}, "kind"),
                        ({"kind": "row", "reason": "漏签"}, "wanted"),
                        ({"kind": "row", "wanted": "出席", "reason": "漏签", "extra": 1}, "extra")):
        r = org.post(url, json=body)
        assert r.status_code == 422 and field in str(r.get_json()), (body, r.get_json())
    assert _requests() == []
    r = org.post(url, json={"kind": "row", "wanted": "出席 3 小时", "reason": "签到表漏签"})
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert (made["kind"], made["status"], made["requester_id"], made["activity_id"]) == (
        "row", "open", p["organizer"].id, act.id) and "closed_at" in made and made["closed_at"] is None
    r = org.post(url, json={"kind": "row", "wanted": "出席 3 小时", "reason": "再问"})
    assert r.status_code == 409 and made["asked_at"][:10] in r.get_json()["message"]
    assert _api(client, p["t4"]).post(url, json={"kind": "cancel", "reason": "请取消"}).status_code == 403
    assert len(_requests()) == 1

    # the admin lists the school's, a teacher their own (none)
    assert [x["id"] for x in admin.get("/api/v1/corrections").get_json()["items"]] == [made["id"]]
    assert _api(client, p["t1"]).get("/api/v1/corrections").get_json()["items"] == []
    close = f"/api/v1/corrections/{made['id']}/close"
    r = admin.post(close, json={"outcome": "declined"})
    assert r.status_code == 422 and r.get_json()["fields"]["reason"] == "say why it is declined"
    assert org.post(close, json={"outcome": "done"}).status_code == 403  # not an admin
    assert _requests()[0][1] == "open"
    r = admin.post(close, json={"outcome": "done", "reason": "已改为出席 3 小时"})
    assert r.status_code == 200 and r.get_json()["status"] == "done" and r.get_json()["closed_by"] == p["admin"].id
    assert admin.post(close, json={"outcome": "declined", "reason": "再关"}).status_code == 409
    assert _notices(p["organizer"], "correction_closed") == 1


def test_ones_own_and_another_schools_requests(client, world):
    w, p = world, world.people
    act = _talk(w, p["admin"])
    factories.attend(act, p["organizer"])
    admin, admin2 = _api(client, p["admin"]), _api(client, p["admin2"])
    r = admin.post(f"/api/v1/activities/{act.id}/corrections", json={"kind": "row", "wanted": "请假", "reason": "外出"})
    assert r.status_code == 201
    rid = r.get_json()["id"]
    r = admin.post(f"/api/v1/corrections/{rid}/close", json={"outcome": "done"})
    assert r.status_code == 403 and "another school admin" in r.get_json()["message"]
    other = _api(client, w.people2["admin"])
    assert other.post(f"/api/v1/corrections/{rid}/close", json={"outcome": "done"}).status_code == 404
    assert other.post(f"/api/v1/corrections/{rid}/close", json={"bad": 1}).status_code == 404  # before the body
    assert other.post(f"/api/v1/activities/{act.id}/corrections", json={"kind": "cancel", "reason": "x"}).status_code == 404
    assert other.get("/api/v1/corrections").get_json()["items"] == []
    assert _requests()[0][1] == "open"
    assert admin2.post(f"/api/v1/corrections/{rid}/close", json={"outcome": "done"}).status_code == 200  # another admin


def test_the_document_declares_them_with_their_data_rules(client, world):
    doc = client.get("/api/v1/openapi.json").get_json()
    ask = doc["paths"]["/api/v1/activities/{activity_id}/corrections"]["post"]
    close = doc["paths"]["/api/v1/corrections/{request_id}/close"]["post"]
    assert {r["field"] for r in ask["x-data-rules"]} == {"wanted", "reason"}  # reason: characters that count
    assert {r["field"] for r in close["x-data-rules"]} == {"reason"}
    assert "get" in doc["paths"]["/api/v1/corrections"]
    assert {"403", "409"} <= set(ask["responses"]) and {"403", "409"} <= set(close["responses"])
