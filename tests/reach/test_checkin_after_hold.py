"""A check-in confirmed as the organiser marks the activity held (an attacker's look at
``checkin.check_in`` against ``transitions.fire``).

Found: the check-in asked whether check-in was open (the activity's phase, its window) before its
write, and wrote without asking again: a hold committed in between (milliseconds) let a check-in
in after check-in had ended — a person marked present on an activity already handed on for review.
Now the write reads the activity again under its row lock (shared; the hold's UPDATE of the row
waits for it on PostgreSQL, and SQLite writes one at a time) and asks ``checkin.require_open`` of
it: refused with the message of a closed check-in, nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict
from portal.extensions import db
from portal.models import Activity, CheckIn, User
from portal.services import checkin, transitions
from tests.support.at_once import just_before_the_write
from tests.web.test_participants_races import _scene


def _hold_elsewhere(app, activity_id: int, organizer_id: int):
    """The organiser marks it held in a request of their own (its own session), committed."""
    def hold() -> None:
        with app.app_context():
            act = db.session.get_one(Activity, activity_id)
            transitions.fire(act.id, act.school_id, db.session.get_one(User, organizer_id), "hold")
            db.session.remove()
    return hold


def _checkins(activity_id: int) -> int:
    return int(db.session.execute(select(func.count(CheckIn.id)).where(CheckIn.activity_id == activity_id)).scalar_one())


def test_a_check_in_confirmed_as_it_is_marked_held_is_refused(app, monkeypatch):
    aid, org, t1, t2 = _scene(-timedelta(minutes=5))  # started 5 minutes ago: check-in open, hold allowed
    act = db.session.get_one(Activity, aid)
    at = act.starts_at + timedelta(minutes=4)
    checkin.check_in(act, db.session.get_one(User, t2), at, at)  # 乙 in while it is open
    db.session.commit()
    just_before_the_write(monkeypatch, checkin, _hold_elsewhere(app, aid, org))
    with pytest.raises(Conflict) as refused:
        checkin.check_in(act, db.session.get_one(User, t1), at, at)
    db.session.rollback()
    assert refused.value.msg.code == "checkin.not_open_state"  # the message a closed check-in has
    db.session.expire_all()
    assert db.session.get_one(Activity, aid).state == "held"
    assert _checkins(aid) == 1  # 乙's alone: nothing of 甲's written
    assert checkin.existing(aid, t1) is None
    monkeypatch.undo()
    with pytest.raises(Conflict) as again:  # and asked again now, it says the same before any write
        checkin.check_in(db.session.get_one(Activity, aid), db.session.get_one(User, t1), at, at)
    db.session.rollback()
    assert again.value.msg.code == "checkin.not_open_state"
    assert _checkins(aid) == 1


def test_a_check_in_before_the_hold_stands_and_the_hold_goes_on(app):
    """The other order: the check-in commits first; the hold then goes through as ever (the
    check-in's lock is released with its commit), and the check-in stays."""
    aid, org, t1, _t2 = _scene(-timedelta(minutes=5))
    act = db.session.get_one(Activity, aid)
    at = act.starts_at + timedelta(minutes=4)
    checkin.check_in(act, db.session.get_one(User, t1), at, at)
    db.session.commit()
    db.session.remove()
    _hold_elsewhere(app, aid, org)()
    assert db.session.get_one(Activity, aid).state == "held"
    assert checkin.existing(aid, t1) is not None and _checkins(aid) == 1


def test_a_check_in_waits_for_a_hold_under_way_and_is_refused(app, monkeypatch):
    """Two requests at once, each with its own connection: the hold has written the activity's
    row (not yet committed) when the check-in's write begins. The check-in waits for the row
    (PostgreSQL: its share lock; SQLite: the one writer) and then sees it held."""
    from portal.services import reminders
    from tests.support.at_once import meanwhile, side_by_side

    aid, org, t1, _t2 = _scene(-timedelta(minutes=5))
    act = db.session.get_one(Activity, aid)
    at = act.starts_at + timedelta(minutes=4)
    db.session.remove()
    meanwhile(monkeypatch, (reminders, "transition_recorded"), (checkin, "write_transaction"))

    def check_in() -> None:
        checkin.check_in(db.session.get_one(Activity, aid), db.session.get_one(User, t1), at, at)

    assert side_by_side(app, _hold_elsewhere(app, aid, org), check_in) == ["done", "checkin.not_open_state"]
    assert db.session.get_one(Activity, aid).state == "held"
    assert _checkins(aid) == 0
