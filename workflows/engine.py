"""The engine: one ``transitions`` machine per activity type, shared by every row.

A row is bound to the machine only for the duration of a trigger, through a small proxy
whose ``state`` starts as the row's state (``add_model(initial=...)``; without it transitions
would reset the state to ``initial``). ``auto_transitions`` is off so no ``to_credited()``
shortcut skips review. Checks run in this order, so the refusal says the most useful thing:

1. the trigger is known to the type (:class:`UnknownTrigger`);
2. it is legal from the current state, whoever fires it (:class:`IllegalTransition`);
3. the caller's roles may fire it (:class:`TriggerNotPermitted`);
4. the activity has started, where what the trigger does asks for it
   (:meth:`WorkflowDefinition.waits_for_start`: :class:`NotStarted`), and ended, where it
   posts credits (:meth:`WorkflowDefinition.waits_for_end`: :class:`NotEnded`);
5. a comment is given where one is required (:meth:`Transition.needs_comment_with`: always, or
   once others take part or signed up);
6. every guard passes (:class:`GuardFailed`, listing what is missing).
"""

from __future__ import annotations

from collections.abc import Callable

from transitions import Machine
from transitions import State as _MachineState
from transitions.extensions import GraphMachine

from workflows.context import TransitionContext
from workflows.definition import INVOLVED, NO_INDEPENDENT_HOLDER, Transition, WorkflowDefinition
from workflows.errors import (
    CommentRequired,
    GuardFailed,
    GuardRaised,
    IllegalTransition,
    NotEnded,
    NotStarted,
    TriggerNotPermitted,
    UnknownTrigger,
)


class _Bound:
    """Stand-in for a row while the machine runs a trigger on it."""

    __slots__ = ("state", "__dict__")

    def __init__(self, state: str):
        self.state = state


def _machine_kwargs(definition: WorkflowDefinition, lang: str | None = None) -> dict:
    """Machine arguments; with ``lang`` ("zh"/"en") states and edges carry labels for diagrams."""

    def label(obj) -> str:
        return obj.label_zh if lang == "zh" else obj.label_en

    def extra(obj, text: str) -> dict:
        return {"label": text} if lang else {}

    return dict(
        model=None,
        states=[{"name": s.name, **extra(s, label(s))} for s in definition.ordered_states()],
        transitions=[
            {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest, **extra(t, f"{t.trigger}: {label(t)}")}
            for t in definition.transitions
        ],
        initial=definition.initial,
        auto_transitions=False,
        send_event=True,
    )


def _shape(definition: WorkflowDefinition) -> tuple:
    """All the firing machine is built from (:func:`_machine_kwargs` without labels): the
    states in order, each transition's trigger, sources and destination, the initial state."""
    return (tuple(s.name for s in definition.ordered_states()),
            tuple((t.trigger, tuple(t.sources), t.dest) for t in definition.transitions), definition.initial)


_MACHINES: dict[tuple, Machine] = {}


def _machine(definition: WorkflowDefinition) -> Machine:
    """One firing machine per workflow shape (:func:`_shape`) in a process: every app a process
    builds (each test's) built each type's machine again, ~1 ms of CPU an app (BENCHMARKS.md,
    round 63). A machine holds no row between triggers (:meth:`WorkflowEngine.fire` binds one
    for the call), so engines of one shape share it as the requests of one app already do."""
    shape = _shape(definition)
    machine = _MACHINES.get(shape)
    if machine is None:
        if len(_MACHINES) >= 256:  # generated workflows (the property tests): never many kept
            _MACHINES.clear()
        machine = _MACHINES[shape] = Machine(**_machine_kwargs(definition))
    return machine


