"""Who recorded an activity's attendance and brought it to review does not approve it (four eyes).

Found: a school admin may record the attendance of any activity (``policy.may_organise``) and mark
it held; with every reviewer of the school taking part (nobody independent), the same admin then
stood in and approved it — the hours recorded and confirmed by one person. And a reviewer who is
school admin too recorded an activity as admin and approved it as reviewer. Now whoever fired the
step that brought the activity into review is involved in it (relation ``recorder``, read from its
history with the handovers: ``access.involved_before``): they neither approve nor stand in, on
the queue, the page, the API and the service alike; another school admin (or an independent
reviewer) decides it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import Activity, School, TransitionLog, User
from portal.services import access, activities, staff, transitions
from portal.timeutil import utcnow
from tests.credits.helpers import DETAILS
from tests.support import factories as f
from tests.web.test_demoted_organizer_and_handover import _rows, _state, _web
from tests.web.test_handover_keeps_duties_apart import api_offers_no_approve
from workflows.definition import RECORDER


@dataclass
class Scene:
    school: School
    admin: User  # records the attendance and marks it held
    other_admin: User | None
    organizer: User
    reviewer: User  # the school's only reviewer, taking part
    held: Activity


def _scene(*, other_admin: bool = True) -> Scene:
    s = f.school("RC", types=("lecture",))
    admin = f.person(s, "rc.adm", "school_admin", "teacher", name="录入管理员")
    admin2 = f.person(s, "rc.adm2", "school_admin", "teacher", name="另一管理员") if other_admin else None
    org = f.person(s, "rc.org", "organizer", "teacher", name="组长")
    rev = f.person(s, "rc.rev", "reviewer", "teacher", name="审核人")
    t1 = f.person(s, "rc.t1", "teacher", name="甲老师")
    act = f.plan(s, org, "lecture", [(rev, "attendee"), (t1, "attendee")], DETAILS["lecture"],
                 start=utcnow() - timedelta(days=2), title="管理员录入的讲座")
    activities.record_attendance(act, admin, _rows(act))  # the admin, not the organiser
    f.fire(act, admin, "hold")
    db.session.commit()
    return Scene(s, admin, admin2, org, rev, db.session.get(Activity, act.id))


def _refused_everywhere(app, sc: Scene, username: str, *, queue: bool = False) -> None:
    """``username`` is offered no decision on the activity and is refused one, nothing written."""
    held = db.session.get(Activity, sc.held.id)
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
    before = _state()
    assert transitions.allowed_triggers(held, user.id) == []
    for step, comment in (("approve", "材料齐全"), ("return", "请补充签到表")):
        with pytest.raises(Forbidden) as own:
            f.fire(held, user, step, comment)
        db.session.rollback()
        assert own.value.msg.code == "trigger.independent", step
    web = _web(app, username)
    if queue:
        page = web.get("/review").get_data(as_text=True)
        assert f'data-testid="queue-item-{held.id}"' in page
        assert f'data-testid="own-activity-{held.id}"' in page
        assert f'data-testid="approve-{held.id}"' not in page
    page = web.get(f"/activities/{held.id}").get_data(as_text=True)
    assert 'value="approve"' not in page and 'data-testid="no-triggers"' in page
    assert web.post(f"/activities/{held.id}/trigger", data={"trigger": "approve", "comment": "材料齐全"}
                    ).status_code == 403
    api_offers_no_approve(app, username, "RC", held.id)
    assert _state() == before
    assert db.session.get(Activity, held.id).state == "held"


def test_the_admin_who_recorded_it_does_not_stand_in_another_admin_does(app):
    sc = _scene()
    roles = access.activity_roles(sc.held, sc.admin.id, {"school_admin", "teacher"}, [sc.reviewer.id])
    assert RECORDER in roles
    _refused_everywhere(app, sc, "rc.adm")
    # the other school admin, independent of it, stands in for the reviewer who took part
    assert sc.other_admin is not None
    assert transitions.allowed_triggers(db.session.get(Activity, sc.held.id), sc.other_admin.id) == ["approve", "return"]
    web = _web(app, "rc.adm2")
    assert 'value="approve"' in web.get(f"/activities/{sc.held.id}").get_data(as_text=True)
    f.fire(db.session.get(Activity, sc.held.id), sc.other_admin, "approve", "材料齐全")
    assert db.session.get(Activity, sc.held.id).state == "reviewed"
    last = db.session.execute(db.select(TransitionLog).where(TransitionLog.activity_id == sc.held.id)
                              .order_by(TransitionLog.id.desc())).scalars().first()
    assert last is not None and last.actor_id == sc.other_admin.id and last.payload.get("stand_in")


def test_the_recorder_the_only_possible_stand_in_the_activity_waits(app):
    sc = _scene(other_admin=False)
    _refused_everywhere(app, sc, "rc.adm")
    # the reviewer took part: nobody decides it (it waits, told so), until someone independent comes
    assert transitions.allowed_triggers(db.session.get(Activity, sc.held.id), sc.reviewer.id) == []
    newcomer = f.person(sc.school, "rc.rev2", "reviewer", "teacher", name="新审核人")
    db.session.commit()
    assert transitions.allowed_triggers(db.session.get(Activity, sc.held.id), newcomer.id) == ["approve", "return"]


def test_a_reviewer_and_admin_who_recorded_it_does_not_approve_it(app):
    """Recorded as school admin, then approving as reviewer: refused; they were the only
    reviewer not taking part, so a school admin who did not record it stands in."""
    sc = _scene()
    assert sc.other_admin is not None
    by = access.actor(sc.other_admin.id, sc.school.id)
    staff.set_roles(sc.school, sc.admin.id, ["school_admin", "reviewer", "teacher"], by=by)
    db.session.commit()
    _refused_everywhere(app, sc, "rc.adm", queue=True)
    assert transitions.allowed_triggers(db.session.get(Activity, sc.held.id), sc.other_admin.id) == ["approve", "return"]
    # an independent reviewer, once there, decides it as reviewer (no stand-in any more)
    rev2 = f.person(sc.school, "rc.rev2", "reviewer", "teacher", name="新审核人")
    db.session.commit()
    assert transitions.allowed_triggers(db.session.get(Activity, sc.held.id), sc.other_admin.id) == []
    page = _web(app, "rc.rev2").get("/review").get_data(as_text=True)
    assert f'data-testid="approve-{sc.held.id}"' in page
    f.fire(db.session.get(Activity, sc.held.id), rev2, "approve", "材料齐全")
    assert db.session.get(Activity, sc.held.id).state == "reviewed"


def test_the_organiser_who_held_it_is_its_owner_not_a_recorder(app):
    s = f.school("RO", types=("lecture",))
    org = f.person(s, "ro.org", "organizer", "teacher", name="组长")
    t1 = f.person(s, "ro.t1", "teacher", name="甲老师")
    act = f.plan(s, org, "lecture", [(t1, "attendee")], DETAILS["lecture"], start=utcnow() - timedelta(days=2))
    activities.record_attendance(act, org, _rows(act))
    f.fire(act, org, "hold")
    db.session.commit()
    assert access.involved_before([act.id]) == {act.id: access.Earlier(recorders=frozenset({org.id}))}
    roles = access.activity_roles(db.session.get(Activity, act.id), org.id, {"organizer", "teacher"}, [t1.id])
    assert "owner" in roles  # involved already


def test_who_sends_it_back_is_no_recorder_every_bringer_is(app):
    """A return (awaiting review → awaiting review) brings nothing into review: the stand-in who
    returned it decides it after the rework. Every step from the open phase into review counts,
    not only the latest (what the first recorded may still be in it)."""
    sc = _scene()
    assert sc.other_admin is not None
    f.fire(sc.held, sc.other_admin, "return", "请补充签到表")
    db.session.commit()
    assert access.involved_before([sc.held.id]) == {sc.held.id: access.Earlier(recorders=frozenset({sc.admin.id}))}
    assert transitions.allowed_triggers(db.session.get(Activity, sc.held.id), sc.other_admin.id) == ["approve", "return"]
    # as if the activity had gone back to the open phase and the organiser had held it again
    first = db.session.execute(db.select(TransitionLog).where(TransitionLog.activity_id == sc.held.id,
                                                              TransitionLog.actor_id == sc.admin.id,
                                                              TransitionLog.trigger == "hold")).scalar_one()
    db.session.add(TransitionLog(activity_id=sc.held.id, school_id=sc.school.id, trigger=first.trigger,
                                 from_state=first.from_state, to_state=first.to_state, actor_id=sc.organizer.id))
    db.session.commit()
    earlier = access.involved_before([sc.held.id])[sc.held.id]
    assert earlier.recorders == {sc.admin.id, sc.organizer.id} and earlier.organisers == frozenset()
    history = db.session.execute(db.select(TransitionLog).where(TransitionLog.activity_id == sc.held.id)).scalars()
    assert access.involved_before_in(history) == earlier  # the activity page's reading agrees
    assert transitions.allowed_triggers(db.session.get(Activity, sc.held.id), sc.admin.id) == []
