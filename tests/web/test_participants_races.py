"""Taking someone off an activity's list against the writes that name them (an attacker's and an
auditor's look at ``activities.remove_participant``).

Found: a removal committed between ``record_attendance``'s read of the list and its write left the
save holding the removed row: a 500 (SQLAlchemy's ``ObjectDeletedError``) instead of a refusal.
Someone who had checked in was taken off: their check-in stayed behind (counted on the check-in
screen) and came back with them when they were put back; a check-in confirmed while they were
being taken off was written for someone no longer on the list. Now the save reads the list again
under the activity's lock and refuses a row of someone gone; a check-in keeps them on the list
(record their attendance or absence instead); a check-in rechecks the list, its row locked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.errors import Conflict, Forbidden, Invalid
from portal.extensions import db
from portal.models import Activity, CheckIn, Participation, TransitionLog, User
from portal.services import activities, checkin
from portal.timeutil import utcnow
from tests.credits.helpers import DETAILS
from tests.support import factories as f
from tests.support.at_once import just_before_the_write
from tests.web.test_demoted_organizer_and_handover import _api, _state
from workflows.definition import ATTENDANCE_RECORDED


def _scene(start_in: timedelta) -> tuple[int, int, int, int]:
    """An activity of 组长 with 甲 and 乙 on its list, starting ``start_in`` from now: the ids of
    the activity, its organiser, 甲 and 乙."""
    s = f.school("PR", types=("lecture",))
    org = f.person(s, "pr.org", "organizer", "teacher", name="组长")
    t1 = f.person(s, "pr.t1", "teacher", name="甲老师")
    t2 = f.person(s, "pr.t2", "teacher", name="乙老师")
    act = f.plan(s, org, "lecture", [(t1, "attendee"), (t2, "attendee")], DETAILS["lecture"],
                 start=utcnow() + start_in, title="听评课")
    db.session.commit()
    return act.id, org.id, t1.id, t2.id


def _remove_elsewhere(app, activity_id: int, organizer_id: int, user_id: int):
    """The organiser takes ``user_id`` off in a request of their own (its own session), committed."""
    def remove() -> None:
        with app.app_context():
            activities.remove_participant(db.session.get_one(Activity, activity_id),
                                          db.session.get_one(User, organizer_id), user_id)
            db.session.remove()
    return remove


def test_a_removal_committed_while_attendance_is_saved_refuses_the_save(app, monkeypatch):
    aid, org, t1, t2 = _scene(-timedelta(days=2))
    act = db.session.get_one(Activity, aid)
    rows = [{"user_id": t1, "attended_hours": "1"}, {"user_id": t2, "attended_hours": "1"}]
    just_before_the_write(monkeypatch, activities, _remove_elsewhere(app, aid, org, t2))
    with pytest.raises(Invalid) as refused:
        activities.record_attendance(act, db.session.get_one(User, org), rows)
    db.session.rollback()
    assert refused.value.msg.code == "attendance.refused"
    assert refused.value.fields["attendance"]["1"]["user_id"].code == "attendance.not_participant"
    assert "0" not in refused.value.fields["attendance"]
    # the removal went through, and nothing of the save: no hours, no history entry
    assert _list(aid) == [(t1, None)]
    assert _history(aid) == []
    monkeypatch.undo()
    activities.record_attendance(db.session.get_one(Activity, aid), db.session.get_one(User, org), rows[:1])
    db.session.commit()
    assert _list(aid) == [(t1, Decimal(1))]  # 甲's hours are saved once 乙 is not named
    assert _history(aid) == [ATTENDANCE_RECORDED]


def _list(activity_id: int) -> list[tuple[int, Decimal | None]]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(Participation.user_id, Participation.attended_hours)
        .where(Participation.activity_id == activity_id).order_by(Participation.user_id))]


def _history(activity_id: int) -> list[str]:
    return list(db.session.execute(select(TransitionLog.trigger).where(
        TransitionLog.activity_id == activity_id, TransitionLog.trigger == ATTENDANCE_RECORDED)).scalars())


def test_someone_who_checked_in_stays_on_the_list(app):
    aid, org, t1, _t2 = _scene(timedelta(hours=2))
    act = db.session.get_one(Activity, aid)
    at = act.starts_at - timedelta(minutes=5)
    checkin.check_in(act, db.session.get_one(User, t1), at, at)
    db.session.commit()
    before = _state()
    with pytest.raises(Conflict) as refused:
        activities.remove_participant(act, db.session.get_one(User, org), t1)
    db.session.rollback()
    assert refused.value.msg.code == "participants.checked_in"
    r = _api(app, "pr.org").delete(f"/api/v1/activities/{aid}/participants/{t1}", headers={"X-School": "PR"})
    assert r.status_code == 409
    zh = _api(app, "pr.org").delete(f"/api/v1/activities/{aid}/participants/{t1}",
                                    headers={"X-School": "PR", "Accept-Language": "zh-CN"})
    assert "已签到" in zh.get_json()["message"]
    assert _state() == before


def test_a_check_in_while_they_are_taken_off_is_refused(app, monkeypatch):
    aid, org, t1, _t2 = _scene(timedelta(hours=2))
    act = db.session.get_one(Activity, aid)
    at = act.starts_at - timedelta(minutes=5)
    just_before_the_write(monkeypatch, checkin, _remove_elsewhere(app, aid, org, t1))
    with pytest.raises(Forbidden) as refused:
        checkin.check_in(act, db.session.get_one(User, t1), at, at)
    db.session.rollback()
    assert refused.value.msg.code == "checkin.not_participant"
    assert db.session.execute(select(CheckIn.id).where(CheckIn.activity_id == aid)).first() is None
    assert checkin.count(aid) == 0
