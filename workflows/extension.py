"""How a plugin extends the core workflow: guards, extra states, extra transitions.

A guard is a callable ``guard(ctx: TransitionContext) -> list[str]`` returning what is missing
(empty list: the trigger may fire). Extra states sit between core states; the four core
states and their meaning stay: an extension may re-route a core trigger's *sources* (so
``hold`` can require a new ``prepared`` state first) but never its destination.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from workflows.context import TransitionContext
from workflows.definition import (
    ACTOR_ROLES,
    CORE,
    CORE_STATE_NAMES,
    HISTORY_ONLY,
    Phase,
    State,
    Transition,
    WorkflowDefinition,
)

# A guard returns what is still missing, each shown with str(): a plugin's zh/en Text, or a text already in
# the reader's language (its catalog's); any other str is shown as written, in every language (docs/plugins.md).
Guard = Callable[[TransitionContext], Sequence[object]]


class WorkflowExtensionError(ValueError):
    """An extension breaks the core workflow's rules."""


class WaitsGoingBack(WorkflowExtensionError):
    """The extension makes a step that brings an activity no nearer its credits (a cancel, a
    return, a step back: :meth:`WorkflowDefinition.steps_back`) wait for the activity's end
    (``waits_for_end``, ``Transition.not_before_end``): nobody could take it until the end — a
    planned activity that will not take place could not be cancelled. ``trigger`` names it."""

    def __init__(self, trigger: str) -> None:
        super().__init__(
            f"trigger {trigger!r} does not move an activity towards its credits (it cancels, returns or "
            f"goes back), so it may not wait for the activity's end (waits_for_end, not_before_end)"
        )
        self.trigger = trigger


@dataclass(frozen=True)
class WorkflowExtension:
    states: tuple[State, ...] = ()
    transitions: tuple[Transition, ...] = ()
    guards: dict[str, tuple[Guard, ...]] = field(default_factory=dict)
    #: Triggers of the type's workflow — the core's (``hold``) or its own — refused before the
    #: activity's end (``Transition.not_before_end``): the core hides them until then and refuses
    #: them in its own words (``activity.not_ended``). An unknown trigger is refused at load.
    waits_for_end: frozenset[str] | set[str] | tuple[str, ...] = frozenset()


def _waiting_for_end(named: object, transitions: dict[str, Transition]) -> set[str]:
    """The triggers ``WorkflowExtension.waits_for_end`` names, each one of the workflow's."""
    if isinstance(named, (str, bytes)) or not isinstance(named, (set, frozenset, tuple, list)):
        raise WorkflowExtensionError(f"waits_for_end is a set of trigger names, not {type(named).__name__} {named!r:.60}")
    for trigger in named:
        if trigger not in transitions:
            raise WorkflowExtensionError(
                f"waits_for_end names unknown trigger {trigger!r}; known: {', '.join(transitions)}"
            )
    return set(named)


_PHASES = ", ".join(p.value for p in Phase)


def _declared_phase(s: State) -> Phase:
    """The phase ``s`` declares (a :class:`Phase`, or its value): never a default, since what a
    state means to the core — review queue, absences, the ledger — is the plugin's to say."""
    if s.phase is None:
        raise WorkflowExtensionError(f"state {s.name!r} declares no phase; known: {_PHASES}")
    try:
        return Phase(s.phase)
    except (ValueError, TypeError):
        raise WorkflowExtensionError(f"state {s.name!r} names unknown phase {s.phase!r}; known: {_PHASES}") from None


_ONLY_BY = {
    "posts": "only the core trigger that posts them does",
    "approves": "only the core trigger that approves the hours does",
    "reverses": "only the core trigger that reverses them does",
    "returns": "only the core trigger that returns for rework does",
}


