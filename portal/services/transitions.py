"""Firing a trigger: the check, the state change, the log row and the ledger, in one transaction.

The activity row is updated only if its ``version`` is still the one read (SQLAlchemy's
version counter), so of two concurrent triggers exactly one wins and the other is refused;
the ledger's unique key backs that up. After the commit the ``portal_activity_transitioned``
hook fires.
"""

from __future__ import annotations

import functools
import logging
from collections import namedtuple
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam, cast, func, literal_column, null, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import policy
from portal.database import in_constants, keep_compiled, read_rows, write_transaction
from portal.errors import Conflict, Forbidden, GuardFailedError, IllegalTransitionError, Invalid, NotFound
from portal.extensions import db
from portal.hours import MAX_HOURS, ZERO, BadHours, fmt, parse_hours
from portal.messages import Joined, Msg, SchoolYear, msg, role_labels, shown
from portal.models import Activity, CreditEntry, Evidence, Participation, School, TransitionLog, User
from portal.once import Memo
from portal.plugin_data import PluginDataUnavailable
from portal.plugin_loader import M_GUARD_RAISED, call_each, describe
from portal.registry import registry
from portal.security import MAX_ID
from portal.services import access, locks, overlaps, quotas, reminders, schools, signup, stints, teacher_years
from portal.services.activities import (
    ATTENDANCE_CHANGES,
    NameRow,
    has_ended,
    has_started,
    is_declaration,
    participants_with_users,
    records_absence,
    school_year_now,
)
from portal.services.ledger import (
    credit_ceiling,
    credit_hours_each,
    credit_hours_for,
    post_credits,
    present_at_most,
    recorded_credit,
    reverse_credits,
)
from portal.services.snapshots import activity_snapshot, context
from portal.sorting import by_pinyin
from portal.textcount import counted_text, says_something
from portal.timeutil import local_text, to_local, utcnow
from workflows import GuardFailed, IllegalTransition, NotStarted, TriggerNotPermitted, UnknownTrigger
from workflows.definition import FORMER_OWNER, HANDED_IN, INVOLVED, OWNER, Phase, Transition
from workflows.errors import CommentRequired, GuardRaised, NotEnded

log = logging.getLogger(__name__)
COMMENT_MAX = 2000
#: A step's history payload: user id → hours, as text of exact half hours ("3.0"): those adjusted
#: (with the reason in the comment), what each is approved for, credited, reversed
ADJUSTED, APPROVED_HOURS, CREDITED, REVERSED = "adjusted", "approved_hours", "credited", "reversed"


def allowed_triggers(
    act: Activity,
    user_id: int,
    participant_ids: list[int] | None = None,
    school_roles: frozenset[str] | None = None,
    locked: bool | None = None,
    takes_part: bool | None = None,
    ended: bool | None = None,
    before: access.Earlier | None = None,
    started: bool | None = None,
    answers: dict[tuple[Any, ...], list[str]] | None = None,
    own_absence: bool | None = None,
    to_credit: Callable[[Activity], bool] | None = None,
) -> list[str]:
    """The triggers this user may fire on the activity now (guards not evaluated): what the
    activity page offers, the review queue shows and the API answers as ``allowed_triggers``;
    none that :func:`fire` refuses whatever is sent with it (the role, the state, the start, and
    the lock of a year the district accepted: ``locked``, read when not given). Who takes part:
    ``participant_ids``, or only whether the user does (``takes_part``: a stand-in's check then
    asks the database), read when neither is given. ``ended=True``: as if the activity had ended
    (what :func:`after_the_end` offers). ``before``: who else had a hand in it (organised it before
    a handover, brought it into review: :func:`access.involved_before`), read when not given and it matters.
    ``started``: whether it has started, worked out when not given. ``answers``: the workflow
    engine's answers by type, state, roles, start and end, kept by a caller asking of many
    activities (the engine's answer depends on nothing else). ``own_absence``: whether the user's
    own unexcused absence is recorded on it (:func:`policy.may_close_over_own_record`), read when not given."""
    reg = registry().get(act.type_key)
    if reg is None:
        return []
    if participant_ids is None and takes_part is None:
        participant_ids = list(
            db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars()
        )
    if school_roles is None:
        school_roles = access.school_roles(user_id, act.school_id)
    roles = access.activity_roles(act, user_id, school_roles, participant_ids, reg.engine.definition,
                                  takes_part=bool(takes_part), before=before)
    started = has_started(act) if started is None else started
    ended = has_ended(act) if ended is None else ended
    if answers is None:
        found = reg.engine.allowed_triggers(act.state, roles, started=started, ended=ended)
    else:
        key = (act.type_key, act.state, roles, started, ended)
        known = answers.get(key)
        if known is None:
            known = answers[key] = reg.engine.allowed_triggers(act.state, roles, started=started, ended=ended)
        found = list(known)  # the caller's own list
    if found and (locks.is_locked(act.school_id, act.school_year, act.semester) if locked is None else locked):
        definition = reg.engine.definition
        found = [t for t in found if not _moves_teacher_years(reg, definition.transition(t), act.state,
                                                              definition.transition(t).dest, act.id)]
    if found and any(reg.engine.definition.transition(t).posts_credits for t in found) \
            and not (to_credit(act) if to_credit is not None
                     else _year_to_credit(act, db.session.get_one(School, act.school_id))):  # the page's school: no statement
        found = [t for t in found if not reg.engine.definition.transition(t).posts_credits]
    closing = [t for t in found if reg.engine.definition.phase(reg.engine.definition.transition(t).dest) is Phase.CLOSED]
    if closing and not reg.decl.self_declared and (takes_part if participant_ids is None else user_id in participant_ids) \
            and not policy.may_close_over_own_record(
                undoes_own_absence=_own_absence(act.id, user_id) if own_absence is None else own_absence):
        found = [t for t in found if t not in closing]
    return found


def withheld_over_own_record(act: Activity, user_id: int, allowed: list[str], absent: bool,
                             participant_ids: list[int], school_roles: frozenset[str], locked: bool,
                             before: access.Earlier | None = None) -> list[str]:
    """The steps ``allowed`` lacks only because the user's own unexcused absence is recorded on
    the activity (``absent``: :func:`policy.may_close_over_own_record` — a cancel): the page says
    who takes them, so an organiser does not look for a button that is not there. Nothing asked
    unless ``absent``."""
    if not absent:
        return []
    return [t for t in allowed_triggers(act, user_id, participant_ids, school_roles, locked, before=before,
                                        own_absence=False) if t not in allowed]


