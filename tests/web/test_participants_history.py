"""Who added or took off whom: a change of an activity's list after planning is an entry of its
history (``participants.changed``), as a change of its attendance is.

Found: ``activities.set_participants`` and ``activities.remove_participant`` (the page and the API)
changed the list and left no trace. A district auditor asking why a teacher is credited for a
lecture found no one who added her, nor who took another off. Now each change writes one entry in
the same transaction (who was added with their role, whose role changed, who was taken off; the
actor), shown on the activity page, in the audit trail and its CSV, and by the API's history; a
change that changes nothing, or is refused, writes none. A sign-up list confirmed adds people too:
the same entry. The entry changes no hours, so its author stays free to approve."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.models import Activity, Participation, TransitionLog
from portal.services import access, activities, signup, transitions
from portal.testing import log_in
from tests.api.conftest import login as api_login
from tests.support import factories
from tests.support.factories import PASSWORD
from tests.support.spies import selects
from tests.support.texts import prose
from tests.web import test_participants_after_planning as planning
from tests.year.helpers import actor, closes_in, future_activity, school_with_teachers
from workflows.definition import HISTORY_ONLY, PARTICIPANTS_CHANGED, RECORDER

place = planning.place  # the school and its people (a fixture)
prepared = planning.prepared  # what place reads: built once per test process, copied for each test
S1, _plan = planning.S1, planning._plan


def _entries(act_id: int) -> list[TransitionLog]:
    db.session.expire_all()
    return list(db.session.scalars(select(TransitionLog).where(
        TransitionLog.activity_id == act_id, TransitionLog.trigger == PARTICIPANTS_CHANGED).order_by(TransitionLog.id)))


def _rows(act_id: int) -> tuple:
    """The list and the activity's history, to compare before and after a refusal."""
    db.session.expire_all()
    listed = tuple(db.session.execute(select(Participation.user_id, Participation.role)
                                      .where(Participation.activity_id == act_id).order_by(Participation.user_id)))
    history = tuple(db.session.execute(select(TransitionLog.id, TransitionLog.trigger)
                                       .where(TransitionLog.activity_id == act_id).order_by(TransitionLog.id)))
    return listed, history, db.session.scalar(select(func.count()).select_from(TransitionLog))


def _changes(p: dict[str, Any], *when: str) -> Activity:
    """The organizer adds 王雅琴 as speaker and 李娜, makes 张伟 speaker; the admin takes 艾静 off."""
    p["t4"].display_name = "李娜"
    db.session.commit()
    act = _plan(p, *when)
    activities.set_participants(act, p["organizer"], [
        {"user_id": p["t3"].id, "role": "speaker"}, {"user_id": p["t4"].id, "role": "attendee"},
        {"user_id": p["t1"].id, "role": "speaker"}, {"user_id": p["t2"].id, "role": "attendee"}])
    activities.remove_participant(act, p["admin"], p["t2"].id)
    db.session.commit()
    return act


def _item(html: str, n: int) -> str:
    """The ``n``-th list change of a page's timeline."""
    return html.split(f'data-trigger="{PARTICIPANTS_CHANGED}"')[n].split("data-trigger=")[0].split("</ol>")[0]


# -- the service --------------------------------------------------------------------------------


def test_each_change_is_an_entry_with_who_did_it_and_planning_is_none(app, place):
    act = _plan(place)
    assert _entries(act.id) == []  # the people planned in are the planning's, no change
    act = _changes(place)
    t1, t2, t3, t4 = (place[k].id for k in ("t1", "t2", "t3", "t4"))
    [added, removed] = _entries(act.id)
    assert (added.actor_id, added.from_state, added.to_state, added.comment) == (
        place["organizer"].id, "planned", "planned", "")
    assert added.payload == {"added": {str(t3): "speaker", str(t4): "attendee"},
                             "roles": {str(t1): ["attendee", "speaker"]}, "removed": {}}
    assert removed.actor_id == place["admin"].id
    assert removed.payload == {"added": {}, "roles": {}, "removed": {str(t2): "attendee"}}
    assert PARTICIPANTS_CHANGED in HISTORY_ONLY
    change = activities.list_changes(added.trigger, added.payload)
    assert change == activities.ListChange([(t3, "speaker"), (t4, "attendee")], [(t1, "attendee", "speaker")], [])
    assert activities.list_changes("attendance.recorded", added.payload) is None


