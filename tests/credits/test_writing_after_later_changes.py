"""A teacher's writing after later changes to the activity it was handed in for (a district
auditor's view).

A reflection is written about an activity that took place. Auditor: a reflection handed in for
a planned lecture once it had begun still counted towards the semester's reflections after the
lecture was cancelled (it never took place), on the home, the record, the summary and the stored
teacher-year rows alike — and the same words could not be kept as the teacher's own writing
(``writing.duplicate``: "already in your record"). Now written evidence counts while its
activity is in any phase but closed (``quotas.counting_states``), the cancel rebuilds the
stored rows of whoever handed writing in, and the piece may be kept as own writing.

An activity held, then returned or revoked (a paperwork reason: credited → reviewed), took
place: its writing still counts. Writing stored before the ``evidence.away`` rule for an
activity held while its author was away from the staff counts for nothing, as its absence does.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from portal.database import write_transaction
from portal.extensions import db
from portal.models import Evidence, OwnWriting, School, TeacherYearRow, User
from portal.policy import SYSTEM
from portal.services import access, activities, credits, schools, teacher_years, writing
from portal.services import staff as staff_service
from portal.services import users as users_service
from portal.timeutil import utcnow
from tests.credits.helpers import DETAILS, counted_people, credited, rows_are_a_rebuild
from tests.support import factories as f
from tests.support.texts import prose

YEAR = "2026-2027"
ONE_REFLECTION = {"reading_notes_chars": 0, "papers_per_year": 0, "books_per_semester": 0,
                  "reflections_per_semester": 1, "quotas_decide": True, "required_hours": 3}


def _reflections(user: User, school: School, semester: int = 1) -> int:
    quotas = credits.teacher_year(user, school, YEAR).facts.quotas
    return next(q.done for q in quotas if q.key == "reflections" and q.semester == semester)


def _stored_status(user: User, school: School) -> str:
    db.session.expire_all()
    return db.session.execute(select(TeacherYearRow.status).where(
        TeacherYearRow.user_id == user.id, TeacherYearRow.school_id == school.id,
        TeacherYearRow.school_year == YEAR)).scalar_one()


@pytest.fixture
def year_of_one(s1, staff):
    """t1 credited 3 h (the school's minimum) in October and a reflection of the second semester
    in their record (written then: stored here); one reflection a semester decides."""
    t1 = staff["t1"]
    schools.update_rules(s1, ONE_REFLECTION, by=SYSTEM)
    db.session.add(OwnWriting(school_id=s1.id, user_id=t1.id, school_year=YEAR, semester=2, kind="reflection",
                              title="春季反思", text=prose(300, "spring"), char_count=300))
    db.session.commit()
    credited(s1, staff, "lecture", [(t1, "attendee")], hours="3")  # 2026-10-15: its credit writes the rows
    return t1


def test_a_reflection_on_a_cancelled_activity_counts_for_nothing(s1, staff, year_of_one):
    t1, org = year_of_one, staff["organizer"]
    act = f.plan(s1, org, "lecture", [(t1, "attendee")], DETAILS["lecture"], start=datetime(2026, 9, 25, 14, 0))
    text = prose(400, "cancelled-reflection")
    activities.add_evidence(act, t1, t1.id, "reflection", "反思", text=text)  # begun: a reflection is taken
    assert _reflections(t1, s1) == 1 and _stored_status(t1, s1) == "met"
    f.fire(act, org, "cancel", "活动取消")
    assert _reflections(t1, s1) == 0  # it never took place
    assert credits.teacher_year(t1, s1, YEAR).assessment.status == "short"
    row = next(ty for ty in credits.school_summary(s1, YEAR) if ty.user.id == t1.id)
    assert row.assessment.status == "short"
    assert _stored_status(t1, s1) == "short"  # the cancel moved the stored row
    rows_are_a_rebuild(s1, (YEAR,))
    # the words are the teacher's still: kept as their own writing, they count again
    writing.add_writing(s1, t1, "reflection", "反思", text)
    assert _reflections(t1, s1) == 1 and _stored_status(t1, s1) == "met"
    rows_are_a_rebuild(s1, (YEAR,))


def test_a_teacher_gone_with_only_writing_on_a_cancelled_activity_is_on_no_summary(s1, staff):
    t2, org = staff["t2"], staff["organizer"]
    act = f.plan(s1, org, "lecture", [(t2, "attendee")], DETAILS["lecture"], start=datetime(2026, 9, 25, 14, 0))
    activities.add_evidence(act, t2, t2.id, "reflection", "反思", text=prose(300, "gone"))
    f.fire(act, org, "cancel", "活动取消")
    staff_service.deactivate(s1, t2.id, by=access.actor(staff["admin"].id, s1.id))
    assert t2.id not in counted_people(s1.id, YEAR)
    assert t2.id not in {ty.user.id for ty in credits.school_summary(s1, YEAR)}
    rows_are_a_rebuild(s1, (YEAR,))


@pytest.mark.parametrize("later", ["return", "revoke"])
def test_writing_on_an_activity_held_then_returned_or_revoked_still_counts(s1, staff, later):
    """It took place: a reviewer's return for rework or a revocation for a paperwork reason
    changes its hours, not that the teacher was there and wrote about it."""
    schools.update_rules(s1, {**ONE_REFLECTION, "quotas_decide": False}, by=SYSTEM)
    t1, rev = staff["t1"], staff["reviewer"]
    act = credited(s1, staff, "lecture", [(t1, "attendee")], until="held" if later == "return" else "credited")
    activities.add_evidence(act, t1, t1.id, "reflection", "反思", text=prose(300, later)) if later == "return" \
        else _stored_reflection(act, t1)
    assert _reflections(t1, s1) == 1
    f.fire(act, rev, later, "材料需补充")
    assert _reflections(t1, s1) == 1
    rows_are_a_rebuild(s1, (YEAR,))


def _stored_reflection(act, user: User) -> None:
    """A reflection in the record of a credited activity (handed in before it was credited)."""
    db.session.add(Evidence(activity_id=act.id, user_id=user.id, kind="reflection", title="反思",
                            text=prose(300, "stored"), char_count=300, uploaded_by=user.id, uploaded_at=utcnow()))
    db.session.commit()


def test_writing_stored_for_an_activity_held_while_away_counts_for_nothing(s1, staff, monkeypatch):
    """Stored before the ``evidence.away`` rule: the rule refuses it now, and the figures leave
    it out, as they leave out that activity's absence."""
    t2, org = staff["t2"], staff["organizer"]
    gap = f.plan(s1, org, "lecture", [(t2, "attendee")], DETAILS["lecture"], start=datetime(2026, 10, 15, 13, 0))
    admin = access.actor(staff["admin"].id, s1.id)
    for when, change in ((datetime(2026, 9, 20, 2, 0), lambda: staff_service.deactivate(s1, t2.id, by=admin)),
                         (datetime(2026, 11, 20, 2, 0), lambda: staff_service.set_roles(s1, t2.id, ["teacher"], by=admin))):
        monkeypatch.setattr(staff_service, "utcnow", lambda when=when: when)
        monkeypatch.setattr(users_service, "utcnow", lambda when=when: when)
        change()
    _stored_reflection(gap, t2)
    assert _reflections(t2, s1) == 0
    with write_transaction():
        teacher_years.refresh(s1, YEAR)
    rows_are_a_rebuild(s1, (YEAR,))
