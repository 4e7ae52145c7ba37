"""Who changed whose hours: a save of attendance is an entry of the activity's history, and its
author does not approve the activity (four eyes).

Found: ``activities.record_attendance`` overwrote the hours and left no trace, and the attendance
stays editable while the activity awaits review. A reviewer who is also school admin (who may
record any activity's attendance) raised a participant's hours while it sat in the review queue and
then approved it: the four-eyes rule counted only whoever fired the step into review. Now each save
that changes hours writes one ``attendance.recorded`` entry (who saved, the changed rows old and
new) in the same transaction, shown on the activity page and in the audit trail, and whoever wrote
it is involved in the activity (relation ``recorder``): they neither approve nor stand in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import Activity, Participation, School, TransitionLog, User
from portal.services import access, transitions
from portal.timeutil import utcnow
from tests.credits.helpers import DETAILS
from tests.support import factories as f
from tests.web.test_demoted_organizer_and_handover import _api, _state, _web
from tests.web.test_handover_keeps_duties_apart import api_offers_no_approve
from workflows.definition import ATTENDANCE_RECORDED, HISTORY_ONLY, RECORDER


@dataclass
class Scene:
    school: School
    admin: User  # school admin (and reviewer, when asked): raises a participant's hours
    other_admin: User
    organizer: User
    reviewer: User
    t1: User
    t2: User
    act: Activity


def _scene(*, admin_reviews: bool = True, reviewer_takes_part: bool = False) -> Scene:
    s = f.school("AH", types=("lecture",))
    admin_roles = ("school_admin", "reviewer", "teacher") if admin_reviews else ("school_admin", "teacher")
    admin = f.person(s, "ah.adm", *admin_roles, name="录入管理员")
    admin2 = f.person(s, "ah.adm2", "school_admin", "teacher", name="另一管理员")
    org = f.person(s, "ah.org", "organizer", "teacher", name="组长")
    rev = f.person(s, "ah.rev", "reviewer", "teacher", name="审核人")
    t1 = f.person(s, "ah.t1", "teacher", name="甲老师")
    t2 = f.person(s, "ah.t2", "teacher", name="乙老师")
    people = [(t1, "attendee"), (t2, "attendee")] + ([(rev, "attendee")] if reviewer_takes_part else [])
    act = f.plan(s, org, "lecture", people, DETAILS["lecture"], start=utcnow() - timedelta(days=2),
                 title="改过学时的讲座")
    f.attend(act, org, hours={t1.id: "2"}, absent={t1.id: "1"})
    db.session.commit()
    return Scene(s, admin, admin2, org, rev, t1, t2, db.session.get(Activity, act.id))


def _timeline_item(html: str, n: int) -> str:
    """The ``n``-th attendance entry of a page's timeline (-1: the last)."""
    return html.split(f'data-trigger="{ATTENDANCE_RECORDED}"')[n].split("data-trigger=")[0].split("</ol>")[0]


def _entries(act_id: int) -> list[TransitionLog]:
    db.session.expire_all()
    return list(db.session.execute(select(TransitionLog).where(
        TransitionLog.activity_id == act_id, TransitionLog.trigger == ATTENDANCE_RECORDED)
        .order_by(TransitionLog.id)).scalars())


def _raise_t1_on_the_web(app, sc: Scene) -> None:
    """The admin raises 甲老师 to the full three hours through the attendance form."""
    form = {f"attended-{sc.t1.id}": "3", f"absent-{sc.t1.id}": "0", f"excused-{sc.t1.id}": "0",
            f"attended-{sc.t2.id}": "3", f"absent-{sc.t2.id}": "0", f"excused-{sc.t2.id}": "0"}
    r = _web(app, "ah.adm").post(f"/activities/{sc.act.id}/attendance", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:500]


def _refused_everywhere(app, sc: Scene, who: User, *, queue: bool) -> None:
    held = db.session.get(Activity, sc.act.id)
    before = _state()
    assert transitions.allowed_triggers(held, who.id) == []
    with pytest.raises(Forbidden) as own:
        f.fire(held, who, "approve", "材料齐全")
    db.session.rollback()
    assert own.value.msg.code == "trigger.independent"
    web = _web(app, who.username)
    if queue:
        page = web.get("/review").get_data(as_text=True)
        assert f'data-testid="queue-item-{held.id}"' in page
        assert f'data-testid="approve-{held.id}"' not in page
    page = web.get(f"/activities/{held.id}").get_data(as_text=True)
    assert 'value="approve"' not in page
    assert web.post(f"/activities/{held.id}/trigger", data={"trigger": "approve", "comment": "材料齐全"}
                    ).status_code == 403
    api_offers_no_approve(app, who.username, "AH", held.id)
    assert _state() == before
    assert db.session.get(Activity, held.id).state == "held"


