"""The stand-in check (is there a reviewer of the school who neither organised nor took part in
an activity?) runs on every activity page and for every activity a stand-in sees in the review
queue: its statement is built once, with the school and the roles bound; the people involved
(sixty on a big activity) are compared with the school's few holders in Python, not sent as a
NOT IN list that the statement's compilation expanded person by person."""

from __future__ import annotations

from sqlalchemy import event, select

from portal.extensions import db
from portal.models import REVIEWER, Activity, Membership, Participation
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


def test_asked_of_the_database_when_the_page_read_only_the_viewers_row(demo):
    """The review queue reads only whether the viewer takes part (``participant_ids`` None): the
    stand-in's check then asks the database who takes part, with the same answers as given
    everyone (every reviewer of the school taking part or organising, none, some), and the
    statement is built once with its values bound."""
    from portal.registry import registry
    from portal.services.activities import participants_with_users

    acts = list(db.session.execute(select(Activity).where(Activity.school_id == demo.id)).scalars())
    reviewers = sorted(db.session.execute(
        select(Membership.user_id).where(Membership.school_id == demo.id, Membership.role == REVIEWER,
                                         Membership.active.is_(True))
    ).scalars())
    busy, organised = acts[0], acts[1]
    taking_part = {p.user_id for p, _u in participants_with_users(busy.id)}
    for uid in reviewers:  # every reviewer takes part in the first; the first organises the second
        if uid not in taking_part:
            db.session.add(Participation(activity_id=busy.id, user_id=uid, role="participant"))
    organised.organizer_id = reviewers[0]
    for uid in reviewers[1:]:
        db.session.add(Participation(activity_id=organised.id, user_id=uid, role="participant"))
    db.session.flush()
    answers = set()
    for act in acts:
        people = {p.user_id for p, _u in participants_with_users(act.id)}
        given = access._independent_holder_exists(act, frozenset({REVIEWER}), people)
        assert access._independent_holder_exists(act, frozenset({REVIEWER}), None) == given, act.id
        answers.add(given)
        definition = registry().definition(act.type_key)
        for viewer in [*reviewers, act.organizer_id, *sorted(people)[:2]]:
            for roles in ({"school_admin"}, {"school_admin", REVIEWER}):
                assert access.activity_roles(act, viewer, roles, None, definition, takes_part=viewer in people) == \
                    access.activity_roles(act, viewer, roles, people, definition), (act.id, viewer, roles)
    assert answers == {True, False}
    assert set(access._HOLDER_NOT_TAKING_PART.compile().params) == {"school_id", "roles", "activity_id"}