def test_a_change_that_changes_nothing_or_is_refused_writes_no_entry(app, place):
    act = _changes(place, "2026-12-01T14:00", "2026-12-01T17:00")
    other = factories.school("S2", types=("lecture",))
    stranger = factories.person(other, "x1", "teacher")
    db.session.commit()
    before = _rows(act.id)
    # the same list again: everyone on it already, with the role they have
    assert activities.set_participants(act, place["organizer"], [{"user_id": place["t3"].id, "role": "speaker"},
                                                                 {"user_id": place["t1"].id, "role": "speaker"}]) == []
    db.session.commit()
    assert _rows(act.id) == before
    # refusals: a stranger (with a real change beside it), someone with evidence, someone not listed
    with pytest.raises(Invalid):
        activities.set_participants(act, place["organizer"], [{"user_id": place["t2"].id},
                                                               {"user_id": stranger.id}])
    db.session.rollback()
    activities.add_evidence(act, place["t4"], None, "reflection", "反思", text=prose(300, 8))
    db.session.commit()
    before = _rows(act.id)
    with pytest.raises(Conflict):  # evidence handed in
        activities.remove_participant(act, place["organizer"], place["t4"].id)
    db.session.rollback()
    with pytest.raises(NotFound):  # taken off already
        activities.remove_participant(act, place["organizer"], place["t2"].id)
    db.session.rollback()
    assert _rows(act.id) == before


def test_who_changed_the_list_may_still_approve(app, place):
    """A reviewer who is school admin adds someone and takes someone off: they changed no hours,
    so they are no recorder and, independent otherwise, approve the activity."""
    adm = factories.person(place["school"], "adm.rev", "school_admin", "reviewer", "teacher", name="管理审核人")
    db.session.commit()
    act = _plan(place, "2026-12-01T14:00", "2026-12-01T17:00")
    activities.set_participants(act, adm, [{"user_id": place["t3"].id}])
    activities.remove_participant(act, adm, place["t2"].id)
    activities.record_attendance(act, place["organizer"], [
        {"user_id": place["t1"].id, "attended_hours": "3"}, {"user_id": place["t3"].id, "attended_hours": "3"}])
    factories.fire(act, place["organizer"], "hold")
    db.session.commit()
    held = db.session.get(Activity, act.id)
    assert [e.actor_id for e in _entries(act.id)] == [adm.id, adm.id]
    assert adm.id not in access.involved_before([act.id]).get(act.id, access.NOBODY_EARLIER).recorders
    assert RECORDER not in access.activity_roles(held, adm.id, {"school_admin", "reviewer", "teacher"},
                                                 [place["t1"].id, place["t3"].id])
    assert "approve" in transitions.allowed_triggers(held, adm.id)
    factories.fire(held, adm, "approve", "材料齐全")
    assert db.session.get(Activity, act.id).state == "reviewed"


def test_a_sign_up_list_confirmed_is_the_same_entry(app):
    s, p, ts, act = (lambda s, p, ts: (s, p, ts, future_activity(s, p["organizer"])))(
        *school_with_teachers("SU", 3))
    signup.open_signup(act, 2, closes_in(7), by=actor(p["organizer"], s), tz=s.timezone)
    for t in ts[:2]:
        signup.sign_up(act, t, by=actor(t, s))
    before = {log.id for log in db.session.scalars(select(TransitionLog).where(TransitionLog.activity_id == act.id))}
    assert signup.confirm(act, by=actor(p["organizer"], s)) == 2
    [entry] = [e for e in _entries(act.id) if e.id not in before]
    assert entry.actor_id == p["organizer"].id
    assert entry.payload == {"added": {str(ts[0].id): "attendee", str(ts[1].id): "attendee"}, "roles": {},
                             "removed": {}}


# -- the page, the audit trail, the API ---------------------------------------------------------


