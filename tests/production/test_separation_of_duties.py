"""Separation of duties: nobody reviews or credits an activity they organized or take part in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import CreditEntry, TransitionLog
from tests.support import factories as f


@pytest.fixture
def held(app):
    s = f.school("SD")
    p = f.staff(s, "sd")
    boss = f.person(s, "sdboss", "reviewer", "organizer", "school_admin", "teacher")
    act = f.plan(s, boss, "lecture", [(p["t1"], "attendee"), (p["reviewer"], "attendee")], {"topic": "分权"})
    f.fire(act, boss, "hold")
    f.attend(act, boss)
    return s, p, boss, act


def _logs(act) -> int:
    return db.session.execute(select(func.count()).where(TransitionLog.activity_id == act.id)).scalar_one()


def test_the_organizer_cannot_approve_their_own_activity(held):
    _s, _p, boss, act = held
    before = _logs(act)
    with pytest.raises(Forbidden):
        f.fire(act, boss, "approve")
    assert _logs(act) == before


def test_a_participant_cannot_review_or_credit(held):
    _s, p, boss, act = held
    with pytest.raises(Forbidden):
        f.fire(act, p["reviewer"], "approve")  # a reviewer, but an attendee here
    independent = f.person(_s, "sdrev2", "reviewer", "teacher")
    f.fire(act, independent, "approve")
    for who in (p["reviewer"], boss):
        with pytest.raises(Forbidden):
            f.fire(act, who, "credit")
    assert db.session.execute(select(func.count()).where(CreditEntry.activity_id == act.id)).scalar_one() == 0
    f.fire(act, independent, "credit")
    assert db.session.execute(select(func.count()).where(CreditEntry.activity_id == act.id)).scalar_one() == 2
