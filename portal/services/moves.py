"""A teacher's move from one school of a district to another, from a day (the district admin's
decision, :func:`portal.policy.may_move_teacher`; the district page and ``flask user move``
both call :func:`move_teacher`).

The move ends every role the person holds at the school they leave at the first moment of the
day (in that school's calendar), as a school admin's "take off the staff" does, and gives them
the teacher role at the school they join from that moment (given back, dated from then, at a
school they taught at before). From then on the rules of stretches on a staff hold
(:mod:`portal.services.stints`): each school year is judged at its school — a year over before
the day stays the old school's, the year of the day and those after are the new school's from
the day on — and an activity of the old school held from the day on is no longer theirs (its
absence counts for nothing; hours already recorded of them there stand until the district's
repair, ``flask credits repair-away``). Each school's staff log has its line, dated the day.
The shared activities they organise at the old school, not yet credited or closed, stay there:
its school admins run them and hand each over (:mod:`portal.services.handover`); the check
lists them and names those admins, for the district admin to tell them.

Refused, nothing written: a person who teaches at no school of the district; the school they
teach at already; a school of another district; a day not later than their last joining or
leaving of a school (a move never rewrites an earlier one); a day more than
:data:`MOVE_AHEAD_DAYS` ahead; a day in or before a school year the district accepted at either
school (its figures would change under the lock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from portal import policy
from portal.database import write_transaction
from portal.errors import Invalid
from portal.extensions import db
from portal.messages import Msg, SchoolYear, msg
from portal.models import TEACHER, Activity, Membership, Participation, School, User, YearLock
from portal.security import is_digits
from portal.services import access, handover, locks, staff, staff_log, teacher_years, users
from portal.sorting import pinyin_key
from portal.timeutil import parse_day, parse_iso, school_year_of, to_local, utcnow

#: How far ahead a move may be dated: one decided for the start of next month is entered now.
MOVE_AHEAD_DAYS = 31


@dataclass(frozen=True)
class Move:
    """A move checked (:func:`check_move`) or made (:func:`move_teacher`)."""

    person: User
    leaves: School
    joins: School
    day: date  # the first day at ``joins``, in the calendar of ``leaves``
    at: datetime  # its first moment (naive UTC): the old roles end, the new one begins
    year: str  # the school year of ``day``: judged at ``joins`` from ``day`` on
    away: int  # activities of ``leaves`` from ``day`` on that list them: no longer theirs
    recorded: int  # of those, the ones with hours recorded of them (stand until the district's repair)
    organised: tuple[Activity, ...] = ()  # shared activities of ``leaves`` they organise, not yet credited or closed
    hands_over: tuple[str, ...] = ()  # who at ``leaves`` runs those and hands them over (its school admins)


def teachers_of(district_id: int) -> list[tuple[School, User]]:
    """Who may be moved: each teacher of the district's schools today with their school, by the
    pinyin of the school's name, then of theirs."""
    rows = db.session.execute(
        select(School, User).join(Membership, Membership.school_id == School.id).join(User, User.id == Membership.user_id)
        .where(School.district_id == district_id, Membership.role == TEACHER, Membership.active.is_(True))
    ).all()
    return sorted(((s, u) for s, u in rows), key=lambda r: (r[0].name_key, r[0].code, pinyin_key(r[1].display_name), r[1].id))


def _int(value: Any) -> int | None:
    """An id as a form or the command gives it, or None: one no column holds (above
    ``MAX_ID``) is simply not found, never sent to PostgreSQL ("integer out of range", a 500)."""
    if isinstance(value, str) and is_digits(value) and len(value) <= 12:
        value = int(value)
    return value if access.id_in_range(value) else None


def _teaching_at(person_id: int, district_id: int | None) -> list[School]:
    """The schools (of the district, or any) where the person holds the teacher role today."""
    q = select(School).join(Membership, Membership.school_id == School.id).where(
        Membership.user_id == person_id, Membership.role == TEACHER, Membership.active.is_(True))
    if district_id is not None:
        q = q.where(School.district_id == district_id)
    return list(db.session.execute(q.order_by(School.id)).scalars())


