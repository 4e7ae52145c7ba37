"""The review queue reads its activities' history in one statement (``transitions.queue_history``,
round 56): who had a hand in each before (``access.involved_before``), whether a held card's
latest step returned it (``transitions.last_returns``) and the refusals of a declaration's
teacher before (``transitions.refused_before``) — the same answers the three functions give
with a statement each."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, Evidence, Membership, School, TransitionLog
from portal.registry import registry
from portal.services import access, transitions
from portal.timeutil import zone_of
from workflows.definition import Phase


def _three(school: School, activities: list[Activity], held: list[Activity]) -> transitions.QueueHistory:
    tz = zone_of(school)
    return transitions.QueueHistory(
        access.involved_before(a.id for a in activities),
        transitions.last_returns([a.id for a in held]),
        transitions.refused_before(school.id, held, tz),
    )


def _returned_again(n: int) -> None:
    """The latest step of ``n`` activities awaiting review of each type made a return for rework (the
    demo's returned cards were declared again since), as the queue's card would say it."""
    reg = registry()
    waiting = reg.states_in(Phase.AWAITING_REVIEW)
    acts = db.session.scalars(select(Activity).where(Activity.state.in_(waiting)).order_by(Activity.id)).all()
    done: dict[str, int] = {}
    for a in acts:
        back = [t for t in reg.definition(a.type_key).transitions
                if t.clears_adjustments and not t.posts_credits and not t.reverses_credits]
        if back and done.get(a.type_key, 0) < n:
            done[a.type_key] = done.get(a.type_key, 0) + 1
            db.session.add(TransitionLog(activity_id=a.id, school_id=a.school_id, trigger=back[0].trigger,
                                         from_state=a.state, to_state=a.state, actor_id=a.organizer_id,
                                         comment="请补充照片"))
    db.session.commit()
    assert done


def _handed_in_for_another() -> None:
    """A piece of evidence of each declaration that has one handed in by another than its teacher (an
    admin standing in, ``policy.hands_in_for_another``): who handed it in is involved, read by the
    same statement."""
    declaring = access.declaring_types()
    pieces = db.session.execute(
        select(Evidence, Activity).join(Activity, Activity.id == Evidence.activity_id)
        .where(Activity.type_key.in_(declaring)).order_by(Evidence.id)).all()
    changed = set()
    for piece, act in pieces:
        if act.id not in changed:
            piece.uploaded_by = db.session.scalars(  # another of the school's people
                select(Membership.user_id).where(Membership.school_id == act.school_id,
                                                 Membership.user_id != piece.user_id).order_by(Membership.user_id)).first()
            changed.add(act.id)
    db.session.commit()
    assert changed


@pytest.mark.parametrize("held_are", ["awaiting review", "every activity"])
def test_one_statement_the_three_answers(demo, queries, held_are):
    """Every school of the demo (activities of every type in every state: returned cards, a
    declaration declared again after a refusal, handovers): the page's activities those awaiting
    review and confirmed; held, those awaiting review, or every activity of the school (every
    latest step and refusal asked); declarations with evidence handed in by another. The answers
    are compared whole, the refusals in their order."""
    _returned_again(2)
    _handed_in_for_another()
    found = {"before": 0, "returned": 0, "refused": 0, "handed_in": 0}
    for school in db.session.scalars(select(School).order_by(School.id)).all():
        acts = db.session.scalars(select(Activity).where(Activity.school_id == school.id).order_by(Activity.id)).all()
        waiting = set(registry().states_in(Phase.AWAITING_REVIEW))
        page = [a for a in acts if a.state in waiting | set(registry().states_in(Phase.CONFIRMED))]
        held = [a for a in acts if a.state in waiting] if held_are == "awaiting review" else list(acts)
        if not page:
            continue
        expected = _three(school, page + held, held)
        with queries.counting():
            got = transitions.queue_history(school.id, page + held, held, zone_of(school))
        assert queries.count == 1, queries.report()
        assert got == expected, school.code
        for key in ("before", "returned", "refused"):
            found[key] += len(getattr(got, key))
        found["handed_in"] += sum(len(e.handed_in) for e in got.before.values())
    # the demo has them all: the comparison compared something
    assert all(found.values()), found


def test_no_activities_no_statement(app, queries):
    with queries.counting():
        assert transitions.queue_history(1, [], [], "Asia/Shanghai") == ({}, {}, {})
    assert queries.count == 0


def test_its_rows_are_read_by_the_statements_column_names():
    """``queue_history`` reads each row as a ``HistoryRow`` named tuple (round 58: by position, then
    by name at a tuple's cost): its fields are the statement's columns, in order, in every branch."""
    statement = transitions._queue_history_query(("planned",), ("held", "reflected"))
    assert list(statement.selected_columns.keys()) == list(transitions.HistoryRow._fields)
    for branch in statement.selects:
        assert list(branch.selected_columns.keys()) == list(transitions.HistoryRow._fields)
