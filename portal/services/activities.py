"""Planning activities, their participants, attendance and evidence.

Attendance and evidence may change while an activity is planned or held (the types'
workflows may add states in between); once reviewed they are frozen — a return to
``held`` opens them again.
"""

from __future__ import annotations

import functools
import hashlib
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import (
    CompoundSelect,
    Select,
    bindparam,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from portal import file_text, outbox, policy, same_certificate, upload_meta
from portal.activity_types import ActivityType, EvidenceKind, PlanFacts, StandingPlan, Text
from portal.database import as_loaded, keep_compiled, loaded_columns, read_rows, write_transaction
from portal.details_json import json_type_errors
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.hours import MAX_HOURS, BadHours, fmt, length_text, most_hours_between, parse_hours
from portal.messages import Joined, Msg, SchoolYear, Semester, msg, shown
from portal.models import (
    Activity,
    CheckIn,
    Evidence,
    Membership,
    Participation,
    School,
    SchoolPlan,
    SchoolPlanLine,
    SignupWindow,
    TransitionLog,
    User,
)
from portal.models.types import driver_hours, hours_from_driver
from portal.once import once_each
from portal.plugin_data import type_call, type_errors
from portal.security import has_controls
from portal.services import access, locks, overlaps, quotas, schools, stints
from portal.services.details import json_to_formdata, validate_details
from portal.services.quotas import WRITTEN_KINDS
from portal.sorting import by_pinyin
from portal.textcount import chinese_count, counted_text
from portal.timeutil import (
    BadTime,
    local_text,
    parse_iso,
    period_bounds,
    school_year_of,
    semester_of,
    to_local,
    utcnow,
    year_bounds,
    zone_of,
)
from portal.type_declarations import TypeDeclarations
from workflows.definition import ATTENDANCE_RECORDED, PARTICIPANTS_CHANGED, RESCHEDULE, Phase

TITLE_MAX = 200


@dataclass
class ParticipantInput:
    user_id: int
    role: str


def _parse_participants(school_id: int, raw: Any, type_roles: dict,
                        default_role: str) -> tuple[list[ParticipantInput], list[Msg]]:
    """The list sent, checked for its shape, roles and repeats. Someone listed twice is named
    if the school knows them (:func:`access.known_names`), else said at their place, never by id."""
    errors: list[Msg] = []
    twice: dict[int, int] = {}  # id → the place it came again at (its first repeat)
    out: list[ParticipantInput] = []
    if raw is None:
        return out, errors
    if not isinstance(raw, list):
        return out, [msg("participants.not_list")]
    seen: set[int] = set()
    for i, item in enumerate(raw):
        if isinstance(item, dict):
            uid, role = item.get("user_id"), item.get("role") or default_role
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            uid, role = item
        else:
            errors.append(msg("participants.shape", n=i + 1))
            continue
        if isinstance(uid, bool) or not isinstance(uid, int):
            errors.append(msg("participants.user_id", n=i + 1))
            continue
        if role not in type_roles:
            errors.append(msg("participants.role", n=i + 1, roles=_role_words(type_roles)))
            continue
        if uid in seen:
            twice.setdefault(uid, i + 1)
            continue
        seen.add(uid)
        out.append(ParticipantInput(uid, role))
    if twice:
        names = access.known_names(school_id, twice)
        errors.extend(msg("participants.twice_named", name=n) for n in by_pinyin(names.values(), str))
        errors.extend(msg("participants.twice", n=n) for n in sorted(n for u, n in twice.items() if u not in names))
    return out, errors


def _role_words(type_roles: dict) -> Joined:
    """A type's roles for someone who sent another: in English each label with the key to send
    ("Speaker (speaker)", the API), in Chinese the labels only (no codes on a Chinese page)."""
    return Joined([Text(r.label_zh, f"{r.label_en} ({key})") for key, r in type_roles.items()], ", ")


def _places(people: list[ParticipantInput]) -> dict[int, int]:
    """Each person's place in the list as sent (from 1; the list parsed without errors)."""
    return {p.user_id: i + 1 for i, p in enumerate(people)}


def away_refusals(school_id: int, user_ids: list[int], at: datetime) -> list[Msg]:
    """Why each of ``user_ids`` may not be put on the list of an activity of the school starting
    ``at``: off its teaching staff then (:func:`stints.away_at`: it is not theirs, as attendance
    and evidence say), named in pinyin order; empty when everyone may. Asked when planning and
    when adding people later alike (moving the activity to another time, :func:`_away_then`);
    the pickers ask the same rule to show them unchosable."""
    return [msg("participants.away", name=n) for n in _away_names(school_id, user_ids, at)]


def _away_names(school_id: int, user_ids: list[int], at: datetime) -> list[str]:
    """The names, in pinyin order, of those of ``user_ids`` off the school's teaching staff at ``at``."""
    away = stints.away_at(school_id, user_ids, at)
    if not away:
        return []
    return by_pinyin(db.session.execute(select(User.display_name).where(User.id.in_(away))).scalars(), str)


def _members(school_id: int, user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(
        db.session.execute(
            select(Membership.user_id).where(
                Membership.school_id == school_id,
                Membership.user_id.in_(user_ids),
                Membership.active.is_(True),
            )
        ).scalars()
    )


def plan_activity(
    school: School,
    organizer: User,
    type_key: str,
    title: str,
    starts_at: str | datetime,
    ends_at: str | datetime,
    hours: Any,
    participants: Any = None,
    details: dict[str, Any] | MultiDict | None = None,
    location: str = "",
    organizer_id: int | None = None,
    plan_line_id: Any = None,
) -> Activity:
    """Create an activity in state ``planned``. All input is checked before anything is written.

    A self-declared type (``ActivityType.self_declared``) is planned by a teacher for
    themselves: they are organiser and only participant, attending its hours; a training is
    declared once (:func:`_declared_again`). ``plan_line_id``:
    the line of the school's annual plan it carries out (another school's line is not found;
    the line's type and school year must be the activity's)."""
    who = access.actor(organizer.id, school.id)
    reg = schools.registry().get(type_key) if isinstance(type_key, str) else None
    declared = reg is not None and reg.decl.self_declared
    policy.require(policy.may_plan_type(who, declared), "policy.declare" if declared else "policy.plan")
    fields: dict[str, Any] = {}
    if reg is None:
        raise Invalid(msg("type.unknown", key=shown(type_key)), {"type": msg("type.unknown_field")})
    if reg not in schools.enabled_types(school.id):
        names = schools.registry().names
        raise Invalid(msg("type.not_enabled", key=Text(names("zh")[type_key], names("en")[type_key])),
                      {"type": msg("type.not_enabled_field")})
    if declared:
        if participants:
            fields["participants"] = msg("declared.no_participants")
        if organizer_id not in (None, organizer.id):
            fields["organizer_id"] = msg("declared.own_only")
        participants, organizer_id = [{"user_id": organizer.id, "role": reg.decl.default_role}], organizer.id
    title = (title or "").strip() if isinstance(title, str) else ""
    if not title or len(title) > TITLE_MAX:
        fields["title"] = msg("plan.title", n=TITLE_MAX)
    if not isinstance(location, str) or len(location) > 200:
        fields["location"] = msg("at_most_chars", n=200)
    start, end, time_errors = _times(school, starts_at, ends_at)
    fields.update(time_errors)
    h: Decimal | None = None
    try:
        h = parse_hours(hours)
        if h == 0:
            fields["hours"] = msg("plan.hours_zero")
    except BadHours as exc:
        fields["hours"] = exc.msg
    if h and start and end and not fields.keys() & {"starts_at", "ends_at", "hours"} and (
            longer := above_length(start, end, h)) is not None:
        fields["hours"] = longer
    elif h and "hours" not in fields and (above := role_above_most(
            reg, schools.type_settings(school.id, type_key), reg.engine.definition.initial, h)) is not None:
        fields["hours"] = above
    people, perrs = _parse_participants(school.id, participants, dict(reg.decl.roles), reg.decl.default_role)
    if perrs:
        fields["participants"] = perrs
    elif people:
        members = _members(school.id, [p.user_id for p in people])
        strangers = [p.user_id for p in people if p.user_id not in members]
        if strangers:
            fields["participants"] = access.not_members(school.id, strangers, _places(people))
        elif start is not None and not declared and (
                away := away_refusals(school.id, [p.user_id for p in people], start)):
            fields["participants"] = away  # as adding them later is refused (set_participants)
    owner_id = organizer_id or organizer.id
    if owner_id != organizer.id and not _members(school.id, [owner_id]):
        fields["organizer_id"] = msg("plan.organizer_not_member")
    formdata = details if isinstance(details, MultiDict) else json_to_formdata(details or {})
    if details is not None and not isinstance(details, (dict, MultiDict)):
        fields["details"] = msg("details.must_be_object")
        clean = {}
    else:
        # the type's form is its plugin's code: a validator that raises refuses the plan naming it
        clean, derrs = type_call(reg.type, "form", reg.decl.form, formdata, via=validate_details)
        # JSON (the API): a number or an object is no text (portal.details_json). A page's form data
        # (a MultiDict, itself a dict) is text throughout, which the type's own fields convert
        if isinstance(details, dict) and not isinstance(details, MultiDict):
            derrs = {**derrs, **type_call(reg.type, "form", reg.decl.form, details, via=json_type_errors)}
        if derrs:
            fields["details"] = derrs
    if start and end and h and not fields.keys() & {"starts_at", "ends_at", "hours", "details"}:
        fields.update(_type_plan_errors(reg.type, school, start, end, h, clean, organizer.id))
    if declared and start and end and not fields.keys() & {"title", "starts_at", "ends_at"}:
        for name, said in _declared_again(reg.type, school, organizer.id, title, start, end, h or Decimal(0)).items():
            fields.setdefault(name, said)  # the type's own word on the hours first
        for name, said in _attending_then(organizer.id, start, end, h or Decimal(0)).items():
            fields.setdefault(name, said)
        if stints.away_at(school.id, [organizer.id], start):  # not the school's to certify
            fields.setdefault("starts_at", msg("declared.away"))
    line = None if plan_line_id is None else plan_line(school.id, plan_line_id)
    if line is not None and start is not None and "starts_at" not in fields:
        if line.type_key != type_key:
            fields["plan_line_id"] = msg("school_plan.line_type")
        elif (other_year := _line_year_error(line, start, school.timezone)) is not None:
            fields["starts_at"] = other_year
    if fields:
        raise Invalid(msg("plan.refused"), fields)
    assert start is not None  # parsed, or a field error was raised above
    local_day = to_local(start, school.timezone).date()
    with write_transaction() as s:
        access.require_still(s, who, lambda now: policy.may_plan_type(now, declared),
                             "policy.declare" if declared else "policy.plan", school_id=school.id)
        # asked above for the form's field; again under the lock, which an acceptance takes too
        locks.require_unlocked(school.id, school_year_of(local_day), semester_of(local_day))
        if declared:  # one declaration of a teacher at a time, checked against those written before it
            assert end is not None and h is not None
            access.one_at_a_time(organizer.id)
            again = dict(_type_plan_errors(reg.type, school, start, end, h, clean, organizer.id))
            for name, said in _declared_again(reg.type, school, organizer.id, title, start, end, h).items():
                again.setdefault(name, said)  # the type's own word on the hours first
            for name, said in _attending_then(organizer.id, start, end, h).items():
                again.setdefault(name, said)
            if again:
                raise Invalid(msg("plan.refused"), again)
        act = Activity(
            school_id=school.id,
            type_key=type_key,
            title=title,
            organizer_id=owner_id,
            starts_at=start,
            ends_at=end,
            hours=h,
            school_year=school_year_of(local_day),
            semester=semester_of(local_day),
            state=reg.engine.definition.initial,
            credit_round=0,
            details=clean,
            location=location.strip(),
            plan_line_id=line.id if line is not None else None,
        )
        s.add(act)
        s.flush()
        for p in people:  # a self-declared activity's declarer attends its hours
            s.add(Participation(activity_id=act.id, user_id=p.user_id, role=p.role, attended_hours=h if declared else None))
    return act


def _times(school: School, starts_at: Any, ends_at: Any) -> tuple[datetime | None, datetime | None, dict[str, Msg]]:
    """An activity's start and end as given (ISO text, a time without an offset in the school's
    zone; or datetimes), and what is wrong with them by field: unreadable, the end before the
    start or in another semester (:func:`other_semester`), the start in a period the district
    accepted (no new activity, nor roster, in it). Asked alike when planning and when moving."""
    fields: dict[str, Msg] = {}
    start = end = None
    try:
        start = parse_iso(starts_at, school.timezone)
    except BadTime as exc:
        fields["starts_at"] = exc.msg
    try:
        end = parse_iso(ends_at, school.timezone)
    except BadTime as exc:
        fields["ends_at"] = exc.msg
    if start and end and end < start:
        fields["ends_at"] = msg("plan.end_before_start")
    elif start and end and (other := other_semester(start, end, school.timezone)) is not None:
        fields["ends_at"] = other
    if start and "starts_at" not in fields:
        day = to_local(start, school.timezone).date()
        if not policy.may_date_in_year(school_year_of(day), school_year_now(school)):  # a year long over
            fields["starts_at"] = msg("plan.year_over", year=SchoolYear.said(school_year_of(day)),
                                      day=first_day_to_date(school).isoformat())
        elif locks.is_locked(school.id, school_year_of(day), semester_of(day)):
            # no new activity (nor roster) in a year the district accepted
            fields["starts_at"] = msg("year.locked", year=SchoolYear.said(school_year_of(day)))
    return start, end, fields


def school_year_now(school: School) -> str:
    """The school's year today, by its own calendar."""
    return school_year_of(to_local(utcnow(), school.timezone).date())


def first_day_to_date(school: School) -> date:
    """The first day an activity of ``school`` may start on now, as the planning and moving
    forms say under their start: the first day of the earliest school year
    :func:`policy.first_year_to_date` leaves open (the district's acceptance of a period of it
    refuses that period too: ``year.locked``)."""
    return year_bounds(policy.first_year_to_date(school_year_now(school)))[0]


def _line_year_error(line: SchoolPlanLine, start: datetime, zone: str) -> Msg | None:
    """Why an activity starting at ``start`` cannot carry out ``line`` of the annual plan: it
    falls in another school year than the plan's (None: the same)."""
    line_year = line_school_year(line)
    if school_year_of(to_local(start, zone).date()) != line_year:
        return msg("school_plan.line_year", year=SchoolYear.said(line_year))
    return None


def above_length(start: datetime, end: datetime, hours: Decimal) -> Msg | None:
    """Why ``hours`` do not fit an activity from ``start`` to ``end``: more than its length in
    45-minute lessons (:func:`portal.hours.most_hours_between`; None: they fit)."""
    most = most_hours_between(start, end)
    return None if hours <= most else msg("plan.hours_above_length", n=fmt(most), length=length_text(start, end))


def role_above_most(reg: Any, settings: dict[str, Any], state: str, hours: Decimal) -> Msg | None:
    """Why ``hours`` cannot be planned: under the core's credit rule and the school's
    ``settings``, a role of the type would be credited more than any record holds at full
    attendance (a 600-hour lecture's speaker: 1,200). Asked of every role, so a speaker added
    later fits too; the most hours that fit every role are named (:func:`ledger.roles_past_record`)."""
    from portal.services.ledger import roles_past_record

    past = roles_past_record(reg.type, reg.decl.roles, state, hours, settings)
    if not past or not past[0]:
        return None
    over, fits = past
    role = reg.decl.roles[over[0]]
    return msg("plan.hours_role_above_most", role=Text(role.label_zh, role.label_en), n=fmt(fits), most=fmt(MAX_HOURS))


def other_semester(start: datetime, end: datetime, zone: str) -> Msg | None:
    """Why ``end`` may not end an activity begun at ``start``: it falls in another semester. An
    activity's hours are the semester's it starts in, whose figures the district accepts and
    locks; credited only once it has ended, it is over by then (None: the same semester)."""
    first, last = (to_local(t, zone).date() for t in (start, end))
    year, semester = school_year_of(first), semester_of(first)
    if (school_year_of(last), semester_of(last)) == (year, semester):
        return None
    return msg("plan.other_semester", semester=Semester(semester), year=SchoolYear.said(year),
               date=period_bounds(year, semester)[1].isoformat())


def plan_line(school_id: int, line_id: Any) -> SchoolPlanLine:
    """A line of one of the school's annual plans; another school's (or none) is not found."""
    found = None
    if access.id_in_range(line_id):
        found = db.session.execute(
            select(SchoolPlanLine)
            .join(SchoolPlan, SchoolPlan.id == SchoolPlanLine.plan_id)
            .where(SchoolPlanLine.id == line_id, SchoolPlan.school_id == school_id)
        ).scalar_one_or_none()
    if found is None:
        raise NotFound(msg("school_plan.line_not_found"))
    return found


def line_school_year(line: SchoolPlanLine) -> str:
    return db.session.execute(select(SchoolPlan.school_year).where(SchoolPlan.id == line.plan_id)).scalar_one()


def _type_plan_errors(
    activity_type: ActivityType, school: School, start: datetime, end: datetime, hours: Decimal,
    details: dict[str, Any], planner_id: int,
) -> dict[str, Any]:
    """The type's own checks of the planned dates, hours and details (``ActivityType.check_plan``);
    a self-declared type also sees the declarer's other declarations still standing."""
    key = schools.registry().key_of(activity_type)
    starts_on = to_local(start, school.timezone).date()
    ends_at, now = (to_local(t, school.timezone).replace(tzinfo=None) for t in (end, utcnow()))
    plan = PlanFacts(
        starts_on=starts_on,
        ends_on=ends_at.date(),
        hours=hours,
        school_year=school_year_of(starts_on),
        today=now.date(),
        current_school_year=school_year_of(now.date()),
        ends_at=ends_at,
        now=now,
        details=dict(details),
        standing=_standing(activity_type, school, planner_id) if _self_declared(key) else (),
    )
    return type_errors(activity_type, "check_plan", plan, schools.type_settings(school.id, key, step=True))


def _standing_rows(activity_type: ActivityType, planner_id: int) -> list[Any]:
    """The planner's activities of a self-declared type that are not closed (cancelled,
    refused), in every school they declared in: what one teacher has declared and may still be
    credited, or was — (title, start, end, hours, school year, details, the school's time zone).
    A teacher on the staff of two schools declares a training once — in one school, not again
    in the other (each school would credit it: one day counted twice)."""
    closed = schools.registry().definition(schools.registry().key_of(activity_type)).states_in(Phase.CLOSED)
    return list(db.session.execute(
        select(Activity.title, Activity.starts_at, Activity.ends_at, Activity.hours, Activity.school_year,
               Activity.details, School.timezone)
        .join(School, School.id == Activity.school_id)
        .where(
            Activity.type_key == schools.registry().key_of(activity_type),
            Activity.organizer_id == planner_id,
            Activity.state.not_in(closed),
        ).order_by(Activity.id)
    ).all())


def _standing(activity_type: ActivityType, school: School, planner_id: int) -> tuple[StandingPlan, ...]:
    """The standing declarations (:func:`_standing_rows`) as the type's ``check_plan`` sees them."""
    return tuple(
        StandingPlan(to_local(s, tz or zone_of(school)).date(), to_local(e, tz or zone_of(school)).date(), h, y,
                     dict(d or {}))
        for _title, s, e, h, y, d, tz in _standing_rows(activity_type, planner_id)
    )


def _declared_again(activity_type: ActivityType, school: School, planner_id: int, title: str,
                    start: datetime, end: datetime, hours: Decimal) -> dict[str, Msg]:
    """A training is declared once: a declaration with the title of one of the declarer's
    standing declarations (:func:`_standing_rows`, any school), compared as
    :func:`portal.textcount.counted_text` folds it, on days they share is that training again
    (declared anew with a re-scanned certificate and no number, which the certificate checks
    cannot see). Two trainings of one day have titles of their own; a course of the same name
    on other days is another session of it.

    And the hours of declarations overlapping in time fit the time they cover together, as one
    activity's fit its length (:func:`above_length`): two trainings of 09:00-12:00 declared at
    4 hours each under two titles claimed 8 hours of a morning; two online courses of the same
    week fit it."""
    same = counted_text(title)
    first, last = to_local(start, school.timezone).date(), to_local(end, school.timezone).date()
    standing = _standing_rows(activity_type, planner_id)
    for other, s, e, _h, _y, _d, tz in standing:
        zone = tz or zone_of(school)
        begins = to_local(s, zone).date()
        if counted_text(other) == same and begins <= last and first <= to_local(e, zone).date():
            return {"title": msg("declared.again", title=other, day=begins.isoformat())}
    overlapping = [(other, s, e, h) for other, s, e, h, _y, _d, _tz in standing if s < end and start < e]
    if overlapping:
        since, until = min(start, *(s for _o, s, _e, _h in overlapping)), max(end, *(e for _o, _s, e, _h in overlapping))
        together = hours + sum((h for _o, _s, _e, h in overlapping), Decimal(0))
        if together > (most := most_hours_between(since, until)):
            return {"hours": msg("declared.overlap", title=overlapping[0][0], n=fmt(max(most - together + hours, Decimal(0))),
                                 most=fmt(most))}
    return {}


def _attending_then(planner_id: int, start: datetime, end: datetime, hours: Decimal) -> dict[str, Msg]:
    """A declaration's hours are its declarer's attendance: with what they are recorded attending
    at the same time anywhere (a school's lecture, another declaration) they fit the time
    covered together (:mod:`portal.services.overlaps`)."""
    others = overlaps.attended_elsewhere(db.session, [planner_id], start, end).get(planner_id, [])
    found = overlaps.clash(start, end, hours, others)
    if found is None:
        return {}
    return {"hours": msg("declared.overlap_attended", title=found.title, n=fmt(found.left), most=fmt(found.most))}


def clashes_told_to(who: policy.Actor, act: Activity) -> list[overlaps.Sharing] | None:
    """The school's other activities at the activity's time sharing people with it
    (:func:`overlaps.clashes_of`), told to ``who`` if they may organise it, while its phase takes
    attendance (editable) — the attendance that would refuse someone in both later; None, asking
    nothing, otherwise. A warning only: parallel sessions are allowed."""
    if not (schools.registry().phase(act.type_key, act.state).editable
            and policy.may_organise(who, act, declared=is_declaration(act))):
        return None
    return overlaps.clashes_of(db.session, act)


def require_shared(act: Activity) -> None:
    """Participants and attendance of a self-declared activity are fixed at its declaration."""
    reg = schools.registry().get(act.type_key)
    if reg is not None and reg.decl.self_declared:
        raise Conflict(msg("declared.fixed"))


def state_text(act: Activity) -> Text:
    """The activity's state label in both languages (a message parameter)."""
    types = schools.registry()
    return Text(types.state_name(act.type_key, act.state, "zh"), types.state_name(act.type_key, act.state, "en"))


def _require_open(act: Activity, what: str) -> None:
    """Attendance, participants and evidence change only while the state's phase is editable,
    and its year is open (:func:`year_over_refusal`)."""
    if not schools.registry().phase(act.type_key, act.state).editable:
        raise Conflict(msg("activity.frozen", state=state_text(act)), state=act.state)
    if (over := year_over_refusal(act)) is not None:
        raise Conflict(over, state=act.state)


def has_started(act: Activity) -> bool:
    """Whether the activity's start has passed (attendance and ``hold`` wait for it)."""
    return utcnow() >= act.starts_at


def evidence_kinds_now(decl: Any, act: Activity) -> dict[str, EvidenceKind]:
    """The evidence kinds of the type (its declarations ``decl``) the activity takes now: not one
    on what took place (``EvidenceKind.after_start``) before it has begun."""
    started = has_started(act)
    return {key: kind for key, kind in decl.evidence_kinds.items() if started or not kind.after_start}


def has_ended(act: Activity) -> bool:
    """Whether the activity's end has passed (``credit`` waits for it)."""
    return utcnow() >= act.ends_at


def _require_started(act: Activity, what: str) -> None:
    """Nobody attended what has not begun: refused before the start, named in the school's time."""
    if not has_started(act):
        school = db.session.get(School, act.school_id)
        start = local_text(act.starts_at, zone_of(school))
        raise Conflict(
            msg("attendance.not_started", start=start),
            state=act.state,
            starts_at=start,
        )


def year_over_refusal(act: Activity) -> Msg | None:
    """Why the activity's attendance, participants and evidence are no longer entered, or None:
    its year is over (:func:`policy.may_date_in_year`: they are entered in this school year and
    the last one, as activities are dated; a year before the last was the record of its time).
    An organiser rewrote a row of a talk held two years before into absence without leave, and
    its approval (which posts no hours there) put that absence on the year's record; a teacher
    handed in a reflection on it and raised that year's count of reflections."""
    this_year = school_year_now(db.session.get_one(School, act.school_id))
    if policy.may_date_in_year(act.school_year, this_year):
        return None
    return msg("activity.year_over", year=SchoolYear.said(act.school_year),
               first=SchoolYear.said(policy.first_year_to_date(this_year)))


def _require_organizer(act: Activity, user_id: int) -> policy.Actor:
    """The actor, who may organise the activity (asked again in the write: :func:`_still_organizer`)."""
    by = access.actor(user_id, act.school_id)
    policy.require(policy.may_organise(by, act, declared=is_declaration(act)), policy.organise_refusal(by, act))
    return by


def _still_organizer(s: Session, act: Activity, by: policy.Actor) -> None:
    """Inside the write: ``by`` may still organise the activity (an admin's role, an organiser's,
    or their place at the school, taken at the same moment: :func:`access.require_still`)."""
    declared = is_declaration(act)
    access.require_still(s, by, lambda now: policy.may_organise(now, act, declared=declared),
                         policy.organise_refusal(by, act), school_id=act.school_id)


def is_declaration(act: Activity) -> bool:
    """Whether the activity is a teacher's own declaration (a self-declared type): its declarer
    runs it whatever roles they hold (:func:`portal.policy.may_run_as_organiser`)."""
    return schools.registry().self_declared(act.type_key)


def details_told_to(actor: policy.Actor, act: Activity) -> dict[str, Any]:
    """The activity's details as ``actor`` reads them: without the fields its type declares
    private (``private_details``) unless they may read them (:func:`policy.may_read_private`)."""
    details = dict(act.details or {})
    personal = is_declaration(act)
    if policy.may_read_private(actor, act, personal=personal):
        return details
    private = schools.registry().types[act.type_key].decl.private_details
    return {key: value for key, value in details.items() if key not in private}


def set_participants(act: Activity, actor: User, participants: Any) -> list[int]:
    """Add participants or change their role (existing attendance is kept); returns the ids of
    those added. Someone added who is off the school's teaching staff when the activity is held
    (:func:`stints.away_at`) is refused: it is not theirs, as attendance and evidence say. Those
    added are told as those planned in are (the "tomorrow" reminder reads the list as it is then).
    Who was added and whose role changed are one entry of the activity's history, written with
    them (:func:`note_list_change`; none when nothing changed)."""
    by = _require_organizer(act, actor.id)
    require_shared(act)
    _require_open(act, "participants")
    locks.require_unlocked(act.school_id, act.school_year, act.semester)  # the roster of an accepted year
    reg = schools.require_type(act.type_key)
    people, perrs = _parse_participants(act.school_id, participants, dict(reg.decl.roles), reg.decl.default_role)
    if not perrs and not people:
        perrs = [msg("participants.none")]
    if perrs:
        raise Invalid(msg("participants.invalid"), {"participants": perrs})
    members = _members(act.school_id, [p.user_id for p in people])
    strangers = [p.user_id for p in people if p.user_id not in members]
    if strangers:
        raise Invalid(msg("participants.invalid"),
                      {"participants": access.not_members(act.school_id, strangers, _places(people))})
    on_list = set(db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars())
    if away := away_refusals(act.school_id, [p.user_id for p in people if p.user_id not in on_list], act.starts_at):
        raise Invalid(msg("participants.invalid"), {"participants": away})
    added: list[int] = []
    with write_transaction() as s:
        _still_organizer(s, act, by)
        locks.require_unlocked(act.school_id, act.school_year, act.semester)  # again in the write (SQLite)
        still_open(s, act, "participants")
        existing = {
            p.user_id: p
            for p in s.execute(select(Participation).where(Participation.activity_id == act.id)).scalars()
        }
        # the role is part of what was recorded (a type's credit rule reads it): once someone's
        # attendance is recorded, their role stays as it was recorded with
        fixed = [p.user_id for p in people
                 if (row := existing.get(p.user_id)) is not None and row.role != p.role and has_record(row)]
        if fixed:
            names = by_pinyin(s.execute(select(User.display_name).where(User.id.in_(fixed))).scalars(), str)
            raise Invalid(msg("participants.invalid"),
                          {"participants": [msg("participants.role_recorded", name=n) for n in names]})
        # one's own place and role are another's to give (the organiser's own excepted)
        if any(p.user_id == by.user_id and (p.user_id not in existing or existing[p.user_id].role != p.role)
               for p in people) and not policy.may_place_oneself(by, act):
            raise Invalid(msg("participants.invalid"), {"participants": [msg("participants.own_place")]})
        new_roles: dict[int, str] = {}
        roles: dict[int, tuple[str, str]] = {}
        for p in people:
            row = existing.get(p.user_id)
            if row is None:
                s.add(Participation(activity_id=act.id, user_id=p.user_id, role=p.role))
                added.append(p.user_id)
                new_roles[p.user_id] = p.role
            elif row.role != p.role:
                roles[p.user_id] = (row.role, p.role)
                row.role = p.role
        note_list_change(s, act, actor.id, added=new_roles, roles=roles)
    return added


def change_role(act: Activity, actor: User, user_id: int, role: Any) -> None:
    """Give someone on the list another role (:func:`set_participants` for one person): a role the
    type has not is refused in a sentence of its own, not at a place in a list none was sent."""
    _require_organizer(act, actor.id)
    roles = dict(schools.require_type(act.type_key).decl.roles)
    if not isinstance(role, str) or role not in roles:
        raise Invalid(msg("participants.role_refused"), {"role": msg("participants.role_one", roles=_role_words(roles))})
    set_participants(act, actor, [{"user_id": user_id, "role": role}])


def remove_participant(act: Activity, actor: User, user_id: int) -> None:
    """Take someone off the list (refused once they handed in evidence, checked in or their attendance is
    recorded: their absence is recorded instead, and the hours recorded stay with the history
    that wrote them). They are told, unless they took themselves off (``notifications.removed``,
    queued with the change); a reminder written before and held by the quiet hours is not sent them.
    The removal is an entry of the activity's history, written with it (:func:`note_list_change`)."""
    by = _require_organizer(act, actor.id)
    require_shared(act)
    _require_open(act, "participants")
    with write_transaction() as s:
        _still_organizer(s, act, by)
        locks.require_unlocked(act.school_id, act.school_year, act.semester)  # the roster of an accepted year
        still_open(s, act, "participants")
        # their row locked (PostgreSQL) before the check-ins are read: a check-in writing now
        # (``checkin.check_in`` locks the row too) is either seen here or finds them gone
        row = s.execute(
            select(Participation).where(Participation.activity_id == act.id, Participation.user_id == user_id)
            .with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(msg("participant.not_found"))
        if s.execute(select(Evidence.id).where(Evidence.activity_id == act.id, Evidence.user_id == user_id)).first():
            raise Conflict(msg("participants.has_evidence"))
        # a check-in says they were there (as attendance does); taken off, it stayed behind,
        # counted on the check-in screen, and came back with them when they were put back
        if s.execute(select(CheckIn.id).where(CheckIn.activity_id == act.id, CheckIn.user_id == user_id)).first():
            raise Conflict(msg("participants.checked_in"))
        if has_record(row):  # their hours would go with the row, and no history would say so
            raise Conflict(msg("participants.has_record"))
        place, role = row.id, row.role  # their place on the list, which a removal ends: the notice's key
        s.delete(row)
        note_list_change(s, act, actor.id, removed={user_id: role})
        if user_id != actor.id:
            outbox.enqueue_on_commit("notifications.removed", act.id, user_id, place)


def record_attendance(act: Activity, actor: User, rows: Any) -> list[Participation]:
    """Set attended / unexcused absent / excused hours for participants, all or nothing.

    Each row: ``{"user_id", "attended_hours", "absent_hours", "excused_hours"}`` (absent and
    excused default to 0). The three together are at most the activity's hours.

    A save that changes someone's hours writes one entry of the activity's history in the same
    transaction (:data:`~workflows.definition.ATTENDANCE_RECORDED`: who saved, the changed rows
    old and new, :func:`attendance_changes`); whoever wrote it is involved in the activity from
    then on (:func:`access.involved_before`: four eyes). A save that changes nothing writes none.
    """
    by = _require_organizer(act, actor.id)
    require_shared(act)
    _require_open(act, "attendance")
    _require_started(act, "attendance")
    locks.require_unlocked(act.school_id, act.school_year, act.semester)
    if not isinstance(rows, list) or not rows:
        raise Invalid(msg("attendance.not_list"), {"attendance": msg("attendance.not_list")})
    parts = {
        p.user_id: p
        for p in db.session.execute(select(Participation).where(Participation.activity_id == act.id)).scalars()
    }
    errors: dict[str, Any] = {}
    parsed: list[tuple[Participation, Decimal, Decimal, Decimal]] = []
    parsed_ids: list[int] = []  # whose row each is (the rows are read again in the write)
    seen: set[int] = set()
    away = stints.away_at(act.school_id, list(parts), act.starts_at)  # held while off the staff: not theirs
    for i, row in enumerate(rows):
        key = f"{i}"
        if not isinstance(row, dict):
            errors[key] = msg("attendance.object")
            continue
        uid = row.get("user_id")
        if isinstance(uid, bool) or not isinstance(uid, int) or uid not in parts:
            errors[key] = {"user_id": msg("attendance.not_participant")}
            continue
        if uid in seen:
            errors[key] = {"user_id": msg("attendance.twice")}
            continue
        seen.add(uid)
        rerr: dict[str, Msg] = {}
        vals: dict[str, Decimal] = {}
        for name, default in (("attended_hours", None), ("absent_hours", 0), ("excused_hours", 0)):
            value = row.get(name, default)
            try:
                vals[name] = parse_hours(value, field=name, maximum=act.hours)
            except BadHours as exc:
                rerr[name] = exc.msg
        if not rerr and sum(vals.values()) > act.hours:
            rerr["attended_hours"] = msg("attendance.exceeds", n=fmt(act.hours))
        if not rerr and vals["attended_hours"] > 0 and uid in away:
            rerr["attended_hours"] = msg("attendance.away")
        if not rerr and _own_row_refused(by, act, parts[uid], vals):
            rerr["attended_hours"] = msg(policy.own_attendance_refusal(by, act))
        if rerr:
            errors[key] = rerr
            continue
        parsed.append((parts[uid], vals["attended_hours"], vals["absent_hours"], vals["excused_hours"]))
        parsed_ids.append(uid)
    if errors:
        raise Invalid(msg("attendance.refused"), {"attendance": errors})
    with write_transaction() as s:
        _still_organizer(s, act, by)
        still_open(s, act, "attendance")
        # again under the lock (asked above for a quick answer): on SQLite the read before the
        # write ends first, and an acceptance committed between them is seen only here
        locks.require_unlocked(act.school_id, act.school_year, act.semester)
        # the rows as they are now, after the activity's lock (one statement): the history says
        # what they were before this save, not before one committed since they were read
        now = {p.user_id: p for p in s.execute(select(Participation).where(Participation.activity_id == act.id)
                                               .execution_options(populate_existing=True)).scalars()}
        # someone taken off the list since it was read (a removal committed meanwhile) is not
        # written to: refused as a row naming someone not taking part, nothing written
        if gone := {str(i): {"user_id": msg("attendance.not_participant")}
                    for i, uid in enumerate(parsed_ids) if uid not in now}:
            raise Invalid(msg("attendance.refused"), {"attendance": gone})
        parsed = [(now[uid], a, b, c) for uid, (_p, a, b, c) in zip(parsed_ids, parsed, strict=True)]
        # one's own row as it is now (recorded meanwhile by another: no longer the organiser's first entry)
        if own := {str(i): {"attended_hours": msg(policy.own_attendance_refusal(by, act))}
                   for i, (p, a, b, c) in enumerate(parsed)
                   if _own_row_refused(by, act, p, {"attended_hours": a, "absent_hours": b, "excused_hours": c})}:
            raise Invalid(msg("attendance.refused"), {"attendance": own})
        _fits_elsewhere(s, act, [(i, p.user_id, attended) for i, (p, attended, *_rest) in enumerate(parsed)])
        changes: dict[str, dict[str, list[str | None]]] = {}
        for p, attended, absent, excused in parsed:
            before = (p.attended_hours, p.absent_hours, p.excused_hours)
            p.attended_hours, p.absent_hours, p.excused_hours = attended, absent, excused
            if before != (attended, absent, excused):
                changes[str(p.user_id)] = {name: [_hours_text(old), _hours_text(new)] for name, old, new in
                                           zip(_ATTENDANCE_FIELDS, before, (attended, absent, excused), strict=True)}
        if changes:
            s.add(TransitionLog(activity_id=act.id, school_id=act.school_id, trigger=ATTENDANCE_RECORDED,
                                from_state=act.state, to_state=act.state, actor_id=actor.id, comment="",
                                payload={ATTENDANCE_CHANGES: changes}, created_at=utcnow()))
    return [p for p, *_ in parsed]


def _own_row_refused(by: policy.Actor, act: Activity, p: Participation, vals: dict[str, Decimal]) -> bool:
    """Whether a save would change the actor's own row where the policy leaves it to another
    (:func:`policy.may_record_own_attendance`): a row of theirs sent as it stands changes nothing
    (the attendance page sends every row)."""
    if p.user_id != by.user_id or (p.attended_hours, p.absent_hours, p.excused_hours) == (
            vals["attended_hours"], vals["absent_hours"], vals["excused_hours"]):
        return False
    return not policy.may_record_own_attendance(by, act, recorded=has_record(p))


#: The hours an attendance entry of the history gives, old and new, for each person changed
_ATTENDANCE_FIELDS = ("attended", "absent", "excused")
#: The key of an attendance entry's payload: user id → each of :data:`_ATTENDANCE_FIELDS` → [old, new]
#: hours as text (old attended null: not recorded yet)
ATTENDANCE_CHANGES = "changes"


def _hours_text(value: Decimal | None) -> str | None:
    return None if value is None else fmt(value)


class HoursChange(NamedTuple):
    """One person's hours in a history entry of recorded attendance: each of ``attended``,
    ``absent`` and ``excused`` as (old, new) text of hours (old attended None: not recorded yet)."""

    user_id: int
    attended: tuple[str | None, str | None]
    absent: tuple[str | None, str | None]
    excused: tuple[str | None, str | None]

    def changed(self) -> list[tuple[str, str | None, str | None]]:
        """The figures that changed: (``attended``/``absent``/``excused``, old, new)."""
        return [(name, *pair) for name, pair in zip(_ATTENDANCE_FIELDS, self[1:], strict=True) if pair[0] != pair[1]]


def attendance_changes(log: Any) -> list[HoursChange] | None:
    """The hours a history entry of recorded attendance changed, by user id (None: another
    entry; a malformed row is skipped)."""
    return hours_changes(log.trigger, log.payload)


def hours_changes(trigger: str, payload: Any) -> list[HoursChange] | None:
    """:func:`attendance_changes` of an entry read as its trigger and payload (the audit trail's row)."""
    found = payload.get("changes") if isinstance(payload, dict) else None
    if trigger != ATTENDANCE_RECORDED or not isinstance(found, dict):
        return None
    out: list[HoursChange] = []
    for key, row in found.items():
        if not (isinstance(key, str) and key.isdigit() and isinstance(row, dict)):
            continue
        pairs = [row.get(name) for name in _ATTENDANCE_FIELDS]
        if all(isinstance(p, list) and len(p) == 2 for p in pairs):
            out.append(HoursChange(int(key), *(tuple(p) for p in pairs)))  # type: ignore[arg-type]
    return sorted(out, key=lambda c: c.user_id)


def note_list_change(s: Session, act: Activity, actor_id: int, *, added: dict[int, str] | None = None,
                     roles: dict[int, tuple[str, str]] | None = None, removed: dict[int, str] | None = None) -> None:
    """Inside the write that changed the activity's list after planning: one entry of its history
    (:data:`~workflows.definition.PARTICIPANTS_CHANGED`, by ``actor_id``) naming who was added
    with their role, whose role changed (old, new) and who was taken off with the role they had,
    by user id (:func:`list_changes`). Nothing when nothing changed."""
    if not (added or roles or removed):
        return
    payload = {"added": {str(k): v for k, v in sorted((added or {}).items())},
               "roles": {str(k): list(v) for k, v in sorted((roles or {}).items())},
               "removed": {str(k): v for k, v in sorted((removed or {}).items())}}
    s.add(TransitionLog(activity_id=act.id, school_id=act.school_id, trigger=PARTICIPANTS_CHANGED,
                        from_state=act.state, to_state=act.state, actor_id=actor_id, comment="",
                        payload=payload, created_at=utcnow()))


class ListChange(NamedTuple):
    """What a history entry of a changed list of participants says, each by user id: who was
    added (with their role), whose role changed (old, new), who was taken off (with their role)."""

    added: list[tuple[int, str]]
    roles: list[tuple[int, str, str]]
    removed: list[tuple[int, str]]

    def user_ids(self) -> set[int]:
        return {uid for uid, _role in (*self.added, *self.removed)} | {uid for uid, _old, _new in self.roles}


def list_changes(trigger: str, payload: Any) -> ListChange | None:
    """The list change of a history entry read as its trigger and payload (None: another entry;
    a malformed part is skipped)."""
    if trigger != PARTICIPANTS_CHANGED or not isinstance(payload, dict):
        return None

    def part(name: str) -> list[tuple[int, Any]]:
        found = payload.get(name)
        if not isinstance(found, dict):
            return []
        return sorted((int(k), v) for k, v in found.items() if isinstance(k, str) and k.isdigit())

    return ListChange(
        [(uid, role) for uid, role in part("added") if isinstance(role, str)],
        [(uid, pair[0], pair[1]) for uid, pair in part("roles")
         if isinstance(pair, list) and len(pair) == 2 and all(isinstance(r, str) for r in pair)],
        [(uid, role) for uid, role in part("removed") if isinstance(role, str)],
    )


def names_by_id(ids: Iterable[int]) -> dict[int, str]:
    """People's names by user id, those no longer on any list too (a history entry names them):
    one statement, none when there are no ids."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {uid: name for uid, name in db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(wanted)))}


def _fits_elsewhere(s: Any, act: Activity, present: list[tuple[int, int, Decimal]]) -> None:
    """Inside the write: no one is recorded attending this activity and others at the same
    time for more hours than that time holds (:mod:`portal.services.overlaps`). Each person
    attending is locked first (:func:`access.lock_people`), so two organizers recording the
    same afternoon at once are asked one after the other."""
    attending = [(i, uid, hours) for i, uid, hours in present if hours > 0]
    if not attending:
        return
    access.lock_people([uid for _i, uid, _h in attending])
    elsewhere = overlaps.attended_elsewhere(s, [uid for _i, uid, _h in attending], act.starts_at, act.ends_at,
                                            besides=act.id)
    errors: dict[str, Any] = {}
    for i, uid, hours in attending:
        found = overlaps.clash(act.starts_at, act.ends_at, hours, elsewhere.get(uid, []))
        if found is not None:
            errors[f"{i}"] = {"attended_hours": msg("attendance.overlap", title=found.title, n=fmt(found.left),
                                                    most=fmt(found.most))}
    if errors:
        raise Invalid(msg("attendance.refused"), {"attendance": errors})


def still_open(s: Any, act: Activity, what: str) -> None:
    """Inside the write: the activity as it is now (locked on PostgreSQL) still editable — a
    trigger committed since the caller read it (an approval) is not written past — and its
    version moved, so that a trigger which read the figures before this write commits is
    refused as stale rather than confirming figures it did not see."""
    now = s.execute(
        select(Activity).where(Activity.id == act.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    _require_open(now, what)
    now.updated_at = utcnow()


# -- moving an activity to another time ------------------------------------------------------


def reschedule(act: Activity, actor: User, starts_at: Any, ends_at: Any) -> Activity:
    """Move an activity not yet held to another time, keeping its participants and history: the
    new times are checked as planning checks them (:func:`_times`, :func:`above_length`, the
    type's ``check_plan``, the annual plan's school year); nothing may have been recorded for the
    time it has (attendance, evidence, a check-in), and nobody taking part may be recorded
    attending something else that leaves no room for it at the new time (:mod:`overlaps`).

    A start in the past is allowed, as planning allows it (a lecture held a day early is put on
    the day it was held): moving gives the organizer no right they lack — an activity planned
    anew for that day could take its attendance at once just the same — and the rules of the
    new time (the district's locks, the overlaps, the type's) apply in full.

    Written whole or not at all: the times (and the school year and semester they fall in), an
    entry of the activity's history (:data:`~workflows.definition.RESCHEDULE`, the old and new
    times in its payload), the version a calendar feed reads as its SEQUENCE, and the notice to
    the people taking part (queued with the change, ``notifications.rescheduled``). Check-in
    windows and the "tomorrow" reminder follow from the start by themselves."""
    by = _require_organizer(act, actor.id)
    school = db.session.get(School, act.school_id)
    assert school is not None
    _require_movable(act)
    locks.require_unlocked(act.school_id, act.school_year, act.semester)  # the period it leaves
    _require_nothing_recorded(db.session, act, actor.id)
    start, end, fields = _times(school, starts_at, ends_at)
    if start and end and not fields:
        if start == act.starts_at and end == act.ends_at:
            fields["starts_at"] = msg("reschedule.same_time")
        elif (short := above_length(start, end, act.hours)) is not None:
            fields["ends_at"] = msg("reschedule.too_short", hours=fmt(act.hours), why=short)
    if start and end and not fields:
        reg = schools.require_type(act.type_key)
        fields.update(_type_plan_errors(reg.type, school, start, end, act.hours, act.details or {}, act.organizer_id))
        line = db.session.get(SchoolPlanLine, act.plan_line_id) if act.plan_line_id is not None else None
        if line is not None and (other_year := _line_year_error(line, start, school.timezone)) is not None:
            fields.setdefault("starts_at", other_year)
        if (closes := _signup_closes(act.id)) is not None and closes >= start:
            fields.setdefault("starts_at", msg("signup.closes_after_start", start=local_text(start, school.timezone)))
    if start and end and not fields and (away := _away_then(act, start)):
        fields["starts_at"] = away
    if start and end and not fields:
        fields.update(_no_room(db.session, act, start, end))
    if fields:
        raise Invalid(msg("reschedule.refused"), fields)
    assert start is not None and end is not None
    day = to_local(start, school.timezone).date()
    old_start, old_end = act.starts_at, act.ends_at
    try:
        with write_transaction() as s:
            _still_organizer(s, act, by)
            locks.require_unlocked(act.school_id, act.school_year, act.semester)  # again in the write (SQLite)
            locks.require_unlocked(act.school_id, school_year_of(day), semester_of(day))
            now = s.execute(select(Activity).where(Activity.id == act.id).with_for_update()
                            .execution_options(populate_existing=True)).scalar_one()
            _require_movable(now)
            _require_nothing_recorded(s, now, actor.id)
            old_start, old_end = now.starts_at, now.ends_at
            if away := _away_then(now, start):  # a move of someone's school committed since
                raise Invalid(msg("reschedule.refused"), {"starts_at": away})
            again = _no_room(s, now, start, end, lock=True)
            if again:
                raise Invalid(msg("reschedule.refused"), again)
            now.starts_at, now.ends_at = start, end
            now.school_year, now.semester = school_year_of(day), semester_of(day)
            now.updated_at = utcnow()
            s.flush()  # the version moves: a feed's SEQUENCE, a trigger that read the old times is stale
            log = TransitionLog(
                activity_id=now.id, school_id=now.school_id, trigger=RESCHEDULE, from_state=now.state,
                to_state=now.state, actor_id=actor.id, comment="",
                payload={"starts_at": [old_start.isoformat(), start.isoformat()],
                         "ends_at": [old_end.isoformat(), end.isoformat()]},
                created_at=now.updated_at,
            )
            s.add(log)
            s.flush()
            outbox.enqueue_on_commit("notifications.rescheduled", log.id)
    except StaleDataError:
        raise Conflict(msg("trigger.stale")) from None
    return act


def _away_then(act: Activity, start: datetime) -> Msg | None:
    """Who on the activity's list would be off the school's teaching staff at the new ``start``
    (the rule of :func:`away_refusals`): moving it there is refused naming them, as planning them
    in is — the organiser takes them off the list first, or chooses another time."""
    listed = list(db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars())
    names = _away_names(act.school_id, listed, start)
    return msg("reschedule.away", names=Joined(names, ", ")) if names else None


class Moved(NamedTuple):
    """What a history entry of a move (:data:`~workflows.definition.RESCHEDULE`) says: the old and
    the new start and end (naive UTC)."""

    old_start: datetime
    old_end: datetime
    start: datetime
    end: datetime


def moved(log: TransitionLog) -> Moved | None:
    """The times of a history entry that moved the activity (None: another entry)."""
    payload = log.payload or {}
    starts, ends = payload.get("starts_at"), payload.get("ends_at")
    if log.trigger != RESCHEDULE or not isinstance(starts, list) or not isinstance(ends, list):
        return None
    old_start, start, old_end, end = (datetime.fromisoformat(str(x)) for x in (*starts, *ends))
    return Moved(old_start, old_end, start, end)


def _require_movable(act: Activity) -> None:
    """Only an activity whose phase is movable (not yet held) moves to another time."""
    if not schools.registry().phase(act.type_key, act.state).movable:
        raise Conflict(msg("reschedule.not_movable", state=state_text(act)), state=act.state)


def has_record(p: Any) -> bool:
    """Whether a participation (or a row of its columns) records attendance: hours attended,
    missed or adjusted. ``_RECORDED`` says the same in SQL."""
    return (p.attended_hours is not None or p.adjusted_hours is not None or bool(p.absent_hours)
            or bool(p.excused_hours))


class AttendanceTally(NamedTuple):
    """An activity's people counted by their attendance, each in one part (:func:`attendance_part`),
    so the parts add up to everyone: who attended and missed nothing, who attended part of it and
    missed the rest (without leave or on leave), who attended none of it (absent: some without
    leave, or none missed; on leave: all they missed on leave), and whose attendance is not recorded."""

    people: int
    present: int
    partly: int
    absent: int
    excused: int
    unrecorded: int


#: the parts of :class:`AttendanceTally` a person falls in (:func:`attendance_part`), in its order
ATTENDANCE_PARTS = AttendanceTally._fields[1:]


def attendance_part(p: Any) -> str:
    """The one part of :class:`AttendanceTally` a participation (or a row of its columns) counts
    in: a person partly present and partly on leave is partly present, not present and on leave."""
    if p.attended_hours:
        return "partly" if p.absent_hours or p.excused_hours else "present"
    if p.absent_hours:
        return "absent"
    if p.excused_hours:
        return "excused"
    return "unrecorded" if p.attended_hours is None else "absent"  # recorded as attending none


def attendance_tally(rows: Iterable[Any]) -> AttendanceTally:
    """Participations (or rows of their columns) counted by :func:`attendance_part`: the review
    queue's card and the activity's attendance count the same way."""
    counts = dict.fromkeys(ATTENDANCE_PARTS, 0)
    for p in rows:
        counts[attendance_part(p)] += 1
    return AttendanceTally(sum(counts.values()), **counts)


def records_absence(p: Any) -> bool:
    """Whether a participation (or a row of its columns) records hours absent without leave: what
    counts towards the limit that voids a year, and what nobody cancels away on their own row
    (:func:`policy.may_close_over_own_record`)."""
    return bool(p.absent_hours)


#: :func:`has_record` as a SQL condition on ``Participation``
_RECORDED = or_(Participation.attended_hours.is_not(None), Participation.adjusted_hours.is_not(None),
                Participation.absent_hours > 0, Participation.excused_hours > 0)


def _require_nothing_recorded(s: Any, act: Activity, actor_id: int) -> None:
    """Nothing is recorded for the time the activity has: no attendance (:func:`has_record`), no
    evidence, no check-in — each was for that time, and would stand for another. The refusal
    says to cancel it and plan it again; to one whose own absence is recorded on it, whom
    :func:`policy.may_close_over_own_record` leaves no cancel, that someone else who runs it cancels it."""
    recorded = s.execute(select(Participation.user_id, Participation.absent_hours).where(
        Participation.activity_id == act.id, _RECORDED)).all()
    if recorded:
        mine = next((r for r in recorded if r.user_id == actor_id), None)
        own = mine is not None and not schools.registry().self_declared(act.type_key)  # a declaration is withdrawn
        raise Conflict(msg("reschedule.attendance_recorded_own" if own and not policy.may_close_over_own_record(
            undoes_own_absence=records_absence(mine)) else "reschedule.attendance_recorded"))
    if s.execute(select(Evidence.id).where(Evidence.activity_id == act.id).limit(1)).first() is not None:
        raise Conflict(msg("reschedule.evidence_recorded"))
    if s.execute(select(CheckIn.id).where(CheckIn.activity_id == act.id).limit(1)).first() is not None:
        raise Conflict(msg("reschedule.checked_in"))


def _signup_closes(activity_id: int) -> datetime | None:
    """When the activity's sign-up closes, while its list is not confirmed (None: no such window)."""
    return db.session.execute(select(SignupWindow.closes_at).where(
        SignupWindow.activity_id == activity_id, SignupWindow.confirmed_at.is_(None))).scalar_one_or_none()


def _no_room(s: Any, act: Activity, start: datetime, end: datetime, *, lock: bool = False) -> dict[str, Msg]:
    """The people taking part who are recorded attending something else (:mod:`overlaps`) that
    leaves no room for the activity's hours from ``start`` to ``end``, named (by pinyin) on the
    start's field; ``lock``: inside the write, each person locked first, as recording attendance
    locks them (:func:`_fits_elsewhere`)."""
    ids = list(s.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars())
    if not ids:
        return {}
    if lock:
        access.lock_people(ids)
    elsewhere = overlaps.attended_elsewhere(s, ids, start, end, besides=act.id)
    clashes = {uid: found for uid in ids
               if (found := overlaps.clash(start, end, act.hours, elsewhere.get(uid, []))) is not None}
    if not clashes:
        return {}
    people = by_pinyin(s.execute(select(User.id, User.display_name).where(User.id.in_(list(clashes)))
                                 .order_by(User.id)).all(), lambda row: row[1])  # namesakes: the first by id
    return {"starts_at": msg("reschedule.overlap", names=Joined([name for _uid, name in people], ", "),
                             title=clashes[people[0][0]].title, hours=fmt(act.hours))}


# -- evidence ------------------------------------------------------------------------------

ALLOWED_UPLOADS: dict[str, tuple[tuple[bytes, ...], str]] = {
    # extension: (magic prefixes, content type)
    ".pdf": ((b"%PDF-",), "application/pdf"),
    ".png": ((b"\x89PNG\r\n\x1a\n",), "image/png"),
    ".jpg": ((b"\xff\xd8\xff",), "image/jpeg"),
    ".jpeg": ((b"\xff\xd8\xff",), "image/jpeg"),
    ".docx": ((b"PK\x03\x04",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ((b"PK\x03\x04",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pptx": ((b"PK\x03\x04",), "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ".doc": ((b"\xd0\xcf\x11\xe0",), "application/msword"),
    ".txt": ((), "text/plain; charset=utf-8"),
}
#: An iPhone's own photo format (and Android's, when set so): no browser shows it. A phone's
#: picker converts it to JPEG when the form names the kinds it takes (``EvidenceForm.file``);
#: a file chosen otherwise gets a refusal that says how to make it a JPEG.
PHONE_PHOTOS = frozenset({".heic", ".heif"})
TEXT_MAX = 100_000


def upload_folder() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")
    path = Path(folder)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)  # evidence: the portal's user only
    return path


FILENAME_MAX = 255  # Evidence.filename is String(255)


def _check_file_name(filename: str) -> None:
    """A file name the portal keeps and shows: ≤ 255 characters, no control characters
    (C0/C1, bidirectional controls) and no unpaired surrogates."""
    if len(filename) > FILENAME_MAX:
        raise Invalid(msg("file.name_too_long"), {"file": msg("file.name_too_long_field", n=FILENAME_MAX)})
    if has_controls(filename):
        raise Invalid(msg("file.name_not_allowed"), {"file": msg("file.name_controls")})


def _check_file(filename: str, data: bytes) -> tuple[str, str]:
    _check_file_name(filename or "")
    ext = os.path.splitext(filename or "")[1].lower()
    if ext in PHONE_PHOTOS:  # say what to do with it, not only what is allowed
        raise Invalid(msg("file.type"), {"file": msg("file.heic")})
    if ext not in ALLOWED_UPLOADS:
        raise Invalid(msg("file.type"), {"file": msg("file.types", types=", ".join(sorted(ALLOWED_UPLOADS)))})
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    if len(data) > limit:
        raise Invalid(msg("file.too_large"), {"file": msg("file.at_most_mb", n=limit // (1024 * 1024))})
    if not data:
        raise Invalid(msg("file.empty"), {"file": msg("file.empty_field")})
    magics, ctype = ALLOWED_UPLOADS[ext]
    if magics and not any(data.startswith(m) for m in magics):
        raise Invalid(msg("file.mismatch"), {"file": msg("file.not_real", ext=ext)})
    if ext == file_text.TXT:
        try:
            file_text.decode_text(data)
        except file_text.Unreadable:
            raise Invalid(msg("file.not_utf8"), {"file": msg("file.not_utf8_field")}) from None
        if b"\x00" in data:  # UTF-8 can hold NUL, text cannot: a binary file renamed .txt
            raise Invalid(msg("file.mismatch"), {"file": msg("file.not_real", ext=ext)})
    return ext, ctype


def add_evidence(
    act: Activity,
    actor: User,
    user_id: int | None,
    kind: str,
    title: str = "",
    text: str | None = None,
    filename: str | None = None,
    data: bytes | None = None,
) -> Evidence:
    """Attach a written piece or a file to a participant (or, for the organizer, the activity).

    A participant adds their own; the organizer or a school admin may add for anyone.
    """
    reg = schools.require_type(act.type_key)
    _require_open(act, "evidence")
    # what the district accepted (evidence, and the writing quotas it counts) stays as accepted
    locks.require_unlocked(act.school_id, act.school_year, act.semester)
    uid = actor.id if user_id is None else user_id
    fields: dict[str, Msg] = {}
    if isinstance(uid, bool) or not isinstance(uid, int):
        raise Invalid(msg("staff.user_id"), {"user_id": msg("must_be_integer")})
    by = access.actor(actor.id, act.school_id)
    participant_ids = set(
        db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars()
    )
    declared, takes_part = reg.decl.self_declared, actor.id in participant_ids

    def may_add(who: policy.Actor) -> bool:
        return policy.may_add_evidence(who, act, uid, declared=declared, takes_part=takes_part)

    refusal = policy.evidence_refusal(by, act, uid)
    policy.require(may_add(by), refusal)
    if uid not in participant_ids and uid != act.organizer_id:
        raise Invalid(msg("evidence.not_participant"), {"user_id": msg("attendance.not_participant")})
    if uid != act.organizer_id and stints.away_at(act.school_id, [uid], act.starts_at):  # not theirs
        raise Invalid(msg("evidence.refused"), {"user_id": msg("evidence.away")})
    kinds = reg.decl.evidence_kinds
    if kind not in kinds:
        fields["kind"] = msg("evidence.kinds", kinds=Text("、".join(k.label_zh for k in kinds.values()),
                                                          ", ".join(k.label_en for k in kinds.values())))
    elif kind not in evidence_kinds_now(reg.decl, act):  # a reflection on what has not happened
        start = local_text(act.starts_at, zone_of(db.session.get(School, act.school_id)))
        fields["kind"] = msg("evidence.before_start", kind=Text(kinds[kind].label_zh, kinds[kind].label_en),
                             start=start)
    if not isinstance(title, str) or len(title) > 200:
        fields["title"] = msg("at_most_chars", n=200)
    has_text = isinstance(text, str) and text.strip() != ""
    if text is not None and not isinstance(text, str):
        fields["text"] = msg("evidence.must_be_text")
    if not has_text and data is None:
        fields["text"] = msg("evidence.text_or_file")
    elif data is None and kind in kinds and file_required(reg.decl, kind):
        fields["file"] = msg("evidence.file_required")
    if has_text and len(text or "") > TEXT_MAX:
        fields["text"] = msg("at_most_chars", n=TEXT_MAX)
    elif has_text and kind in WRITTEN_KINDS and not chinese_count(text):  # a reflection counts as a piece
        fields["text"] = msg("writing.no_characters")
    if fields:
        raise Invalid(msg("evidence.refused"), fields)
    stored = ctype = likeness = None
    size = 0
    if data is not None:
        ext, ctype = _check_file(filename or "", data)
        data = upload_meta.without_metadata(ext, data)  # kept, compared and counted as others will see it
        if ext == file_text.TXT:  # kept as UTF-8 (what it is served as), whichever of the two it came in
            data = file_text.decode_text(data).encode("utf-8")
        if reg.decl.self_declared:  # a declaration's certificate: what it shows, read before the write
            likeness = same_certificate.likeness(data)
            _read_earlier_certificates(reg.type, uid)
        if kind in WRITTEN_KINDS and file_text.readable(filename):  # its words count, as typed text's
            try:
                if not chinese_count(file_text.words_of(filename, data)):
                    raise Invalid(msg("evidence.refused"), {"file": msg("writing.no_characters")})
            except file_text.Unreadable:
                raise Invalid(msg("evidence.refused"), {"file": msg("writing.file_unreadable")}) from None
        stored = uuid.uuid4().hex + ext
        size = len(data)
    # as Chinese readers count (portal.textcount): the typed text, else a .txt or .docx file's
    # words — the same file counts as much here as handed in as the teacher's own writing
    char_count = quotas.piece_count(text if has_text else None, filename, data)
    path = upload_folder() / stored if stored else None
    if path is not None and data is not None:  # a file came
        with os.fdopen(  # a new file (generated name), readable by the portal only: 0600
            os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb"
        ) as fh:
            fh.write(data)
    try:
        with write_transaction() as s:
            access.require_still(s, by, may_add, refusal, school_id=act.school_id)
            locks.require_unlocked(act.school_id, act.school_year, act.semester)  # again in the write (SQLite)
            still_open(s, act, "evidence")
            if reg.decl.self_declared and data is not None:  # one declaration of the teacher at a time
                access.one_at_a_time(uid)
                _require_file_not_declared(act, reg.type, uid, data, likeness or "")
            if kind in WRITTEN_KINDS:  # one piece of the teacher's writing at a time, typed or a file
                access.one_at_a_time(uid)
                quotas.require_new_piece(act.school_id, uid, act.school_year, "evidence.refused",
                                         text=text if has_text else None, filename=filename, data=data)
            else:  # the type's counts are of pieces: the same one twice is not two (a written kind's rule is wider)
                access.one_at_a_time(uid)
                _require_not_handed_in(s, act, uid, kind, kinds[kind], text if has_text else None, filename, data)
            ev = Evidence(
                activity_id=act.id,
                user_id=uid,
                kind=kind,
                title=(title or "").strip(),
                text=text if has_text else None,
                char_count=char_count,
                filename=os.path.basename(filename) if filename else None,
                stored_name=stored,
                content_type=ctype,
                size=size,
                likeness=likeness,
                uploaded_by=actor.id,
                uploaded_at=utcnow(),
            )
            s.add(ev)
            if kind in WRITTEN_KINDS:  # the writing quotas may decide the year: its stored row follows
                from portal.services import teacher_years  # teacher_years → credits → … → activities

                s.flush()
                school = s.get(School, act.school_id)
                assert school is not None
                teacher_years.refresh(school, act.school_year, [uid])
    except BaseException:
        if path is not None and path.exists():
            path.unlink()
        raise
    return ev


def _require_not_handed_in(s: Session, act: Activity, user_id: int, kind: str, label: EvidenceKind,
                           text: str | None, filename: str | None, data: bytes | None) -> None:
    """Refuse a piece the person has handed in at the activity already as ``kind`` (the same
    words that count, or the same file: :func:`quotas.same_piece`), whoever uploads it: a type's
    guards count pieces — 师徒结对's two articles a term, a meeting log a week — and one article
    handed in twice read "文章 2/2". A kind ``of_the_activity`` (a meeting log: one record of a
    meeting, whoever hands it in) is refused when anyone at the activity handed the piece in: one
    log handed in by the mentee, the mentor and the organiser counted three meetings. Asked inside
    the write, the person's pieces one at a time."""
    mine = () if label.of_the_activity else (Evidence.user_id == user_id,)
    rows = s.execute(select(Evidence.title, Evidence.text, Evidence.stored_name, Evidence.size).where(
        Evidence.activity_id == act.id, *mine, Evidence.kind == kind).order_by(Evidence.id))
    found = quotas.same_piece(rows, text=text, filename=filename, data=data)
    if found is not None:
        field, title = found
        raise Invalid(msg("evidence.refused"), {field: msg(
            "evidence.handed_in_again", kind=Text(label.label_zh, label.label_en), title=title)})


def _standing_certificates(activity_type: ActivityType, user_id: int) -> Select:
    """The files of the teacher's standing declarations of the type (any school, not cancelled
    or refused): (evidence id, stored name, declaration's title, size, likeness), oldest first."""
    key = schools.registry().key_of(activity_type)
    closed = schools.registry().definition(key).states_in(Phase.CLOSED)
    return (
        select(Evidence.id, Evidence.stored_name, Activity.title, Evidence.size, Evidence.likeness)
        .join(Activity, Activity.id == Evidence.activity_id)
        .where(
            Evidence.user_id == user_id,
            Evidence.stored_name.is_not(None),
            Activity.type_key == key,
            Activity.organizer_id == user_id,
            Activity.state.not_in(closed),
        )
        .order_by(Evidence.id)
    )


def _read_earlier_certificates(activity_type: ActivityType, user_id: int) -> None:
    """What the teacher's standing certificates uploaded before ``Evidence.likeness`` show (or
    read by an earlier rule: ``same_certificate.READ_AGAIN``), read once and stored (in a write
    of its own, before the upload's: a photo takes a quarter of a second), so every later upload
    compares what is stored."""
    stale = or_(Evidence.likeness.is_(None), Evidence.likeness.startswith(same_certificate.READ_AGAIN, autoescape=True))
    unread = db.session.execute(_standing_certificates(activity_type, user_id).where(stale)).all()
    found = {}
    for evidence_id, stored, _title, _size, _likeness in unread:
        data = stored_bytes(str(stored))  # a file gone from the folder shows nothing
        found[evidence_id] = same_certificate.likeness(data) if data is not None else ""
    if found:
        with write_transaction() as s:
            for evidence_id, likeness in found.items():
                s.execute(update(Evidence).where(Evidence.id == evidence_id, stale).values(likeness=likeness))


def _require_file_not_declared(act: Activity, activity_type: ActivityType, user_id: int, data: bytes,
                               likeness: str) -> None:
    """A file is the certificate of one of the teacher's standing declarations (any school,
    not cancelled or refused): uploaded to another, the same training would be credited twice.
    The same certificate is the same bytes, or in other bytes what shows the same (``likeness``:
    a PDF's words, a picture's pixels; printed again, metadata stripped:
    :mod:`portal.same_certificate`), compared as stored; only files of the same size are read.
    Another teacher's declaration may carry the same file (a district's list naming everyone
    who took part)."""
    alike = Evidence.size == len(data)
    if likeness:
        alike = or_(alike, Evidence.likeness == likeness)
    for _id, stored, title, size, theirs in db.session.execute(
        _standing_certificates(activity_type, user_id).where(Activity.id != act.id, alike)
    ):
        # a file gone from the folder is no certificate to compare
        if (likeness and theirs == likeness) or (size == len(data) and stored_bytes(str(stored)) == data):
            raise Invalid(msg("evidence.refused"), {"file": msg("declared.certificate_again", title=title)})


def _self_declared(type_key: str) -> bool:
    """Whether the installed type ``type_key`` declared itself self-declared (read at load)."""
    return schools.registry().self_declared(type_key)


def file_required(decl: TypeDeclarations, kind: str) -> bool:
    """Whether evidence of ``kind`` is taken only as a file: a kind the type marks as a file
    (``EvidenceKind(written=False)``: a declaration's certificate, an observation's handbook, an
    attachment), of any type. A typed line under such a kind would pass the guards that ask for
    it (the handbook due before the lessons) and stand in the record an auditor opens as the
    file it names."""
    found = decl.evidence_kinds.get(kind)
    return found is not None and not found.written


def evidence_path(ev: Evidence) -> Path | None:
    if not ev.stored_name:
        return None
    return upload_folder() / ev.stored_name


def stored_bytes(stored_name: str) -> bytes | None:
    """The bytes of a stored evidence file, or None when it is gone from the folder."""
    try:
        return (upload_folder() / stored_name).read_bytes()
    except OSError:
        return None


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def participants_with_users(activity_id: int) -> list[tuple[Participation, User]]:
    """Participants and their accounts, by pinyin of the name."""
    return _participants(select(Participation, User), activity_id)


def _participants(query: Any, activity_id: int) -> list[Any]:
    rows = db.session.execute(
        query.join(User, User.id == Participation.user_id)
        .where(Participation.activity_id == activity_id)
        .order_by(Participation.id)
    )
    return by_pinyin(((p, u) for p, u in rows), lambda row: row[1].display_name)


class ParticipantRow(NamedTuple):
    """What a page showing participants reads of a participation (its attribute names)."""

    id: int
    activity_id: int
    user_id: int
    role: str
    attended_hours: Decimal | None
    absent_hours: Decimal
    excused_hours: Decimal
    adjusted_hours: Decimal | None
    adjust_reason: str | None
    adjusted_by: int | None


class NameRow(NamedTuple):
    """What it reads of the participant's account."""

    id: int
    username: str
    display_name: str


def _as_driver_gives(column: Any) -> Any:
    """An hours column as the driver gives it (``types.driver_hours``): ``participant_pairs``
    makes it the Decimal ``HoursType`` makes, once per distinct value (sixty people have a
    handful of figures)."""
    return driver_hours(column).label(column.key)


_hours = hours_from_driver  # Decimal, or None where the column allows it


def _participants_where(where: Any) -> Select:
    """Participants (the columns of :class:`ParticipantRow`, then of :class:`NameRow`) of the
    activities ``where`` picks, in the order they were added."""
    return (
        select(
            Participation.id, Participation.activity_id, Participation.user_id, Participation.role,
            *(_as_driver_gives(c) for c in (Participation.attended_hours, Participation.absent_hours,
                                             Participation.excused_hours, Participation.adjusted_hours)),
            Participation.adjust_reason, Participation.adjusted_by,
            User.id, User.username, User.display_name,
        )
        .join(User, User.id == Participation.user_id)
        .where(where)
        .order_by(Participation.id)
    )


# Built once, not on every page: one activity's (bound ``activity_id``), several activities'
# (expanding ``ids``: the review queue's)
_PARTICIPANT_ROWS = keep_compiled(_participants_where(Participation.activity_id == bindparam("activity_id")))
PARTICIPANTS_OF = _participants_where(Participation.activity_id.in_(bindparam("ids", expanding=True)))


# The review queue's: the activities ``ids`` one participant a row (as PARTICIPANTS_OF, then
# ``n`` = 1), and the activities ``grouped`` only counted, for a section that shows totals: a row
# per distinct role and hours (``n`` people; no person: ``id``, ``user_id`` and the account NULL)
# and whether the viewer (bound ``viewer``) takes part in them: their row, with only ``activity_id``
# and ``user_id`` (``n`` = 0: what the buttons need, ``transitions.allowed_triggers``; reading
# everyone taking part, a hundred rows and more a page, was only for a stand-in's check, which
# ``access.activity_roles`` then asks the database)
_COUNTED = select(
    null(), Participation.activity_id, null(), Participation.role,
    *(_as_driver_gives(c) for c in (Participation.attended_hours, Participation.absent_hours,
                                     Participation.excused_hours, Participation.adjusted_hours)),
    null(), null(), null(), null(), null(), func.count(),
).where(Participation.activity_id.in_(bindparam("grouped", expanding=True))).group_by(
    Participation.activity_id, Participation.role, Participation.attended_hours, Participation.absent_hours,
    Participation.excused_hours, Participation.adjusted_hours,
)
_PEOPLE_OF_COUNTED = select(
    null(), Participation.activity_id, Participation.user_id, *(null() for _ in range(10)), literal_column("0"),
).where(Participation.activity_id.in_(bindparam("grouped", expanding=True)), Participation.user_id == bindparam("viewer"))
# Unordered: the reader puts the people in the order they were added (``id``) itself; sorting the
# whole union in the database cost a fifth of the statement
PARTICIPANTS_OR_COUNTS: CompoundSelect = union_all(
    PARTICIPANTS_OF.order_by(None).add_columns(literal_column("1")), _COUNTED, _PEOPLE_OF_COUNTED
)


def participant_groups(rows: Iterable[Any]) -> list[tuple[ParticipantRow, int]]:
    """The counted rows of PARTICIPANTS_OR_COUNTS: (a participant row without a person, how many
    people it stands for); hours as :func:`participant_pairs` makes them."""
    hours = once_each(_hours)
    return [
        (ParticipantRow._make((None, r[1], None, r[3], hours(r[4]), hours(r[5]), hours(r[6]), hours(r[7]), None, None)),
         int(r[13]))
        for r in rows
    ]


def participant_pairs(rows: Iterable[Any]) -> list[tuple[ParticipantRow, NameRow]]:
    """Result rows of those statements as (participation, account) pairs of plain tuples: a
    page reads their attributes several times each (the hours rule, the table), and a tuple's
    attribute costs a tenth of a result row's. Hours are made Decimals as the column type makes
    them, once per distinct value: the distinct values first (a loop without calls), then each
    row reads its four from a dict (looking them up through a remembered function cost four
    calls a row, sixty rows a page)."""
    rows = rows if isinstance(rows, list) else list(rows)
    hours: dict[Any, Any] = {}
    for r in rows:
        for raw in (r[4], r[5], r[6], r[7]):
            if raw not in hours:
                hours[raw] = _hours(raw)
    return [
        (ParticipantRow(r[0], r[1], r[2], r[3], hours[r[4]], hours[r[5]], hours[r[6]], hours[r[7]], r[8], r[9]),
         NameRow(r[10], r[11], r[12]))
        for r in rows
    ]


def participant_rows(activity_id: int) -> list[tuple[Any, Any]]:
    """Participants and their names as read-only rows (``(ParticipantRow, NameRow)``: the
    attributes of :func:`participants_with_users`' objects, but only id, username and display
    name of the account), by pinyin of the name: for pages that show them, without building
    ORM objects; through the session's connection (``read_rows``: its compiled form kept beside it)."""
    rows = read_rows(_PARTICIPANT_ROWS, {"activity_id": activity_id}).all()
    return by_pinyin(participant_pairs(rows), lambda row: row[1].display_name)


# An activity's evidence (bound ``activity_id``), oldest first: built once, not on every page
_EVIDENCE_OF = (
    select(Evidence).where(Evidence.activity_id == bindparam("activity_id")).order_by(Evidence.uploaded_at, Evidence.id)
)


@functools.cache
def _evidence_columns() -> Select:
    """:data:`_EVIDENCE_OF` as the columns ``database.as_loaded`` takes (built once)."""
    return keep_compiled(select(*loaded_columns(Evidence)).where(Evidence.activity_id == bindparam("activity_id")).order_by(
        Evidence.uploaded_at, Evidence.id
    ))


def evidence_of(activity_id: int) -> list[Evidence]:
    """The activity's evidence, oldest first: read as columns and made the session's objects
    (``database.as_loaded``: the activity page asks on every view, mostly of none, and the ORM's
    execution cost more than the statement); through the ORM when the session holds one already."""
    params = {"activity_id": activity_id}
    loaded = [as_loaded(Evidence, row) for row in read_rows(_evidence_columns(), params)]
    if None in loaded:
        return list(db.session.execute(_EVIDENCE_OF, params).scalars())
    return loaded  # type: ignore[return-value]  # no None: checked above