def _last_change(person_id: int) -> datetime | None:
    """When the person last joined or left a school's teaching staff (None: not known)."""
    since, until = db.session.execute(
        select(func.max(Membership.since), func.max(Membership.until))
        .where(Membership.user_id == person_id, Membership.role == TEACHER)
    ).one()
    known = [at for at in (since, until) if at is not None]
    return max(known) if known else None


def check_move(person_id: Any, school_id: Any, day: Any, *, by: policy.Actor, district_id: int | None,
               from_school_id: Any = None, now: datetime | None = None) -> Move:
    """What moving the person to the school from ``day`` (a date, or text as a form gives it)
    would do, or :class:`Invalid` naming each field refused (``teacher``, ``school``, ``day``).
    ``district_id``: the district admin's (None: the operator, any district). ``from_school_id``:
    the school they leave, needed only for one who teaches at two."""
    policy.require(policy.may_move_teacher(by), "policy.move_teacher")
    fields: dict[str, Msg] = {}
    pid, sid = _int(person_id), _int(school_id)
    person = db.session.get(User, pid) if pid is not None else None
    teaching = _teaching_at(person.id, district_id) if person is not None else []
    if from_school_id is not None:
        teaching = [s for s in teaching if s.id == _int(from_school_id)]
    leaves: School | None = None
    if person is None or not teaching:
        fields["teacher"] = msg("move.teacher")
    elif len(teaching) > 1:
        fields["teacher"] = msg("move.teacher_several", name=person.display_name)
    else:
        leaves = teaching[0]
        policy.require(policy.may_move_teacher_of(by, person.id), "policy.move_own")
    joins = db.session.get(School, sid) if sid is not None else None
    if joins is None or (district_id is not None and joins.district_id != district_id):
        fields["school"] = msg("move.school")
    elif leaves is not None and joins.district_id != leaves.district_id:
        fields["school"] = msg("move.other_district", school=joins.name)
    elif leaves is not None and person is not None and joins.id in {s.id for s in _teaching_at(person.id, None)}:
        fields["school"] = msg("move.same_school", name=person.display_name, school=joins.name)
    zone = leaves.timezone if leaves is not None else None
    the_day = day if isinstance(day, date) and not isinstance(day, datetime) else parse_day(day)
    at = None
    if the_day is None:
        fields["day"] = msg("move.day")
    elif zone is not None and person is not None:
        at = parse_iso(datetime.combine(the_day, datetime.min.time()), zone)
        today = to_local(now or utcnow(), zone).date()
        last = _last_change(person.id)
        if last is not None and the_day <= to_local(last, zone).date():
            fields["day"] = msg("move.day_before_last", day=to_local(last, zone).date().isoformat(),
                                name=person.display_name)
        elif the_day > today + timedelta(days=MOVE_AHEAD_DAYS):
            fields["day"] = msg("move.day_ahead", n=MOVE_AHEAD_DAYS,
                                day=(today + timedelta(days=MOVE_AHEAD_DAYS)).isoformat())
        elif joins is not None and "school" not in fields and leaves is not None:
            locked = db.session.execute(
                select(YearLock.school_id, YearLock.school_year)
                .where(YearLock.school_id.in_([leaves.id, joins.id]), YearLock.school_year >= school_year_of(the_day))
                .order_by(YearLock.school_year).limit(1)
            ).first()
            if locked is not None:
                name = leaves.name if locked.school_id == leaves.id else joins.name
                fields["day"] = msg("move.year_locked", school=name, year=SchoolYear.said(locked.school_year))
    if fields:
        raise Invalid(msg("move.refused"), fields)
    assert person is not None and leaves is not None and joins is not None and the_day is not None and at is not None
    theirs = (select(Participation.attended_hours, Participation.adjusted_hours)
              .join(Activity, Activity.id == Participation.activity_id)
              .where(Participation.user_id == person.id, Activity.school_id == leaves.id, Activity.starts_at >= at))
    away = db.session.execute(select(func.count()).select_from(theirs.subquery())).scalar_one()
    recorded = db.session.execute(select(func.count()).select_from(theirs.where(or_(
        Participation.attended_hours > 0, Participation.adjusted_hours > 0)).subquery())).scalar_one()
    organised = tuple(handover.organised_open(leaves.id, person.id))
    hands_over = tuple(handover.who_hands_over(leaves.id)) if organised else ()
    return Move(person, leaves, joins, the_day, at, school_year_of(the_day), away, recorded, organised, hands_over)


