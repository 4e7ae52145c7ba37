"""Nobody records their own attendance but an activity's organiser, once (``policy.may_record_own_attendance``).

Found (district auditor's walk, hEQ): a school admin may record the attendance of any activity
(``policy.may_organise``). Recorded absent without leave for all 5 hours of a colleague's talk —
enough to void her year (seed 004) — she opened its attendance while it waited for review, turned
her own row into 5 hours attended (or into leave), and the reviewer approved and credited it: 5
hours and a year recognised that the organiser's record said were neither. She also put herself
on a talk held days before and recorded her own hours. Now one's own row is another's to record or
change — the organiser enters theirs once, with the sign-in sheet (the speaker of their own talk);
a row of one's own sent as it stands changes nothing and passes (the page sends every row), and
the page shows it without fields. Refused rows change nothing, on the API, the page and the service."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, Participation, TransitionLog, User
from tests.api.conftest import ApiClient
from tests.api.conftest import login as api_login
from tests.web.conftest import login as web_login

OWN = "your own attendance is recorded or changed by someone else who runs the activity"
UNDO = "your own unexcused absence is recorded on this activity, and this would undo it"
OWN_RECORDED = "your own row is recorded already: a school admin changes it if it is wrong"
PLACE = "you are put on this activity's list, or given another role on it, by its organiser or another school admin"


def _id(username: str) -> int:
    return db.session.execute(select(User.id).where(User.username == username)).scalar_one()


def _rows(activity_id: int) -> dict[int, tuple[str | None, str, str]]:
    db.session.expire_all()
    return {p.user_id: (None if p.attended_hours is None else str(p.attended_hours), str(p.absent_hours),
                        str(p.excused_hours))
            for p in db.session.execute(select(Participation).where(Participation.activity_id == activity_id)).scalars()}


def _history(activity_id: int) -> int:
    return len(db.session.execute(select(TransitionLog.id).where(TransitionLog.activity_id == activity_id)).all())


def _talk(organiser: ApiClient, people: list[dict], day: str, title: str) -> int:
    r = organiser.post("/api/v1/activities", json={
        "type": "lecture", "title": title, "starts_at": f"{day}T08:00", "ends_at": f"{day}T12:00", "hours": 5,
        "details": {"topic": title}, "participants": people})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _refused(r, attendance_rows_before, activity_id: int, log_before: int, said: str = OWN) -> None:
    assert r.status_code == 422, r.get_json()
    assert said in str(r.get_json()["fields"]["attendance"])
    assert _rows(activity_id) == attendance_rows_before
    assert _history(activity_id) == log_before


def test_a_school_admin_does_not_turn_their_own_absence_into_hours_or_leave(client, demo):
    organiser, admin, reviewer = api_login(client, "organizer"), api_login(client, "admin"), api_login(client, "reviewer")
    me, t1 = _id("admin"), _id("teacher1")
    aid = _talk(organiser, [{"user_id": me}, {"user_id": t1}], "2026-12-03", "周四上午的专题讲座")
    r = organiser.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 0, "absent_hours": 5}, {"user_id": t1, "attended_hours": 5}])
    assert r.status_code == 200, r.get_json()
    assert organiser.post(f"/api/v1/activities/{aid}/transitions", json={"trigger": "hold"}).status_code == 200
    before, log = _rows(aid), _history(aid)

    # the API: her own row as hours attended, as leave, or in a save of the whole list
    for own in ({"attended_hours": 5}, {"attended_hours": 0, "excused_hours": 5},
                {"attended_hours": 0, "absent_hours": 2, "excused_hours": 3}):
        _refused(admin.put(f"/api/v1/activities/{aid}/attendance", json=[{"user_id": me, **own}]), before, aid, log)
    _refused(admin.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": t1, "attended_hours": 5}, {"user_id": me, "attended_hours": 5}]), before, aid, log)

    # her row sent as it stands changes nothing and passes, beside a change of another's
    r = admin.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 0, "absent_hours": 5}, {"user_id": t1, "attended_hours": 4.5}])
    assert r.status_code == 200, r.get_json()
    assert _rows(aid)[me] == before[me] and _rows(aid)[t1] == ("4.5", "0.0", "0.0")

    # the page: her row is shown without fields, and what is posted for it is not written
    web = client.application.test_client()
    web_login(web, "admin")
    page = web.get(f"/activities/{aid}/attendance")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="own-row-note"' in html
    assert f'name="attended-{me}"' in html and f'disabled aria-describedby="own-row-{me}"' in html
    r = web.post(f"/activities/{aid}/attendance", data={f"attended-{me}": "5", f"absent-{me}": "0", f"attended-{t1}": "5"})
    assert r.status_code == 302
    assert _rows(aid)[me] == before[me] and _rows(aid)[t1] == ("5.0", "0.0", "0.0")

    # the reviewer approves and credits what the organiser recorded of her: her year is not recognised
    for trigger in ("approve", "credit"):
        assert reviewer.post(f"/api/v1/activities/{aid}/transitions", json={"trigger": trigger}).status_code == 200
    credits = admin.get(f"/api/v1/users/{me}/credits?year=2026-2027").get_json()
    assert credits["status"] == "not_recognised"
    assert credits["absent_hours"]["1"] >= 5


def _roles(activity_id: int) -> dict[int, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(Participation.user_id, Participation.role)
                                   .where(Participation.activity_id == activity_id)).all())


def test_a_school_admin_neither_puts_herself_on_a_past_talk_nor_makes_herself_its_speaker(client, demo):
    """A role decides the hours (a speaker's are twice an attendee's): a school admin on a
    colleague's talk made herself its speaker once it was over, and put herself on another; her
    own place is its organiser's (or another admin's) to give, and her own hours are not hers to
    record even once she is on it."""
    organiser, admin = api_login(client, "organizer"), api_login(client, "admin")
    me, t1 = _id("admin"), _id("teacher1")
    listed = _talk(organiser, [{"user_id": me}, {"user_id": _id("teacher2")}], "2026-12-01", "周二上午的专题讲座")
    before, log = _roles(listed), _history(listed)
    for body in ({"participants": [{"user_id": me, "role": "speaker"}]},):
        r = admin.post(f"/api/v1/activities/{listed}/participants", json=body)
        assert r.status_code == 422 and PLACE in str(r.get_json()["fields"]), r.get_json()
    assert _roles(listed) == before and _history(listed) == log

    aid = _talk(organiser, [{"user_id": t1}], "2026-12-04", "周五上午的专题讲座")
    assert organiser.put(f"/api/v1/activities/{aid}/attendance",
                         json=[{"user_id": t1, "attended_hours": 5}]).status_code == 200
    assert organiser.post(f"/api/v1/activities/{aid}/transitions", json={"trigger": "hold"}).status_code == 200
    before, log = _roles(aid), _history(aid)
    r = admin.post(f"/api/v1/activities/{aid}/participants", json={"participants": [{"user_id": me}]})
    assert r.status_code == 422 and PLACE in str(r.get_json()["fields"]), r.get_json()
    assert _roles(aid) == before and _history(aid) == log
    # the organiser puts her on it (whatever the reason); her own row is still not hers to record
    r = organiser.post(f"/api/v1/activities/{aid}/participants", json={"participants": [{"user_id": me}]})
    assert r.status_code == 200, r.get_json()
    before, log = _rows(aid), _history(aid)
    _refused(admin.put(f"/api/v1/activities/{aid}/attendance", json=[{"user_id": me, "attended_hours": 5}]),
             before, aid, log)
    # the organiser records it (whatever it was)
    assert organiser.put(f"/api/v1/activities/{aid}/attendance",
                         json=[{"user_id": me, "attended_hours": 0, "absent_hours": 5}]).status_code == 200


def test_the_organiser_enters_their_own_row_once_and_another_changes_it(client, demo):
    organiser, admin = api_login(client, "organizer"), api_login(client, "admin")
    me, t1 = _id("organizer"), _id("teacher1")
    aid = _talk(organiser, [{"user_id": me, "role": "speaker"}, {"user_id": t1}], "2026-12-02", "周三上午的专题讲座")
    # the sign-in sheet, their own row with it: the speaker of their own talk
    r = organiser.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 4}, {"user_id": t1, "attended_hours": 5}])
    assert r.status_code == 200, r.get_json()
    before, log = _rows(aid), _history(aid)
    # told that a school admin changes it (hEU: not "its organiser", himself)
    _refused(organiser.put(f"/api/v1/activities/{aid}/attendance", json=[{"user_id": me, "attended_hours": 5}]),
             before, aid, log, said=OWN_RECORDED)
    # as it stands: passes
    assert organiser.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 4}, {"user_id": t1, "attended_hours": 4.5}]).status_code == 200
    # a school admin changes it
    assert admin.put(f"/api/v1/activities/{aid}/attendance",
                     json=[{"user_id": me, "attended_hours": 5}]).status_code == 200
    assert _rows(aid)[me] == ("5.0", "0.0", "0.0")


def test_nobody_cancels_away_their_own_recorded_absence(client, demo):
    """A cancelled activity's attendance counts nowhere: the organiser recorded absent without
    leave (by a school admin) cancelled his talk and the absence went with it; so did a school admin
    cancelling the talk she was recorded absent at. Refused; another who runs it cancels it."""
    organiser, admin = api_login(client, "organizer"), api_login(client, "admin")
    me, t2 = _id("organizer"), _id("teacher2")
    aid = _talk(organiser, [{"user_id": me}, {"user_id": t2}], "2026-11-30", "周一上午的专题讲座")
    assert admin.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 0, "absent_hours": 5}, {"user_id": t2, "attended_hours": 5}]).status_code == 200
    log = _history(aid)
    assert "cancel" not in organiser.get(f"/api/v1/activities/{aid}").get_json()["allowed_triggers"]  # not offered
    assert "cancel" in admin.get(f"/api/v1/activities/{aid}").get_json()["allowed_triggers"]
    r = organiser.post(f"/api/v1/activities/{aid}/transitions", json={"trigger": "cancel", "comment": "取消"})
    assert r.status_code == 403, r.get_json()
    assert UNDO in r.get_json()["message"]
    db.session.expire_all()
    assert db.session.get_one(Activity, aid).state == "planned" and _history(aid) == log

    other = _talk(organiser, [{"user_id": _id("admin")}, {"user_id": t2}], "2026-11-27", "周五上午的另一讲座")
    assert organiser.put(f"/api/v1/activities/{other}/attendance", json=[
        {"user_id": _id("admin"), "attended_hours": 0, "absent_hours": 5},
        {"user_id": t2, "attended_hours": 5}]).status_code == 200
    assert "cancel" not in admin.get(f"/api/v1/activities/{other}").get_json()["allowed_triggers"]
    r = admin.post(f"/api/v1/activities/{other}/transitions", json={"trigger": "cancel", "comment": "取消"})
    assert r.status_code == 403 and UNDO in r.get_json()["message"]
    db.session.expire_all()
    assert db.session.get_one(Activity, other).state == "planned"

    # a school admin with nothing recorded of her cancels the organiser's talk (he is told why)
    r = admin.post(f"/api/v1/activities/{aid}/transitions", json={"trigger": "cancel", "comment": "活动未按计划举行"})
    assert r.status_code == 200, r.get_json()