def _keeps_the_review(t: Transition, phase_of: dict[str, Phase]) -> None:
    """The confirmed and credited phases are entered and left only by the triggers that carry
    their effects: ``approve`` (awaiting review → confirmed), ``credit`` (confirmed → credited),
    ``revoke`` (out of credit) and ``return`` (back from confirmed, forgetting the approval). So
    no re-routed or added trigger posts credits without an approval, confirms hours nobody
    approved, or leaves credits posted behind an activity back in review. A closed activity
    (cancelled) stays closed: no trigger leads out of the closed phase, so nothing re-opens an
    activity whose cancellation the history, the absences and the year's figures already count."""
    def leaves_only(effect: str, phase: Phase, where: str) -> None:  # where: "confirmed states" …
        wrong = [s for s in t.sources if phase_of[s] is not phase]
        if wrong:
            raise WorkflowExtensionError(
                f"core trigger {t.trigger!r} {effect}, so it may leave only {where}; "
                f"{wrong[0]!r} is {phase_of[wrong[0]].value}"
            )

    if t.posts_credits:
        leaves_only("posts credits", Phase.CONFIRMED, "confirmed states")
    if t.adjusts_hours:
        leaves_only("approves the hours", Phase.AWAITING_REVIEW, "states awaiting review")
    if t.reverses_credits:
        leaves_only("reverses credits", Phase.CREDITED, "credited states")
    dest = phase_of[t.dest]
    for s in t.sources:
        src = phase_of[s]
        if src is Phase.CLOSED and dest is not Phase.CLOSED:
            fault = f"out of closed state {s!r} into {t.dest!r}; a closed activity stays closed"
        elif dest is Phase.CREDITED and src is not Phase.CREDITED and not t.posts_credits:
            fault = f"from {s!r} into credited state {t.dest!r} without posting credits; {_ONLY_BY['posts']}"
        elif dest is Phase.CONFIRMED and src in (Phase.OPEN, Phase.AWAITING_REVIEW) and not t.adjusts_hours:
            fault = f"from {s!r} into confirmed state {t.dest!r} without the approval; {_ONLY_BY['approves']}"
        elif src is Phase.CREDITED and dest is not Phase.CREDITED and not t.reverses_credits:
            fault = (f"out of credited state {s!r} into {t.dest!r} without reversing the credits; "
                     f"{_ONLY_BY['reverses']}")
        elif src is Phase.CONFIRMED and dest in (Phase.OPEN, Phase.AWAITING_REVIEW, Phase.CLOSED) \
                and not t.clears_adjustments:
            fault = (f"from confirmed state {s!r} back to {t.dest!r} without clearing the approval; "
                     f"{_ONLY_BY['returns']}")
        else:
            continue
        raise WorkflowExtensionError(f"trigger {t.trigger!r} leads {fault}")


def same_text(a: str, b: str) -> bool:
    """Whether two labels read the same to a person: compared as shown (compatibility forms,
    letter case, runs of spaces and invisible format characters such as a zero-width space
    aside), so ``已认定学时`` and ``已认定学时\u200b`` are one label."""
    return _shown(a) == _shown(b)


@functools.lru_cache(maxsize=4096)
def _shown(text: str) -> str:
    """A label as a person reads it (see :func:`same_text`); kept, since every app's start
    compares every pair of labels (thousands of comparisons of a few hundred labels)."""
    text = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")
    return " ".join(text.split()).casefold()


def _one_label_each(kind: str, parts: Sequence[State | Transition], own: set[str]) -> None:
    """The extension's states (or triggers), ``own``, share no label, in either language, with a
    state (or trigger) of another name: a state of the plugin's own labelled 已认定学时 (or its
    trigger labelled 认定学时) would show an activity as credited, or offer a button reading like
    posting the credits, where nothing is."""
    def name_of(part: State | Transition) -> str:
        return part.name if isinstance(part, State) else part.trigger

    for part in parts:
        if name_of(part) not in own:
            continue
        for other in parts:
            if name_of(other) == name_of(part):
                continue
            for label, other_label in ((part.label_zh, other.label_zh), (part.label_en, other.label_en)):
                if isinstance(label, str) and isinstance(other_label, str) and same_text(label, other_label):
                    raise WorkflowExtensionError(
                        f"{kind} {name_of(part)!r} is labelled {label!r}, as {kind} {name_of(other)!r} is; "
                        f"a label names one {kind}"
                    )


