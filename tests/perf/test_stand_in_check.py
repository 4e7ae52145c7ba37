"""The stand-in check (is there a reviewer of the school who neither organised nor took part in
an activity?) runs on every activity page and for every activity a stand-in sees in the review
queue: its statement is built once, with the school and the roles bound; the people involved
(sixty on a big activity) are compared with the school's few holders in Python, not sent as a
NOT IN list that the statement's compilation expanded person by person."""

from __future__ import annotations

from sqlalchemy import event, select

from portal.extensions import db
from portal.models import REVIEWER, Activity, Membership
from portal.services import access


def test_the_stand_in_check_is_one_statement_built_once_with_its_values_bound(demo):
    act = db.session.execute(select(Activity).where(Activity.school_id == demo.id).limit(1)).scalar_one()
    reviewers = set(db.session.execute(
        select(Membership.user_id).where(Membership.school_id == demo.id, Membership.role == REVIEWER,
                                         Membership.active.is_(True))
    ).scalars())
    assert reviewers
    executed: list[object] = []

    def seen(_conn, clause, *_args):
        executed.append(clause)

    event.listen(db.engine, "before_execute", seen)
    try:
        free = access._independent_holder_exists(act, frozenset({REVIEWER}), {act.organizer_id})
        all_involved = access._independent_holder_exists(act, frozenset({REVIEWER}), reviewers | {act.organizer_id})
        other_school = Activity(school_id=demo.id + 10_000, organizer_id=act.organizer_id)  # no such school
        elsewhere = access._independent_holder_exists(other_school, frozenset({REVIEWER}), {act.organizer_id})
    finally:
        event.remove(db.engine, "before_execute", seen)
    assert (free, all_involved, elsewhere) == (True, False, False)  # the bound values, not the first ones
    assert executed == [access._INDEPENDENT_HOLDER] * 3  # the same statement object, not one built per call
    assert set(access._INDEPENDENT_HOLDER.compile().params) == {"school_id", "roles"}  # no list of people
