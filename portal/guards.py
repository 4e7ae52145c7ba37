"""Where a trigger is checked: the guards every activity type gets from the core.

Guards return :class:`portal.activity_types.Text` (zh/en), shown in the viewer's language.

A type adds its own guards in ``ActivityType.workflow()``; the engine
(``workflows.engine.WorkflowEngine.check``) runs the core's first, then the type's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.activity_types import Text, evidence_counts, missing_evidence
from workflows import TransitionContext
from workflows.definition import CORE

if TYPE_CHECKING:
    from portal.activity_types import ActivityType
    from portal.type_declarations import TypeDeclarations


def has_participants(ctx: TransitionContext) -> list[Text]:
    return [] if ctx.participants else [Text("还没有参加人员", "no participants")]


def attendance_recorded(ctx: TransitionContext) -> list[Text]:
    missing = [p.name or f"user {p.user_id}" for p in ctx.participants if p.attended_hours is None]
    if not missing:
        return []
    return [Text(f"尚未登记出勤：{'、'.join(missing)}", f"attendance not recorded: {', '.join(missing)}")]


def core_guards(activity_type: ActivityType, decl: TypeDeclarations) -> dict[str, tuple]:
    """Before approval: participants, attendance, and each role's required evidence (the
    roles and evidence kinds as ``decl`` read them at load)."""
    def required_evidence(ctx: TransitionContext) -> list[Text]:
        required = {role: evidence_counts(activity_type.required_evidence_for(role, ctx.settings))
                    for role in decl.roles}
        return [
            Text(f"缺少材料：{m.zh}", f"evidence missing: {m.en}")
            for m in missing_evidence(ctx, required, decl.all_evidence_kinds())
        ]

    return {CORE.approving().trigger: (has_participants, attendance_recorded, required_evidence)}
