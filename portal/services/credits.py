"""Totals from the ledger and the yearly assessment; every figure is computed in SQL.

A teacher's hours for a school and year are ``SUM(credit_entry.hours)`` (reversals are
negative). Unexcused absence per semester comes from attendance of activities that a
reviewer has confirmed (states ``reviewed`` and ``credited``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from portal.assessment import Assessment, YearFacts
from portal.extensions import db
from portal.models import Activity, CreditEntry, Exemption, Membership, Participation, School, User
from portal.registry import registry

CONFIRMED_STATES = ("reviewed", "credited")
ZERO = Decimal("0")


def _dec(v) -> Decimal:
    return ZERO if v is None else Decimal(str(v)).quantize(Decimal("0.1"))


@dataclass
class TeacherYear:
    user: User
    facts: YearFacts
    assessment: Assessment


def assess(facts: YearFacts) -> Assessment:
    result = registry().hook.portal_assess_year(facts=facts)
    return result if isinstance(result, Assessment) else Assessment("short")


def _facts_for(
    school: School, year: str, users: list[User], by_type: dict, absences: dict, exemptions: dict
) -> list[TeacherYear]:
    required = _dec(school.rule("required_hours"))
    limit = _dec(school.rule("absence_limit_hours"))
    out = []
    for u in users:
        types = {k: _dec(v) for k, v in by_type.get(u.id, {}).items()}
        absent = {sem: _dec(a) for sem, (a, _e) in absences.get(u.id, {}).items()}
        excused = {sem: _dec(e) for sem, (_a, e) in absences.get(u.id, {}).items()}
        facts = YearFacts(
            user_id=u.id,
            school_year=year,
            required_hours=required,
            absence_limit_hours=limit,
            total_hours=sum(types.values(), ZERO),
            by_type=types,
            absent_hours=absent,
            excused_hours=excused,
            gender=u.gender,
            birth_date=u.birth_date,
            exemption_reason=exemptions.get(u.id),
        )
        out.append(TeacherYear(u, facts, assess(facts)))
    return out


def _by_type(school_id: int, year: str, user_ids: list[int] | None) -> dict[int, dict[str, Decimal]]:
    q = (
        select(CreditEntry.user_id, CreditEntry.type_key, func.sum(CreditEntry.hours))
        .where(CreditEntry.school_id == school_id, CreditEntry.school_year == year)
        .group_by(CreditEntry.user_id, CreditEntry.type_key)
    )
    if user_ids is not None:
        q = q.where(CreditEntry.user_id.in_(user_ids))
    out: dict[int, dict[str, Decimal]] = {}
    for uid, key, total in db.session.execute(q):
        out.setdefault(uid, {})[key] = _dec(total)
    return out


def _absences(school_id: int, year: str, user_ids: list[int] | None) -> dict[int, dict[int, tuple]]:
    q = (
        select(
            Participation.user_id,
            Activity.semester,
            func.sum(Participation.absent_hours),
            func.sum(Participation.excused_hours),
        )
        .join(Activity, Activity.id == Participation.activity_id)
        .where(Activity.school_id == school_id, Activity.school_year == year, Activity.state.in_(CONFIRMED_STATES))
        .group_by(Participation.user_id, Activity.semester)
    )
    if user_ids is not None:
        q = q.where(Participation.user_id.in_(user_ids))
    out: dict[int, dict[int, tuple]] = {}
    for uid, sem, absent, excused in db.session.execute(q):
        out.setdefault(uid, {})[sem] = (absent, excused)
    return out


def _exemptions(school_id: int, year: str, user_ids: list[int] | None) -> dict[int, str]:
    q = select(Exemption.user_id, Exemption.reason).where(
        Exemption.school_id == school_id, Exemption.school_year == year
    )
    if user_ids is not None:
        q = q.where(Exemption.user_id.in_(user_ids))
    return dict(db.session.execute(q).tuples().all())


def teacher_year(user: User, school: School, year: str) -> TeacherYear:
    ids = [user.id]
    return _facts_for(
        school, year, [user], _by_type(school.id, year, ids), _absences(school.id, year, ids), _exemptions(school.id, year, ids)
    )[0]


def school_teachers(school_id: int) -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.school_id == school_id, Membership.role == "teacher", Membership.active.is_(True))
            .order_by(User.display_name, User.id)
        ).scalars()
    )


def school_summary(school: School, year: str) -> list[TeacherYear]:
    """One row per teacher of the school: hours by type, total, status (four queries)."""
    users = school_teachers(school.id)
    return _facts_for(
        school, year, users, _by_type(school.id, year, None), _absences(school.id, year, None), _exemptions(school.id, year, None)
    )


def entries_for(user_id: int, school_id: int | None = None, year: str | None = None) -> list[tuple[CreditEntry, Activity]]:
    q = (
        select(CreditEntry, Activity)
        .join(Activity, Activity.id == CreditEntry.activity_id)
        .where(CreditEntry.user_id == user_id)
        .order_by(CreditEntry.school_year.desc(), CreditEntry.created_at, CreditEntry.id)
    )
    if school_id is not None:
        q = q.where(CreditEntry.school_id == school_id)
    if year is not None:
        q = q.where(CreditEntry.school_year == year)
    return list(db.session.execute(q).tuples())
