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


@dataclass(frozen=True)
class WorkflowExtension:
    states: tuple[State, ...] = ()
    transitions: tuple[Transition, ...] = ()
    guards: dict[str, tuple[Guard, ...]] = field(default_factory=dict)


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
            guards[trigger] = guards.get(trigger, ()) + tuple(gs)
    return WorkflowDefinition(states=tuple(states), transitions=tuple(transitions.values()), guards=guards)