class _LabelledState(_MachineState):
    """A machine state carrying a display label (used only for diagrams)."""

    def __init__(self, *args, label: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.label = label


class _DiagramMachine(GraphMachine):
    state_cls = _LabelledState


class WorkflowEngine:
    """Fires triggers for one activity type. Build once, reuse for every row."""

    def __init__(self, definition: WorkflowDefinition):
        self.definition = definition
        self._machine = _machine(definition)
        self._by_trigger: dict[str, Transition] = {t.trigger: t for t in definition.transitions}
        self._waits_for_start = {t.trigger for t in definition.transitions if definition.waits_for_start(t)}
        self._waits_for_end = {t.trigger for t in definition.transitions if definition.waits_for_end(t)}

    # -- questions -------------------------------------------------------------------------
    def legal_triggers(self, state: str) -> list[str]:
        """Triggers legal from ``state`` for somebody, in definition order."""
        return [t.trigger for t in self.definition.transitions if state in t.sources]

    def may_fire(self, trigger: str, roles: frozenset[str]) -> bool:
        """Whether ``roles`` (school roles plus the relations owner/participant and
        no_independent_holder) allow ``trigger``."""
        t = self._by_trigger[trigger]
        if t.independent and roles & INVOLVED:
            return False
        return bool(t.roles & roles) or self.stands_in(trigger, roles)

    def stands_in(self, trigger: str, roles: frozenset[str]) -> bool:
        """Whether ``roles`` may fire ``trigger`` only as a stand-in: none of the trigger's own
        roles, one of its ``stand_in_roles``, and nobody in the school holding its roles is
        independent of the activity."""
        t = self._by_trigger[trigger]
        return (
            not (t.roles & roles)
            and bool(t.stand_in_roles & roles)
            and NO_INDEPENDENT_HOLDER in roles
            and not roles & INVOLVED
        )

    def allowed_triggers(
        self, state: str, roles: frozenset[str], started: bool = True, ended: bool = True
    ) -> list[str]:
        """Triggers this caller could fire now (guards not evaluated): before the activity has
        ``started``, none that waits for its start (:meth:`WorkflowDefinition.waits_for_start`),
        before it has ``ended``, none that waits for its end (:meth:`WorkflowDefinition.waits_for_end`),
        which :meth:`check` would refuse."""
        return [
            t for t in self.legal_triggers(state)
            if self.may_fire(t, roles) and (started or t not in self._waits_for_start)
            and (ended or t not in self._waits_for_end)
        ]

    def check(self, state: str, trigger: str, ctx: TransitionContext) -> Transition:
        """Raise the first refusal for ``trigger`` from ``state``; return the transition if none."""
        t = self._by_trigger.get(trigger)
        if t is None:
            raise UnknownTrigger(trigger, list(self._by_trigger))
        if state not in t.sources:
            raise IllegalTransition(trigger, state, self.legal_triggers(state))
        if not self.may_fire(trigger, ctx.actor_roles):
            if t.independent and ctx.actor_roles & INVOLVED and t.roles & ctx.actor_roles:
                reason = f"{trigger!r} must be fired by someone who neither organized nor took part in the activity"
            else:
                reason = f"{trigger!r} may only be fired by: {', '.join(sorted(t.roles))}"
            raise TriggerNotPermitted(trigger, reason)
        if trigger in self._waits_for_start and ctx.now < ctx.activity.starts_at:
            raise NotStarted(trigger, ctx.activity.starts_at)
        if trigger in self._waits_for_end and ctx.now < ctx.activity.ends_at:
            raise NotEnded(trigger, ctx.activity.ends_at)
        if not ctx.comment.strip() and t.needs_comment_with(ctx.actor_id, ctx.people(), ctx.activity.organizer_id):
            raise CommentRequired(trigger, for_others=not t.comment_required)
        missing: list[object] = []
        for guard in self.definition.guards.get(trigger, ()):
            try:
                missing.extend(what_is_missing(guard(ctx)))
            except Exception as exc:  # a plugin's bug, not a refusal: named for the portal to report
                raise GuardRaised(trigger, getattr(guard, "__qualname__", repr(guard)), exc) from exc
        if missing:
            raise GuardFailed(trigger, missing)
        return t

    # -- action ----------------------------------------------------------------------------
    def fire(self, state: str, trigger: str, ctx: TransitionContext) -> str:
        """Check, then run the trigger through the shared machine; return the new state.

        The caller persists the new state; nothing here touches storage.
        """
        self.check(state, trigger, ctx)
        bound = _Bound(state)
        self._machine.add_model(bound, initial=state)
        try:
            if not bound.trigger(trigger, ctx=ctx):  # type: ignore[attr-defined]
                raise IllegalTransition(trigger, state, self.legal_triggers(state))
            return bound.state
        finally:
            self._machine.remove_model(bound)

    def mermaid(self, lang: str = "zh", current: str | None = None, title: str = "") -> str:
        """The machine as Mermaid text, drawn by transitions' own diagram support."""
        graph = _DiagramMachine(**_machine_kwargs(self.definition, lang), graph_engine="mermaid", title=title or " ")
        proxy = _Bound(current or self.definition.initial)
        graph.add_model(proxy, initial=proxy.state)
        return proxy.get_graph().draw(None)  # type: ignore[attr-defined]


def what_is_missing(answer: object, shown: Callable[[object], object] | None = None) -> list[object]:
    """A guard's answer as a list of what is missing, each shown with str() — asked here, so a
    guard answering one text (spelled out letter by letter), None, or an item whose str() raises
    is the plugin's bug (:class:`GuardRaised`), not a refusal nor an error page. With ``shown``,
    the items as it shows them (the portal's plain texts, made once, inside the plugin's boundary)."""
    if isinstance(answer, (str, bytes)):
        raise TypeError(f"a guard answers a list of what is missing, not {type(answer).__name__} {answer!r:.60}")
    found = list(answer)  # type: ignore[call-overload]  # None, a number: TypeError, reported as such
    if shown is not None:
        return [shown(item) for item in found]
    for item in found:
        str(item)
    return found