def _own_absence(activity_id: int, user_id: int) -> bool:
    """Whether the person's unexcused absence is recorded on the activity (:func:`records_absence`;
    one statement)."""
    row = db.session.execute(select(Participation.absent_hours).where(
        Participation.activity_id == activity_id, Participation.user_id == user_id)).one_or_none()
    return row is not None and records_absence(row)


def after_the_end(act: Activity, user_id: int, allowed: list[str], participant_ids: list[int] | None = None,
                  school_roles: frozenset[str] | None = None, locked: bool | None = None,
                  before: access.Earlier | None = None) -> list[str]:
    """The triggers this user could fire once the activity has ended that ``allowed`` (what they
    may fire now) lacks: the credit of an approved activity still running (a page says when)."""
    if has_ended(act):
        return []
    return [t for t in allowed_triggers(act, user_id, participant_ids, school_roles, locked, ended=True, before=before)
            if t not in allowed]


def allowed_triggers_each(
    acts: list[Activity], user_id: int, school_roles: frozenset[str], takes_part: Mapping[int, bool],
    locked: Mapping[int, bool], before: Mapping[int, access.Earlier] | None = None,
) -> dict[int, list[str]]:
    """:func:`allowed_triggers` of several activities (a page of the review queue) given what the
    page read already: whether the user ``takes_part`` in each and whether its year is
    ``locked``, by activity id (the queue's: ``QueueItem.takes_part``; none locked, as the queue
    shows no activity of a locked year). No statement of its own (a stand-in's check aside, as
    :func:`allowed_triggers`: it asks the database who else is involved) but who else had a hand
    in them (``before``, :func:`access.involved_before`: read when not given). The clock is read
    once for the page, and the workflow engine asked once per type, state and roles of the page
    (a page of twenty activities has a few), not once per activity."""
    if before is None:
        before = access.involved_before(a.id for a in acts)
    now = utcnow()
    answers: dict[tuple[Any, ...], list[str]] = {}
    # whether a school year's hours may be posted, asked once per school and year of the page (a
    # page of twenty activities has one or two), not once per activity that could post them
    years = Memo(lambda key: may_credit_in(key[1], db.session.get_one(School, key[0])))

    def to_credit(a: Activity) -> bool:
        return years[(a.school_id, a.school_year)]

    return {a.id: allowed_triggers(a, user_id, None, school_roles, locked[a.id], takes_part[a.id],
                                   ended=now >= a.ends_at, before=before.get(a.id, access.NOBODY_EARLIER),
                                   started=now >= a.starts_at, answers=answers, to_credit=to_credit) for a in acts}


def _ceilings(activity_type: Any, act: Activity, parts: list[Participation], settings: dict,
              raw: Any) -> Callable[[Participation], Decimal]:
    """The most a reviewer may credit each participant (:func:`ledger.credit_ceiling`) — and,
    for someone whose every hour not recorded missing would not fit beside what they are
    recorded attending elsewhere at the same time (:mod:`portal.services.overlaps`), no more
    than their recorded attendance gives: a raise says they were there, and no one attends two
    things at once. Asked only when hours are adjusted (the people locked, one query)."""
    if not isinstance(raw, dict) or not raw:
        return lambda p: credit_ceiling(activity_type, act, p, settings)
    access.lock_people([p.user_id for p in parts])  # as an attendance record elsewhere does
    elsewhere = overlaps.attended_elsewhere(db.session, [p.user_id for p in parts], act.starts_at, act.ends_at,
                                            besides=act.id)

    def ceiling(p: Participation) -> Decimal:
        found = overlaps.clash(act.starts_at, act.ends_at, present_at_most(act.hours, p), elsewhere.get(p.user_id, []))
        if found is None:
            return credit_ceiling(activity_type, act, p, settings)
        # recorded elsewhere at the same time: no raise past what their attendance gives (a raise
        # stands for every hour not recorded missing, ``overlaps.present``); a wrong record goes
        # back to the organizer (``return``), whose correction is asked the same question
        return min(credit_ceiling(activity_type, act, p, settings), recorded_credit(activity_type, act, p, settings))

    return ceiling


def _user_key(key: Any) -> int | None:
    """The user id an adjustment is keyed by: a whole number, or its text written the one way
    (``"5"``; not ``"05"``, ``"+5"``, ``" 5"`` or full-width ``"５"``, which ``int`` reads as 5
    too — two keys of one person, the last silently winning), no longer than the largest id
    (``MAX_ID``: ``int`` refuses a text of more than 4300 digits with a ``ValueError``)."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if (isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= len(str(MAX_ID))
            and str(int(key)) == key):
        return int(key)
    return None


def _parse_adjustments(
    raw: Any, parts: list[Participation], ceiling: Callable[[Participation], Decimal], away: set[int] | None = None,
) -> dict[int, Decimal]:
    """The reviewer's adjusted hours by user id: any value from 0 up to ``ceiling`` of the
    participant (the credit rule for the hours not recorded missing). Beyond it: refused, with the maximum.
    Someone ``away`` from the staff when it was held (:func:`stints.away_at`) is given none: a raise says they were there."""
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        raise Invalid(msg("hours.object"), {"hours": msg("must_be_object")})
    by_id = {p.user_id: p for p in parts}
    out: dict[int, Decimal] = {}
    errors: dict[str, Msg] = {}
    above: list[Msg] = []
    for key, value in raw.items():
        uid = _user_key(key)
        if uid is None:
            errors[str(key)] = msg("hours.not_user")
            continue
        if uid not in by_id:
            errors[str(key)] = msg("attendance.not_participant")
            continue
        try:
            hours = parse_hours(value, field=f"hours[{key}]")
        except BadHours as exc:
            if exc.msg.code != "hours.at_most":
                errors[str(key)] = exc.msg
                continue
            hours = MAX_HOURS + 1  # above any figure (1e9): refused with the participant's own most, below
        if hours > 0 and uid in (away or ()):
            errors[str(key)] = msg("hours.away")
            continue
        limit = ceiling(by_id[uid])
        if hours > limit:
            errors[str(key)] = msg("hours.at_most", n=fmt(limit))
            above.append(msg("hours.user_at_most", user=uid, n=fmt(limit)))
            continue
        out[uid] = hours
    if above and len(above) == len(errors):
        raise Invalid(msg("hours.above_rule_max", detail=Joined(above)), {"hours": errors})
    if errors:
        raise Invalid(msg("hours.invalid"), {"hours": errors})
    return out


def _seen_version(value: Any) -> int | None:
    """The version the actor read (a whole number from 1; text of one, from a form)."""
    if value is None or value == "":
        return None
    try:
        number = int(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or not 1 <= number <= MAX_ID:
        raise Invalid(msg("version.invalid"), {"version": msg("version.whole_number")})
    return number


def _label(reg: Any, state: str) -> Any:
    """A state's zh/en label (a message parameter; :meth:`TypeRegistry.state_name`)."""
    from portal.activity_types import Text

    key = reg.decl.key
    return Text(registry().state_name(key, state, "zh"), registry().state_name(key, state, "en"))


