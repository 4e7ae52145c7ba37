"""Where a trigger is checked: the guards every activity type gets from the core.

A type adds its own guards in ``ActivityType.workflow()``; the engine
(``workflows.engine.WorkflowEngine.check``) runs the core's first, then the type's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows import TransitionContext

if TYPE_CHECKING:
    from portal.activity_types import ActivityType


def has_participants(ctx: TransitionContext) -> list[str]:
    return [] if ctx.participants else ["no participants"]


def attendance_recorded(ctx: TransitionContext) -> list[str]:
    missing = [p.name or f"user {p.user_id}" for p in ctx.participants if p.attended_hours is None]
    return [f"attendance not recorded: {', '.join(missing)}"] if missing else []


def core_guards(activity_type: ActivityType) -> dict[str, tuple]:
    """Before approval: participants, attendance, and each role's required evidence."""
    from portal.activity_types import missing_evidence

    def required_evidence(ctx: TransitionContext) -> list[str]:
        required = {role: activity_type.required_evidence_for(role, ctx.settings) for role in activity_type.roles}
        return [f"evidence missing: {m}" for m in missing_evidence(ctx, required)]

    return {"approve": (has_participants, attendance_recorded, required_evidence)}
