"""Where hours are computed and credited: the append-only credit ledger.

Only the ``credit`` transition writes credit entries (one per participant with hours to
credit); ``revoke`` writes reversing ones, and so does the district's repair of credits posted
for activities held while the teacher was away (:mod:`portal.services.away_repair`), both
through :func:`reverse_entries`. Nothing updates or deletes a ledger or transition-log row: the
ORM refuses it (see :func:`protect_append_only`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, event, exists, insert, select
from sqlalchemy.orm import Session, aliased

from portal.activity_types import ActivityType
from portal.errors import Conflict
from portal.hours import HALF, MAX_HOURS, fmt, present_at_most
from portal.messages import msg
from portal.models import (
    Activity,
    CreditEntry,
    IssuedDocument,
    Participation,
    SchoolPlanWriter,
    TransitionLog,
)
from portal.plugin_data import hours_rule, reads_role_and_hours
from portal.services.snapshots import activity_snapshot, participant_snapshot
from portal.timeutil import utcnow
from workflows import ActivitySnapshot, ParticipantSnapshot

ZERO = Decimal("0")
#: issued documents: what /verify vouches for; a plan's writers: who may not decide it (school_plans.involved)
APPEND_ONLY = (CreditEntry, TransitionLog, IssuedDocument, SchoolPlanWriter)


class AppendOnlyViolation(RuntimeError):
    pass


def credit_hours_for(
    activity_type: ActivityType, act: Activity, p: Participation, settings: dict,
    snapshot: ActivitySnapshot | None = None, rule: Callable[..., Decimal] | None = None,
) -> Decimal:
    """The hours a participant gets: the reviewer's adjustment if any, else the type's rule
    (``snapshot``: the activity's, when the caller asks for every participant of it; ``rule``:
    the type's ``credit_hours`` as :func:`portal.plugin_data.hours_rule` gives it, when the
    caller asks it many times)."""
    if p.adjusted_hours is not None:
        return p.adjusted_hours
    rule = rule or hours_rule(activity_type, "credit_hours")
    return rule(participant_snapshot(p), snapshot or activity_snapshot(act), settings)


def credit_ceiling(
    activity_type: ActivityType, act: Activity, p: Participation, settings: dict,
    snapshot: ActivitySnapshot | None = None, rule: Callable[..., Decimal] | None = None,
) -> Decimal:
    """The most a reviewer may credit this participant: what the type's credit rule gives the
    participant's role for every hour of the activity they were not recorded missing
    (:func:`present_at_most`; ``snapshot``: the activity's, when the caller asks for every
    participant of it).

    A reviewer may lower anyone's hours to any value ≥ 0, and raise them only up to this, so no
    adjustment can credit more than the activity could ever give, nor an hour the record says
    the teacher missed (absent or on leave): a record that is wrong goes back to its organizer
    (``return``), and the absence is corrected there, where it also counts for the year.
    """
    # with what they missed: the rule's answer is bounded by the hours not missed (hours.above_its_hours)
    full = ParticipantSnapshot(user_id=p.user_id, role=p.role, attended_hours=present_at_most(act.hours, p),
                               absent_hours=p.absent_hours, excused_hours=p.excused_hours)
    rule = rule or hours_rule(activity_type, "credit_hours")
    return rule(full, snapshot or activity_snapshot(act), settings)


def recorded_credit(activity_type: ActivityType, act: Activity, p: Participation, settings: dict) -> Decimal:
    """What the type's credit rule gives the participant for the attendance recorded, whatever
    a reviewer adjusted."""
    snapshot = ParticipantSnapshot(user_id=p.user_id, role=p.role, attended_hours=p.attended_hours,
                                   absent_hours=p.absent_hours, excused_hours=p.excused_hours)
    return hours_rule(activity_type, "credit_hours")(snapshot, activity_snapshot(act), settings)


def core_rule(activity_type: ActivityType) -> bool:
    """Whether the type credits by the core rule (:meth:`ActivityType.credit_hours`): it reads a
    participant's role and hours and the settings, never who they are nor the activity."""
    return type(activity_type).credit_hours is ActivityType.credit_hours and "credit_hours" not in vars(activity_type)


def rule_ignores_identity(activity_type: ActivityType) -> bool:
    """Whether two participants alike but for who they are get the same hours: under the core
    rule (:func:`core_rule`), and under a type's own rule declared to read only role and hours
    (``credit_by_role_and_hours``, 1.14: the core passes it no user id or name,
    :func:`portal.plugin_data.hours_rule`). Any other rule of a type may read anything."""
    return core_rule(activity_type) or reads_role_and_hours(activity_type)


