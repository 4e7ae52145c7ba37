"""The core workflow every activity type shares, and who may fire each trigger.

``planned → held → reviewed → credited``, plus ``cancel`` (planned → cancelled), ``return``
(held or reviewed → held, with a comment) and ``revoke`` (credited → reviewed, with a comment;
the portal writes reversing ledger entries). State and trigger names are ASCII identifiers;
the labels carry the zh/en text.

Roles named in ``Transition.roles`` are either a school role (``teacher``, ``organizer``,
``reviewer``, ``school_admin``) or a relation to the activity: ``owner`` (its organizer) and
``participant``. ``independent`` transitions may not be fired by the activity's owner or a
participant (separation of duties).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PLANNED, HELD, REVIEWED, CREDITED, CANCELLED = "planned", "held", "reviewed", "credited", "cancelled"
OWNER, PARTICIPANT = "owner", "participant"


@dataclass(frozen=True)
class State:
    name: str
    label_zh: str
    label_en: str
    final: bool = False


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[str]
    label_zh: str
    label_en: str
    comment_required: bool = False
    independent: bool = False


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


CORE_STATES: tuple[State, ...] = (
    State(PLANNED, "已计划", "Planned"),
    State(HELD, "已举行", "Held"),
    State(REVIEWED, "已审核", "Reviewed"),
    State(CREDITED, "已认定学时", "Credited"),
    State(CANCELLED, "已取消", "Cancelled", final=True),
)

_ORGANIZE = frozenset({OWNER, "school_admin"})
_REVIEW = frozenset({"reviewer"})

CORE_TRANSITIONS: tuple[Transition, ...] = (
    Transition("hold", (PLANNED,), HELD, _ORGANIZE, "标记为已举行", "Mark held"),
    Transition("cancel", (PLANNED,), CANCELLED, _ORGANIZE, "取消", "Cancel"),
    Transition("approve", (HELD,), REVIEWED, _REVIEW, "审核通过", "Approve", independent=True),
    Transition(
        "return", (HELD, REVIEWED), HELD, _REVIEW, "退回修改", "Return", comment_required=True, independent=True
    ),
    Transition("credit", (REVIEWED,), CREDITED, _REVIEW, "认定学时", "Post credits", independent=True),
    Transition(
        "revoke",
        (CREDITED,),
        REVIEWED,
        frozenset({"reviewer", "school_admin"}),
        "撤销学时",
        "Revoke credits",
        comment_required=True,
        independent=True,
    ),
)

CORE = WorkflowDefinition(states=CORE_STATES, transitions=CORE_TRANSITIONS)
CORE_STATE_NAMES = frozenset(s.name for s in CORE_STATES)
