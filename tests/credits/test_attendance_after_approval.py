"""Attendance, the roster and evidence are written only while the activity is still editable, asked
again inside the write: an organiser whose page was read before a reviewer approved cannot
change the hours or absences (their own among them) the reviewer just confirmed."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict
from portal.extensions import db
from portal.models import Activity, Evidence, Participation, User
from portal.services import activities
from tests.credits.helpers import credited, prepare_approve
from tests.support import factories as f


def _approved_behind_its_back(app, s1, staff) -> Activity:
    """A held 3-hour lecture (the organiser a speaker, attended 1 h; t1 attended; t2 absent),
    as the organiser's form read it, approved by the reviewer in another request since."""
    org, rev, t1, t2 = staff["organizer"], staff["reviewer"], staff["t1"], staff["t2"]
    people = [(org, "speaker"), (t1, "attendee"), (t2, "attendee")]
    act = credited(s1, staff, "lecture", people, hours="3", attended={org.id: "1", t2.id: "0"}, absent={t2.id: "3"},
                   until="held")
    prepare_approve(act, org, people)
    act_id, rev_id = act.id, rev.id
    seen = db.session.get_one(Activity, act_id)
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
    return seen


def _rows(act_id: int) -> dict[int, tuple]:
    db.session.expire_all()
    return {uid: (str(attended), str(absent)) for uid, attended, absent in db.session.execute(
        select(Participation.user_id, Participation.attended_hours, Participation.absent_hours)
        .where(Participation.activity_id == act_id))}


def test_attendance_read_before_an_approval_is_not_written_after_it(app, s1, staff):
    """Race: the organiser opens the attendance form; the reviewer approves (1 h for the
    organiser, t2's 3 h absence confirmed); the organiser then saves no absence for t2 (their own
    row as it stands: their own hours are not theirs to change, ``test_own_attendance.py``). The
    save checked the state of the activity it had read ("held") and wrote past the approval.
    Refused now: the write finds the activity confirmed."""
    seen = _approved_behind_its_back(app, s1, staff)
    before = _rows(seen.id)
    rows = [{"user_id": staff["organizer"].id, "attended_hours": "1"}]
    rows += [{"user_id": u.id, "attended_hours": "3"} for u in (staff["t1"], staff["t2"])]
    with pytest.raises(Conflict):
        activities.record_attendance(seen, staff["organizer"], rows)
    db.session.rollback()
    assert _rows(seen.id) == before


def test_the_roster_read_before_an_approval_is_not_changed_after_it(app, s1, staff):
    """The same race on the roster: removing t2 after the approval took their confirmed
    absence off the year; adding someone put a person on a confirmed activity."""
    seen = _approved_behind_its_back(app, s1, staff)
    before = _rows(seen.id)
    with pytest.raises(Conflict):
        activities.remove_participant(seen, staff["organizer"], staff["t2"].id)
    db.session.rollback()
    with pytest.raises(Conflict):
        activities.set_participants(seen, staff["organizer"], [{"user_id": staff["t3"].id, "role": "attendee"}])
    db.session.rollback()
    assert _rows(seen.id) == before


def test_evidence_read_before_an_approval_is_not_added_after_it(app, s1, staff):
    """And on evidence: reading notes handed in past the approval counted towards the year's
    quota on an activity the reviewer had confirmed without them."""
    seen = _approved_behind_its_back(app, s1, staff)
    t1 = staff["t1"]
    before = db.session.scalar(select(func.count()).select_from(Evidence))
    with pytest.raises(Conflict):
        activities.add_evidence(seen, t1, t1.id, "reading_notes", "补交", text="审核之后补交的读书笔记。")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == before