def _step_label(reg: Any, trigger: str) -> Any:
    """A trigger's zh/en label (a message parameter; :meth:`TypeRegistry.step_name`)."""
    from portal.activity_types import Text

    key = reg.decl.key
    return Text(registry().step_name(key, trigger, "zh"), registry().step_name(key, trigger, "en"))


def _step_labels(reg: Any, triggers: list[str]) -> Joined:
    return Joined([_step_label(reg, t) for t in triggers], ", ")


def _step_keys(reg: Any, triggers: list[str]) -> Joined:
    """The triggers one may send, for someone who sent a trigger no step has (the API, the
    command line): in English each label with the key to send ("Mark held (hold)"); in
    Chinese the labels only (no codes on a Chinese page)."""
    from portal.activity_types import Text

    labels = [_step_label(reg, t) for t in triggers]
    return Joined([Text(label.zh, f"{label.en} ({key})") if isinstance(label, Text) else label
                   for key, label in zip(triggers, labels, strict=True)], ", ")


def _starts_local(act: Activity, tz: str) -> str:
    return local_text(act.starts_at, tz)


def fire(
    activity_id: int,
    school_id: int,
    actor: User,
    trigger: Any,
    comment: Any = "",
    hours: Any = None,
    seen_version: Any = None,
) -> Activity:
    """Fire ``trigger`` on the activity as ``actor``. Raises a DomainError on any refusal;
    then nothing has changed.

    ``seen_version`` is the activity's ``version`` when the actor read it (the review card, the
    API's activity): attendance, evidence and every transition move it, so a reviewer whose
    page was loaded before the organizer changed the figures is refused instead of approving
    figures they never saw. None: not asked (the demo, the CLI, an API caller not sending it)."""
    if not isinstance(trigger, str) or not trigger:
        raise Invalid(msg("trigger.required"), {"trigger": msg("trigger.required_field")})
    seen = _seen_version(seen_version)
    if comment is None:
        comment = ""
    if not isinstance(comment, str) or len(comment) > COMMENT_MAX:
        raise Invalid(msg("comment.invalid"), {"comment": msg("comment.length", n=COMMENT_MAX)})
    said = comment if says_something(comment) else ""  # a step or adjustment asking a reason is refused without one
    school = db.session.get(School, school_id)
    if school is None:
        raise NotFound(msg("school.not_found"))
    with write_transaction() as s:
        act = s.get(Activity, activity_id)
        if act is None or act.school_id != school_id:
            raise NotFound(msg("activity.not_found"))
        reg = registry().get(act.type_key)
        if reg is None:
            raise Conflict(msg("type.not_installed"))
        people = participants_with_users(act.id)
        parts = [p for p, _ in people]
        evidence = list(s.execute(select(Evidence).where(Evidence.activity_id == act.id)).scalars())
        settings = schools.type_settings(school_id, act.type_key, step=True)
        roles = access.activity_roles(  # the roles held now, locked: a role taken at this moment is not used
            act, actor.id, access.roles_now(s, actor.id, school_id), [p.user_id for p in parts], reg.engine.definition
        )
        now = utcnow()
        try:
            ctx = context(act, people, evidence, settings, actor.id, roles, now, said, school.timezone,
                          signup.signed_up(act.id) if _asks_of_others(reg, trigger) else frozenset())
        except PluginDataUnavailable as exc:  # reported with the plugin's name; the reader is told the type's
            raise Conflict(msg("plugin.data_failed", type=exc.reg.label)) from None
        from_state = act.state
        try:
            reg.engine.check(from_state, trigger, ctx)  # refusals before any parsing of payload
        except UnknownTrigger as exc:
            known = _step_keys(reg, exc.known)
            raise Invalid(
                msg("trigger.unknown", trigger=shown(trigger), known=known), {"trigger": msg("trigger.known", known=known)}
            ) from None
        except IllegalTransition as exc:
            raise IllegalTransitionError(
                msg("trigger.illegal", trigger=_step_label(reg, trigger), state=_label(reg, exc.state),
                    allowed=_step_labels(reg, exc.allowed) if exc.allowed else msg("none")),
                allowed=exc.allowed,
                state=exc.state,
            ) from None
        except TriggerNotPermitted:
            step = reg.engine.definition.transition(trigger)
            if step.independent and roles & INVOLVED and (step.roles | step.stand_in_roles) & roles:
                if roles & INVOLVED == {HANDED_IN}:  # only their hand-in for another: said so
                    raise Forbidden(msg(policy.HANDED_IN_REFUSAL)) from None
                raise Forbidden(msg("trigger.independent", trigger=_step_label(reg, trigger))) from None
            if FORMER_OWNER in roles and OWNER in step.roles:  # its organiser, who lost the role
                raise Forbidden(msg("policy.organiser_no_more")) from None
            who = role_labels(sorted(step.roles), reg.decl.self_declared)  # a declaration's owner: its declarer
            raise Forbidden(msg("trigger.roles", trigger=_step_label(reg, trigger), roles=who)) from None
        except NotStarted:
            start = _starts_local(act, school.timezone)
            raise Conflict(
                msg("activity.not_started", start=start), state=from_state, starts_at=start
            ) from None
        except NotEnded:
            end = local_text(act.ends_at, school.timezone)
            raise Conflict(msg("activity.not_ended", end=end, trigger=_step_label(reg, trigger)), state=from_state,
                           ends_at=end) from None
        except CommentRequired as exc:
            if exc.for_others:  # cancel: the people of the activity are told the reason
                raise Invalid(msg("trigger.reason_for_others", trigger=_step_label(reg, trigger)),
                              {"comment": msg("trigger.reason_for_others_field")}) from None
            raise Invalid(
                msg("trigger.comment", trigger=_step_label(reg, trigger)), {"comment": msg("trigger.comment_field")}
            ) from None
        except GuardRaised as exc:  # the plugin's bug: reported with its name, the user gets a refusal naming the type
            registry().plugins.fail(reg.plugin, M_GUARD_RAISED, exc.error, guard=exc.guard, trigger=trigger,
                                    key=act.type_key, error=describe(exc.error))
            raise Conflict(msg("plugin.guard_failed", type=reg.label)) from None
        except GuardFailed as exc:  # what is missing: the guards' zh/en texts
            guarded = reg.engine.definition.transition(trigger)
            if _moves_teacher_years(reg, guarded, from_state, guarded.dest, act.id):
                # nothing can be handed in to a locked year: its lock is the answer, not what is missing
                locks.require_unlocked(act.school_id, act.school_year, act.semester)
            _require_year_to_credit(guarded, act, school)  # nor credited in a year long over
            raise GuardFailedError(
                msg("trigger.guard", trigger=_step_label(reg, trigger), missing=Joined(exc.missing)),
                missing=[str(m) for m in exc.missing],  # in the request's language
            ) from None
        if seen is not None and seen != act.version:  # after the refusals that say who may act
            raise Conflict(msg("activity.changed_since_read"), version=act.version)
        step = reg.engine.definition.transition(trigger)
        _require_year_to_credit(step, act, school)
        if reg.engine.definition.phase(step.dest) is Phase.CLOSED and not reg.decl.self_declared:
            # a closed activity's attendance counts nowhere: closing it undoes the absences recorded of its people
            mine = next((p for p in parts if p.user_id == actor.id), None)
            policy.require(policy.may_close_over_own_record(undoes_own_absence=mine is not None and records_absence(mine)),
                           "trigger.own_record", trigger=_step_label(reg, trigger))
        away = stints.away_at(school_id, [p.user_id for p in parts], act.starts_at) \
            if isinstance(hours, dict) and hours or step.adjusts_hours or step.posts_credits else set()
        adjustments = _parse_adjustments(hours, parts, _ceilings(reg.type, act, parts, settings, hours), away)
        if adjustments and not step.adjusts_hours:
            raise Invalid(msg("hours.only_when_adjusting"), {"hours": msg("hours.only_with_approve")})
        if adjustments and not said:
            raise Invalid(msg("hours.reason_required"), {"comment": msg("hours.reason_field")})
        to_state = reg.engine.fire(from_state, trigger, ctx)
        # the ledger and the figures of an accepted year are frozen (credits, reversals, and
        # absence or writing starting or stopping to count)
        if _moves_teacher_years(reg, step, from_state, to_state, act.id):
            locks.require_unlocked(act.school_id, act.school_year, act.semester)
        act.state = to_state
        act.updated_at = now  # always an UPDATE, so the version check runs
        payload: dict[str, Any] = {}
        if reg.engine.stands_in(trigger, roles):
            payload["stand_in"] = "no_independent_reviewer"  # the history says so
        if step.adjusts_hours and adjustments:
            for p in parts:
                if p.user_id in adjustments:
                    p.adjusted_hours = adjustments[p.user_id]
                    p.adjust_reason = comment.strip()
                    p.adjusted_by = actor.id
            payload[ADJUSTED] = {str(k): str(v) for k, v in adjustments.items()}
        elif step.clears_adjustments:
            for p in parts:
                p.adjusted_hours = p.adjust_reason = p.adjusted_by = None
        if step.adjusts_hours:  # what each participant is approved for: credit posts no more
            approved = credit_hours_each(reg.type, act, parts, settings)
            _refuse_away(people, away, dict(zip((p.user_id for p in parts), approved, strict=True)), approving=True)
            payload[APPROVED_HOURS] = {str(p.user_id): str(h) for p, h in zip(parts, approved, strict=True)}
        try:
            s.flush()  # UPDATE … WHERE version = read version: a concurrent winner makes this fail
            if step.posts_credits:
                _refuse_away(people, away, {p.user_id: credit_hours_for(reg.type, act, p, settings)
                                            for p in parts if p.user_id in away}, approving=False)
                act.credit_round = (act.credit_round or 0) + 1
                s.flush()
                credited = post_credits(s, reg.type, act, parts, settings, actor.id, _approved(act, reg))
                payload[CREDITED] = {str(k): str(v) for k, v in credited.items()}
            elif step.reverses_credits:
                reversed_ = reverse_credits(s, act, actor.id, comment.strip())
                payload[REVERSED] = {str(k): str(v) for k, v in reversed_.items()}
            log_row = TransitionLog(
                activity_id=act.id,
                school_id=school_id,
                trigger=trigger,
                from_state=from_state,
                to_state=to_state,
                actor_id=actor.id,
                comment=comment.strip(),
                payload=payload,
                created_at=now,
            )
            s.add(log_row)
            s.flush()
            from portal.services import corrections  # corrections → transitions (what one may do oneself)

            corrections.activity_moved_on(s, reg.engine.definition, act, to_state)  # its open requests closed
            reminders.transition_recorded(reg.engine.definition, log_row)  # review decisions notify people
            if _moves_teacher_years(reg, step, from_state, to_state, act.id):  # participants and writers
                moved = {p.user_id for p in parts}
                if _moves_writing(reg, from_state, to_state):
                    moved.update(_writers(act.id))
                teacher_years.refresh(school, act.school_year, sorted(moved))
        except (StaleDataError, IntegrityError):
            raise Conflict(msg("trigger.stale")) from None
    snapshot = activity_snapshot(act)
    call_each(
        registry().plugins,
        "portal_activity_transitioned",
        activity=snapshot,
        trigger=trigger,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.id,
        school_code=school.code,
    )
    return act


