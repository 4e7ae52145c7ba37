"""Rows → the plain snapshots guards and credit rules see (``workflows.context``)."""

from __future__ import annotations

from datetime import datetime

from portal.models import Activity, Evidence, Participation, User
from workflows import ActivitySnapshot, EvidenceSnapshot, ParticipantSnapshot, TransitionContext
from workflows.context import DEFAULT_ZONE


def activity_snapshot(act: Activity, state: str | None = None, details: dict | None = None) -> ActivitySnapshot:
    """``details``: as the reader of a page reads them (``activities.details_told_to``); None: all."""
    return ActivitySnapshot(
        id=act.id,
        type_key=act.type_key,
        state=state or act.state,
        starts_at=act.starts_at,
        ends_at=act.ends_at,
        hours=act.hours,
        organizer_id=act.organizer_id,
        details=dict(act.details or {}) if details is None else dict(details),
        # every reading a snapshot is made of carries its period (a plugin asks ``year_locked`` of it)
        school_year=act.school_year,
        semester=act.semester,
    )


def participant_snapshot(p: Participation, user: User | None = None) -> ParticipantSnapshot:
    return ParticipantSnapshot(
        user_id=p.user_id,
        role=p.role,
        attended_hours=p.attended_hours,
        absent_hours=p.absent_hours,
        excused_hours=p.excused_hours,
        name=user.display_name if user else "",
    )


def evidence_snapshot(e: Evidence) -> EvidenceSnapshot:
    return EvidenceSnapshot(user_id=e.user_id, kind=e.kind, uploaded_at=e.uploaded_at, char_count=e.char_count)


def context(
    act: Activity,
    people: list[tuple[Participation, User]],
    evidence: list[Evidence],
    settings: dict,
    actor_id: int,
    roles: frozenset[str],
    now: datetime,
    comment: str = "",
    timezone: str = DEFAULT_ZONE,
    signed_up: frozenset[int] = frozenset(),
    details: dict | None = None,
) -> TransitionContext:
    """The context guards and the page fragment see: snapshots of the rows, and ``data``, what the
    type's plugin supplies (``portal_transition_data``; raises
    :class:`portal.plugin_data.PluginDataUnavailable` if it fails); ``timezone`` is the school's,
    which a guard reads "two days before" by (``TransitionContext.local_date``); ``signed_up``: who
    holds or waits for a seat on its sign-up (``signup.signed_up``); ``details``: the activity's
    details as the page's reader reads them (a peer: a declaration without its private fields),
    for the page fragment and the data hook asked for it — a step's guards get them all."""
    from portal.plugin_data import transition_data
    from portal.registry import registry

    activity = activity_snapshot(act, details=details)
    reg = registry().get(act.type_key)
    return TransitionContext(
        activity=activity,
        participants=[participant_snapshot(p, u) for p, u in people],
        evidence=[evidence_snapshot(e) for e in evidence],
        settings=settings,
        actor_id=actor_id,
        actor_roles=roles,
        now=now,
        comment=comment or "",
        data=transition_data(activity),
        timezone=timezone,
        # what the type declared, so that a guard asking of a role or kind it lacks (a typo) fails
        type_roles=frozenset(reg.decl.roles) if reg is not None else None,
        type_kinds=frozenset(reg.decl.evidence_kinds) if reg is not None else None,
        signed_up=signed_up,
    )
