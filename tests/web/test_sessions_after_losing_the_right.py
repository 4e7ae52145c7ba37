"""What a signed-in page session can still do once its holder lost the right to it.

A school admin takes a teacher who is leaving on bad terms off the staff, or takes a role from
them, while the teacher's browser is still signed in. Every request reads the person's roles
again (``auth.load_user``), so the open session is asked what it may do now, not at login:

* off the staff of every school (no role left anywhere): the session ends on its next request,
  the login page says why in the visitor's language, and the password no longer signs them in;
* off one of two schools: the session stays, in the other school only;
* a role taken (reviewer, school admin): the pages and the steps of that role are refused and
  nothing is written; given back, the same request goes through;
* a new password (their own change or an admin's reset): every other session ends.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import Activity, CreditEntry, LoginAttempt, Membership, School, StaffChange, User
from portal.policy import Actor
from portal.registry import registry
from portal.services import access, schools, staff, users
from tests.web.conftest import login
from workflows.definition import Phase

LEFT_NOTICE = "您的账号已不在任何学校或区里任职"


def _ids(site: Flask, *usernames: str) -> tuple[int, dict[str, int]]:
    with site.app_context():
        school_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        people = dict(db.session.execute(select(User.username, User.id).where(User.username.in_(usernames))).all())
    return school_id, people


def _admin(site: Flask) -> Actor:
    school_id, ids = _ids(site, "admin")
    with site.app_context():
        return access.actor(ids["admin"], school_id)


def _deactivate(site: Flask, username: str) -> None:
    school_id, ids = _ids(site, username)
    by = _admin(site)
    with site.app_context():
        staff.deactivate(db.session.get_one(School, school_id), ids[username], by=by)


def _set_roles(site: Flask, username: str, roles: list[str]) -> None:
    school_id, ids = _ids(site, username)
    by = _admin(site)
    with site.app_context():
        staff.set_roles(db.session.get_one(School, school_id), ids[username], roles, by=by)


def _signed_in(site: Flask, username: str) -> FlaskClient:
    c = site.test_client()
    assert login(c, username).status_code == 302
    assert c.get("/").status_code == 200
    return c


def test_the_session_of_one_taken_off_the_staff_ends_on_its_next_request_and_says_why(site):
    teacher = _signed_in(site, "teacher1")
    _deactivate(site, "teacher1")
    r = teacher.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    page = teacher.get(r.headers["Location"]).get_data(as_text=True)
    assert LEFT_NOTICE in page and "Please sign in" not in page
    # the cookie is signed out: no page of the portal opens with it, the notice is shown once
    assert teacher.get("/notifications").status_code == 302
    assert teacher.get("/calendar").status_code == 302
    assert teacher.get("/password").status_code == 302


def test_the_notice_is_in_english_for_an_english_reader(site):
    teacher = _signed_in(site, "teacher2")
    teacher.get("/lang/en")
    _deactivate(site, "teacher2")
    page = teacher.get("/", follow_redirects=True).get_data(as_text=True)
    assert "no longer holds a role in any school or district" in page and LEFT_NOTICE not in page


def test_one_taken_off_the_staff_cannot_sign_in_again_and_nothing_is_counted_against_the_password(site):
    _deactivate(site, "teacher3")
    c = site.test_client()
    r = login(c, "teacher3")
    assert r.status_code == 403 and LEFT_NOTICE in r.get_data(as_text=True)
    assert c.get("/").status_code == 302  # not signed in
    with site.app_context():  # the right password counts as no failure: the lock-out guards guesses
        assert not db.session.execute(select(LoginAttempt.id)).first()
    r = login(c, "teacher3", "a-wrong-password")
    assert r.status_code == 401 and LEFT_NOTICE not in r.get_data(as_text=True)  # only the right one is told
    # given a role again, the same password signs them in
    _set_roles(site, "teacher3", ["teacher"])
    assert login(site.test_client(), "teacher3").status_code == 302


def test_one_taken_off_one_of_two_schools_keeps_the_session_in_the_other_only(site):
    school_id, ids = _ids(site, "teacher4")
    with site.app_context():
        second = schools.create_school("SECOND", "第二实验小学")
        users.add_role(db.session.get_one(User, ids["teacher4"]), second, "teacher")
        second_id = second.id
        act_id = db.session.execute(select(Activity.id).where(Activity.school_id == school_id)).scalars().first()
    teacher = _signed_in(site, "teacher4")
    assert teacher.post(f"/school/{school_id}").status_code == 302  # the demo school chosen
    assert teacher.get(f"/activities/{act_id}").status_code == 200
    _deactivate(site, "teacher4")
    home = teacher.get("/")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert 'data-testid="school-name">第二实验小学<' in html and "研修示范小学" not in html
    assert teacher.get(f"/activities/{act_id}").status_code == 404  # the old school's activity: not found
    assert teacher.post(f"/school/{school_id}").status_code == 404  # and the old school cannot be chosen
    assert teacher.post(f"/school/{second_id}").status_code == 302


def _confirmed_activity(site: Flask) -> int:
    """A demo activity waiting to be credited (the reviewer is not involved in it)."""
    with site.app_context():
        for act in db.session.execute(select(Activity).order_by(Activity.id)).scalars():
            if registry().phase(act.type_key, act.state) is Phase.CONFIRMED and act.type_key == "lecture":
                return act.id
    raise AssertionError("the demo has a lecture waiting to be credited")


def _written(site: Flask, act_id: int) -> tuple[str, int]:
    with site.app_context():
        state = db.session.get_one(Activity, act_id).state
        credits = db.session.execute(
            select(func.count()).select_from(CreditEntry).where(CreditEntry.activity_id == act_id)
        ).scalar_one()
    return state, credits


def test_a_reviewer_whose_role_was_taken_credits_nothing_from_a_page_opened_before(site):
    act_id = _confirmed_activity(site)
    reviewer = _signed_in(site, "reviewer")
    assert reviewer.get("/review").status_code == 200
    before = _written(site, act_id)
    _set_roles(site, "reviewer", ["teacher"])
    assert reviewer.get("/review").status_code == 403
    assert reviewer.get("/reports/summary.csv").status_code == 403
    assert reviewer.post(f"/review/{act_id}", data={"action": "credit", "comment": ""}).status_code == 403
    assert reviewer.post("/review/bulk", data={"action": "credit", "ids": [str(act_id)]}).status_code == 403
    assert _written(site, act_id) == before
    # the same request goes through once the role is given back: the refusal was the role's
    _set_roles(site, "reviewer", ["reviewer", "teacher"])
    assert reviewer.post(f"/review/{act_id}", data={"action": "credit", "comment": ""}).status_code == 302
    state, credits = _written(site, act_id)
    assert state != before[0] and credits > before[1]


def test_a_school_admin_whose_role_was_taken_changes_no_ones_roles(site):
    school_id, ids = _ids(site, "teacher5", "organizer")
    with site.app_context():
        users.add_role(db.session.get_one(User, ids["organizer"]), db.session.get_one(School, school_id),
                       "school_admin")
    organizer = _signed_in(site, "organizer")
    assert organizer.get("/admin/staff").status_code == 200
    _set_roles(site, "organizer", ["organizer", "teacher"])

    def logged() -> int:
        with site.app_context():
            return db.session.execute(select(func.count()).select_from(StaffChange)).scalar_one()

    before = logged()
    assert organizer.get("/admin/staff").status_code == 403
    r = organizer.post(f"/admin/staff/{ids['teacher5']}/roles", data={"roles": ["teacher", "reviewer"]})
    assert r.status_code == 403
    assert organizer.post(f"/admin/staff/{ids['teacher5']}/deactivate").status_code == 403
    with site.app_context():
        held = set(db.session.execute(select(Membership.role).where(
            Membership.user_id == ids["teacher5"], Membership.active.is_(True))).scalars())
    assert held == {"teacher"} and logged() == before


def test_a_password_reset_by_the_admin_ends_the_session_opened_with_the_old_one(site):
    teacher = _signed_in(site, "teacher6")
    admin = _signed_in(site, "admin")
    _school_id, ids = _ids(site, "teacher6")
    assert admin.post(f"/admin/staff/{ids['teacher6']}/password").status_code in (200, 302)
    assert teacher.get("/").status_code == 302
    assert login(site.test_client(), "teacher6", DEMO_PASSWORD).status_code == 401
