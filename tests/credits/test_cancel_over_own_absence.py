"""A cancel is refused over one's own record only where it undoes one's own absence (hEV).

Found (an organiser's walk, hEU): after the own-record rule (hEQ) refused a cancel to whoever had
their own attendance recorded on it, a talk that its organiser and the school's only admin both
attended could be cancelled by nobody, while the page told the organiser "a school admin does it".
What a cancel undoes that serves oneself is one's own absence without leave (it counts towards the
limit that voids a year); the hours attended, or the leave, it takes from oneself are one's own
loss. So only a row of one's own unexcused absence refuses it; and an organiser who is the school's
admin too is told that *another* school admin changes their recorded row."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, Membership
from tests.api.conftest import ApiClient
from tests.api.conftest import login as api_login
from tests.credits.test_own_attendance import UNDO, _history, _id, _rows, _talk
from tests.web.conftest import login as web_login


def _state(activity_id: int) -> str:
    db.session.expire_all()
    return db.session.get_one(Activity, activity_id).state


def _school_admins(school_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(Membership).where(
        Membership.school_id == school_id, Membership.role == "school_admin", Membership.active.is_(True))).scalar_one()


def _only_admin(admin_id: int) -> None:
    """The demo's other school admin (its deputy head, ``demo_declarations``) taken off the staff
    by the admin: the school's admin is the only one."""
    from portal.models import School
    from portal.services import access, staff

    school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
    staff.deactivate(school, _id("deputy"), by=access.actor(admin_id, school.id))
    db.session.commit()


def test_the_organiser_and_the_only_school_admin_both_present_may_cancel(client, demo):
    organiser, admin = api_login(client, "organizer"), api_login(client, "admin")
    me, boss, t2 = _id("organizer"), _id("admin"), _id("teacher2")
    people = [{"user_id": me, "role": "speaker"}, {"user_id": boss}, {"user_id": t2}]
    present = [{"user_id": me, "attended_hours": 5}, {"user_id": boss, "attended_hours": 5},
               {"user_id": t2, "attended_hours": 5}]
    _only_admin(boss)
    first = _talk(organiser, people, "2026-11-30", "周一上午的专题讲座")
    second = _talk(organiser, people, "2026-12-01", "周二上午的专题讲座")
    assert _school_admins(db.session.get_one(Activity, first).school_id) == 1  # nobody else runs it
    for aid in (first, second):
        assert organiser.put(f"/api/v1/activities/{aid}/attendance", json=present).status_code == 200
        assert "cancel" in organiser.get(f"/api/v1/activities/{aid}").get_json()["allowed_triggers"]
        assert "cancel" in admin.get(f"/api/v1/activities/{aid}").get_json()["allowed_triggers"]
    for who in ("organizer", "admin"):  # neither page says "someone else does it"
        web = client.application.test_client()
        web_login(web, who)
        html = web.get(f"/activities/{first}").get_data(as_text=True)
        assert 'data-testid="not-over-own-record"' not in html and 'value="cancel"' in html
    r = admin.post(f"/api/v1/activities/{first}/transitions", json={"trigger": "cancel", "comment": "场地冲突，取消"})
    assert r.status_code == 200, r.get_json()
    assert _state(first) == "cancelled"
    r = organiser.post(f"/api/v1/activities/{second}/transitions", json={"trigger": "cancel", "comment": "主讲人生病"})
    assert r.status_code == 200, r.get_json()
    assert _state(second) == "cancelled"


def _organisers_row_by_the_admin(client, day: str, own: dict) -> tuple[ApiClient, int]:
    """A talk on ``day`` with its organiser and teacher2 on it, its attendance recorded by the
    school admin: the organiser's row ``own``, teacher2 present."""
    organiser, admin = api_login(client, "organizer"), api_login(client, "admin")
    me, t2 = _id("organizer"), _id("teacher2")
    aid = _talk(organiser, [{"user_id": me}, {"user_id": t2}], day, "上午的专题讲座")
    assert admin.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, **own}, {"user_id": t2, "attended_hours": 5}]).status_code == 200
    return organiser, aid


def test_a_row_of_leave_only_does_not_refuse_a_cancel(client, demo):
    organiser, aid = _organisers_row_by_the_admin(client, "2026-11-27", {"attended_hours": 0, "excused_hours": 5})
    assert "cancel" in organiser.get(f"/api/v1/activities/{aid}").get_json()["allowed_triggers"]
    r = organiser.post(f"/api/v1/activities/{aid}/transitions", json={"trigger": "cancel", "comment": "改为线上教研"})
    assert r.status_code == 200, r.get_json()
    assert _state(aid) == "cancelled"


def test_an_hour_of_ones_own_absence_still_refuses_it_and_nothing_is_written(client, demo):
    organiser, aid = _organisers_row_by_the_admin(client, "2026-11-26", {"attended_hours": 4, "absent_hours": 1})
    before, log = _rows(aid), _history(aid)
    assert "cancel" not in organiser.get(f"/api/v1/activities/{aid}").get_json()["allowed_triggers"]
    r = organiser.post(f"/api/v1/activities/{aid}/transitions", json={"trigger": "cancel", "comment": "取消"})
    assert r.status_code == 403 and UNDO in r.get_json()["message"], r.get_json()
    assert _state(aid) == "planned" and _rows(aid) == before and _history(aid) == log


def test_an_organiser_who_is_the_school_admin_is_told_another_changes_their_row(client, demo):
    me, t1 = _id("organizer"), _id("teacher1")
    school_id = db.session.execute(select(Membership.school_id).where(
        Membership.user_id == me, Membership.school_id.is_not(None))).scalars().first()
    db.session.add(Membership(user_id=me, school_id=school_id, role="school_admin", active=True))
    db.session.commit()
    organiser = api_login(client, "organizer")
    aid = _talk(organiser, [{"user_id": me, "role": "speaker"}, {"user_id": t1}], "2026-12-02", "周三上午的专题讲座")
    web = client.application.test_client()
    web_login(web, "organizer")
    html = web.get(f"/activities/{aid}/attendance").get_data(as_text=True)
    assert "您本人的出勤只能与大家的一起登记一次：之后须由其他学校管理员更改。" in html
    assert organiser.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 4}, {"user_id": t1, "attended_hours": 5}]).status_code == 200
    html = web.get(f"/activities/{aid}/attendance").get_data(as_text=True)
    note = html.split('data-testid="own-row-note">', 1)[1].split("</div>", 1)[0]
    assert note == "您本人的出勤已登记：如有误，请其他学校管理员更改（任何人不得决定自己的学时）。"
    before, log = _rows(aid), _history(aid)
    r = organiser.put(f"/api/v1/activities/{aid}/attendance", json=[{"user_id": me, "attended_hours": 5}])
    assert r.status_code == 422, r.get_json()
    assert "another school admin changes it if it is wrong" in str(r.get_json()["fields"]["attendance"])
    assert _rows(aid) == before and _history(aid) == log