def _asks_of_others(reg: Any, trigger: Any) -> bool:
    """Whether ``trigger`` asks a comment once others are concerned (``comment_when_others``:
    ``cancel``): only then are the activity's sign-ups read into its context."""
    definition = reg.engine.definition
    return isinstance(trigger, str) and trigger in definition.triggers and \
        definition.transition(trigger).comment_when_others


def _refuse_away(
    people: list[tuple[Participation, User]], away: set[int], hours: dict[int, Decimal], *, approving: bool
) -> None:
    """Refuse approving or crediting hours for anyone ``away`` from the staff when the activity
    was held (:func:`stints.away_at`), naming them: their attendance was recorded before
    ``attendance.away`` refused it (or an approval of then gave them hours). Approving, the
    reviewer adjusts their hours to 0 (or the organizer corrects the sheet); crediting, the
    reviewer returns the activity and approves it again — never a silent drop of hours."""
    found = [(p, u) for p, u in people if p.user_id in away and hours.get(p.user_id, ZERO) > 0]
    if not found:
        return
    found = by_pinyin(found, lambda pu: pu[1].display_name)
    names = Joined([u.display_name for _p, u in found], ", ")
    if approving:
        raise Invalid(msg("hours.away_recorded", names=names),
                      {"hours": {str(p.user_id): msg("hours.away") for p, _u in found}})
    raise Conflict(msg("hours.away_approved", names=names), user_ids=[p.user_id for p, _u in found])