def build_definition(
    extension: WorkflowExtension | None = None,
    base: WorkflowDefinition = CORE,
    common_guards: dict[str, tuple[Guard, ...]] | None = None,
) -> WorkflowDefinition:
    """Merge an extension into the core definition, checking it keeps the core's meaning."""
    ext = extension or WorkflowExtension()
    states = list(base.states)
    for s in ext.states:
        if s.name in CORE_STATE_NAMES or any(x.name == s.name for x in states):
            raise WorkflowExtensionError(f"state {s.name!r} already exists")
        if not s.name.isidentifier() or not s.name.isascii():
            raise WorkflowExtensionError(f"state name {s.name!r} must be an ASCII identifier")
        states.append(replace(s, phase=_declared_phase(s)))
    names = {s.name for s in states}
    transitions = {t.trigger: t for t in base.transitions}
    for t in ext.transitions:
        _well_formed(t)
        if not t.trigger.isascii() or not t.trigger.replace("_", "a").isalnum():
            raise WorkflowExtensionError(f"trigger name {t.trigger!r} must be an ASCII identifier")
        if t.trigger in HISTORY_ONLY:  # the history's own entry: a step of that name would read as it
            raise WorkflowExtensionError(f"trigger name {t.trigger!r} is reserved for the activity's history")
        strangers = sorted(set(t.roles | t.stand_in_roles) - ACTOR_ROLES)
        if strangers:
            raise WorkflowExtensionError(
                f"transition {t.trigger!r} names unknown roles {strangers}; known: {', '.join(sorted(ACTOR_ROLES))}"
            )
        unknown = [x for x in (*t.sources, t.dest) if x not in names]
        if unknown:
            raise WorkflowExtensionError(f"transition {t.trigger!r} names unknown states {unknown}")
        core = transitions.get(t.trigger)
        if core is not None and core.dest != t.dest:
            raise WorkflowExtensionError(f"core trigger {t.trigger!r} must keep destination {core.dest!r}")
        if core is None and t.dest in CORE_STATE_NAMES - {"planned", "held"}:
            raise WorkflowExtensionError(
                f"new trigger {t.trigger!r} may not lead into core state {t.dest!r}: only core triggers do"
            )
        if core is not None:  # it may narrow who fires a core trigger, never widen it
            wider = sorted((t.roles - core.roles) | (t.stand_in_roles - core.roles - core.stand_in_roles))
            if wider:
                allowed = ", ".join([*sorted(core.roles), *(f"{r} (stand-in)" for r in sorted(core.stand_in_roles))])
                raise WorkflowExtensionError(
                    f"core trigger {t.trigger!r} may be fired only by {allowed}; {wider} would widen it"
                )
        if core is not None:  # a re-routed core trigger keeps the core's safeguards and effects
            t = replace(
                t,
                independent=t.independent or core.independent,
                comment_required=t.comment_required or core.comment_required,
                comment_when_others=t.comment_when_others or core.comment_when_others,
                not_before_start=t.not_before_start or core.not_before_start,
                not_before_end=t.not_before_end or core.not_before_end,
                stand_in_roles=t.stand_in_roles or core.stand_in_roles,
                posts_credits=core.posts_credits,
                reverses_credits=core.reverses_credits,
                adjusts_hours=core.adjusts_hours,
                clears_adjustments=core.clears_adjustments,
                from_phases=t.from_phases or core.from_phases,
            )
        else:  # only core triggers touch the ledger or the hours
            t = replace(t, posts_credits=False, reverses_credits=False, adjusts_hours=False)
        transitions[t.trigger] = t
    for trigger in _waiting_for_end(ext.waits_for_end, transitions):
        transitions[trigger] = replace(transitions[trigger], not_before_end=True)
    rerouted = {t.trigger for t in ext.transitions}
    added = [s for s in states if s.name not in CORE_STATE_NAMES]
    for trigger, t in list(transitions.items()):
        if t.from_phases and trigger not in rerouted:  # cancel / return cover added states by phase
            extra = tuple(s.name for s in added if s.phase in t.from_phases and s.name not in t.sources)
            if extra:
                transitions[trigger] = replace(t, sources=t.sources + extra)
    for t in transitions.values():
        _keeps_the_review(t, {s.name: s.phase for s in states})
    _one_label_each("state", states, {s.name for s in ext.states})
    _one_label_each("trigger", list(transitions.values()), rerouted)
    guards: dict[str, tuple[Guard, ...]] = {}
    for source in (common_guards or {}, base.guards, ext.guards):
        for trigger, gs in source.items():
            if trigger not in transitions:
                raise WorkflowExtensionError(f"guard for unknown trigger {trigger!r}")
            if not isinstance(gs, (tuple, list)) or not all(callable(g) for g in gs):
                raise WorkflowExtensionError(
                    f"the guards of trigger {trigger!r} are a tuple of functions, (guard,), not {_shown_value(gs)}"
                )
            guards[trigger] = guards.get(trigger, ()) + tuple(gs)
    definition = WorkflowDefinition(states=tuple(states), transitions=tuple(transitions.values()), guards=guards)
    _no_dead_end(definition)
    for t in definition.transitions:  # only a step towards the credits may wait for the end
        if definition.waits_for_end(t) and definition.steps_back(t):
            raise WaitsGoingBack(t.trigger)
    return definition