def roles_past_record(
    activity_type: ActivityType, roles: Iterable[str], state: str, hours: Decimal, settings: dict,
) -> tuple[list[str], Decimal] | None:
    """Under the core's credit rule (attended hours × the role's multiplier): the ``roles`` that
    full attendance of ``hours`` would credit past what a record holds (:data:`MAX_HOURS`), and
    the most hours that fit every one of them. Planning asks it with the school's settings, a
    change of the settings with the school's standing activities. None: the type keeps its own
    rule (it answers for itself, inside its boundary), or a multiplier is no number (the plugin's
    to answer for when its hours are asked inside its boundary, reported with its name)."""
    if not core_rule(activity_type):
        return None
    now = utcnow()
    snapshot = ActivitySnapshot(id=0, type_key="", state=state, starts_at=now, ends_at=now, hours=hours,
                                organizer_id=0, details={})

    def full(role: str, attended: Decimal) -> Decimal:
        return ActivityType.credit_hours(activity_type, ParticipantSnapshot(0, role, attended), snapshot, settings)

    try:
        over = [role for role in roles if full(role, hours) > MAX_HOURS]
        fits = max((h for h in (HALF * n for n in range(int(hours / HALF), 0, -1))
                    if all(full(role, h) <= MAX_HOURS for role in over)), default=Decimal("0"))
    except (ArithmeticError, TypeError, ValueError):
        return None
    return over, fits


Keys = Callable[[list[Any]], list[tuple[Any, ...] | None]]


def _each(
    rule: Callable[[Any, ActivitySnapshot], Decimal], keys_of: Keys,
    activity_type: ActivityType, act: Any, people: Iterable[Any],
    snapshot: ActivitySnapshot | None, known: dict[tuple[Any, ...], Decimal] | None,
) -> list[Decimal]:
    """``rule(person, snapshot)`` for each of ``people``, in order. Under the core rule the answer
    is kept in ``known`` under the person's key (``keys_of(people)``: what the rule reads of each;
    None: not kept), so alike participants are asked once; a type's own rule declared to read only
    role and hours (:func:`rule_ignores_identity`) likewise, but its answers are kept for this
    activity only (it may read the activity, and its answer is bounded by the activity's hours);
    any other rule is asked once per person. The keys come in one list and the answers in
    another: a page lists a hundred people, and a call per person to make a key and keep an answer
    cost more than the look-ups."""
    people = people if isinstance(people, list) else list(people)
    if core_rule(activity_type):
        known = {} if known is None else known
    elif reads_role_and_hours(activity_type):
        known = {}
    else:
        snapshot = snapshot or activity_snapshot(act)
        return [rule(p, snapshot) for p in people]
    made: list[ActivitySnapshot | None] = [snapshot]

    def ask(p: Any) -> Decimal:  # the activity's snapshot made when the rule is first asked: none when all is known
        snap = made[0]
        if snap is None:
            snap = made[0] = activity_snapshot(act)
        return rule(p, snap)

    keys = keys_of(people)
    for p, key in zip(people, keys, strict=True):  # the rule asked once per distinct key, in order
        if key is not None and key not in known:
            known[key] = ask(p)
    return [ask(p) if key is None else known[key] for p, key in zip(people, keys, strict=True)]


def credit_hours_each(
    activity_type: ActivityType, act: Any, people: Iterable[Any], settings: dict,
    snapshot: ActivitySnapshot | None = None, known: dict[tuple[Any, ...], Decimal] | None = None,
    answer: Callable[..., Decimal] | None = None,
) -> list[Decimal]:
    """:func:`credit_hours_for` of each of ``people`` (participations, or rows with their
    attributes), in order, for a page that lists them all: under the core rule it is asked once
    per distinct role and hours (a list of sixty has a handful), any other rule once per person.
    The core rule reads a participant's role and hours and the settings, never who they are nor
    the activity: a page listing several activities of one type with the same ``settings`` may
    pass the same ``known`` (answers by role and hours) for each, and ask once per page. The
    rule's plugin boundary is set up once for all of them (``plugin_data.hours_rule``; ``answer``:
    the type's, set up by a caller listing several activities of the type), each call still
    crossing it on its own."""
    answer = answer or hours_rule(activity_type, "credit_hours")

    def rule(p: Any, snap: ActivitySnapshot) -> Decimal:
        return credit_hours_for(activity_type, act, p, settings, snap, answer)

    def keys_of(people: list[Any]) -> list[tuple[Any, ...] | None]:
        # an adjusted participant has the reviewer's figure, not the rule's: not kept
        return [None if p.adjusted_hours is not None else (p.role, p.attended_hours, p.absent_hours, p.excused_hours)
                for p in people]

    return _each(rule, keys_of, activity_type, act, people, snapshot, known)


def credit_ceiling_each(
    activity_type: ActivityType, act: Any, people: Iterable[Any], settings: dict,
    snapshot: ActivitySnapshot | None = None, known: dict[tuple[Any, ...], Decimal] | None = None,
    answer: Callable[..., Decimal] | None = None,
) -> list[Decimal]:
    """:func:`credit_ceiling` of each of ``people``, in order: under the core rule asked once
    per role (full attendance is the same for everyone), any other rule once per person;
    ``known`` and ``answer`` as for :func:`credit_hours_each` (answers by role and the
    activity's hours)."""
    answer = answer or hours_rule(activity_type, "credit_hours")

    def rule(p: Any, snap: ActivitySnapshot) -> Decimal:
        return credit_ceiling(activity_type, act, p, settings, snap, answer)

    return _each(rule, lambda people: [(p.role, present_at_most(act.hours, p), p.absent_hours, p.excused_hours)
                                       for p in people], activity_type, act, people, snapshot, known)


