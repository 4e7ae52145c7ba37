"""Read-only views the pages need: activity lists, what waits on a teacher, the review
queue, and the district table. Each is a fixed number of queries, whatever the size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from portal.assessment import EXEMPT, MET, YearFacts
from portal.extensions import db
from portal.models import Activity, CreditEntry, Evidence, Exemption, Membership, Participation, School, User
from portal.page_cache import cached_per_school
from portal.registry import registry
from portal.services import credits, schools
from portal.services.ledger import credit_hours_for

CLOSED_STATES = ("reviewed", "credited", "cancelled")
ZERO = Decimal("0")


# -- activity list ---------------------------------------------------------------------------

@dataclass
class ActivityFilters:
    type_key: str = ""
    state: str = ""
    school_year: str = ""
    semester: int | None = None
    organizer_id: int | None = None


def list_activities(school_id: int, f: ActivityFilters, page: int = 1, per_page: int = 20):
    """A page of the school's activities, newest first (a Flask-SQLAlchemy Pagination)."""
    q = select(Activity).where(Activity.school_id == school_id)
    if f.type_key:
        q = q.where(Activity.type_key == f.type_key)
    if f.state:
        q = q.where(Activity.state == f.state)
    if f.school_year:
        q = q.where(Activity.school_year == f.school_year)
    if f.semester:
        q = q.where(Activity.semester == f.semester)
    if f.organizer_id:
        q = q.where(Activity.organizer_id == f.organizer_id)
    q = q.order_by(Activity.starts_at.desc(), Activity.id.desc())
    return db.paginate(q, page=page, per_page=per_page, error_out=False)


def school_years(school_id: int) -> list[str]:
    return list(
        db.session.execute(
            select(Activity.school_year).where(Activity.school_id == school_id).distinct().order_by(Activity.school_year.desc())
        ).scalars()
    )


def organizers(school_id: int) -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .where(User.id.in_(select(Activity.organizer_id).where(Activity.school_id == school_id)))
            .order_by(User.display_name)
        ).scalars()
    )


def members(school_id: int) -> list[User]:
    """Active members of the school (anyone who may take part in an activity)."""
    return list(
        db.session.execute(
            select(User)
            .where(
                User.active.is_(True),
                User.id.in_(
                    select(Membership.user_id).where(Membership.school_id == school_id, Membership.active.is_(True))
                ),
            )
            .order_by(User.username)
        ).scalars()
    )


def users_by_id(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()}


# -- teacher home ---------------------------------------------------------------------------

@dataclass
class Waiting:
    activity: Activity
    role: str
    missing: dict[str, int]  # evidence kind → how many more


def waiting_on(user_id: int, school_id: int) -> list[Waiting]:
    """Open activities the user takes part in where their required evidence is missing."""
    rows = db.session.execute(
        select(Participation, Activity)
        .join(Activity, Activity.id == Participation.activity_id)
        .where(
            Participation.user_id == user_id,
            Activity.school_id == school_id,
            Activity.state.not_in(CLOSED_STATES),
        )
        .order_by(Activity.starts_at)
    ).all()
    if not rows:
        return []
    have: dict[tuple[int, str], int] = {}
    for act_id, kind, n in db.session.execute(
        select(Evidence.activity_id, Evidence.kind, func.count())
        .where(Evidence.user_id == user_id, Evidence.activity_id.in_([a.id for _, a in rows]))
        .group_by(Evidence.activity_id, Evidence.kind)
    ):
        have[(act_id, kind)] = n
    settings_cache = schools.all_type_settings(school_id)
    out: list[Waiting] = []
    for p, act in rows:
        reg = registry().get(act.type_key)
        if reg is None:
            continue
        need = reg.type.required_evidence_for(p.role, settings_cache[act.type_key])
        missing = {k: n - have.get((act.id, k), 0) for k, n in need.items() if have.get((act.id, k), 0) < n}
        if missing:
            out.append(Waiting(act, p.role, missing))
    return out


# -- review queue ---------------------------------------------------------------------------

@dataclass
class QueueParticipant:
    participation: Participation
    user: User
    would_get: Decimal | None  # None when the type is not installed
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class QueueItem:
    activity: Activity
    participants: list[QueueParticipant]
    organizer: User | None
    activity_evidence: list[Evidence] = field(default_factory=list)  # the organizer's own files


