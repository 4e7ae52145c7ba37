"""After the own-record rule (hEQ), the organiser's pages say who records, changes or cancels
over their own row (hEU, an organiser's week): the cancel withheld from an organiser whose own
attendance is recorded vanished from the activity page without a word, and the attendance page
told the organiser that their recorded row was changed by "its organiser or a school admin" —
themself — and said nothing before they entered it that it could be entered only once."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, User
from tests.api.conftest import login as api_login
from tests.web.conftest import login as web_login


def _id(username: str) -> int:
    return db.session.execute(select(User.id).where(User.username == username)).scalar_one()


def _talk(api, people: list[dict], day: str, title: str) -> int:
    r = api.post("/api/v1/activities", json={
        "type": "lecture", "title": title, "starts_at": f"{day}T08:00", "ends_at": f"{day}T12:00", "hours": 5,
        "details": {"topic": title}, "participants": people})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def test_the_organiser_is_told_who_cancels_over_their_own_record(client, demo):
    organiser, admin = api_login(client, "organizer"), api_login(client, "admin")
    me, t2 = _id("organizer"), _id("teacher2")
    aid = _talk(organiser, [{"user_id": me, "role": "speaker"}, {"user_id": t2}], "2026-11-30", "周一上午的专题讲座")
    web = client.application.test_client()
    web_login(web, "organizer")
    html = web.get(f"/activities/{aid}").get_data(as_text=True)
    assert 'data-testid="not-over-own-record"' not in html  # nothing recorded of him: he cancels it
    # his own attendance recorded: his loss if he cancels, so he may (hEV)
    assert organiser.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 5}, {"user_id": t2, "attended_hours": 5}]).status_code == 200
    html = web.get(f"/activities/{aid}").get_data(as_text=True)
    assert 'data-testid="not-over-own-record"' not in html
    assert "cancel" in organiser.get(f"/api/v1/activities/{aid}").get_json()["allowed_triggers"]
    # his own absence without leave recorded (by the school admin): cancelling it would undo it
    assert admin.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 0, "absent_hours": 5}]).status_code == 200
    html = web.get(f"/activities/{aid}").get_data(as_text=True)
    assert 'data-testid="not-over-own-record"' in html
    assert "您本人的未请假缺席已登记在此活动中，取消须由负责此活动的其他人办理" in html
    # the school admin, with nothing of hers recorded, is offered it and told nothing of the kind
    web_admin = client.application.test_client()
    web_login(web_admin, "admin")
    html = web_admin.get(f"/activities/{aid}").get_data(as_text=True)
    assert 'data-testid="not-over-own-record"' not in html
    assert "cancel" in admin.get(f"/api/v1/activities/{aid}").get_json()["allowed_triggers"]


def test_the_attendance_page_names_who_records_ones_own_row(client, demo):
    organiser = api_login(client, "organizer")
    me, t1, boss = _id("organizer"), _id("teacher1"), _id("admin")
    aid = _talk(organiser, [{"user_id": me, "role": "speaker"}, {"user_id": t1}, {"user_id": boss}],
                "2026-12-02", "周三上午的专题讲座")
    web = client.application.test_client()
    web_login(web, "organizer")
    html = web.get(f"/activities/{aid}/attendance").get_data(as_text=True)
    assert 'data-testid="own-row-once"' in html and "您本人的出勤只能与大家的一起登记一次" in html
    assert 'data-testid="own-row-note"' not in html
    assert organiser.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 5}, {"user_id": t1, "attended_hours": 5}]).status_code == 200
    html = web.get(f"/activities/{aid}/attendance").get_data(as_text=True)
    assert 'data-testid="own-row-once"' not in html
    note = html.split('data-testid="own-row-note">', 1)[1].split("</div>", 1)[0]
    assert note == "您本人的出勤已登记：如有误，请学校管理员更改（任何人不得决定自己的学时）。"  # not "the organiser": him
    # the school admin on it is told her row is the organiser's, by name, to record
    web_admin = client.application.test_client()
    web_login(web_admin, "admin")
    html = web_admin.get(f"/activities/{aid}/attendance").get_data(as_text=True)
    organiser_name = db.session.get_one(User, me).display_name
    note = html.split('data-testid="own-row-note">', 1)[1].split("</div>", 1)[0]
    assert note == f"您本人的出勤须由活动组织者{organiser_name}或其他学校管理员登记或更改：任何人不得决定自己的学时。"
    assert 'data-testid="own-row-once"' not in html


def test_a_move_refused_over_ones_own_record_names_who_cancels(client, demo):
    """A talk whose attendance is recorded no longer moves, and the refusal said to cancel it and
    plan it again — a cancel the organiser recorded absent on it may not take: he is told someone
    else who runs it cancels it; the school admin with nothing of hers recorded, and the organiser
    with only his attendance recorded, are told to cancel it, as before."""
    organiser, admin = api_login(client, "organizer"), api_login(client, "admin")
    me, t1 = _id("organizer"), _id("teacher1")
    aid = _talk(organiser, [{"user_id": me, "role": "speaker"}, {"user_id": t1}], "2026-12-03", "周四上午的专题讲座")
    assert organiser.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 5}, {"user_id": t1, "attended_hours": 5}]).status_code == 200
    move = {"starts_at": "2026-12-04T08:00", "ends_at": "2026-12-04T12:00"}
    r = organiser.post(f"/api/v1/activities/{aid}/reschedule", json=move)
    assert r.status_code == 409 and r.get_json()["message"].endswith("(cancel it and plan it again)"), r.get_json()
    assert admin.put(f"/api/v1/activities/{aid}/attendance", json=[
        {"user_id": me, "attended_hours": 0, "absent_hours": 5}]).status_code == 200
    r = organiser.post(f"/api/v1/activities/{aid}/reschedule", json=move)
    assert r.status_code == 409, r.get_json()
    assert ("your own unexcused absence with it: it can no longer move (someone else who runs it cancels it"
            in r.get_json()["message"])
    r = admin.post(f"/api/v1/activities/{aid}/reschedule", json=move)
    assert r.status_code == 409 and r.get_json()["message"].endswith("(cancel it and plan it again)"), r.get_json()
    db.session.expire_all()
    assert db.session.get_one(Activity, aid).starts_at.day == 3
    assert "cancel" in admin.get(f"/api/v1/activities/{aid}").get_json()["allowed_triggers"]
