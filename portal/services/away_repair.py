"""The district's repair of credits for activities held while the teacher was away
(``flask credits repair-away``).

Since :mod:`portal.services.stints`, a teacher away from a school's teaching staff when an
activity was held is credited nothing for it (``transitions._refuse_away``). Credits posted
before that rule stay in the append-only ledger; they are reversed here, never deleted nor
filtered out of the figures: one reversing entry each, written by :func:`ledger.reverse_entries`
as a ``revoke`` writes them, with the catalogue's reason (``hours.away_reversed``) in the
portal's language and the district staff member who ran it as its author (the school's audit
trail shows both), all in one transaction with the teacher-year rows they move
(:func:`teacher_years.refresh`, as a reversal by a transition moves them).

A credit in a period the district accepted is frozen (``services.locks``, and the database's
triggers): it is listed as locked and left as it is — the district reopens the period first,
then runs the repair again. Idempotent: a credit reversed has its reversing entry and is no
longer found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from portal import policy
from portal.database import write_transaction
from portal.errors import Forbidden
from portal.extensions import db
from portal.messages import msg
from portal.models import Activity, CreditEntry, School, User
from portal.services import locks, stints, teacher_years
from portal.services.ledger import reverse_entries, reversed_clause


@dataclass(frozen=True)
class AwayCredit:
    """A credit entry standing (not reversed) for an activity held while its teacher was away."""

    entry_id: int
    school_id: int
    school_code: str
    timezone: str
    user_id: int
    username: str
    display_name: str
    activity_id: int
    title: str
    school_year: str
    semester: int
    hours: Decimal
    held_at: datetime  # the activity's start (UTC): when it was held
    credited_at: datetime  # the entry's writing (UTC)
    locked: bool  # in a period the district accepted


@dataclass
class Repaired:
    reversed: list[AwayCredit] = field(default_factory=list)  # reversed (a dry run: would be)
    locked: list[AwayCredit] = field(default_factory=list)  # in a period the district accepted: left
    teachers: int = 0  # teacher-year rows built again (a dry run: 0)


def standing(school_ids: Collection[int] | None = None, year: str | None = None) -> list[AwayCredit]:
    """Every credit entry not reversed whose teacher was away from the school's teaching staff
    when its activity was held (:func:`stints.away_clause` at the activity's start, as the rule
    asks it), of ``school_ids`` (None: every school) and ``year`` (None: every year)."""
    q = (
        select(CreditEntry.id, CreditEntry.school_id, School.code, School.timezone, CreditEntry.user_id,
               User.username, User.display_name, CreditEntry.activity_id, Activity.title, CreditEntry.school_year,
               CreditEntry.semester, CreditEntry.hours, Activity.starts_at, CreditEntry.created_at,
               locks.locked_clause(CreditEntry.school_id, CreditEntry.school_year, CreditEntry.semester))
        .join(Activity, Activity.id == CreditEntry.activity_id)
        .join(School, School.id == CreditEntry.school_id)
        .join(User, User.id == CreditEntry.user_id)
        .where(CreditEntry.kind == "credit", ~reversed_clause(CreditEntry),
               stints.away_clause(CreditEntry.user_id, CreditEntry.school_id, Activity.starts_at))
        .order_by(School.code, CreditEntry.school_year, Activity.starts_at, CreditEntry.activity_id, User.username)
    )
    if school_ids is not None:
        q = q.where(CreditEntry.school_id.in_(list(school_ids)))
    if year is not None:
        q = q.where(CreditEntry.school_year == year)
    return [AwayCredit(entry_id=eid, school_id=sid, school_code=code, timezone=tz, user_id=uid, username=username,
                       display_name=name, activity_id=aid, title=title, school_year=school_year, semester=semester,
                       hours=hours, held_at=held_at, credited_at=credited_at, locked=bool(locked))
            for (eid, sid, code, tz, uid, username, name, aid, title, school_year, semester, hours, held_at,
                 credited_at, locked) in db.session.execute(q).all()]


def district_schools(district_id: int) -> list[int]:
    """The schools of the district (a district's staff repair their own)."""
    return list(db.session.execute(select(School.id).where(School.district_id == district_id)).scalars())


def repair(*, apply: bool, by: policy.Actor | None = None, school_ids: Collection[int] | None = None,
           year: str | None = None) -> Repaired:
    """What the repair reverses (``apply`` False: a dry run, nothing is written) or reversed, and
    what it leaves because the district accepted its period. Applying, ``by`` (district staff,
    none of the teachers whose credits it reverses: :func:`policy.may_repair_away_credits_of`)
    is the reversing entries' author; everything is written in one transaction, each school's
    lock held (:func:`locks.hold`) and the credits found again inside it."""
    if not apply:
        out = Repaired()
        for credit in standing(school_ids, year):
            (out.locked if credit.locked else out.reversed).append(credit)
        return out
    if by is None or by.system:
        raise ValueError("the reversing entries need their author")  # the caller's mistake, not the user's
    policy.require(policy.may_repair_away_credits(by), "policy.repair_credits")
    reason = msg("hours.away_reversed").render(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN"))
    with write_transaction() as s:
        for school_id in sorted({c.school_id for c in standing(school_ids, year)}):
            locks.hold(school_id)  # an acceptance meanwhile waits, or is seen below
        out = Repaired()
        for credit in standing(school_ids, year):
            (out.locked if credit.locked else out.reversed).append(credit)
        if not policy.may_repair_away_credits_of(by, (c.user_id for c in out.reversed)):
            name = s.get_one(User, by.user_id).display_name
            raise Forbidden(msg("policy.repair_own_credits", name=name))  # nothing written: the whole is refused
        ids = [c.entry_id for c in out.reversed]
        entries = list(s.execute(select(CreditEntry).where(CreditEntry.id.in_(ids)).order_by(CreditEntry.id))
                       .scalars()) if ids else []
        reverse_entries(s, entries, by.user_id, reason)
        s.flush()
        moved: dict[tuple[int, str], set[int]] = defaultdict(set)
        for c in out.reversed:
            moved[c.school_id, c.school_year].add(c.user_id)
        for (school_id, school_year), people in sorted(moved.items()):
            out.teachers += teacher_years.refresh(s.get_one(School, school_id), school_year, sorted(people))
    return out
