"""The activity workflow: states, triggers, who may fire them, guards, and the engine.

Plain Python over ``transitions``; it knows no Flask and no database. The portal's service
layer (``portal.services.transitions``) wraps :meth:`WorkflowEngine.fire` in a database
transaction and writes the log and ledger rows.
"""

from workflows.context import ActivitySnapshot, EvidenceSnapshot, ParticipantSnapshot, TransitionContext
from workflows.definition import CORE_STATES, CORE_TRANSITIONS, Phase, State, Transition, WorkflowDefinition
from workflows.engine import WorkflowEngine
from workflows.errors import (
    GuardFailed,
    IllegalTransition,
    NotEnded,
    NotStarted,
    TriggerNotPermitted,
    UnknownTrigger,
    WorkflowError,
)
from workflows.extension import Guard, WorkflowExtension, build_definition

__all__ = [
    "ActivitySnapshot",
    "CORE_STATES",
    "CORE_TRANSITIONS",
    "EvidenceSnapshot",
    "Guard",
    "GuardFailed",
    "IllegalTransition",
    "NotEnded",
    "NotStarted",
    "ParticipantSnapshot",
    "Phase",
    "State",
    "Transition",
    "TransitionContext",
    "TriggerNotPermitted",
    "UnknownTrigger",
    "WorkflowDefinition",
    "WorkflowEngine",
    "WorkflowError",
    "WorkflowExtension",
    "build_definition",
]
