"""A teacher who moved from another school was that school's teacher until the move
(``services.stints.away_clause``): their new school credits them nothing for a day before it.

Auditor: a teacher of S2 moved to S1 on 1 December; S1 then planned a lecture dated 29 October,
listed them, recorded them attending 3 hours and credited it — hours at S1 for a day they taught
at S2 (only a lecture at the very same time as one they attended at S2 was refused). Now an
activity held before their first day at S1 while they held S2's teacher role is not theirs at
S1: attendance and a reviewer's raise are refused as for a teacher away, a missed hour counts
nowhere, and nothing is written. A teacher new to the portal (no other school) is as before:
September's activities entered after their roles were given in October are theirs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Participation, School, User
from portal.services import access, credits, users
from portal.services import staff as staff_service
from tests.credits.helpers import DETAILS, prepare_approve
from tests.support import factories as f

YEAR = "2026-2027"
OCTOBER, MOVED = datetime(2026, 10, 29, 6, 0), datetime(2026, 12, 1, 2, 0)  # UTC: 14:00 and 10:00 in Beijing
AFTER = datetime(2026, 12, 3, 6, 0)


@pytest.fixture
def mover(s1: School, staff: dict[str, User], monkeypatch) -> User:
    """A teacher of S2 since years back, off its staff and on S1's since ``MOVED``."""
    s2 = f.school("S2", types=("lecture",))
    person = f.person(s2, "mover", "teacher", name="罗文博")
    admin2 = f.person(s2, "adm2", "school_admin")
    monkeypatch.setattr(staff_service, "utcnow", lambda: MOVED)
    monkeypatch.setattr(users, "utcnow", lambda: MOVED)
    staff_service.deactivate(s2, person.id, by=access.actor(admin2.id, s2.id), at=MOVED)
    users.add_role(person, s1, "teacher", joined=MOVED)
    monkeypatch.undo()
    return person


def _rows(act_id: int) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(select(
        Participation.user_id, Participation.attended_hours, Participation.absent_hours, Participation.adjusted_hours,
    ).where(Participation.activity_id == act_id).order_by(Participation.user_id)).all()]


def _lecture(s1: School, staff: dict[str, User], people: list[User], start: datetime):
    return f.plan(s1, staff["organizer"], "lecture", [(u, "attendee") for u in people], DETAILS["lecture"],
                  start=start, title="补录讲座")


def _listed_before_the_rule(act, person: User) -> None:
    """``person`` on the list as one written before planning refused someone off the staff then."""
    from portal.database import write_transaction

    with write_transaction() as s:
        s.add(Participation(activity_id=act.id, user_id=person.id, role="attendee"))


def test_no_hours_for_a_day_before_the_move_and_nothing_written(s1, staff, mover):
    act = _lecture(s1, staff, [staff["t1"]], OCTOBER)
    _listed_before_the_rule(act, mover)  # planning refuses them now (activities.away_refusals)
    f.fire(act, staff["organizer"], "hold")
    before = _rows(act.id)
    with pytest.raises(Invalid) as refused:
        f.attend(act, staff["organizer"], hours={mover.id: "3"})
    rows = refused.value.fields["attendance"]  # the mover's row only, its hours attended named
    assert len(rows) == 1 and [set(r) for r in rows.values()] == [{"attended_hours"}], rows
    assert _rows(act.id) == before
    # what they missed may be written, and counts nowhere at S1 (it was S2's day)
    f.attend(act, staff["organizer"], hours={mover.id: "0"}, absent={mover.id: "3"})
    assert credits.teacher_year(mover, s1, YEAR).facts.absent_hours.get(1, Decimal(0)) == 0
    # a reviewer's raise says they were there: refused too
    prepare_approve(act, staff["organizer"], [(staff["t1"], "attendee"), (mover, "attendee")])
    before = _rows(act.id)
    with pytest.raises(Invalid) as raised:
        f.fire(act, staff["reviewer"], "approve", "补录", hours={str(mover.id): "3"})
    assert set(raised.value.fields["hours"]) == {str(mover.id)}
    assert _rows(act.id) == before and act.state == "held"
    f.fire(act, staff["reviewer"], "approve", "材料齐全")
    f.fire(act, staff["reviewer"], "credit")
    assert credits.teacher_year(mover, s1, YEAR).facts.total_hours == 0
    assert credits.teacher_year(staff["t1"], s1, YEAR).facts.total_hours == Decimal(3)


def test_an_activity_after_the_move_is_theirs(s1, staff, mover):
    act = _lecture(s1, staff, [mover], AFTER)
    f.fire(act, staff["organizer"], "hold")
    f.attend(act, staff["organizer"], hours={mover.id: "3"})
    assert _rows(act.id) == [(mover.id, Decimal(3), Decimal(0), None)]


def test_a_teacher_new_to_the_portal_keeps_what_was_held_before_their_roles(s1, staff):
    """No other school's role then: an activity entered after the roles were given is theirs."""
    newcomer = f.person(s1, "newcomer", "teacher", since=MOVED)
    act = _lecture(s1, staff, [newcomer], OCTOBER)
    f.fire(act, staff["organizer"], "hold")
    f.attend(act, staff["organizer"], hours={newcomer.id: "3"})
    assert _rows(act.id) == [(newcomer.id, Decimal(3), Decimal(0), None)]
