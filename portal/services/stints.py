"""A teacher's stretches on a school's staff, and the gaps between them.

The teacher role held today dates from ``Membership.since`` (when it was given, or given back
after a gap) to ``Membership.until`` (when it ended, if it has); each stretch before a gap is
an :class:`~portal.models.EarlierStint` (``users.give_back`` writes it). A teacher who left in
October and came back in March was away from November to February: an activity held then was
not theirs to attend, so its absence (with or without leave) counts for nothing
(``credits``: the year's absence, who belongs to a year, the record's list of absences), and
it is not theirs wherever a teacher reads of their activities (:func:`theirs`): the home
neither promises its hours nor asks evidence for it (``overview.participations``), their
calendar feed leaves it out (``calendar_feeds``), no notice nor reminder of it reaches them
(``reminders``), and their sign-ups do not list it (``signup.signups_of``).

Only a gap that follows a known leaving is "away": an activity before the first known date of
a role (a school that entered September's activities after giving its teachers their roles in
October) is theirs as before — unless they were then on another school's teaching staff and not
yet on this one's: a teacher who moved from another school in December was that school's in
October, and their new school credits them nothing for a day of October (nor counts their
absence), as a school never certifies a day of another's teacher.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from portal.database import constant
from portal.extensions import db
from portal.models import TEACHER, Activity, EarlierStint, Membership, Participation, User
from portal.timeutil import to_local


def away_clause(user_id: Any, school_id: Any, at: Any) -> ColumnElement[bool]:
    """SQL: whether the person was away from the school's teaching staff at ``at`` (columns or
    bound values): their teacher role there had been ended at or before ``at`` (a stretch
    before a gap ended, or the role ended and not given back), or not yet begun while they held
    another school's teacher role (moved here since), and no stretch of it held ``at``."""
    m, st, other = aliased(Membership), aliased(EarlierStint), aliased(Membership)
    left = or_(
        and_(m.active.is_(False), m.until.is_not(None), m.until <= at),
        select(st.id).where(st.membership_id == m.id, st.until <= at).correlate_except(st).exists(),
        and_(m.since.is_not(None), m.since > at, select(other.id).where(  # another school's teacher then
            other.user_id == m.user_id, other.school_id != m.school_id, other.role == constant(TEACHER),
            or_(other.since.is_(None), other.since <= at),
            or_(other.active.is_(True), other.until.is_(None), other.until > at),
        ).correlate_except(other).exists()),
    )
    held_now = and_(or_(m.since.is_(None), m.since <= at),
                    or_(m.active.is_(True), m.until.is_(None), m.until > at))
    held_before = select(st.id).where(
        st.membership_id == m.id, or_(st.since.is_(None), st.since <= at), st.until > at,
    ).correlate_except(st).exists()
    # correlated with the statement it is asked in (the activity, the participation) at any depth
    return select(m.id).where(
        m.user_id == user_id, m.school_id == school_id, m.role == constant(TEACHER), left, ~held_now, ~held_before,
    ).correlate_except(m).exists()


def theirs(part: Any = Participation, act: Any = Activity) -> ColumnElement[bool]:
    """SQL: whether the participation ``part`` (a row of it, or an alias) in the activity ``act``
    is its person's: they were not away from the staff when it was held (:func:`away_clause`
    at its start), or hours were recorded of them there (a credit written before the rule
    stands until the district's repair reverses it, ``away_repair``, and is shown as it counts)."""
    return or_(~away_clause(part.user_id, act.school_id, act.starts_at),
               part.attended_hours > 0, part.adjusted_hours > 0)


def away_at(school_id: int, user_ids: Collection[int], at: datetime) -> set[int]:
    """Who of ``user_ids`` was away from the school's teaching staff at ``at`` (:func:`away_clause`):
    an activity starting then is not theirs, so nobody records them attending it nor credits them for it."""
    if not user_ids:
        return set()
    return set(db.session.execute(
        select(User.id).where(User.id.in_(list(user_ids)), away_clause(User.id, school_id, at))
    ).scalars())


def periods_away(user_id: int, school_id: int) -> list[tuple[datetime, datetime]]:
    """When the person was away from the school's teaching staff and came back (left, back),
    oldest first: each stretch before a gap ended, and the next began. A role ended and not
    given back is no gap (the record marks them as having left)."""
    row = db.session.execute(select(Membership.id, Membership.since).where(
        Membership.user_id == user_id, Membership.school_id == school_id, Membership.role == TEACHER)).first()
    if row is None:
        return []
    stints = db.session.execute(select(EarlierStint.since, EarlierStint.until).where(
        EarlierStint.membership_id == row.id).order_by(EarlierStint.until)).all()
    starts = [since for since, _until in stints[1:]] + [row.since] if stints else []
    return [(until, start) for (_since, until), start in zip(stints, starts, strict=True)
            if start is not None and until < start]


#: a stretch on the staff as days of the school's calendar: (first day, day it ended), None
#: for not known (held from ever before) or not ended
Span = tuple[date | None, date | None]


def spans_on_staff(school_zones: Mapping[int, str], user_ids: Collection[int] | None = None,
                   ) -> dict[tuple[int, int], tuple[Span, ...]]:
    """Each teacher's stretches on the teaching staff of the schools (``school_zones``: each
    school's id and time zone), by (school id, user id), as days of the school's calendar: the
    stretches before a gap (:class:`EarlierStint`) and the role held since its return, ended if
    it was (``Membership.until`` of a role not active). The months a teacher was away or had
    left fall between them (``quotas.months_asked``). One query."""
    if not school_zones:
        return {}
    role = select(Membership.id, Membership.school_id, Membership.user_id, Membership.since,
                  Membership.until, Membership.active).where(
        Membership.school_id.in_(list(school_zones)), Membership.role == TEACHER)
    if user_ids is not None:
        role = role.where(Membership.user_id.in_(list(user_ids)))
    roles = role.subquery()
    earlier = select(roles.c.school_id, roles.c.user_id, EarlierStint.since, EarlierStint.until,
                     literal(False)).join(roles, roles.c.id == EarlierStint.membership_id)
    now = select(roles.c.school_id, roles.c.user_id, roles.c.since, roles.c.until, roles.c.active)
    out: dict[tuple[int, int], list[Span]] = defaultdict(list)

    def day(at: datetime | None, zone: str) -> date | None:
        return None if at is None else to_local(at, zone).date()

    for sid, uid, since, until, active in db.session.execute(union_all(earlier, now)):
        zone = school_zones[sid]
        out[(sid, uid)].append((day(since, zone), None if active or until is None else day(until, zone)))
    return {who: tuple(spans) for who, spans in out.items()}


def left_in_year(user_id: Any, school_id: Any, year_from: Any, year_to: Any) -> ColumnElement[bool]:
    """SQL: the teacher role of ``user_id`` at a school other than ``school_id`` that ended within
    the school year running from ``year_from`` to ``year_to`` (the instants it begins and the next
    begins, naive UTC) and was held in it: a school they left (moved from, or left before joining
    this one) this year. Its part of the year is judged there (:mod:`portal.services.moves`); the
    teacher reads its hours, as that school's, beside this school's (:func:`credits.earlier_schools`)."""
    return and_(Membership.user_id == user_id, Membership.school_id != school_id, Membership.role == constant(TEACHER),
                Membership.active.is_(False), Membership.until.is_not(None),
                Membership.until > year_from, Membership.until <= year_to,
                or_(Membership.since.is_(None), Membership.since < Membership.until))