def _approved(act: Activity, reg: Any) -> dict[int, Decimal] | None:
    """The hours each participant was approved for at the activity's last approval (None: it
    was approved before approvals kept them)."""
    adjusting = [t.trigger for t in reg.engine.definition.transitions if t.adjusts_hours]
    payload = db.session.execute(
        select(TransitionLog.payload)
        .where(TransitionLog.activity_id == act.id, TransitionLog.trigger.in_(adjusting))
        .order_by(TransitionLog.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    found = payload.get(APPROVED_HOURS) if isinstance(payload, dict) else None
    if not isinstance(found, dict):
        return None
    return {int(uid): Decimal(str(hours)) for uid, hours in found.items()}


class StepHours(NamedTuple):
    """The hours a step just taken gave or took (:func:`step_hours`): how many people and how many
    hours in all, and what it did (:data:`APPROVED_HOURS`, :data:`CREDITED` or :data:`REVERSED`)."""

    what: str
    people: int
    hours: Decimal


def step_hours(activity_id: int, actor_id: int, trigger: str) -> StepHours | None:
    """What the step ``trigger`` that ``actor_id`` just took on the activity did to hours, read from
    what it wrote, not worked out again: the ledger rows it posted (the activity's credit round)
    or reversed, or the hours it approved (its history entry). None: it did nothing to hours (a
    return, a cancel), or nobody's."""
    payload = db.session.execute(
        select(TransitionLog.payload)
        .where(TransitionLog.activity_id == activity_id, TransitionLog.actor_id == actor_id,
               TransitionLog.trigger == trigger)
        .order_by(TransitionLog.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if not isinstance(payload, dict):
        return None
    for what, kind in ((CREDITED, "credit"), (REVERSED, "reversal")):
        if isinstance(people := payload.get(what), dict):  # the ledger rows it wrote: these people's of its round
            if not people:
                return None
            n, hours = db.session.execute(
                select(func.count(CreditEntry.id), func.coalesce(func.sum(CreditEntry.hours), 0))
                .join(Activity, Activity.id == CreditEntry.activity_id)
                .where(CreditEntry.activity_id == activity_id, CreditEntry.kind == kind,
                       CreditEntry.round == Activity.credit_round,
                       CreditEntry.user_id.in_([int(uid) for uid in people]))
            ).one()
            return StepHours(what, int(n), abs(Decimal(str(hours)))) if n else None
    approved = payload.get(APPROVED_HOURS)
    if isinstance(approved, dict):
        figures = [h for h in (Decimal(str(v)) for v in approved.values()) if h > 0]
        return StepHours(APPROVED_HOURS, len(figures), sum(figures, ZERO)) if figures else None
    return None


def _require_year_to_credit(step: Transition, act: Activity, school: School) -> None:
    """Refuse (``credit.year_over``) a step that posts hours (``posts_credits``) for an activity of
    a school year long over: hours go into the years an activity may be dated in
    (:func:`policy.may_date_in_year`: this school year and the last one) — one planned back then
    and never credited is the record of its time, as one planned now for then is refused."""
    if step.posts_credits and not _year_to_credit(act, school):
        first = first_year_to_credit(school)
        raise Conflict(year_over_text(act.school_year, first), school_year=act.school_year)


def _year_to_credit(act: Activity, school: School) -> bool:
    """Whether hours may be posted for the activity now (:func:`_require_year_to_credit`)."""
    return may_credit_in(act.school_year, school)


def may_credit_in(school_year: str, school: School) -> bool:
    """Whether hours of ``school_year`` may be posted now at ``school`` (:func:`policy.may_date_in_year`:
    this school year and the last one)."""
    return policy.may_date_in_year(school_year, school_year_now(school))


def first_year_to_credit(school: School) -> str:
    """The earliest school year hours may be posted in now at ``school``
    (:func:`policy.first_year_to_date` of its year now): an approved activity of a year before it
    is closed to credits (``credit.year_over``; the review queue lists them apart)."""
    return policy.first_year_to_date(school_year_now(school))


def year_over_text(school_year: str, first: str) -> Msg:
    """Why hours of ``school_year`` are no longer posted, ``first`` being
    :func:`first_year_to_credit`'s answer: ``credit.year_over``, the years in words."""
    return msg("credit.year_over", year=SchoolYear.said(school_year), first=SchoolYear.said(first))


def _moves_teacher_years(reg: Any, step: Transition, from_state: str, to_state: str, activity_id: int) -> bool:
    """Whether a trigger changes its participants' or writers' years: it writes ledger rows,
    their absence starts or stops counting (the phase's ``counts_for_absence`` changes), or
    writing handed in for it (:func:`_writers`) starts or stops counting towards the quotas
    (``counts_writing``: a cancel)."""
    if step.posts_credits or step.reverses_credits:
        return True
    phase = registry().phase
    if phase(reg.decl.key, from_state).counts_for_absence != phase(reg.decl.key, to_state).counts_for_absence:
        return True
    return _moves_writing(reg, from_state, to_state) and bool(_writers(activity_id))


def _moves_writing(reg: Any, from_state: str, to_state: str) -> bool:
    """Whether writing handed in for the activity starts or stops counting towards the quotas
    (the phase's ``counts_writing`` changes: a cancel)."""
    phase = registry().phase
    return phase(reg.decl.key, from_state).counts_writing != phase(reg.decl.key, to_state).counts_writing


def _writers(activity_id: int) -> list[int]:
    """Who handed writing in for the activity that counts towards the quotas (a reflection,
    reading notes, a paper: ``quotas.WRITTEN_KINDS``), participants or not (the organizer's)."""
    return list(db.session.execute(select(Evidence.user_id).distinct().where(
        Evidence.activity_id == activity_id, Evidence.kind.in_(quotas.WRITTEN_KINDS))).scalars())


# An activity's steps with who took them (bound ``activity_id``): built once, not on every page
_HISTORY = (
    select(TransitionLog, User)
    .join(User, User.id == TransitionLog.actor_id)
    .where(TransitionLog.activity_id == bindparam("activity_id"))
    .order_by(TransitionLog.id)
)


def history(activity_id: int) -> list[tuple[TransitionLog, User]]:
    return [(log, actor) for log, actor in db.session.execute(_HISTORY, {"activity_id": activity_id})]


def payload_with_numbers(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    """A history entry's payload with its hours as numbers (stored as text of exact half hours:
    a float of one is exact), the rest as it is: a step's hours by user id (:data:`ADJUSTED`,
    :data:`APPROVED_HOURS`, :data:`CREDITED`, :data:`REVERSED`) and recorded attendance's old and
    new hours (``activities.ATTENDANCE_CHANGES``)."""
    out = dict(payload or {})
    for key in (ADJUSTED, APPROVED_HOURS, CREDITED, REVERSED):
        if isinstance(out.get(key), dict):
            out[key] = {uid: _number(h) for uid, h in out[key].items()}
    if isinstance(out.get(ATTENDANCE_CHANGES), dict):
        out[ATTENDANCE_CHANGES] = {
            uid: {field: [_number(h) for h in pair] if isinstance(pair, list) else pair for field, pair in fields.items()}
            if isinstance(fields, dict) else fields
            for uid, fields in out[ATTENDANCE_CHANGES].items()
        }
    return out


def _number(hours: Any) -> Any:
    """Text of hours as a number (``"-0"`` as 0); anything else (none recorded yet: null) as it is."""
    if not isinstance(hours, str):
        return hours
    try:
        return float(Decimal(hours)) + 0.0
    except ArithmeticError:
        return hours


def taken_already(activity_id: int, school_id: int, actor_id: int, trigger: str, seen_version: Any) -> LogRow | None:
    """The step a refused ``trigger`` repeats, or None: the activity's latest step is that
    trigger taken by ``actor_id`` after the version they read (``seen_version``). A form sent
    twice (a double tap, the back button, a second tab of the same page) asks again for what
    its first sending did: the answer is that it was done, not a refusal."""
    try:
        seen = _seen_version(seen_version)
    except Invalid:
        return None
    if seen is None:
        return None
    version = db.session.execute(
        select(Activity.version).where(Activity.id == activity_id, Activity.school_id == school_id)).scalar()
    if version is None or version <= seen:
        return None
    last = read_rows(_LAST_STEP, {"activity_id": activity_id}).first()
    if last is None:
        return None
    step = LogRow._make(last)
    return step if step.trigger == trigger and step.actor_id == actor_id else None


class LogRow(NamedTuple):
    """What a page showing an activity's history reads of a step (``TransitionLog``'s names)."""

    id: int
    activity_id: int
    school_id: int
    trigger: str
    from_state: str
    to_state: str
    actor_id: int
    comment: str
    payload: Any
    created_at: datetime


#: :data:`_HISTORY` as columns (the step's, then the actor's id, username and name), read
#: through ``read_rows`` with its compiled form kept: no ORM objects for a page that only shows them
_HISTORY_ROWS = keep_compiled(
    select(*(getattr(TransitionLog, name) for name in LogRow._fields), User.id, User.username, User.display_name)
    .join(User, User.id == TransitionLog.actor_id)
    .where(TransitionLog.activity_id == bindparam("activity_id"))
    .order_by(TransitionLog.id)
)


#: an activity's latest step (:func:`taken_already`)
_LAST_STEP = keep_compiled(
    select(*(getattr(TransitionLog, name) for name in LogRow._fields))
    .where(TransitionLog.activity_id == bindparam("activity_id"))
    .order_by(TransitionLog.id.desc())
    .limit(1)
)


def _latest_of(ids: Any) -> Any:
    """SQL: the log entry is the latest step of one of the activities ``ids`` (a bound list)."""
    return TransitionLog.id.in_(
        select(func.max(TransitionLog.id)).where(TransitionLog.activity_id.in_(ids))
        .group_by(TransitionLog.activity_id).scalar_subquery())


#: each activity's latest step with its actor's name (:func:`last_returns`)
_LATEST_STEPS = keep_compiled(
    select(*(getattr(TransitionLog, name) for name in LogRow._fields), User.display_name, Activity.type_key)
    .join(User, User.id == TransitionLog.actor_id)
    .join(Activity, Activity.id == TransitionLog.activity_id)
    .where(_latest_of(bindparam("ids", expanding=True)))
)


class Returned(NamedTuple):
    """An activity's latest step when it returned the activity for rework: what the reviewer
    said, who and when (the queue's card says it, so a card back at once is not taken for new)."""

    comment: str
    by: str
    at: datetime


def last_returns(activity_ids: Collection[int]) -> dict[int, Returned]:
    """The activities of ``activity_ids`` whose latest step returned them (the workflow's
    ``returned`` decision, ``reminders.decision_kind``), by id, in one statement."""
    ids = sorted(set(activity_ids))
    if not ids:
        return {}
    return _returned_of(read_rows(_LATEST_STEPS, {"ids": ids}).all())


def _returned_of(rows: Iterable[Any]) -> dict[int, Returned]:
    """:func:`last_returns` of the latest steps ``rows`` (with their ``activity_id``, ``trigger``,
    ``comment``, ``created_at``, the actor's ``display_name`` and the activity's ``type_key``)."""
    return {row.activity_id: Returned(row.comment or "", row.display_name, row.created_at)
            for row in rows if _returns(row.type_key, row)}


class RefusedBefore(NamedTuple):
    """A declaration of the same teacher refused in review before (不予认定): its title and first
    day (the school's calendar), what the reviewer said, who and when."""

    title: str
    day: str
    comment: str
    by: str
    at: datetime


#: the refusals in review of declarations by these teachers at the school, newest first
#: (:func:`refused_before`): steps from a review state into a closed one, read with the
#: declaration's title and dates and the reviewer's name
#: (bound ``school_id``, ``declarers``, ``keys``, ``closed``, ``review``: :func:`_declarations`)
_REFUSED_WHERE = (
    Activity.school_id == bindparam("school_id"),
    Activity.organizer_id.in_(bindparam("declarers", expanding=True)),
    Activity.type_key.in_(bindparam("keys", expanding=True)),
    Activity.state.in_(bindparam("closed", expanding=True)),
    TransitionLog.to_state.in_(bindparam("closed", expanding=True)),
    TransitionLog.from_state.in_(bindparam("review", expanding=True)),
)
_REFUSALS_OF = keep_compiled(
    select(TransitionLog.activity_id, Activity.organizer_id, Activity.type_key, Activity.title, Activity.starts_at,
           Activity.ends_at, TransitionLog.from_state, TransitionLog.to_state, TransitionLog.comment,
           User.display_name, TransitionLog.created_at)
    .join(Activity, Activity.id == TransitionLog.activity_id)
    .join(User, User.id == TransitionLog.actor_id)
    .where(*_REFUSED_WHERE)
    .order_by(TransitionLog.created_at.desc(), TransitionLog.id.desc())
)


def refused_before(school_id: int, activities: Collection[Any], tz: str) -> dict[int, list[RefusedBefore]]:
    """The declarations among ``activities`` (self-declared: ``ActivityType.self_declared``)
    that their teacher declared before and a reviewer refused — another declaration of the same
    type at the school, refused in review (:meth:`WorkflowDefinition.refuses`), with the same
    title as :func:`portal.textcount.counted_text` folds it or days in common (a refused training
    declared again under another title is on its days still) — by id, newest refusal first: the
    review queue's card says so, as the declaration may be declared again (deliberately) and its
    reviewer would otherwise not know. One statement for them all whenever there are
    ``activities``, declarations among them or not, so the queue's statements per page do not
    depend on which types its page holds (``tests/perf/test_paging.py``); none without any."""
    if not activities:
        return {}
    mine, bound = _declarations(activities)
    return _refusals_of(read_rows(_REFUSALS_OF, {"school_id": school_id, **bound}).all(), mine, tz)


def _declarations(activities: Collection[Any]) -> tuple[list[Any], dict[str, list[Any]]]:
    """The declarations among ``activities`` and what :data:`_REFUSED_WHERE` binds for them
    (their teachers, types, and those types' closed and review states)."""
    types = registry()
    mine = [a for a in activities if (reg := types.get(a.type_key)) is not None and reg.decl.self_declared]
    keys = sorted({a.type_key for a in mine})
    definitions = [types.definition(key) for key in keys]
    closed = sorted({s for d in definitions for s in d.states_in(Phase.CLOSED)})
    review = sorted({s for d in definitions for s in d.states_in(Phase.AWAITING_REVIEW)})
    return mine, {"declarers": sorted({a.organizer_id for a in mine}), "keys": keys, "closed": closed,
                  "review": review}


def _refusals_of(rows: Iterable[Any], mine: list[Any], tz: str) -> dict[int, list[RefusedBefore]]:
    """:func:`refused_before` of the declarations ``mine`` from the steps ``rows`` read by
    :data:`_REFUSED_WHERE`, newest first."""
    types = registry()

    def days(start: datetime, end: datetime) -> tuple[Any, Any]:
        return to_local(start, tz).date(), to_local(end, tz).date()

    refusals = [
        (r, counted_text(r.title), days(r.starts_at, r.ends_at)) for r in rows
        if types.definition(r.type_key).refuses(r.from_state, r.to_state)
    ]
    out: dict[int, list[RefusedBefore]] = {}
    for a in mine:
        title, (first, last) = counted_text(a.title), days(a.starts_at, a.ends_at)
        found = [
            RefusedBefore(r.title, begins.isoformat(), r.comment or "", r.display_name, r.created_at)
            for r, same, (begins, ends) in refusals
            if r.organizer_id == a.organizer_id and r.type_key == a.type_key and r.activity_id != a.id
            and (same == title or (begins <= last and first <= ends))
        ]
        if found:
            out[int(a.id)] = found
    return out


class QueueHistory(NamedTuple):
    """What the review queue's page reads of its activities' history (:func:`queue_history`)."""

    before: dict[int, access.Earlier]  # :func:`access.involved_before` of every activity of the page
    returned: dict[int, Returned]  # :func:`last_returns` of the held ones
    refused: dict[int, list[RefusedBefore]]  # :func:`refused_before` of the held ones


_EARLIER, _LATEST, _REFUSED = 0, 1, 2  # ``part`` of :func:`_queue_history_query`'s rows
#: A row of :func:`_queue_history_query`, read by name as a named tuple (a SQLAlchemy row looks each
#: attribute up by its name at ~10× the cost: round 58)
HistoryRow = namedtuple("HistoryRow", ("part", "activity_id", "trigger", "from_state", "to_state", "actor_id", "payload",
                                       "comment", "created_at", "id", "display_name", "type_key", "organizer_id", "title",
                                       "starts_at", "ends_at"))


@functools.cache
def _queue_history_query(open_: tuple[str, ...], review: tuple[str, ...]) -> Any:
    """:func:`access.involved_before`'s, :func:`last_returns`' and :func:`refused_before`'s
    statements as one UNION ALL of rows of one shape, told apart by ``part``; the open phase's and
    review's states (from the installed types' code) written in, one bound value each. Built once
    per set of states, its compiled form kept (``keep_compiled``): the page ran three statements,
    each costing more to prepare and send than SQLite took to answer it. The refusals come in no
    order: :func:`queue_history` orders them as :data:`_REFUSALS_OF` does."""
    log = TransitionLog
    # NULLs typed: PostgreSQL matches a union's columns branch by branch, two untyped NULLs making text
    typed = {c.key: cast(null(), c.type) for c in (log.comment, log.created_at, User.display_name, Activity.type_key,
                                                    Activity.organizer_id, Activity.title, Activity.starts_at,
                                                    Activity.ends_at)}

    def shape(part: int, **columns: Any) -> list[Any]:
        return [literal_column(str(part)).label("part"),
                *(columns.get(name, typed.get(name, null())).label(name) for name in HistoryRow._fields[1:])]

    steps = {c.key: c for c in (log.activity_id, log.trigger, log.from_state, log.to_state, log.actor_id,
                                log.comment, log.created_at, log.id)}
    named = {"display_name": User.display_name, "type_key": Activity.type_key}
    earlier = select(*shape(_EARLIER, payload=access.handover_payload(),
                            **{k: v for k, v in steps.items() if k not in ("comment", "created_at")})).where(
        access.earlier_hands(bindparam("ids", expanding=True), in_constants(log.from_state, open_),
                             in_constants(log.to_state, review)))
    # evidence handed in for another on a declaration, as :data:`access._EARLIER_HANDS` reads it too
    handed_in = literal_column(f"'{access.HANDED_IN_ROW}'", log.trigger.type)
    handed = (select(*shape(_EARLIER, activity_id=Evidence.activity_id, trigger=handed_in, actor_id=Evidence.uploaded_by,
                            **{c.key: cast(null(), c.type) for c in (log.from_state, log.to_state, log.payload, log.id)}))
              .join(Activity, Activity.id == Evidence.activity_id)
              .where(access.handed_in_for_another(bindparam("ids", expanding=True),
                                                  bindparam("declaring", expanding=True))))
    latest = (select(*shape(_LATEST, **steps, **named))
              .join(User, User.id == log.actor_id).join(Activity, Activity.id == log.activity_id)
              .where(_latest_of(bindparam("held_ids", expanding=True))))
    refused = (select(*shape(_REFUSED, **steps, **named, organizer_id=Activity.organizer_id, title=Activity.title,
                             starts_at=Activity.starts_at, ends_at=Activity.ends_at))
               .join(Activity, Activity.id == log.activity_id).join(User, User.id == log.actor_id)
               .where(*_REFUSED_WHERE))
    return keep_compiled(union_all(earlier, handed, latest, refused))


def queue_history(school_id: int, activities: Collection[Any], held: Collection[Any], tz: str) -> QueueHistory:
    """:func:`access.involved_before` of ``activities``, :func:`last_returns` and
    :func:`refused_before` of the ``held`` among them, in one statement (none without
    ``activities``): the same answers as the three functions give."""
    if not activities:
        return QueueHistory({}, {}, {})
    open_, review = access.review_edges()
    mine, bound = _declarations(held)
    rows = read_rows(_queue_history_query(tuple(open_), tuple(review)), {
        "ids": sorted({a.id for a in activities}), "held_ids": sorted({a.id for a in held}), "school_id": school_id,
        "declaring": access.declaring_types(), **bound}).all()
    parts: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    for row in map(HistoryRow._make, rows):
        parts[row.part].append(row)
    earlier = [(r.activity_id, r.trigger, r.from_state, r.to_state, r.actor_id, r.payload) for r in parts[_EARLIER]]
    refusals = sorted(parts[_REFUSED], key=lambda r: (r.created_at, r.id), reverse=True)  # newest first
    return QueueHistory(access.earlier_of_rows(earlier), _returned_of(parts[_LATEST]),
                        _refusals_of(refusals, mine, tz) if held else {})


def refusals_told_to(who: policy.Actor, act: Activity, tz: str) -> list[RefusedBefore] | None:
    """The declaration's earlier refusals (:func:`refused_before`), told to ``who`` if they may
    see them (``policy.may_see_refusals_before``: its reviewers and the school admin — the
    declaration's page and the API's activity, as the queue's card tells its reviewer); None,
    asking nothing, to anyone else and for an activity that is no declaration."""
    if not (is_declaration(act) and policy.may_see_refusals_before(who)):
        return None
    return refused_before(act.school_id, [act], tz).get(int(act.id), [])


def returned_in(type_key: str, history: list[tuple[Any, Any]]) -> Returned | None:
    """:func:`last_returns` of one activity, read from its history (``history_rows``, oldest first)."""
    if not history:
        return None
    step, actor = history[-1]
    return Returned(step.comment or "", actor.display_name, step.created_at) if _returns(type_key, step) else None


def refused_in(type_key: str, history: list[tuple[Any, Any]]) -> Returned | None:
    """Who refused the activity in review (a declaration's 不予认定), when and why, when its
    latest step did (the workflow definition's answer, ``WorkflowDefinition.refuses``)."""
    if not history:
        return None
    step, actor = history[-1]
    refused = registry().definition(type_key).refuses(step.from_state, step.to_state)
    return Returned(step.comment or "", actor.display_name, step.created_at) if refused else None


def _returns(type_key: str, step: Any) -> bool:
    """Whether the logged ``step`` returned its activity for rework (the workflow's answer: a step
    that clears the reviewer's adjustments, neither posting nor reversing credits, as
    ``reminders.decision_kind`` tells its people it was returned)."""
    try:
        fired = registry().definition(type_key).transition(step.trigger)
    except KeyError:  # a step of a type's workflow since changed
        return False
    return fired.clears_adjustments and not fired.posts_credits and not fired.reverses_credits


def history_rows(activity_id: int) -> list[tuple[LogRow, NameRow]]:
    """:func:`history` as read-only rows, ``(LogRow, NameRow)`` pairs with the attributes the
    activity page reads of the ORM's ``(TransitionLog, User)`` (the actor: id, username, name).
    The ORM's entity loading was a third of the page's statements' time for three steps."""
    rows = read_rows(_HISTORY_ROWS, {"activity_id": activity_id}).all()
    return [(LogRow._make(r[:10]), NameRow._make(r[10:])) for r in rows]