def review_queue(school_id: int, state: str | tuple[str, ...] = "held") -> list[QueueItem]:
    """Every activity of the school in ``state`` (one or several), oldest first, with evidence
    and hours (5 queries)."""
    states = (state,) if isinstance(state, str) else tuple(state)
    acts = list(
        db.session.execute(
            select(Activity)
            .where(Activity.school_id == school_id, Activity.state.in_(states))
            .order_by(Activity.starts_at, Activity.id)
        ).scalars()
    )
    if not acts:
        return []
    ids = [a.id for a in acts]
    parts: dict[int, list[tuple[Participation, User]]] = defaultdict(list)
    for p, u in db.session.execute(
        select(Participation, User)
        .join(User, User.id == Participation.user_id)
        .where(Participation.activity_id.in_(ids))
        .order_by(Participation.id)
    ):
        parts[p.activity_id].append((p, u))
    evidence: dict[tuple[int, int], list[Evidence]] = defaultdict(list)
    for e in db.session.execute(select(Evidence).where(Evidence.activity_id.in_(ids)).order_by(Evidence.id)).scalars():
        evidence[(e.activity_id, e.user_id)].append(e)
    organizers_ = users_by_id({a.organizer_id for a in acts})
    settings_cache = schools.all_type_settings(school_id)
    out: list[QueueItem] = []
    for act in acts:
        reg = registry().get(act.type_key)
        people = []
        participant_ids = set()
        for p, u in parts.get(act.id, []):
            participant_ids.add(u.id)
            hours = credit_hours_for(reg.type, act, p, settings_cache[act.type_key]) if reg else None
            people.append(QueueParticipant(p, u, hours, evidence.get((act.id, u.id), [])))
        own = [] if act.organizer_id in participant_ids else evidence.get((act.id, act.organizer_id), [])
        out.append(QueueItem(act, people, organizers_.get(act.organizer_id), own))
    return out


# -- district -------------------------------------------------------------------------------

@dataclass
class SchoolRow:
    school: School
    staff: int
    teachers: int
    on_track: int
    hours: Decimal

    @property
    def on_track_share(self) -> float:
        return self.on_track / self.teachers if self.teachers else 0.0


def district_overview(year: str) -> list[SchoolRow]:
    """One row per school: staff, teachers on track (met or exempt), hours credited in ``year``.

    Each school's figures are cached under its data stamp (``portal.page_cache``); only the
    schools whose data changed since are computed again, together, by
    :func:`_district_figures`.
    """
    all_schools = schools.all_schools()
    figures = cached_per_school("district-row", all_schools, (year,), lambda changed: _district_figures(changed, year))
    return [SchoolRow(s, *figures[s.id]) for s in all_schools]


def _district_figures(subset: list[School], year: str) -> dict[int, tuple[int, int, int, Decimal]]:
    """(staff, teachers, on track, hours) of each school of ``subset``.

    Totals come from GROUP BY queries over the schools at once (five queries, however many);
    the assessment policy (a hook) then runs per teacher in Python.
    """
    ids = [s.id for s in subset]

    def only(column):
        return column.in_(ids)

    staff_count = dict(
        db.session.execute(
            select(Membership.school_id, func.count(func.distinct(Membership.user_id)))
            .where(Membership.active.is_(True), only(Membership.school_id))
            .group_by(Membership.school_id)
        ).all()
    )
    teachers = db.session.execute(
        select(Membership.school_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.role == "teacher", Membership.active.is_(True), only(Membership.school_id))
    ).all()
    by_type: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(dict)
    school_hours: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for sid, uid, key, total in db.session.execute(
        select(CreditEntry.school_id, CreditEntry.user_id, CreditEntry.type_key, func.sum(CreditEntry.hours))
        .where(CreditEntry.school_year == year, only(CreditEntry.school_id))
        .group_by(CreditEntry.school_id, CreditEntry.user_id, CreditEntry.type_key)
    ):
        value = credits._dec(total)
        by_type[(sid, uid)][key] = value
        school_hours[sid] += value
    absences: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(dict)
    for sid, uid, sem, absent in db.session.execute(
        select(Activity.school_id, Participation.user_id, Activity.semester, func.sum(Participation.absent_hours))
        .join(Activity, Activity.id == Participation.activity_id)
        .where(Activity.school_year == year, Activity.state.in_(credits.CONFIRMED_STATES), only(Activity.school_id))
        .group_by(Activity.school_id, Participation.user_id, Activity.semester)
    ):
        absences[(sid, uid)][sem] = credits._dec(absent)
    exemptions = {
        (sid, uid): reason
        for sid, uid, reason in db.session.execute(
            select(Exemption.school_id, Exemption.user_id, Exemption.reason).where(
                Exemption.school_year == year, only(Exemption.school_id)
            )
        )
    }
    by_school = {s.id: s for s in subset}
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for sid, user in teachers:
        school = by_school[sid]
        types = by_type.get((sid, user.id), {})
        facts = YearFacts(
            user_id=user.id,
            school_year=year,
            required_hours=credits._dec(school.rule("required_hours")),
            absence_limit_hours=credits._dec(school.rule("absence_limit_hours")),
            total_hours=sum(types.values(), ZERO),
            by_type=types,
            absent_hours=absences.get((sid, user.id), {}),
            gender=user.gender,
            birth_date=user.birth_date,
            exemption_reason=exemptions.get((sid, user.id)),
        )
        counts[sid][0] += 1
        if credits.assess(facts).status in (MET, EXEMPT):
            counts[sid][1] += 1
    return {
        s.id: (staff_count.get(s.id, 0), counts[s.id][0], counts[s.id][1], school_hours.get(s.id, ZERO))
        for s in subset
    }