def move_teacher(person_id: Any, school_id: Any, day: Any, *, by: policy.Actor, district_id: int | None,
                 from_school_id: Any = None, now: datetime | None = None) -> Move:
    """Move the person (:func:`check_move`: the same refusals, asked again inside the write, with
    the district admin's right) and return what was done. One transaction: the old school's
    roles ended and the new school's teacher role given, both schools' staff log lines and
    stored years, or nothing.

    What the move reads is locked before it is asked again (on PostgreSQL; SQLite's write
    transactions run one at a time): the person's row (as :func:`access.one_at_a_time`), so a second
    move of them at the same moment waits for this one and then finds them at the school they
    joined (refused: not a teacher of the school it names, or a day not after this move); both
    schools' rows (:func:`locks.hold`), so the district's acceptance of a year cannot slip
    between the answer and the write."""
    first = check_move(person_id, school_id, day, by=by, district_id=district_id, from_school_id=from_school_id,
                       now=now)
    with write_transaction() as s:
        if district_id is not None:
            access.require_still(s, by, policy.may_move_teacher, "policy.move_teacher", district_id=district_id)
        # the person's row, as access.one_at_a_time locks it but FOR NO KEY UPDATE: a second move
        # waits, while a write that only refers to them (a staff log line, a token: FOR KEY SHARE)
        # does not — a school admin ending their roles at that moment queues on the memberships
        s.execute(select(User.id).where(User.id == first.person.id).with_for_update(key_share=True))
        held: set[int] = set()
        staffed: set[int] = set()
        while True:  # the schools the answer reads, held before it is asked (again if they changed)
            for school in sorted({first.leaves.id, first.joins.id} - held):
                locks.hold(school)
                held.add(school)
            if first.leaves.id not in staffed:
                # their memberships at the school they leave, locked as a school admin's change of
                # roles locks them: a deactivation at the same moment comes wholly before (then
                # they teach there no more: refused) or wholly after (it finds nothing to end)
                access.roles_now(s, first.person.id, first.leaves.id)
                staffed.add(first.leaves.id)
            move = check_move(person_id, school_id, day, by=by, district_id=district_id,
                              from_school_id=from_school_id, now=now)  # again, under the locks
            if {move.leaves.id, move.joins.id} <= held and move.leaves.id in staffed:
                break
            first = move
        person, leaves, joins = move.person, move.leaves, move.joins
        staff.end_roles(s, leaves.id, person.id, by=by, at=move.at)
        before = list(s.execute(select(Membership.role).where(
            Membership.school_id == joins.id, Membership.user_id == person.id, Membership.active.is_(True))).scalars())
        role = s.execute(select(Membership).where(
            Membership.school_id == joins.id, Membership.user_id == person.id, Membership.role == TEACHER)
        ).scalar_one_or_none()
        if role is None:
            s.add(Membership(user_id=person.id, school_id=joins.id, role=TEACHER, active=True, since=move.at))
        else:  # a school they taught at before: given back, dated from the move
            users.give_back(role, move.at)
        staff_log.record(s, joins.id, person.id, by, "roles", before, [*before, TEACHER], move.at)
        s.flush()
        teacher_years.refresh_people(joins.id, [person.id])
    return move