def post_credits(
    s: Session, activity_type: ActivityType, act: Activity, parts: list[Participation], settings: dict, actor_id: int,
    approved: dict[int, Decimal] | None = None,
) -> dict[int, Decimal]:
    """Write this round's credit entries in one INSERT; returns hours by user id. ``approved``:
    the hours each participant was approved for (None: not known, an approval of an older
    release); nobody is credited more than that, whatever the rule says now."""
    written: dict[int, Decimal] = {}
    rows = []
    for p in parts:
        hours = credit_hours_for(activity_type, act, p, settings)
        if hours <= 0 and p.adjusted_hours is None:
            # nothing to credit and nobody decided so: one absent throughout is on the record by
            # their absence. A reviewer's 0 h (adjusted, with its reason) is a line of the ledger,
            # so the record, its PDF, the summary and the API all list the activity credited at 0 h
            continue
        if approved is not None and hours > approved.get(p.user_id, Decimal("0")):
            # the school raised the rule after approval: a reviewer decides the new figure
            raise Conflict(
                msg("hours.rule_raised", hours=fmt(hours), n=fmt(approved.get(p.user_id, Decimal("0")))),
                user_id=p.user_id,
                approved_hours=str(approved.get(p.user_id, Decimal("0"))),
            )
        ceiling = credit_ceiling(activity_type, act, p, settings)
        if hours > ceiling:  # the school lowered the rule after approval: decide again
            raise Conflict(
                msg("hours.rule_lowered", hours=fmt(hours), n=fmt(ceiling)),
                user_id=p.user_id,
                maximum=str(ceiling),
            )
        rows.append(
            {
                "school_id": act.school_id,
                "user_id": p.user_id,
                "activity_id": act.id,
                "type_key": act.type_key,
                "role": p.role,
                "school_year": act.school_year,
                "semester": act.semester,
                "hours": hours,
                "kind": "credit",
                "round": act.credit_round,
                "reason": p.adjust_reason or "",
                "created_by": actor_id,
            }
        )
        written[p.user_id] = hours
    if rows:
        s.execute(insert(CreditEntry), rows)
    return written


def reverse_credits(s: Session, act: Activity, actor_id: int, reason: str) -> dict[int, Decimal]:
    """Write a reversing entry for each credit entry of the activity's current round not
    reversed yet (one the district's repair reversed is not reversed twice)."""
    entries = s.execute(
        select(CreditEntry).where(
            CreditEntry.activity_id == act.id, CreditEntry.round == act.credit_round, CreditEntry.kind == "credit",
            ~reversed_clause(CreditEntry),
        )
    ).scalars()
    return reverse_entries(s, entries, actor_id, reason)


def reversed_clause(entry: Any) -> ColumnElement[bool]:
    """SQL: the credit entry ``entry`` (``CreditEntry`` or an alias of it) has its reversing
    entry (the same activity, teacher and round: one of each, the table's unique key)."""
    rev = aliased(CreditEntry)
    return exists().where(rev.activity_id == entry.activity_id, rev.user_id == entry.user_id,
                          rev.round == entry.round, rev.kind == "reversal")


def reverse_entries(s: Session, entries: Iterable[CreditEntry], actor_id: int, reason: str) -> dict[int, Decimal]:
    """Add to ``s`` a reversing entry of each credit entry of ``entries`` (not reversed yet):
    the same school, teacher, activity, type, role, period and round, the hours negated, with
    ``reason`` and who reversed it. Returns the hours reversed by user id."""
    reversed_: dict[int, Decimal] = {}
    for e in entries:
        s.add(
            CreditEntry(
                school_id=e.school_id,
                user_id=e.user_id,
                activity_id=e.activity_id,
                type_key=e.type_key,
                role=e.role,
                school_year=e.school_year,
                semester=e.semester,
                hours=-e.hours or ZERO,  # a 0 h credit is reversed by 0 h, not "-0"
                kind="reversal",
                round=e.round,
                reason=reason,
                created_by=actor_id,
            )
        )
        reversed_[e.user_id] = reversed_.get(e.user_id, ZERO) - e.hours
    return reversed_


def protect_append_only() -> None:
    """Refuse any ORM update or delete of ledger and log rows (installed once at import)."""

    @event.listens_for(Session, "before_flush")
    def _no_changes(session, _ctx, _instances):
        for obj in list(session.dirty) + list(session.deleted):
            if isinstance(obj, APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
                raise AppendOnlyViolation(f"{type(obj).__name__} rows are append-only")

    @event.listens_for(Session, "do_orm_execute")
    def _no_bulk_changes(state):
        if state.is_update or state.is_delete:
            for mapper in state.all_mappers:
                if mapper.class_ in APPEND_ONLY:
                    raise AppendOnlyViolation(f"{mapper.class_.__name__} rows are append-only")


protect_append_only()