def test_the_reviewer_admin_who_raised_hours_while_held_does_not_approve(app):
    sc = _scene()
    f.fire(sc.act, sc.organizer, "hold")
    db.session.commit()
    assert transitions.allowed_triggers(db.session.get(Activity, sc.act.id), sc.admin.id) == ["approve", "return"]
    _raise_t1_on_the_web(app, sc)
    _refused_everywhere(app, sc, sc.admin, queue=True)
    [first, entry] = _entries(sc.act.id)  # the organiser's recording, then the admin's
    assert first.actor_id == sc.organizer.id
    assert entry.actor_id == sc.admin.id and entry.from_state == entry.to_state == "held"
    assert entry.payload == {"changes": {str(sc.t1.id): {"attended": ["2", "3"], "absent": ["1", "0"],
                                                        "excused": ["0", "0"]}}}
    api = _api(app, "ah.t2").get(f"/api/v1/activities/{sc.act.id}/history", headers={"X-School": "AH"}).get_json()
    assert [(e["trigger"], e["actor"]["id"], e["payload"]) for e in api if e["trigger"] == ATTENDANCE_RECORDED][-1] == (
        ATTENDANCE_RECORDED, sc.admin.id,  # the API gives the hours as numbers
        {"changes": {str(sc.t1.id): {"attended": [2, 3], "absent": [1, 0], "excused": [0, 0]}}})
    roles = access.activity_roles(db.session.get(Activity, sc.act.id), sc.admin.id,
                                  {"school_admin", "reviewer", "teacher"}, [sc.t1.id, sc.t2.id])
    assert RECORDER in roles
    # the independent reviewer decides it
    page = _web(app, "ah.rev").get("/review").get_data(as_text=True)
    assert f'data-testid="approve-{sc.act.id}"' in page
    f.fire(db.session.get(Activity, sc.act.id), sc.reviewer, "approve", "材料齐全")
    assert db.session.get(Activity, sc.act.id).state == "reviewed"


def test_an_edit_while_open_counts_and_the_editor_does_not_stand_in(app):
    """A school admin (no reviewer) changes the hours while the activity is still open; the
    organiser holds it. The school's only reviewer took part: the admin who edited does not
    stand in, the other admin does."""
    sc = _scene(admin_reviews=False, reviewer_takes_part=True)
    f.attend(sc.act, sc.admin, hours={sc.t1.id: "3"})
    f.fire(sc.act, sc.organizer, "hold")
    db.session.commit()
    _refused_everywhere(app, sc, sc.admin, queue=False)
    assert [e.actor_id for e in _entries(sc.act.id)] == [sc.organizer.id, sc.admin.id]
    assert access.involved_before([sc.act.id])[sc.act.id].recorders == {sc.admin.id, sc.organizer.id}
    assert transitions.allowed_triggers(db.session.get(Activity, sc.act.id), sc.other_admin.id) == ["approve", "return"]
    f.fire(db.session.get(Activity, sc.act.id), sc.other_admin, "approve", "材料齐全")
    assert db.session.get(Activity, sc.act.id).state == "reviewed"


def test_a_save_that_changes_nothing_or_is_refused_writes_no_entry(app):
    sc = _scene()
    assert len(_entries(sc.act.id)) == 1  # the organiser's first recording (everyone set)
    f.attend(sc.act, sc.organizer, hours={sc.t1.id: "2"}, absent={sc.t1.id: "1"})  # the same again
    db.session.commit()
    assert len(_entries(sc.act.id)) == 1
    before = _state()
    form = {f"attended-{sc.t1.id}": "abc", f"attended-{sc.t2.id}": "2"}  # 乙 would change: all or nothing
    r = _web(app, "ah.adm").post(f"/activities/{sc.act.id}/attendance", data=form)
    assert r.status_code == 422
    assert _state() == before
    hours = {p.user_id: p.attended_hours for p in db.session.execute(
        select(Participation).where(Participation.activity_id == sc.act.id)).scalars()}
    assert hours == {sc.t1.id: 2, sc.t2.id: 3}


def test_the_first_recording_lists_everyone_set(app):
    sc = _scene()
    [first] = _entries(sc.act.id)
    assert first.actor_id == sc.organizer.id
    assert first.payload["changes"][str(sc.t2.id)] == {"attended": [None, "3"], "absent": ["0", "0"],
                                                       "excused": ["0", "0"]}
    assert ATTENDANCE_RECORDED in HISTORY_ONLY


def test_the_entry_is_shown_on_the_page_and_in_the_audit_trail(app):
    sc = _scene()
    f.fire(sc.act, sc.organizer, "hold")
    db.session.commit()
    _raise_t1_on_the_web(app, sc)
    [_first, entry] = _entries(sc.act.id)
    zh = _web(app, "ah.t2").get(f"/activities/{sc.act.id}?lang=zh_CN").get_data(as_text=True)
    item = _timeline_item(zh, -1)
    assert "登记考勤" in item and "1 人的学时有改动" in item and "录入管理员" in item
    assert "甲老师：出勤 2 → 3、缺席 1 → 0" in item and "乙老师" not in item
    first = _timeline_item(zh, 1)
    assert "2 人的学时有改动" in first and "乙老师：出勤 — → 3" in first
    en = _web(app, "ah.t2").get(f"/activities/{sc.act.id}?lang=en").get_data(as_text=True)
    item = _timeline_item(en, -1)
    assert "Attendance recorded" in item and "1 person's hours changed" in item.replace("&#39;", "'")
    assert "甲老师: Attended 2 → 3, Absent 1 → 0" in item
    admin = _web(app, "ah.adm2")
    html = admin.get(f"/admin/audit?trigger={ATTENDANCE_RECORDED}&lang=zh_CN").get_data(as_text=True)
    assert f'<option value="{ATTENDANCE_RECORDED}" selected>登记考勤</option>' in html
    assert "1 人的学时有改动：甲老师：出勤 2 → 3、缺席 1 → 0" in html
    assert ATTENDANCE_RECORDED not in html.split("<tbody")[1]  # the action in words, not its code
    csv = admin.get(f"/admin/audit.csv?trigger={ATTENDANCE_RECORDED}").get_data(as_text=True).splitlines()
    rows = [line for line in csv if "登记考勤" in line]
    assert len(rows) == 2 and "ah.adm," in rows[0] and "1 人的学时有改动：甲老师：出勤 2 → 3、缺席 1 → 0" in rows[0]
    assert "ah.org," in rows[1] and "乙老师：出勤 — → 3" in rows[1]
    assert entry.id > _first.id