def _shown_value(value: object) -> str:
    """A value an author wrote, as a message names it: a function by its name."""
    name = getattr(value, "__qualname__", None)
    return f"the function {name}" if callable(value) and name else f"{type(value).__name__} {value!r:.60}"


def _well_formed(t: Transition) -> None:
    """A transition's sources and roles are collections of names: a lone ``"planned"`` (``("planned")``
    without its comma) would otherwise be read letter by letter — "unknown states ['p', 'l', …]" — and a
    lone ``"owner"`` fail with a ``TypeError`` that names neither the transition nor the fix."""
    if not isinstance(t.trigger, str):
        raise WorkflowExtensionError(f"a transition's trigger is a str, not {_shown_value(t.trigger)}")
    if isinstance(t.sources, str) or not isinstance(t.sources, (tuple, list)):
        raise WorkflowExtensionError(
            f"transition {t.trigger!r} takes its sources as a tuple of state names, ('planned',) with its comma, "
            f"not {_shown_value(t.sources)}"
        )
    for what, roles in (("roles", t.roles), ("stand_in_roles", t.stand_in_roles)):
        if isinstance(roles, str) or not isinstance(roles, (set, frozenset)):
            raise WorkflowExtensionError(
                f"transition {t.trigger!r} takes its {what} as a set of role names, frozenset({{'owner'}}), "
                f"not {_shown_value(roles)}"
            )
    if not isinstance(t.dest, str) or not all(isinstance(x, str) for x in (*t.sources, *t.roles, *t.stand_in_roles)):
        raise WorkflowExtensionError(f"transition {t.trigger!r} names its states and roles by str")


def _no_dead_end(definition: WorkflowDefinition) -> None:
    """Every state an activity can come to (from ``planned``) and stand in before its credits — of
    phase open, awaiting review or confirmed — has a way on to them, through a return for rework
    if need be. A state of a plugin's own that no trigger leaves but ``cancel`` (its ``hold`` not
    re-routed to start from it), or a ``planned`` whose only way on was re-routed elsewhere, would
    hold every activity entering it until someone cancelled it, its people's hours never credited."""
    onward = [t for t in definition.transitions
              if definition.phase(t.dest) is not Phase.CLOSED and not t.reverses_credits]
    on_to_credits = set(definition.states_in(Phase.CREDITED))
    grew = True
    while grew:  # the states with a way on to the credits, a return for rework included
        before = len(on_to_credits)
        on_to_credits |= {src for t in onward if t.dest in on_to_credits for src in t.sources}
        grew = len(on_to_credits) > before
    reached = {definition.initial}
    grew = True
    while grew:  # the states an activity can come to from its start
        before = len(reached)
        reached |= {t.dest for t in definition.transitions if reached & set(t.sources)}
        grew = len(reached) > before
    for s in definition.states:
        if (s.phase not in (Phase.OPEN, Phase.AWAITING_REVIEW, Phase.CONFIRMED) or s.name in on_to_credits
                or s.name not in reached):
            continue
        exits = sorted(t.trigger for t in definition.transitions if s.name in t.sources)
        raise WorkflowExtensionError(
            f"state {s.name!r} is a dead end: no way from it leads to the credits "
            f"(it is left only by {', '.join(exits) or 'nothing'}); let a trigger lead on from it "
            f"(re-route hold, approve or credit to start from it, or add one of your own)"
        )
