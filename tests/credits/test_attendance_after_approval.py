"""Attendance is written only while the activity is still editable, asked again inside the
write: an organiser whose page was read before a reviewer approved cannot change the hours (their
own among them) the reviewer just confirmed."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from portal.errors import Conflict
from portal.extensions import db
from portal.models import Activity, Participation, User
from portal.services import activities
from tests.credits.helpers import credited, prepare_approve
from tests.support import factories as f


def test_attendance_read_before_an_approval_is_not_written_after_it(app, s1, staff):
    """Race: the organiser (also a speaker) opens the attendance form of a held lecture; the
    reviewer approves it (1 h for the organiser); the organiser then saves 3 h for themself.
    The save checked the state on the activity it had read ("held") and wrote past the
    approval. Refused now: the write finds the activity confirmed."""
    org, rev = staff["organizer"], staff["reviewer"]
    people = [(org, "speaker"), (staff["t1"], "attendee")]
    act = credited(s1, staff, "lecture", people, hours="3", attended={org.id: "1"}, until="held")
    prepare_approve(act, org, people)
    act_id, rev_id = act.id, rev.id
    seen = db.session.get_one(Activity, act_id)  # the organiser's request: the activity as its form read it
    assert seen.state == "held"
    db.session.expunge(seen)
    db.session.commit()

    def approve() -> None:  # meanwhile, the reviewer's request
        with app.app_context():
            try:
                f.fire(db.session.get_one(Activity, act_id), db.session.get_one(User, rev_id), "approve", "材料齐全")
            finally:
                db.session.remove()

    reviewer = threading.Thread(target=approve)
    reviewer.start()
    reviewer.join()
    assert db.session.get_one(Activity, act_id).state == "reviewed"
    db.session.commit()
    rows = [{"user_id": org.id, "attended_hours": "3"}, {"user_id": staff["t1"].id, "attended_hours": "3"}]
    with pytest.raises(Conflict):
        activities.record_attendance(seen, org, rows)
    db.session.rollback()
    db.session.expire_all()
    hours = dict(db.session.execute(
        select(Participation.user_id, Participation.attended_hours).where(Participation.activity_id == act_id)).all())
    assert str(hours[org.id]) in ("1", "1.0", "1.00")
    assert db.session.get_one(Activity, act_id).state == "reviewed"