def test_the_page_shows_who_changed_whom_in_chinese_and_english(app, place):
    act = _changes(place)
    viewer = log_in(app.test_client(), place["t1"], place["school"].id)
    zh = viewer.get(f"/activities/{act.id}?lang=zh_CN").get_data(as_text=True)
    first, second = _item(zh, 1), _item(zh, 2)
    assert "调整参加人员" in first and "新增 2 人、调整角色 1 人" in first
    assert "新增：王雅琴（主讲人）" in first and "新增：李娜（听讲教师）" in first
    assert "调整角色：张伟，听讲教师 → 主讲人" in first
    assert "移出 1 人" in second and "移出：艾静（听讲教师）" in second  # off the list, named still
    assert PARTICIPANTS_CHANGED not in zh.replace(f'data-trigger="{PARTICIPANTS_CHANGED}"', "")
    en = viewer.get(f"/activities/{act.id}?lang=en").get_data(as_text=True)
    first, second = _item(en, 1), _item(en, 2)
    assert "Participants changed" in first and "2 added, 1 role changed" in first
    assert "Added: 王雅琴 (Speaker)" in first and "Role changed: 张伟, Attendee → Speaker" in first
    assert "1 taken off" in second and "Taken off: 艾静 (Attendee)" in second
    assert "调整参加人员" not in en


def test_the_page_reads_the_names_of_those_taken_off_in_one_statement_only_then(app, place):
    act = _changes(place)
    viewer = log_in(app.test_client(), place["t1"], place["school"].id)
    plain = _plan(place, title="另一场")
    activities.set_participants(plain, place["organizer"], [{"user_id": place["t3"].id}])  # all still on it
    db.session.commit()
    counts = {}
    for key, aid in (("removed", act.id), ("on the list", plain.id)):
        viewer.get(f"/activities/{aid}")
        with selects() as seen:
            assert viewer.get(f"/activities/{aid}").status_code == 200
        counts[key] = len(seen)
    assert counts["removed"] == counts["on the list"] + 1


def test_the_audit_trail_and_its_csv_say_it(app, place):
    act = _changes(place)
    admin = log_in(app.test_client(), place["admin"], place["school"].id)
    html = admin.get(f"/admin/audit?trigger={PARTICIPANTS_CHANGED}&lang=zh_CN").get_data(as_text=True)
    assert f'<option value="{PARTICIPANTS_CHANGED}" selected>调整参加人员</option>' in html
    body = html.split("<tbody")[1]
    # each kind once, then whom: 「移出 1 人：移出：艾静」 said it twice
    assert "移出 1 人：艾静（听讲教师）" in body and "移出：" not in body
    assert "新增 2 人：王雅琴（主讲人）、李娜（听讲教师）；调整角色 1 人：张伟，听讲教师 → 主讲人" in body
    assert PARTICIPANTS_CHANGED not in body
    csv = admin.get(f"/admin/audit.csv?trigger={PARTICIPANTS_CHANGED}").get_data(as_text=True).splitlines()
    rows = [line for line in csv if "调整参加人员" in line]
    assert len(rows) == 2 and "adm," in rows[0] and "移出 1 人：艾静（听讲教师）" in rows[0]
    assert "org," in rows[1] and "新增 2 人：王雅琴（主讲人）" in rows[1]
    en = admin.get(f"/admin/audit?trigger={PARTICIPANTS_CHANGED}&lang=en").get_data(as_text=True)
    assert "1 taken off: 艾静 (Attendee)" in en.split("<tbody")[1] and "Taken off:" not in en.split("<tbody")[1]
    assert act.title in body


def test_the_api_history_returns_it(app, place):
    act = _plan(place, "2026-12-01T14:00", "2026-12-01T17:00")
    api = api_login(app.test_client(), "org", PASSWORD)
    path = f"/api/v1/activities/{act.id}/participants"
    assert api.post(path, json={"participants": [{"user_id": place["t3"].id, "role": "speaker"}]},
                    headers=S1).status_code == 200
    assert api.delete(f"{path}/{place['t2'].id}", headers=S1).status_code == 204
    assert api.post(path, json={"participants": [{"user_id": place["t3"].id, "role": "speaker"}]},
                    headers=S1).status_code == 200  # nothing changes: no entry
    history = api.get(f"/api/v1/activities/{act.id}/history", headers=S1).get_json()
    assert [(h["trigger"], h["actor"]["id"], h["payload"]) for h in history] == [
        (PARTICIPANTS_CHANGED, place["organizer"].id,
         {"added": {str(place["t3"].id): "speaker"}, "roles": {}, "removed": {}}),
        (PARTICIPANTS_CHANGED, place["organizer"].id,
         {"added": {}, "roles": {}, "removed": {str(place["t2"].id): "attendee"}}),
    ]
