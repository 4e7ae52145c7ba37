"""A comment asked once others are concerned (``Transition.comment_when_others``): the core's
``cancel`` has it, a re-routed ``cancel`` keeps it, a plugin's own step may declare it; the
engine asks :meth:`Transition.needs_comment_with` of the context's people (participants and
sign-ups), never the actor alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest

from workflows import (
    ActivitySnapshot,
    Phase,
    State,
    Transition,
    TransitionContext,
    WorkflowEngine,
    WorkflowExtension,
)
from workflows import build_definition as build
from workflows.context import ParticipantSnapshot
from workflows.errors import CommentRequired

OWNER = frozenset({"owner", "organizer"})


def ctx(people=(), signed_up=(), comment="", actor=1, state="planned") -> TransitionContext:
    act = ActivitySnapshot(1, "t", state, datetime(2026, 10, 1), datetime(2026, 10, 1, 3), Decimal("3"), actor)
    parts = [ParticipantSnapshot(uid, "attendee", None) for uid in people]
    return TransitionContext(act, parts, [], {}, actor, OWNER, datetime(2026, 9, 1), comment,
                             signed_up=frozenset(signed_up))


@pytest.mark.parametrize(("people", "signed_up", "asked"), [
    ((), (), False), ((1,), (), False), ((), (1,), False),  # nobody, or the canceller alone
    ((2,), (), True), ((), (3,), True), ((1, 2), (3,), True),  # anyone else: told why
])
def test_cancel_asks_a_reason_once_others_are_concerned(people, signed_up, asked):
    engine = WorkflowEngine(build())
    cancel = engine.definition.transition("cancel")
    assert cancel.needs_comment_with(1, ctx(people, signed_up).people()) is asked
    assert not cancel.comment_required and cancel.comment_when_others
    if asked:
        for blank in ("", "  \n", "\u3000"):
            with pytest.raises(CommentRequired) as exc:
                engine.fire("planned", "cancel", ctx(people, signed_up, blank))
            assert exc.value.for_others
    assert engine.fire("planned", "cancel", ctx(people, signed_up, "" if not asked else "改期")) == "cancelled"


def test_the_organizer_is_concerned_when_someone_else_cancels():
    """A school admin (actor 1) cancelling an activity organiser 2 runs tells the organiser: the
    reason is asked with nobody else in it; the organiser cancelling their own asks none."""
    engine = WorkflowEngine(build())
    cancel = engine.definition.transition("cancel")
    by_admin = replace(ctx(), activity=replace(ctx().activity, organizer_id=2))
    assert by_admin.people() == frozenset() and cancel.needs_comment_with(1, (), organizer_id=2)
    assert not cancel.needs_comment_with(2, (), organizer_id=2) and not cancel.needs_comment_with(1, ())
    with pytest.raises(CommentRequired) as exc:
        engine.fire("planned", "cancel", by_admin)
    assert exc.value.for_others
    assert engine.fire("planned", "cancel", replace(by_admin, comment="场地另有安排")) == "cancelled"
    assert engine.fire("planned", "cancel", ctx()) == "cancelled"  # the organiser's own


def test_return_still_asks_always_and_says_so_not_for_others():
    engine = WorkflowEngine(build())
    assert engine.definition.transition("return").needs_comment_with(1, ())
    with pytest.raises(CommentRequired) as exc:
        engine.check("held", "return", replace(ctx(), actor_roles=frozenset({"reviewer"})))
    assert not exc.value.for_others


def test_a_rerouted_cancel_keeps_it_and_an_own_step_may_declare_it():
    shelf = State("drafted", "草拟", "Drafted", phase=Phase.OPEN)
    shelved = State("shelved", "搁置", "Shelved", final=True, phase=Phase.CLOSED)
    definition = build(WorkflowExtension(
        states=(shelf, shelved),
        transitions=(
            Transition("cancel", ("planned", "drafted"), "cancelled", frozenset({"owner"}), "取消", "Cancel"),
            Transition("shelve", ("drafted",), "shelved", frozenset({"owner"}), "搁置", "Shelve",
                       comment_when_others=True),
        ),
    ))
    assert definition.transition("cancel").comment_when_others  # not repeated: kept from the core
    engine = WorkflowEngine(definition)
    with pytest.raises(CommentRequired):
        engine.fire("drafted", "shelve", ctx(people=(2,), state="drafted"))
    assert engine.fire("drafted", "shelve", ctx(people=(2,), state="drafted", comment="不再举办")) == "shelved"
    assert engine.fire("drafted", "shelve", ctx(state="drafted")) == "shelved"
