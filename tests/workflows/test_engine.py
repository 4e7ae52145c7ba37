"""The workflow engine alone: no Flask, no database."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from workflows import (
    ActivitySnapshot,
    GuardFailed,
    IllegalTransition,
    NotStarted,
    Phase,
    State,
    Transition,
    TransitionContext,
    TriggerNotPermitted,
    UnknownTrigger,
    WorkflowEngine,
    WorkflowExtension,
    build_definition,
)
from workflows.definition import CORE_STATES, CORE_TRANSITIONS
from workflows.errors import CommentRequired
from workflows.extension import WorkflowExtensionError

STATES = [s.name for s in CORE_STATES]
EXPECTED = {  # (state, trigger) -> destination, for every legal pair
    ("planned", "hold"): "held",
    ("planned", "cancel"): "cancelled",
    ("held", "approve"): "reviewed",
    ("held", "return"): "held",
    ("reviewed", "return"): "held",
    ("reviewed", "credit"): "credited",
    ("credited", "revoke"): "reviewed",
}
ALL_ROLES = frozenset({"teacher", "organizer", "reviewer", "school_admin"})


def ctx(roles=ALL_ROLES, comment="because", state="planned") -> TransitionContext:
    act = ActivitySnapshot(1, "t", state, datetime(2026, 10, 1), datetime(2026, 10, 1, 3), Decimal("3"), 9)
    return TransitionContext(act, [], [], {}, 1, frozenset(roles), datetime(2026, 10, 2), comment)


@pytest.fixture(scope="module")
def engine() -> WorkflowEngine:
    return WorkflowEngine(build_definition())


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("trigger", [t.trigger for t in CORE_TRANSITIONS])
def test_every_pair_is_legal_or_refused(engine, state, trigger):
    roles = ALL_ROLES | {"owner"} if trigger in ("hold", "cancel") else ALL_ROLES
    if (state, trigger) in EXPECTED:
        assert engine.fire(state, trigger, ctx(roles)) == EXPECTED[(state, trigger)]
    else:
        with pytest.raises(IllegalTransition) as err:
            engine.fire(state, trigger, ctx(roles))
        assert err.value.allowed == [t for (s, t) in EXPECTED if s == state]


def test_illegal_is_reported_before_permission(engine):
    # a plain teacher fires credit on a planned activity: illegal, not forbidden
    with pytest.raises(IllegalTransition) as err:
        engine.fire("planned", "credit", ctx({"teacher"}))
    assert err.value.allowed == ["hold", "cancel"]


@pytest.mark.parametrize(
    "trigger,state,roles,ok",
    [
        ("hold", "planned", {"owner"}, True),
        ("hold", "planned", {"school_admin"}, True),
        ("hold", "planned", {"organizer"}, False),  # an organizer who is not this activity's owner
        ("hold", "planned", {"teacher", "participant"}, False),
        ("approve", "held", {"reviewer"}, True),
        ("approve", "held", {"school_admin"}, False),
        ("approve", "held", {"reviewer", "owner"}, False),  # separation of duties
        ("approve", "held", {"reviewer", "recorder"}, False),  # brought it into review: four eyes
        ("approve", "held", {"school_admin", "no_independent_holder"}, True),  # a stand-in
        ("approve", "held", {"school_admin", "no_independent_holder", "recorder"}, False),
        ("return", "held", {"school_admin", "no_independent_holder", "former_owner"}, False),
        ("credit", "reviewed", {"reviewer", "participant"}, False),
        ("credit", "reviewed", {"reviewer"}, True),
        ("revoke", "credited", {"school_admin"}, True),
        ("cancel", "planned", {"teacher"}, False),
    ],
)
def test_role_permissions(engine, trigger, state, roles, ok):
    if ok:
        assert engine.fire(state, trigger, ctx(frozenset(roles)))
    else:
        with pytest.raises(TriggerNotPermitted):
            engine.fire(state, trigger, ctx(frozenset(roles)))


def test_allowed_triggers_by_role(engine):
    assert engine.allowed_triggers("held", frozenset({"reviewer"})) == ["approve", "return"]
    assert engine.allowed_triggers("held", frozenset({"reviewer", "participant"})) == []
    assert engine.allowed_triggers("planned", frozenset({"owner"})) == ["hold", "cancel"]
    assert engine.allowed_triggers("cancelled", ALL_ROLES | {"owner"}) == []


def test_allowed_triggers_before_the_start_leave_out_what_check_refuses_then(engine):
    """Offered is allowed: before the start, not the steps that wait for it (hold), which
    ``check`` refuses then whoever fires them."""
    assert engine.allowed_triggers("planned", frozenset({"owner"}), started=False) == ["cancel"]
    assert engine.allowed_triggers("planned", frozenset({"owner"}), started=True) == ["hold", "cancel"]
    assert engine.allowed_triggers("held", frozenset({"reviewer"}), started=False) == ["approve", "return"]


def test_comment_required_for_return_and_revoke(engine):
    with pytest.raises(CommentRequired):
        engine.fire("held", "return", ctx({"reviewer"}, comment="  "))
    with pytest.raises(CommentRequired):
        engine.fire("credited", "revoke", ctx({"reviewer"}, comment=""))


def test_unknown_trigger(engine):
    with pytest.raises(UnknownTrigger) as err:
        engine.fire("planned", "to_credited", ctx())
    assert "hold" in err.value.known


def test_no_auto_transitions_and_machine_shared(engine):
    machine = engine._machine  # noqa: SLF001 - checking the shared machine is not leaking models
    before = len(machine.models)
    for _ in range(50):
        engine.fire("planned", "hold", ctx(ALL_ROLES | {"owner"}))
    assert len(machine.models) == before
    assert "to_credited" not in machine.events


def test_guards_report_what_is_missing():
    def needs_two(c: TransitionContext) -> list[str]:
        return [] if len(c.participants) >= 2 else ["two participants needed"]

    def never(c: TransitionContext) -> list[str]:
        return ["the sky is not green"]

    eng = WorkflowEngine(build_definition(WorkflowExtension(guards={"hold": (needs_two, never)})))
    with pytest.raises(GuardFailed) as err:
        eng.fire("planned", "hold", ctx(ALL_ROLES | {"owner"}))
    assert err.value.missing == ["two participants needed", "the sky is not green"]


def test_extension_adds_a_state_between_core_states():
    ext = WorkflowExtension(
        states=(State("prepared", "已准备", "Prepared", phase=Phase.OPEN),),
        transitions=(
            Transition("prepare", ("planned",), "prepared", frozenset({"owner"}), "准备", "Prepare"),
            Transition("hold", ("prepared",), "held", frozenset({"owner"}), "举行", "Hold"),
        ),
    )
    eng = WorkflowEngine(build_definition(ext))
    roles = frozenset({"owner"})
    with pytest.raises(IllegalTransition):
        eng.fire("planned", "hold", ctx(roles))
    assert eng.fire("planned", "prepare", ctx(roles)) == "prepared"
    assert eng.fire("prepared", "hold", ctx(roles)) == "held"


@pytest.mark.parametrize(
    "ext,message",
    [
        (WorkflowExtension(states=(State("held", "x", "x"),)), "already exists"),
        (WorkflowExtension(states=(State("准备", "x", "x"),)), "ASCII"),
        (
            WorkflowExtension(transitions=(Transition("credit", ("held",), "cancelled", frozenset(), "x", "x"),)),
            "keep destination",
        ),
        (
            WorkflowExtension(transitions=(Transition("skip", ("planned",), "credited", frozenset(), "x", "x"),)),
            "may not lead into core state",
        ),
        (WorkflowExtension(guards={"nope": (lambda c: [],)}), "unknown trigger"),
        # relations for separation of duties only, named by no transition
        (
            WorkflowExtension(transitions=(Transition("redo", ("held",), "held", frozenset({"recorder"}), "x", "x"),)),
            "unknown roles \\['recorder'\\]",
        ),
        (
            WorkflowExtension(transitions=(Transition("redo", ("held",), "held", frozenset({"former_owner"}), "x",
                                                      "x"),)),
            "unknown roles \\['former_owner'\\]",
        ),
    ],
)
def test_extensions_cannot_break_the_core(ext, message):
    with pytest.raises(WorkflowExtensionError, match=message):
        build_definition(ext)


def test_mermaid_keeps_ascii_ids_and_shows_labels():
    eng = WorkflowEngine(build_definition())
    text = eng.mermaid(lang="zh", current="held")
    assert 'state "已举行" as held' in text
    assert "Class held s_active" in text
    assert "planned --> held: hold: 标记为已举行" in text
    en = eng.mermaid(lang="en")
    assert 'state "Credited" as credited' in en


@pytest.mark.parametrize("dest", [
    State("presented", "已展示", "Presented", phase=Phase.AWAITING_REVIEW),
    None,  # a new trigger into the core's held state (into a confirmed state: refused, tests/plugins)
])
def test_the_start_check_follows_what_a_trigger_does_not_its_name(dest):
    target = dest.name if dest else "held"
    ext = WorkflowExtension(states=(dest,) if dest else (),
                            transitions=(Transition("Hold", ("planned",), target, frozenset({"owner"}), "举行", "Hold"),))
    eng = WorkflowEngine(build_definition(ext))
    early = ctx(frozenset({"owner"}))
    early = TransitionContext(early.activity, [], [], {}, 1, early.actor_roles, datetime(2026, 9, 30), "")
    with pytest.raises(NotStarted):
        eng.fire("planned", "Hold", early)
    assert eng.fire("planned", "Hold", ctx(frozenset({"owner"}))) == target


def test_a_state_must_declare_a_known_phase():
    with pytest.raises(WorkflowExtensionError, match="state 'prepared' declares no phase; known: open, "):
        build_definition(WorkflowExtension(states=(State("prepared", "已准备", "Prepared"),)))
    with pytest.raises(WorkflowExtensionError, match="state 'prepared' names unknown phase 'held'"):
        build_definition(WorkflowExtension(states=(State("prepared", "已准备", "Prepared", phase="held"),)))  # type: ignore[arg-type]
