"""The core workflow every activity type shares, and who may fire each trigger.

``planned → held → reviewed → credited``, plus ``cancel`` (planned → cancelled; with a comment,
the reason its people are told, when anyone but the canceller takes part or signed up), ``return``
(held or reviewed → held, with a comment) and ``revoke`` (credited → reviewed, with a comment;
the portal writes reversing ledger entries). State and trigger names are ASCII identifiers;
the labels carry the zh/en text.

Roles named in ``Transition.roles`` are either a school role (``teacher``, ``organizer``,
``reviewer``, ``school_admin``) or a relation to the activity: ``owner`` (its organizer) and
``participant``. ``independent`` transitions may not be fired by anyone involved in the activity
(:data:`INVOLVED`: its owner, a former owner, whoever brought it into review, whoever handed in
evidence for another's declaration, a participant:
separation of duties). When nobody holding ``roles`` in the school is
independent of the activity (the school's only reviewer took part), ``stand_in_roles`` may
fire it instead — still only someone independent — and the portal notes it in the history.
Nothing is held, and so nothing credited, before it happened: a transition that takes an
activity out of the open phase into review, confirmation or credit, or that posts credits, is
refused before the activity's start whatever it is called (:meth:`WorkflowDefinition.waits_for_start`);
``not_before_start`` asks the same of any other transition. Nothing is credited before all of it
took place: a transition that posts credits is refused before the activity's end
(:meth:`WorkflowDefinition.waits_for_end`); ``not_before_end`` asks the same of any other
transition (a type's step that records what the whole of its time gave: a mentorship held once its
term is over; a plugin declares it with ``WorkflowExtension.waits_for_end``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

PLANNED, HELD, REVIEWED, CREDITED, CANCELLED = "planned", "held", "reviewed", "credited", "cancelled"
OWNER, PARTICIPANT = "owner", "participant"
#: The relation of an activity's organiser who may run it no more (``owner`` is one who may):
#: they lost the role that lets them organise in the school. Named by no transition, so it
#: fires none of the owner's triggers; still involved in the activity, so the ``independent``
#: transitions exclude them as they exclude the owner.
FORMER_OWNER = "former_owner"
#: The relation of whoever fired a step that brought the activity into review (out of the open
#: phase into awaiting review: ``hold``, or a type's own step of any name), or changed its
#: attendance (an :data:`ATTENDANCE_RECORDED` entry, in any phase), read from its history: they
#: vouched for the attendance or wrote it (a school admin may record any activity's), so the
#: ``independent`` transitions exclude them as they exclude the owner (four eyes). Named by no
#: transition: a relation for separation of duties only, not a right.
RECORDER = "recorder"
#: The relation of whoever handed in evidence for another's declaration (a school admin adds a
#: certificate to a teacher's): they produced what is decided on, so the ``independent``
#: transitions exclude them as they exclude the owner (the portal's rule:
#: ``policy.hands_in_for_another``). Named by no transition.
HANDED_IN = "handed_in"
#: The relations that make a person involved in an activity (separation of duties).
INVOLVED = frozenset({OWNER, FORMER_OWNER, RECORDER, HANDED_IN, PARTICIPANT})
#: What an activity's history records when a school admin hands it to another organiser: no
#: trigger (not an identifier, so no workflow's trigger can be named so), its state unchanged.
HANDED_OVER = "organizer.handed_over"
#: Who a transition may name in ``roles``: a school role or a relation to the activity.
SCHOOL_ROLES = frozenset({"teacher", "organizer", "reviewer", "school_admin"})
ACTOR_ROLES = SCHOOL_ROLES | {OWNER, PARTICIPANT}
#: Relation the portal adds to an actor's roles when no holder of a transition's ``roles`` in
#: the school is independent of the activity (see ``Transition.stand_in_roles``).
NO_INDEPENDENT_HOLDER = "no_independent_holder"
#: What an activity's history (``TransitionLog.trigger``) records besides its transitions: it was
#: moved to another time (``activities.reschedule``; the state stays). No workflow names a trigger so.
RESCHEDULE = "reschedule"
#: What an activity's history records when someone saves attendance that changes a participant's
#: hours (``activities.record_attendance``; the state stays): the changed rows, old and new, in
#: its payload. Not an identifier, so no workflow's trigger can be named so.
ATTENDANCE_RECORDED = "attendance.recorded"
#: What an activity's history records when its list of participants changes after planning
#: (``activities.set_participants``, ``activities.remove_participant``, a sign-up list confirmed;
#: the state stays): who was added with their role, whose role changed (old, new), who was taken
#: off, in its payload. It changes no hours, so its author is no :data:`RECORDER`. Not an
#: identifier, so no workflow's trigger can be named so.
PARTICIPANTS_CHANGED = "participants.changed"
#: History entries that are no transition of any workflow.
HISTORY_ONLY = frozenset({RESCHEDULE, HANDED_OVER, ATTENDANCE_RECORDED, PARTICIPANTS_CHANGED})


class Phase(str, Enum):
    """What a state means to the core. Services, the review queue, filters, the diagram and
    the history ask a state's phase, never its name, so a state a plugin adds is handled
    everywhere once it declares its phase. Listed in the order an activity goes through them."""

    OPEN = "open"  # planned: attendance and evidence editable
    AWAITING_REVIEW = "awaiting_review"  # held: still editable, in the reviewer's queue
    CONFIRMED = "confirmed"  # reviewed: frozen; its absences count for the year
    CREDITED = "credited"  # credits posted to the ledger
    CLOSED = "closed"  # cancelled: nothing more happens

    @property
    def editable(self) -> bool:
        """Attendance, participants and evidence may still change."""
        return self in (Phase.OPEN, Phase.AWAITING_REVIEW)

    @property
    def movable(self) -> bool:
        """The activity may still move to another time (``activities.reschedule``): it has not
        been held, so nothing of it is for review yet — whatever was recorded meanwhile (asked
        of the rows) was recorded for the time it had."""
        return self is Phase.OPEN

    @property
    def counts_for_absence(self) -> bool:
        """A reviewer confirmed the attendance: its unexcused absence counts for the year."""
        return self in (Phase.CONFIRMED, Phase.CREDITED)

    @property
    def counts_writing(self) -> bool:
        """Writing handed in for the activity (a reflection, reading notes, a paper) counts
        towards its author's quotas: in every phase but closed — an activity closed from the
        open phase (cancelled) never took place, and a reflection on it is on nothing. One held
        and later returned or revoked took place: its writing counts."""
        return self is not Phase.CLOSED

    @property
    def finished(self) -> bool:
        """Credited or closed: nothing left for its organiser to run (a revoke or a return
        brings it back), so it is handed to another organiser no more."""
        return self in (Phase.CREDITED, Phase.CLOSED)

    @property
    def in_review_queue(self) -> bool:
        return self in (Phase.AWAITING_REVIEW, Phase.CONFIRMED)


PHASE_ORDER: tuple[Phase, ...] = tuple(Phase)
#: Phases an activity reaches only once it has taken place.
_TAKEN_PLACE = frozenset({Phase.AWAITING_REVIEW, Phase.CONFIRMED, Phase.CREDITED})


@dataclass(frozen=True)
class State:
    name: str
    label_zh: str
    label_en: str
    final: bool = False
    #: What the state means to the core. Every state declares one: ``build_definition`` refuses
    #: a state without a phase (``None``) or with a value that is not a :class:`Phase`.
    phase: Phase = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[str]
    label_zh: str
    label_en: str
    comment_required: bool = False
    #: A comment is required when anyone other than the actor is concerned: takes part in the
    #: activity, signed up for it, or organises it (``cancel``: they are told why they lose it; a
    #: school admin cancelling an organiser's activity tells the organiser). :meth:`needs_comment_with`.
    comment_when_others: bool = False
    independent: bool = False
    stand_in_roles: frozenset[str] = frozenset()
    not_before_start: bool = False
    #: Refused before the activity's end, as posting credits is (:meth:`WorkflowDefinition.waits_for_end`):
    #: the step records what all of the activity's time gave. A type sets it on a step it adds, or
    #: names any of its workflow's steps, the core's too, in ``WorkflowExtension.waits_for_end``.
    not_before_end: bool = False
    # what the trigger does, as the portal's services read it
    #: The trigger also fires from every state a plugin adds in these phases (``cancel`` from
    #: any open state, ``return`` from any state awaiting review or confirmed).
    from_phases: tuple[Phase, ...] = ()
    posts_credits: bool = False  # writes this round's ledger entries
    reverses_credits: bool = False  # writes reversing ledger entries
    adjusts_hours: bool = False  # may carry the reviewer's adjusted hours
    clears_adjustments: bool = False  # forgets earlier adjustments (a return for rework)

    @property
    def needs_comment(self) -> bool:
        """A comment whoever takes part (``return``, ``revoke``)."""
        return self.comment_required

    def needs_comment_with(self, actor_id: int, people: Iterable[int], organizer_id: int | None = None) -> bool:
        """Whether firing it asks a comment of ``actor_id`` when ``people`` (who take part in the
        activity or signed up for it: :meth:`TransitionContext.people`) and its organiser
        (``organizer_id``) are concerned: always where ``comment_required``, and where
        ``comment_when_others`` once someone other than the actor is among them — the organiser
        counts when someone else fires it (a school admin cancelling their activity: they are
        told why). The one answer the engine enforces and the pages and the API ask."""
        concerned = [*people, *(() if organizer_id is None else (organizer_id,))]
        return self.comment_required or (self.comment_when_others and any(p != actor_id for p in concerned))


@dataclass(frozen=True)
class WorkflowDefinition:
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    initial: str = PLANNED
    guards: dict[str, tuple] = field(default_factory=dict)  # trigger -> tuple[Guard, ...]

    def state(self, name: str) -> State:
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(name)

    def transition(self, trigger: str) -> Transition:
        for t in self.transitions:
            if t.trigger == trigger:
                return t
        raise KeyError(trigger)

    @property
    def triggers(self) -> list[str]:
        return [t.trigger for t in self.transitions]

    def phase(self, state: str) -> Phase:
        """The phase of ``state``; an unknown state (a plugin since removed) counts as closed."""
        for s in self.states:
            if s.name == state:
                return s.phase
        return Phase.CLOSED

    def approving(self) -> Transition:
        """The trigger that confirms the hours (``approve``): the one that may carry the
        reviewer's adjustments. Only core triggers have that effect, so every type has one."""
        return next(t for t in self.transitions if t.adjusts_hours)

    def posting(self) -> Transition:
        """The trigger that posts the credits to the ledger (``credit``)."""
        return next(t for t in self.transitions if t.posts_credits)

    def goes_back(self, t: Transition) -> bool:
        """Whether ``t`` undoes or ends rather than moves forward: it cancels (into the closed
        phase), returns for rework (forgets adjustments) or reverses credits. Pages draw such
        a button as a warning."""
        return t.clears_adjustments or t.reverses_credits or self.phase(t.dest) is Phase.CLOSED

    def steps_back(self, t: Transition) -> bool:
        """Whether ``t`` brings an activity no nearer its credits: it goes back (:meth:`goes_back`:
        it cancels, returns for rework or reverses credits), or it leads from a state into one
        farther from the credits (a type's own step from ``prepared`` back to ``planned``). A step
        between states as far from them (a side step) is neither. Asked of what the trigger does
        and where it leads, never of its name."""
        if self.goes_back(t):
            return True
        far = self._steps_to_credits()
        return any(far.get(t.dest, _NOWHERE) > far.get(s, _NOWHERE) for s in t.sources)

    def _steps_to_credits(self) -> dict[str, int]:
        """How many steps forward (none that goes back) each state is from a credited state."""
        forward = [t for t in self.transitions if not self.goes_back(t)]
        far = {s: 0 for s in self.states_in(Phase.CREDITED)}
        frontier = list(far)
        while frontier:
            nearer: list[str] = []
            for t in forward:
                if t.dest in frontier:
                    for s in t.sources:
                        if s not in far:
                            far[s] = far[t.dest] + 1
                            nearer.append(s)
            frontier = nearer
        return far

    def refuses(self, from_state: str, to_state: str) -> bool:
        """Whether a step from ``from_state`` to ``to_state`` refused the activity in review (a
        declaration's 不予认定): out of the review phase into the closed one, whatever the step
        and its states are called."""
        return self.phase(from_state) is Phase.AWAITING_REVIEW and self.phase(to_state) is Phase.CLOSED

    def asks_confirmation(self, t: Transition) -> bool:
        """Whether a page asks "are you sure?" before ``t``: it ends the activity or reverses
        posted credits, neither of which a later step puts back as it was."""
        return self.why_confirm(t) is not None

    def why_confirm(self, t: Transition) -> str | None:
        """Why a page asks before ``t`` (what its question says), or None: ``"reverses_credits"``
        (the participants' credited hours are taken off), ``"ends"`` (into the closed phase)."""
        if t.reverses_credits:
            return "reverses_credits"
        if self.phase(t.dest) is Phase.CLOSED:
            return "ends"
        return None

    def states_in(self, *phases: Phase) -> list[str]:
        return [s.name for s in self.states if s.phase in phases]

    def waits_for_start(self, t: Transition) -> bool:
        """Whether ``t`` is refused before the activity's start: it takes the activity out of the
        open phase into review, confirmation or credit (``hold``, or a type's own trigger of any
        name into a state of those phases), it posts credits, or it is marked ``not_before_start``.
        Asked of what the trigger does, never of its name: nothing is held, and so nothing
        credited, before it happened."""
        if t.not_before_start or t.posts_credits:
            return True
        return self.phase(t.dest) in _TAKEN_PLACE and any(self.phase(src) is Phase.OPEN for src in t.sources)

    def waits_for_end(self, t: Transition) -> bool:
        """Whether ``t`` is refused before the activity's end: it posts credits, or its type
        declared that it waits for the end (``not_before_end``). Asked of what the trigger does:
        hours are credited for what took place, once all of it has (a lecture running to July is
        not credited on its first evening), and a mentorship is held once its term is over."""
        return t.posts_credits or t.not_before_end

    def way_to(self, goal: Phase | str, start: str | None = None) -> tuple[Transition, ...]:
        """The shortest way forward from ``start`` (the initial state) to a state of ``goal`` (a
        phase, or one state by name: a type's own, such as a refused declaration): no return for
        rework, no reversal, no cancelling unless the goal is closed. What the demo and generated
        data follow, so a type's own states are gone through too."""
        origin = start or self.initial
        if isinstance(goal, Phase):
            phase = goal

            def reached(state: str) -> bool:
                return self.phase(state) is goal
        else:
            phase = self.phase(self.state(goal).name)

            def reached(state: str) -> bool:
                return state == goal
        if reached(origin):
            return ()
        forward = [
            t for t in self.transitions
            if not t.clears_adjustments and not t.reverses_credits
            and (self.phase(t.dest) is not Phase.CLOSED or phase is Phase.CLOSED)
        ]
        paths: dict[str, tuple[Transition, ...]] = {origin: ()}
        queue = [origin]
        while queue:
            state = queue.pop(0)
            for t in forward:
                if state in t.sources and t.dest not in paths:
                    paths[t.dest] = paths[state] + (t,)
                    if reached(t.dest):
                        return paths[t.dest]
                    queue.append(t.dest)
        raise ValueError(f"no way to {goal!r}")

    def ordered_states(self) -> list[State]:
        """States in phase order (a plugin's state after the core states of its phase)."""
        return sorted(self.states, key=lambda s: PHASE_ORDER.index(s.phase))


