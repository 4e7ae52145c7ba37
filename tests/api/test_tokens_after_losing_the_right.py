"""What an API token can still do once its holder lost the right to it.

Every request reads the caller's roles again (``api.context.school_context``), and a token is
refused once its holder holds no role anywhere (``tokens.authenticate``): taken off the staff,
a token is revoked with the deactivation, and one that escaped the revocation (minted by a
login racing it) is refused as well; the password no longer mints a new one. Refusals are 401
in the API's error body, ``{"error": "unauthenticated", "message": ...}``.
"""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, CreditEntry, School, User
from portal.registry import registry
from portal.services import access, schools, staff, tokens, users
from tests.api.conftest import ApiClient, login
from workflows.definition import Phase

LEFT = "the account no longer holds a role in any school or district: if this is a mistake, ask your school admin"


def _demo() -> School:
    return db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def _by_admin() -> access.policy.Actor:
    return access.actor(_user("admin").id, _demo().id)


def _refused_as_left(r) -> None:
    assert r.status_code == 401, r.get_json()
    assert r.get_json() == {"error": "unauthenticated", "message": LEFT}
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_one_taken_off_the_staff_gets_no_new_token_and_no_old_one_works(client, demo):
    api = login(client, "teacher1")
    teacher = _user("teacher1")
    staff.deactivate(_demo(), teacher.id, by=_by_admin())
    assert api.get("/api/v1/me").status_code == 401  # revoked with the deactivation
    # a token written after the revocation (a login racing the deactivation) is refused too
    escaped = ApiClient(client, tokens.issue(teacher).token)
    _refused_as_left(escaped.get("/api/v1/me"))
    _refused_as_left(escaped.get("/api/v1/activities", headers={"X-School": "DEMO"}))
    # and the password mints none: told so in the reader's language, only with the right password
    r = client.post("/api/v1/auth/token", json={"username": "teacher1", "password": "yanxiu-demo"})
    _refused_as_left(r)
    r = client.post("/api/v1/auth/token", json={"username": "teacher1", "password": "yanxiu-demo"},
                    headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 401 and "不在任何学校或区里任职" in r.get_json()["message"]
    r = client.post("/api/v1/auth/token", json={"username": "teacher1", "password": "wrong-password"})
    assert r.status_code == 401 and r.get_json()["message"] == "wrong username or password"
    # given a role again, the password mints a token that works
    staff.set_roles(_demo(), teacher.id, ["teacher"], by=_by_admin())
    assert login(client, "teacher1").get("/api/v1/me").status_code == 200


def test_one_taken_off_one_of_two_schools_acts_in_the_other_only(client, demo):
    second = schools.create_school("S2", "第二学校")
    teacher = _user("teacher2")
    users.add_role(teacher, second, "organizer")
    staff.deactivate(_demo(), teacher.id, by=_by_admin())
    api = login(client, "teacher2")  # their tokens went with the deactivation: a new one
    me = api.get("/api/v1/me").get_json()
    assert [s["code"] for s in me["schools"]] == ["S2"]
    assert api.get("/api/v1/activities").status_code == 200  # their one school, unnamed
    r = api.get("/api/v1/activities", headers={"X-School": "DEMO"})
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"


def _confirmed_lecture() -> Activity:
    for act in db.session.execute(select(Activity).order_by(Activity.id)).scalars():
        if registry().phase(act.type_key, act.state) is Phase.CONFIRMED and act.type_key == "lecture":
            return act
    raise AssertionError("the demo has a lecture waiting to be credited")


def test_a_reviewers_token_credits_nothing_once_the_role_is_taken(client, demo):
    act = _confirmed_lecture()
    act_id, state = act.id, act.state
    api = login(client, "reviewer")
    reviewer = _user("reviewer")
    staff.set_roles(_demo(), reviewer.id, ["teacher"], by=_by_admin())

    def credits() -> int:
        return db.session.execute(
            select(func.count()).select_from(CreditEntry).where(CreditEntry.activity_id == act_id)).scalar_one()

    before = credits()
    r = api.post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "credit"})
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"
    assert api.get("/api/v1/reports/credits?year=2026-2027").status_code == 403
    db.session.expire_all()
    assert db.session.get_one(Activity, act_id).state == state and credits() == before
    # the same request goes through once the role is given back: the refusal was the role's
    staff.set_roles(_demo(), reviewer.id, ["reviewer", "teacher"], by=_by_admin())
    r = api.post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "credit"})
    assert r.status_code == 200, r.get_json()
    assert credits() > before


def test_a_password_changed_on_the_page_ends_every_token(client, demo, app):
    api = login(client, "teacher3")
    page = app.test_client()
    page.post("/login", data={"username": "teacher3", "password": "yanxiu-demo"})
    r = page.post("/password", data={"current": "yanxiu-demo", "password": "new-secret-9", "confirm": "new-secret-9"})
    assert r.status_code == 302
    r = api.get("/api/v1/me")
    assert r.status_code == 401 and r.get_json()["error"] == "unauthenticated"
    assert login(client, "teacher3", "new-secret-9").get("/api/v1/me").status_code == 200
