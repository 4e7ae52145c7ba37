"""A reviewer decides on the figures they were shown. Attendance changed by the organizer after
the review queue (or the activity page) was loaded used to be approved and credited by the
reviewer's next click, unseen: 3 h of unexcused absence wiped between looking and clicking.
Each review form now carries the activity's version, and a step on an activity that moved since
is refused, whole, until the reviewer has looked again."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, Participation, School, TransitionLog, User
from portal.services import activities


def _card_form(page: str, aid: int) -> dict[str, str]:
    """The fields of the activity's decide form on the queue, as the browser would send them."""
    form = re.search(rf'data-testid="decide-form-{aid}">(.*?)</form>', page, re.S)
    assert form, "no decide form"
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form[1]))


def _organizer_wipes_the_absence(site, ids: dict[str, int]) -> None:
    with site.app_context():
        act = db.session.get_one(Activity, ids["act"])
        organizer = db.session.get_one(User, act.organizer_id)
        activities.record_attendance(act, organizer, [
            {"user_id": ids["t1"], "attended_hours": "4", "absent_hours": "0", "excused_hours": "0"}])
        db.session.commit()


def _state_and_steps(site, aid: int) -> tuple[str, int]:
    with site.app_context():
        state = db.session.execute(select(Activity.state).where(Activity.id == aid)).scalar_one()
        steps = db.session.execute(select(func.count()).select_from(TransitionLog).where(
            TransitionLog.activity_id == aid, TransitionLog.trigger == "approve")).scalar_one()
        return state, steps


def test_a_queue_card_loaded_before_the_attendance_changed_approves_nothing(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    shown = _card_form(reviewer.get("/review").get_data(as_text=True), aid)
    assert shown["version"].isdigit() and shown[f"would-{held['t1']}"] == "1"
    _organizer_wipes_the_absence(site, held)
    page = reviewer.post(f"/review/{aid}", data={**shown, "action": "approve", "comment": ""},
                         follow_redirects=True).get_data(as_text=True)
    assert "您打开后该活动已有变动" in page
    assert _state_and_steps(site, aid) == ("held", 0)  # nothing happened
    # looked at again: the figures now shown (4 h) are the ones approved (t1 now on the plain rule: the
    # card counts them, everyone listed one click away)
    again = _card_form(reviewer.get(f"/review?people={aid}").get_data(as_text=True), aid)
    assert again["version"] != shown["version"] and again[f"would-{held['t1']}"] == "4"
    reviewer.post(f"/review/{aid}", data={**again, "action": "approve", "comment": ""})
    assert _state_and_steps(site, aid) == ("reviewed", 1)
    with site.app_context():
        payload = db.session.execute(select(TransitionLog.payload).where(
            TransitionLog.activity_id == aid, TransitionLog.trigger == "approve")).scalar_one()
        assert payload["approved_hours"][str(held["t1"])] == "4.0"


def test_the_bulk_approval_and_the_activity_page_ask_the_same(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    queue = reviewer.get("/review").get_data(as_text=True)
    bulk_version = re.search(rf'name="version-{aid}" value="(\d+)" form="bulk-approve"', queue)
    activity_page = reviewer.get(f"/activities/{aid}").get_data(as_text=True)
    page_version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', activity_page)
    assert bulk_version and page_version and bulk_version[1] == page_version[1]
    _organizer_wipes_the_absence(site, held)
    page = reviewer.post("/review/bulk", data={"action": "approve", "ids": [str(aid)], f"version-{aid}": bulk_version[1]},
                         follow_redirects=True).get_data(as_text=True)
    assert "您打开后该活动已有变动" in page and "已完成 0 / 1 项活动" in page
    r = reviewer.post(f"/activities/{aid}/trigger", data={"trigger": "approve", "comment": "", "version": page_version[1]})
    assert r.status_code == 409 and "您打开后该活动已有变动" in r.get_data(as_text=True)
    assert _state_and_steps(site, aid) == ("held", 0)
    # the refused page carries the version it now shows: the next click is taken
    fresh = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', r.get_data(as_text=True))
    assert fresh and fresh[1] != page_version[1]
    r = reviewer.post(f"/activities/{aid}/trigger", data={"trigger": "approve", "comment": "", "version": fresh[1]})
    assert r.status_code == 302 and _state_and_steps(site, aid) == ("reviewed", 1)


def test_a_garbled_version_is_a_clear_refusal_that_changes_nothing(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    for bad in ("abc", "0", "-3", "99999999999", "1.5"):
        r = reviewer.post(f"/activities/{aid}/trigger", data={"trigger": "approve", "comment": "", "version": bad})
        assert r.status_code == 422 and "所读取的活动版本号须为整数" in r.get_data(as_text=True), bad
    assert _state_and_steps(site, aid) == ("held", 0)
    with site.app_context():  # the attendance the organizer recorded is as it was
        attended = db.session.execute(select(Participation.attended_hours).where(
            Participation.activity_id == aid, Participation.user_id == held["t1"])).scalar_one()
        assert attended == 1


def test_settings_that_change_the_hours_move_the_version_too(site, as_user, held):
    """A school admin raised the speaker multiplier between the reviewer's look and click: the
    approval took 30 hours where 6 were shown. The type's settings moved, so did every activity
    of the type still to be credited; settings saved unchanged move nothing."""
    from portal.policy import SYSTEM
    from portal.services import schools

    aid = held["act"]
    reviewer = as_user("reviewer")
    shown = _card_form(reviewer.get("/review").get_data(as_text=True), aid)
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        now = schools.type_settings(school.id, "lecture")
        schools.set_type(school, "lecture", settings={"speaker_multiplier": now["speaker_multiplier"]}, by=SYSTEM)
        db.session.commit()
    assert _card_form(reviewer.get("/review").get_data(as_text=True), aid)["version"] == shown["version"]
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        schools.set_type(school, "lecture", settings={"speaker_multiplier": 10}, by=SYSTEM)
        db.session.commit()
        credited = db.session.execute(select(Activity.version).where(
            Activity.school_id == school.id, Activity.type_key == "lecture", Activity.state == "credited")).scalars().all()
    page = reviewer.post(f"/review/{aid}", data={**shown, "action": "approve", "comment": ""},
                         follow_redirects=True).get_data(as_text=True)
    assert "您打开后该活动已有变动" in page and _state_and_steps(site, aid) == ("held", 0)
    again = _card_form(reviewer.get("/review").get_data(as_text=True), aid)
    reviewer.post(f"/review/{aid}", data={**again, "action": "approve", "comment": ""})
    assert _state_and_steps(site, aid) == ("reviewed", 1)
    with site.app_context():  # a credited activity is history: its version stays
        assert db.session.execute(select(Activity.version).where(
            Activity.type_key == "lecture", Activity.state == "credited")).scalars().all() == credited