#: How far from the credits a state is that no step forward leads from to them.
_NOWHERE = 1 << 30

CORE_STATES: tuple[State, ...] = (
    State(PLANNED, "已计划", "Planned", phase=Phase.OPEN),
    State(HELD, "已举行", "Held", phase=Phase.AWAITING_REVIEW),
    State(REVIEWED, "已审核", "Reviewed", phase=Phase.CONFIRMED),
    State(CREDITED, "已认定学时", "Credited", phase=Phase.CREDITED),
    State(CANCELLED, "已取消", "Cancelled", final=True, phase=Phase.CLOSED),
)

_ORGANIZE = frozenset({OWNER, "school_admin"})
_REVIEW = frozenset({"reviewer"})
_STAND_IN = frozenset({"school_admin"})  # when every reviewer of the school took part

CORE_TRANSITIONS: tuple[Transition, ...] = (
    Transition("hold", (PLANNED,), HELD, _ORGANIZE, "标记为已举行", "Mark held", not_before_start=True),
    Transition("cancel", (PLANNED,), CANCELLED, _ORGANIZE, "取消", "Cancel", from_phases=(Phase.OPEN,),
               comment_when_others=True),
    Transition(
        "approve",
        (HELD,),
        REVIEWED,
        _REVIEW,
        "审核通过",
        "Approve",
        independent=True,
        stand_in_roles=_STAND_IN,
        adjusts_hours=True,
    ),
    Transition(
        "return",
        (HELD, REVIEWED),
        HELD,
        _REVIEW,
        "退回修改",
        "Return",
        comment_required=True,
        independent=True,
        stand_in_roles=_STAND_IN,
        clears_adjustments=True,
        from_phases=(Phase.AWAITING_REVIEW, Phase.CONFIRMED),
    ),
    Transition(
        "credit",
        (REVIEWED,),
        CREDITED,
        _REVIEW,
        "认定学时",
        "Post credits",
        independent=True,
        stand_in_roles=_STAND_IN,
        posts_credits=True,
    ),
    Transition(
        "revoke",
        (CREDITED,),
        REVIEWED,
        frozenset({"reviewer", "school_admin"}),
        "撤销学时",
        "Revoke credits",
        comment_required=True,
        independent=True,
        reverses_credits=True,
    ),
)

CORE = WorkflowDefinition(states=CORE_STATES, transitions=CORE_TRANSITIONS)
CORE_STATE_NAMES = frozenset(s.name for s in CORE_STATES)
