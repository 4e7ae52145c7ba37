"""Totals from the ledger and the yearly assessment; every figure is computed in SQL.

A teacher's hours for a school and year are ``SUM(credit_entry.hours)`` (reversals are
negative). Unexcused absence per semester comes from attendance of activities that a
reviewer has confirmed (states ``reviewed`` and ``credited``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, Numeric, String, bindparam, cast, func, literal, null, or_, select, union_all

from portal.assessment import Assessment, YearFacts
from portal.errors import Conflict, Invalid
from portal.extensions import db
from portal.models import (
    Activity,
    CreditEntry,
    Exemption,
    Membership,
    Participation,
    School,
    TransitionLog,
    User,
)
from portal.registry import registry
from portal.services import access
from portal.timeutil import current_school_year, valid_school_year

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
    return dict(db.session.execute(q).all())


def _teacher_year_statement():
    """The UNION ALL behind :func:`teacher_year`, with ``uid``, ``school_id`` and ``year``
    as bound parameters (built once: building it costs more than running it)."""
    uid, school_id, year = bindparam("uid"), bindparam("school_id"), bindparam("year")
    by_type = select(
        literal("t", String).label("kind"),
        CreditEntry.type_key.label("key"),
        cast(null(), Integer).label("semester"),
        func.sum(CreditEntry.hours).label("a"),
        cast(null(), Numeric).label("b"),
    ).where(CreditEntry.school_id == school_id, CreditEntry.school_year == year, CreditEntry.user_id == uid)
    by_type = by_type.group_by(CreditEntry.type_key)
    absences = (
        select(
            literal("a", String),
            cast(null(), String),
            Activity.semester,
            func.sum(Participation.absent_hours),
            func.sum(Participation.excused_hours),
        )
        .join(Activity, Activity.id == Participation.activity_id)
        .where(
            Participation.user_id == uid,
            Activity.school_id == school_id,
            Activity.school_year == year,
            Activity.state.in_(CONFIRMED_STATES),
        )
        .group_by(Activity.semester)
    )
    exemption = select(
        literal("e", String), cast(Exemption.reason, String), cast(null(), Integer), cast(null(), Numeric),
        cast(null(), Numeric),
    ).where(Exemption.user_id == uid, Exemption.school_id == school_id, Exemption.school_year == year)
    return union_all(by_type, absences, exemption)


_TEACHER_YEAR = _teacher_year_statement()


def teacher_year(user: User, school: School, year: str) -> TeacherYear:
    """One teacher's year: ledger by type, absences by semester and any exemption, read in
    a single UNION ALL query (the teacher's home page runs it on every visit)."""
    uid = user.id
    types: dict[int, dict[str, Decimal]] = {}
    absent: dict[int, dict[int, tuple]] = {}
    exempt: dict[int, str] = {}
    params = {"uid": uid, "school_id": school.id, "year": year}
    for kind, key, semester, a, b in db.session.execute(_TEACHER_YEAR, params):
        if kind == "t":
            types.setdefault(uid, {})[key] = _dec(a)
        elif kind == "a":
            absent.setdefault(uid, {})[semester] = (a, b)
        else:
            exempt[uid] = key
    return _facts_for(school, year, [user], types, absent, exempt)[0]


def school_teachers(school_id: int, year: str | None = None) -> list[User]:
    """The school's active teachers; with ``year``, also anyone credited there that year
    (a teacher who has since left still appears on that year's summary)."""
    is_teacher = select(Membership.user_id).where(
        Membership.school_id == school_id, Membership.role == "teacher", Membership.active.is_(True)
    )
    cond = User.id.in_(is_teacher)
    if year is not None:
        credited = select(CreditEntry.user_id).where(
            CreditEntry.school_id == school_id, CreditEntry.school_year == year
        )
        cond = or_(cond, User.id.in_(credited))
    return list(db.session.execute(select(User).where(cond).order_by(User.display_name, User.id)).scalars())


def school_summary(school: School, year: str) -> list[TeacherYear]:
    """One row per teacher of the school: hours by type, total, status (four queries)."""
    users = school_teachers(school.id, year)
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
    return list(db.session.execute(q))


# -- school years ---------------------------------------------------------------------------


def parse_year(value: object, default: str | None = None) -> str:
    """A school year such as ``2026-2027``; empty → ``default`` (the current year if None)."""
    if value in (None, ""):
        return default or current_school_year()
    if not isinstance(value, str) or not valid_school_year(value.strip()):
        raise Invalid(
            f"not a school year: {value!r} (expected two consecutive years, e.g. 2026-2027)",
            {"year": "expected two consecutive years, e.g. 2026-2027"},
        )
    return value.strip()


def type_keys_for_year(year: str, school_id: int | None = None) -> list[str]:
    """Columns of a summary: the school's enabled types (every installed type for the
    district), then any other type with entries that year (disabled or uninstalled)."""
    if school_id is None:
        keys = registry().keys()
    else:
        from portal.services.schools import enabled_types

        keys = [reg.type.key for reg in enabled_types(school_id)]
    q = select(CreditEntry.type_key).where(CreditEntry.school_year == year).distinct()
    if school_id is not None:
        q = q.where(CreditEntry.school_id == school_id)
    extra = sorted(k for k in db.session.execute(q).scalars() if k not in keys)
    return [*keys, *extra]


# -- a teacher's record (成长档案) -------------------------------------------------------------


@dataclass
class RecordYear:
    school_year: str
    summary: TeacherYear
    entries: list[tuple[CreditEntry, Activity]] = field(default_factory=list)


def viewable_teacher(viewer_id: int, user_id: int, school: School) -> User:
    """The teacher whose record ``viewer`` asks for: themselves, or (school admin, reviewer)
    any member of the school. Someone outside the school is 'not found'."""
    target = access.get_member(user_id, school.id)
    if viewer_id != user_id:
        access.require_role(viewer_id, school.id, "school_admin", "reviewer")
    return target


def teacher_record(user: User, school: School) -> list[RecordYear]:
    """Every school year with entries (and the current one), newest first, in this school."""
    entries = entries_for(user.id, school.id)
    years = {e.school_year for e, _a in entries} | {current_school_year(school.timezone)}
    out = []
    for year in sorted(years, reverse=True):
        out.append(RecordYear(year, teacher_year(user, school, year), [t for t in entries if t[0].school_year == year]))
    return out


# -- the certification form (学分认定表) -------------------------------------------------------


@dataclass
class CertificateLine:
    user: User
    role: str
    attended_hours: Decimal | None
    hours: Decimal  # net credited hours from the ledger
    remark: str  # the reviewer's adjustment reason, if any


@dataclass
class Certificate:
    activity: Activity
    school: School
    lines: list[CertificateLine]
    reviewer: User | None  # who approved
    approved_at: datetime | None
    posted_by: User | None  # who posted the credits
    credited_at: datetime | None

    @property
    def total_hours(self) -> Decimal:
        return sum((line.hours for line in self.lines), ZERO)


def _last_log(activity_id: int, trigger: str) -> tuple[TransitionLog, User] | None:
    row = db.session.execute(
        select(TransitionLog, User)
        .join(User, User.id == TransitionLog.actor_id)
        .where(TransitionLog.activity_id == activity_id, TransitionLog.trigger == trigger)
        .order_by(TransitionLog.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def certificate(activity_id: int, school_id: int) -> Certificate:
    """The credit certification form of a credited activity of this school."""
    act = access.get_activity(activity_id, school_id)
    if act.state != "credited":
        raise Conflict("credits of this activity have not been posted", state=act.state)
    school = db.session.get(School, school_id)
    net = dict(
        db.session.execute(
            select(CreditEntry.user_id, func.sum(CreditEntry.hours))
            .where(CreditEntry.activity_id == act.id)
            .group_by(CreditEntry.user_id)
        ).all()
    )
    people = db.session.execute(
        select(Participation, User)
        .join(User, User.id == Participation.user_id)
        .where(Participation.activity_id == act.id)
        .order_by(Participation.role, User.display_name, User.id)
    ).all()
    lines = [
        CertificateLine(u, p.role, p.attended_hours, _dec(net.get(u.id)), p.adjust_reason or "") for p, u in people
    ]
    approved = _last_log(act.id, "approve")
    posted = _last_log(act.id, "credit")
    return Certificate(
        act,
        school,
        lines,
        approved[1] if approved else None,
        approved[0].created_at if approved else None,
        posted[1] if posted else None,
        posted[0].created_at if posted else None,
    )

