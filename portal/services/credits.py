"""Totals from the ledger and the yearly assessment; every figure is computed in SQL.

A teacher's hours for a school and year are ``SUM(credit_entry.hours)`` (reversals are
negative). Unexcused absence per semester comes from attendance of activities that a
reviewer has confirmed (states whose phase counts for absence: ``workflows.definition.Phase``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    DateTime,
    Exists,
    Integer,
    Numeric,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
)

from portal import policy
from portal.assessment import Assessment, QuotaFact, YearFacts, so_far
from portal.database import constant, in_constants, keep_compiled, read_rows
from portal.errors import Conflict, Forbidden, Invalid
from portal.extensions import db
from portal.hours import fmt
from portal.messages import in_lang, msg, shown
from portal.models import (
    TEACHER,
    Activity,
    CreditEntry,
    DevelopmentPlan,
    EarlierStint,
    Evidence,
    Exemption,
    Membership,
    OwnWriting,
    Participation,
    School,
    SchoolActivityType,
    TeacherYearRow,
    TransitionLog,
    User,
    YearLock,
    YearSubmission,
)
from portal.models.district import WHOLE_YEAR
from portal.models.school import DEFAULT_SCHOOL_RULES
from portal.models.types import driver_hours, hours_from_driver
from portal.once import Memo, once_each
from portal.plugin_loader import assess_year, year_assessor
from portal.registry import registry
from portal.services import access, locks, quotas, stints
from portal.services.stints import Span, away_clause
from portal.sorting import pinyin_key
from portal.timeutil import (
    FIRST_SCHOOL_YEAR,
    LAST_SCHOOL_YEAR,
    current_school_year,
    default_zone,
    parse_iso,
    to_local,
    utcnow,
    valid_school_year,
    year_bounds,
)
from workflows.definition import Phase

ZERO = Decimal("0")


def _confirmed_states() -> list[str]:
    """States whose attendance a reviewer has confirmed: their unexcused absence counts."""
    return registry().states_in(*(p for p in Phase if p.counts_for_absence))


def _dec(v) -> Decimal:
    return ZERO if v is None else Decimal(str(v)).quantize(Decimal("0.1"))


def year_over_at(year: str, zone: str | None = None) -> datetime:
    """When ``year`` is over at a school in ``zone`` (the school's: ``School.timezone``; without
    one, the deployment's, :func:`zone_of`): the first day of the next school year at midnight as
    its teachers read it (as naive UTC, as times are stored). A teacher who joined the school from
    then on (``Membership.since``) was none of that year's."""
    midnight = datetime.combine(year_bounds(year)[1] + timedelta(days=1), datetime.min.time())
    return parse_iso(midnight, zone or default_zone())


def _over_at_params(year: str, zones: Collection[str | None]) -> dict[str, object]:
    """The bound instants of :func:`_over_at` for schools in ``zones`` (the zones of the schools
    a statement is about): one ``over_at`` where they share a zone (most deployments), else one
    per zone (``zone_0``, ``over_at_0``…) and the deployment's as ``over_at``."""
    distinct = sorted({zone or default_zone() for zone in zones})
    params: dict[str, object] = {"over_at": year_over_at(year, distinct[0] if len(distinct) == 1 else None)}
    if len(distinct) > 1:
        for i, zone in enumerate(distinct):
            params[f"zone_{i}"], params[f"over_at_{i}"] = zone, year_over_at(year, zone)
    return params


def _zones_told_apart(params: Mapping[str, object]) -> int:
    """How many zones :func:`_over_at_params` bound (0: one instant for every school)."""
    return sum(1 for key in params if key.startswith("zone_"))


def _over_at(school_id: Any, zones: int) -> ColumnElement[datetime]:
    """When the bound ``year`` was over at the school ``school_id`` (a column), in its own zone:
    ``over_at``, or, for ``zones`` zones (:func:`_over_at_params`), the one of the school's."""
    if zones < 2:
        return bindparam("over_at", type_=DateTime())
    zone = select(School.timezone).where(School.id == school_id).scalar_subquery()
    return case(*((zone == bindparam(f"zone_{i}"), bindparam(f"over_at_{i}", type_=DateTime())) for i in range(zones)),
                else_=bindparam("over_at", type_=DateTime()))


def _zones_in(ids: Collection[int]) -> list[str]:
    """The time zones of the schools ``ids`` (read from the session's identity map where loaded)."""
    return [school.timezone for sid in ids if (school := db.session.get(School, sid)) is not None]


@dataclass
class TeacherYear:
    user: User
    facts: YearFacts
    assessment: Assessment
    # the district accepted the school's year without this teacher (they joined after): its
    # figures are no assessment of theirs (:func:`teacher_year` says so; summaries leave them out)
    joined_after_acceptance: bool = False
    # they were not on the staff when the year was over (joined after it, or had left) and
    # nothing of that year counts for them: it was not their year (:func:`teacher_year` says
    # so; summaries leave them out). The name is the API's, from when only joining was asked.
    joined_after_year: bool = False
    # the district closed the school's year (accepted it whole, or both its semesters:
    # ``locks.closed_clause``): nothing more counts in it, judged by the rules it was closed with
    year_accepted: bool = False
    # the periods of the year the district accepted (semesters, the whole year): over for the
    # warnings (:func:`forecast.warnings`); read by :func:`teacher_year` only
    accepted_periods: frozenset[int] = frozenset()
    # the schools whose teacher role they left within the year (moved from: :func:`stints.left_in_year`),
    # whose hours of the year count there; the teacher reads them with :func:`earlier_schools`
    left_schools: frozenset[int] = frozenset()
    # the characters a reading note needs to count in this year (:func:`quotas.note_least`, of
    # the rules it is judged by): the writing page tells a shorter note's author why it counts
    # nothing; read by :func:`teacher_year` only
    note_least: int = 0
    # the reading notes asked each month in this year (:func:`quotas.per_month`; 0: none): the
    # writing page says what a month needs; read by :func:`teacher_year` only
    note_per_month: int = 0
    # the year is not over at the school and the district has not closed it (:func:`_under_way`)
    under_way: bool = False

    @property
    def shown(self) -> Assessment:
        """The verdict as a person reads it (:func:`assessment.so_far`): not short before the year's end."""
        return Assessment(*so_far(self.assessment.status, self.assessment.reason, self.under_way))

    @property
    def not_theirs(self) -> bool:
        """The year is not this teacher's here (either flag above): home, My writing, the record
        PDF and the API assess nothing of it and ask nothing for it."""
        return self.joined_after_acceptance or self.joined_after_year


class Person(NamedTuple):
    """The columns of a teacher that a summary shows and the assessment reads, as plain values
    (a hundred ORM users cost more than the rest of a summary's reading)."""

    id: int
    username: str
    display_name: str
    gender: str | None
    birth_date: date | None


@dataclass(frozen=True)
class StoredYear:
    """A teacher's year read from its stored teacher-year row (:func:`stored_years`): the same
    facts and verdict as :class:`TeacherYear`'s, the teacher as plain columns."""

    user: Person
    facts: YearFacts
    assessment: Assessment
    under_way: bool = False  # as :class:`TeacherYear`'s

    @property
    def shown(self) -> Assessment:
        """As :attr:`TeacherYear.shown`."""
        return Assessment(*so_far(self.assessment.status, self.assessment.reason, self.under_way))


#: a row of a school summary, from the ledger or from the stored rows
SummaryRow = TeacherYear | StoredYear


def assess(facts: YearFacts) -> Assessment:
    """The ``portal_assess_year`` verdict; a policy plugin that raises or answers nonsense is
    reported with its name and the next policy decides (ultimately the seeds' default)."""
    return assess_year(registry().plugins, facts)


@dataclass(frozen=True)
class _Rules:
    """A school's rules as the teacher-year builder reads them, worked out once per school (a
    summary reads them for every teacher: :meth:`School.rule` merges the school's, the
    district's and the default values each time), and its quotas once per distinct writing
    (most teachers' writing is alike: none yet)."""

    required: Decimal
    absence_limit: Decimal
    absence_warning: Decimal
    quotas_decide: bool
    quotas: Callable[[tuple[quotas.Piece, ...], tuple[tuple[int, str], ...]], tuple[QuotaFact, ...]]
    #: the characters a reading note needs to count (:func:`quotas.note_least`): bound into the
    #: quota SQL that reads the writing, which leaves shorter notes out
    note_least: int
    #: the reading notes asked each month (:func:`quotas.per_month`; 0: none), and the day the
    #: months asked are counted to (:func:`quotas.months_asked`; an accepted year: the day it was
    #: sent, :data:`COUNTED_TO`, or None — all its months — for one sent before that was kept)
    per_month: int = 0
    today: date | None = None


#: Beside the rules a submission keeps (:func:`rules_in_force`): the day, in the school's time,
#: its months asked were counted to (``quotas.months_asked``) — what an accepted year asks.
COUNTED_TO = "counted_to"


def rules_in_force(school: School) -> dict[str, Any]:
    """Every rule of the school as it stands (its own, else the district's, else the seeds'),
    and the day it is in the school (:data:`COUNTED_TO`): what a submission keeps, so that the
    year the district accepts stays judged by them — its months asked those over when it was
    sent, as the district read it (a year may be accepted before it is over)."""
    today = to_local(utcnow(), school.timezone).date()
    return {**{key: school.rule(key) for key in DEFAULT_SCHOOL_RULES}, COUNTED_TO: today.isoformat()}


def _counted_to(accepted: Mapping[str, Any]) -> date | None:
    """The day an accepted year's months asked are counted to (:data:`COUNTED_TO`); None — every
    month of the year — for a year sent before the day was kept."""
    day = accepted.get(COUNTED_TO)
    try:
        return date.fromisoformat(day) if isinstance(day, str) else None
    except ValueError:
        return None


def _rules_of(school: School, accepted: Mapping[str, Any] | None = None) -> _Rules:
    """The school's rules; for a year the district accepted, the ``accepted`` ones it was
    submitted with (:func:`rules_in_force`): a rule changed since moves the years to come, not
    the accepted one (whose stored rows, submission and lock keep its verdict)."""
    rule = once_each(school.rule if not accepted else lambda key: accepted[key] if key in accepted else school.rule(key))
    return _Rules(
        required=_dec(rule("required_hours")),
        absence_limit=_dec(rule("absence_limit_hours")),
        absence_warning=_dec(rule("absence_warning_hours")),
        quotas_decide=bool(rule("quotas_decide")),
        quotas=once_each(lambda pieces, asked: quotas.quota_facts(rule, pieces, asked)),
        note_least=quotas.note_least(rule),
        per_month=quotas.per_month(rule),
        today=_counted_to(accepted) if accepted else to_local(utcnow(), school.timezone).date(),
    )


def _under_way(rules: _Rules, year: str, closed: bool) -> bool:
    """Whether ``year`` is still under way at the school: its last day not past (the school's
    today) and the district has not closed it (``TeacherYear.under_way``). ``closed``: what the
    locks say (``locks.covers`` of the whole year: its lock, or both semesters'; a statement asks
    ``locks.closes_year``, the same rule) — not whether the round kept its rules (one sent before
    they were kept closes the year all the same)."""
    return not closed and (rules.today is None or not year_over_on(rules.today, year))


def year_over_on(today: date, year: str) -> bool:
    """Whether ``year``'s last day is past on ``today`` (a school's local date): the date half of
    a year under way (:func:`_under_way`), which the district's live counts ask too."""
    return today > year_bounds(year)[1]


def _year_facts(
    rules: _Rules,
    year: str,
    user: User | Person,
    types: dict[str, Any],
    absences: dict[int, tuple],
    exemption: str | None,
    writing: list[quotas.Piece] | None = None,
    dec: Callable[[Any], Decimal] = _dec,
    since: date | None = None,
    spans: tuple[Span, ...] | None = None,
) -> YearFacts:
    """The one place a teacher's :class:`YearFacts` are put together: every page, export and
    API answer (school, district, teacher) goes through here, from the ledger
    (:func:`_facts`) or from a stored teacher-year row (:func:`stored_years`). ``rules``: the
    school's (:func:`_rules_of`); ``dec``: :func:`_dec`, or a page's memory of it; ``since``:
    the day their stretch on the staff began (:func:`joined_day`); ``spans``: their stretches on
    the staff (:func:`stints.spans_on_staff`, read when the school asks reading notes each month)."""
    by_type = {k: dec(v) for k, v in types.items()}
    return YearFacts(
        user_id=user.id,
        school_year=year,
        required_hours=rules.required,
        absence_limit_hours=rules.absence_limit,
        absence_warning_hours=rules.absence_warning,
        total_hours=sum(by_type.values(), ZERO),
        by_type=by_type,
        absent_hours={sem: dec(a) for sem, (a, _e) in absences.items()},
        excused_hours={sem: dec(e) for sem, (_a, e) in absences.items()},
        gender=user.gender,
        birth_date=user.birth_date,
        exemption_reason=exemption,
        quotas=rules.quotas(tuple(writing or ()),
                            quotas.months_asked(year, rules.today, since, spans) if rules.per_month else ()),
        quotas_decide=rules.quotas_decide,
        on_staff_since=since,
    )


def joined_day(since: datetime | str | None, zone: str) -> date | None:
    """The day in the school's time (``zone``) a teacher role stored as ``since`` began (as the
    driver hands it back, or as text from a UNION's text column): ``YearFacts.on_staff_since``."""
    if isinstance(since, str):
        since = datetime.fromisoformat(since)
    return to_local(since, zone).date() if since is not None else None


def _facts(
    rules: _Rules,
    year: str,
    user: User,
    types: dict[str, Decimal],
    absences: dict[int, tuple],
    exemption: str | None,
    writing: list[quotas.Piece] | None = None,
    judge: Callable[[YearFacts], Assessment] = assess,
    since: date | None = None,
    spans: tuple[Span, ...] | None = None,
    closed: bool = False,
) -> TeacherYear:
    """A teacher's year from the ledger (:func:`_year_facts`), assessed by the policy hook
    (``judge``: :func:`assess`, or a summary's :func:`year_assessor`); ``closed``: the district
    closed the year (:func:`_under_way`)."""
    facts = _year_facts(rules, year, user, types, absences, exemption, writing, since=since, spans=spans)
    return TeacherYear(user, facts, judge(facts), under_way=_under_way(rules, year, closed))


@cache
def _year_statements(some_people: bool) -> tuple[Select, Select, CompoundSelect]:
    """The ledger by type, the absences and the exemptions (with the rules of an accepted year,
    :func:`_accepted_rules`) of :func:`year_rows`, with the
    schools (``ids``), the ``year``, the ``confirmed`` states and, when ``some_people``, the
    ``people`` as bound parameters: built once (building them cost more than running them)."""
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    year: BindParameter[str] = bindparam("year")

    people: BindParameter[list[int]] = bindparam("people", expanding=True)

    def only(q: Select, column) -> Select:
        return q.where(column.in_(people)) if some_people else q

    by_type = only(
        select(CreditEntry.school_id, CreditEntry.user_id, CreditEntry.type_key, func.sum(CreditEntry.hours))
        .where(CreditEntry.school_id.in_(ids), CreditEntry.school_year == year), CreditEntry.user_id
    ).group_by(CreditEntry.school_id, CreditEntry.user_id, CreditEntry.type_key)
    absences = only(
        select(
            Activity.school_id,
            Participation.user_id,
            Activity.semester,
            func.sum(Participation.absent_hours),
            func.sum(Participation.excused_hours),
        )
        .join(Activity, Activity.id == Participation.activity_id)
        .where(
            Activity.school_id.in_(ids),
            Activity.school_year == year,
            Activity.state.in_(bindparam("confirmed", expanding=True)),
            ~away_clause(Participation.user_id, Activity.school_id, Activity.starts_at),  # not theirs
        ),
        Participation.user_id,
    ).group_by(Activity.school_id, Participation.user_id, Activity.semester)
    exemptions = only(
        select(Exemption.school_id, Exemption.user_id, Exemption.reason).where(
            Exemption.school_id.in_(ids), Exemption.school_year == year
        ),
        Exemption.user_id,
    )
    # with them, in the same statement, the rules each school's closed year was accepted with (no user)
    accepted = (
        select(YearLock.school_id, cast(null(), Integer), cast(YearSubmission.rules, String))
        .join(YearSubmission, YearSubmission.id == YearLock.submission_id)
        .where(YearLock.school_id.in_(ids), YearLock.school_year == year, locks.closes_year(YearLock))
    )
    return by_type, absences, union_all(exemptions, accepted)


def year_rows(
    schools_: list[School], year: str, user_ids: Collection[int] | None = None,
    closing_rules: Mapping[str, Any] | None = None, ahead: bool = False,
) -> dict[int, list[TeacherYear]]:
    """Every teacher's year in each of ``schools_`` (by school id, teachers by name): ledger by
    type, unexcused and excused absence by semester, exemptions, assessed by the policy hook.
    With ``user_ids``, only those teachers (the ones a change touched). ``closing_rules``: the
    rules of the acceptance that is closing the year (``submissions.decide`` writes the rows
    just before the lock from which they are read).

    A school that does not have the year on its records (:func:`years_on_record`: a year over
    that it holds nothing of) has no rows: the year is not on any teacher's record there.
    ``ahead``: a year not begun (:func:`year_begun`) is read as it will be once it begins, today's
    teachers with what is set for it (the exemptions page's forecast of the policy's exemptions);
    nothing that counts or stores a year asks it.

    Five queries whatever the number of schools (the fifth: writing for the quotas), and one
    more of a year over at some school (:func:`years_on_record`);
    :func:`school_summary`, the district's figures and the stored teacher-year rows
    (``services.teacher_years``) all use it, so a teacher's status is the same on every page.
    """
    out: dict[int, list[TeacherYear]] = {s.id: [] for s in schools_}
    if not schools_ or (user_ids is not None and not user_ids):
        return out
    on_record = years_on_record(schools_, year)
    schools_ = [s for s in schools_ if s.id in on_record or (ahead and not year_begun(s, year))]
    ids = [s.id for s in schools_]
    if not ids:
        return out
    people = None if user_ids is None else sorted(set(user_ids))
    by_type_q, absences_q, exemptions_q = _year_statements(people is not None)
    params = {"ids": ids, "year": year, "people": people, "confirmed": _confirmed_states()}
    if people is None:
        del params["people"]

    by_type: dict[tuple[int, int], dict[str, Decimal]] = {}
    for sid, uid, key, total in db.session.execute(by_type_q, params):
        by_type.setdefault((sid, uid), {})[key] = total
    absences: dict[tuple[int, int], dict[int, tuple]] = {}
    for sid, uid, sem, absent, excused in db.session.execute(absences_q, params):
        absences.setdefault((sid, uid), {})[sem] = (absent, excused)
    exemptions: dict[tuple[int, int], str] = {}
    accepted: dict[int, Mapping[str, Any] | None] = {}
    for sid, uid, reason in db.session.execute(exemptions_q, params):
        if uid is None:
            accepted[sid] = _accepted_rules(reason)
        else:
            exemptions[(sid, uid)] = reason
    rules = {s.id: _rules_of(s, closing_rules or accepted.get(s.id)) for s in schools_}
    zones_of = {s.id: s.timezone for s in schools_}
    writing = quotas.writing_of({sid: (r.note_least, zones_of[sid]) for sid, r in rules.items()}, year)
    judge = year_assessor(registry().plugins)
    zones = {s.id: s.timezone for s in schools_}
    # the stretches on the staff, where a school asks reading notes each month (one query)
    spans = stints.spans_on_staff({sid: zones[sid] for sid, r in rules.items() if r.per_month}, people)
    for sid, user, since in _teachers_of(ids, year, people, [s.timezone for s in schools_]):
        who = (sid, user.id)
        out[sid].append(
            _facts(
                rules[sid], year, user, by_type.get(who, {}), absences.get(who, {}), exemptions.get(who),
                writing.get(who, []), judge, joined_day(since, zones[sid]), spans.get(who),
                # closed: the acceptance closing it now, or the lock that closed it (whatever rules it kept)
                closing_rules is not None or sid in accepted,
            )
        )
    return out


def _teachers_of(
    school_ids: list[int], year: str | None, user_ids: list[int] | None = None, zones: Collection[str] | None = None,
) -> list[tuple[int, User, datetime | None]]:
    """(school id, user, when their teacher role there dates from: ``Membership.since``) of each
    school's active teachers (with ``year``, those who joined before it was over, and those who
    left after it was over) and, with ``year``, anyone with something of theirs that the year's
    figures count (:func:`_counted_statement`: a teacher who has since left still appears on
    that year's summary, as on their record) — for a year the district closed (accepted whole,
    or both its semesters), the teachers of its kept rows instead; with ``user_ids``, only those
    people. The year ends in each school's zone: ``zones``, where the caller holds the schools
    (else read from them)."""
    params: dict[str, object] = {"school_ids": school_ids}
    shape = 0  # the zones the statement tells apart (:func:`_over_at`)
    if year is not None:
        params.update(_over_at_params(year, _zones_in(school_ids) if zones is None else zones), year=year)
        shape = _zones_told_apart(params)
        params["confirmed"], params["writing_counts"] = _confirmed_states(), quotas.counting_states()
    if user_ids is not None:
        params["user_ids"] = user_ids
    rows = db.session.execute(_teachers_statement(year is not None, user_ids is not None, shape), params).all()
    return sorted(((sid, user, since) for sid, user, since in rows),
                  key=lambda r: (r[0], pinyin_key(r[1].display_name), r[1].id))


@cache
def _counted_statement(one_year: bool, some_people: bool) -> CompoundSelect:
    """(``sid``, ``uid``, ``school_year``) of everything of a person's that a school year's
    figures count: ledger entries, unexcused or excused absence from an activity a reviewer
    confirmed, an exemption, writing towards the quotas (their own, or written evidence that
    counts: :func:`quotas.counts_towards_quotas`). The one rule of who belongs to a school's
    year besides its active teachers: the summaries and the stored rows (:func:`_teachers_of`)
    and the teacher's record (:func:`record_years`) ask it. Bound: ``school_ids``,
    ``confirmed``, ``writing_counts`` (and ``year``, ``user_ids``); built once per shape."""
    school_ids: BindParameter[list[int]] = bindparam("school_ids", expanding=True)

    def where(q: Select, sid: Any, uid: Any, year: Any) -> Select:
        q = q.where(sid.in_(school_ids))
        if one_year:
            q = q.where(year == bindparam("year"))
        return q.where(uid.in_(bindparam("user_ids", expanding=True))) if some_people else q

    credited = where(
        select(CreditEntry.school_id.label("sid"), CreditEntry.user_id.label("uid"), CreditEntry.school_year),
        CreditEntry.school_id, CreditEntry.user_id, CreditEntry.school_year,
    )
    absent = where(
        select(Activity.school_id, Participation.user_id, Activity.school_year)
        .join(Participation, Participation.activity_id == Activity.id)
        .where(
            Activity.state.in_(bindparam("confirmed", expanding=True)),
            (Participation.absent_hours > 0) | (Participation.excused_hours > 0),
            ~away_clause(Participation.user_id, Activity.school_id, Activity.starts_at),  # held while away
        ),
        Activity.school_id, Participation.user_id, Activity.school_year,
    )
    exempt = where(
        select(Exemption.school_id, Exemption.user_id, Exemption.school_year),
        Exemption.school_id, Exemption.user_id, Exemption.school_year,
    )
    own = where(
        select(OwnWriting.school_id, OwnWriting.user_id, OwnWriting.school_year),
        OwnWriting.school_id, OwnWriting.user_id, OwnWriting.school_year,
    )
    handed_in = where(
        select(Activity.school_id, Evidence.user_id, Activity.school_year)
        .join(Evidence, Evidence.activity_id == Activity.id)
        .where(Evidence.kind.in_(quotas.WRITTEN_KINDS), quotas.counts_towards_quotas()),
        Activity.school_id, Evidence.user_id, Activity.school_year,
    )
    return union(credited, absent, exempt, own, handed_in)


def _held_before_a_gap(over_at: Any) -> Exists:
    """Whether the membership was held when the year was over in a stretch before a gap (left
    after it was over, given back after a later year ended: ``users.give_back``)."""
    return select(EarlierStint.id).where(
        EarlierStint.membership_id == Membership.id,
        or_(EarlierStint.since.is_(None), EarlierStint.since < over_at), EarlierStint.until >= over_at,
    ).exists()


@cache
def _teachers_statement(counted_too: bool, some_people: bool, zones: int = 0) -> Select:
    """The statement of :func:`_teachers_of` with ``school_ids`` (and ``year``, ``confirmed``,
    ``user_ids``, the year's end in the schools' ``zones``: :func:`_over_at_params`) as bound
    parameters, built once per shape."""
    school_ids: BindParameter[list[int]] = bindparam("school_ids", expanding=True)
    user_ids: BindParameter[list[int]] = bindparam("user_ids", expanding=True)
    teaching = select(Membership.school_id.label("sid"), Membership.user_id.label("uid")).where(
        Membership.school_id.in_(school_ids), Membership.role == TEACHER
    )
    if some_people:
        teaching = teaching.where(Membership.user_id.in_(user_ids))
    if counted_too:
        year: BindParameter[str] = bindparam("year")
        over_at = _over_at(Membership.school_id, zones)
        # the teachers of the year: who joined before it was over (``over_at``, in the school's
        # zone: 1 September begins earlier in Shanghai than in Urumqi) and teach here
        # still or left after it was over (taking someone off today leaves the years over
        # unchanged); one who joined since, or left before its end, is on it only for what it
        # counts of theirs. A year the district closed (``locks.closed_clause``) has the
        # teachers it was accepted with (below), or, without rows, today's.
        teaching = teaching.where(or_(
            and_(or_(Membership.active.is_(True), and_(Membership.until.is_not(None), Membership.until >= over_at)),
                 or_(Membership.since.is_(None), Membership.since < over_at,
                     locks.closed_clause(Membership.school_id, year))),
            _held_before_a_gap(over_at)))
        counted = _counted_statement(True, some_people).subquery()
        # a closed year has the teachers it was accepted with (its stored rows, kept as
        # accepted), not whoever teaches or has something there since
        kept = select(TeacherYearRow.school_id, TeacherYearRow.user_id).where(
            TeacherYearRow.school_id.in_(school_ids), TeacherYearRow.school_year == year,
            locks.closed_clause(TeacherYearRow.school_id, year),
        )

        def accepted_with_rows(school_id: Any) -> ColumnElement[bool]:
            rows = select(TeacherYearRow.user_id).where(TeacherYearRow.school_id == school_id,
                                                        TeacherYearRow.school_year == year).exists()
            return and_(locks.closed_clause(school_id, year), rows)

        teaching = teaching.where(~accepted_with_rows(Membership.school_id))
        others = select(counted.c.sid, counted.c.uid).where(~accepted_with_rows(counted.c.sid))
        if some_people:
            kept = kept.where(TeacherYearRow.user_id.in_(user_ids))
        people = union(teaching, others, kept).subquery()
    else:
        people = teaching.where(Membership.active.is_(True)).subquery()
    # with when their teacher role there dates from (none: not a teacher there)
    role = and_(Membership.user_id == people.c.uid, Membership.school_id == people.c.sid, Membership.role == TEACHER)
    return (select(people.c.sid, User, Membership.since).join(User, User.id == people.c.uid)
            .outerjoin(Membership, role).order_by(people.c.sid, User.display_name, User.id))


def summary_row_count(year: str, *, school_id: int | None = None, district_id: int | None = None) -> int:
    """How many rows the 学时汇总表 of ``year`` has — of one school (``school_id``), of a
    district's schools (``district_id``) or of every school: one per school and person of
    :func:`_teachers_of` (a teacher of two schools is on both), counted by its own statement in
    one query, so an export's size is the size of what it writes — of the schools that have the
    year on their records (:func:`years_on_record`: the others write no row), read first: the
    schools (their zones), and of a year over what they hold of it; no count of a year on no
    school's record."""
    q = select(School)
    if school_id is not None:
        q = q.where(School.id == school_id)
    elif district_id is not None:
        q = q.where(School.district_id == district_id)
    chosen = list(db.session.scalars(q))
    ids = sorted(years_on_record(chosen, year))
    if not ids:
        return 0
    params: dict[str, object] = {"year": year, "confirmed": _confirmed_states(),
                                 "writing_counts": quotas.counting_states(), "school_ids": ids}
    params.update(_over_at_params(year, [s.timezone for s in chosen if s.id in ids]))
    rows = _teachers_statement(True, False, _zones_told_apart(params)).order_by(None).subquery()
    return int(db.session.execute(select(func.count()).select_from(rows), params).scalar_one())


def note_least_in(school: School, year: str) -> int:
    """The characters a reading note needs to count in the school's ``year`` (:func:`quotas.note_least`):
    the rules the district accepted the year with, else the school's as they stand — as
    :func:`teacher_year` reads it, for a page that shows one piece (the activity page's evidence)."""
    text = db.session.execute(
        select(cast(YearSubmission.rules, String)).select_from(YearLock)
        .join(YearSubmission, YearSubmission.id == YearLock.submission_id)
        .where(YearLock.school_id == school.id, YearLock.school_year == year, locks.closes_year(YearLock)).limit(1)
    ).scalar()
    return _rules_of(school, _accepted_rules(text)).note_least


def _accepted_rules(text: str | None) -> Mapping[str, Any] | None:
    """The rules an accepted year was submitted with, from their JSON text (None: kept none)."""
    found = json.loads(text) if text else None
    return found if isinstance(found, dict) else None


@functools.cache
def _teacher_year_statement(
    confirmed: tuple[str, ...], counting: tuple[str, ...], with_types: bool = False,
) -> CompoundSelect:
    """The UNION ALL behind :func:`teacher_year`, with ``uid``, ``school_id`` and ``year``
    as bound parameters (and ``user_id`` for the writing of :func:`quotas.pieces_of_one`).
    Built once per set of states (``confirmed``: :func:`_confirmed_states`; ``counting``:
    :func:`quotas.counting_states`, both from the installed types' code), which are written in
    as constants (``database.in_constants``): building it cost more than running it, and expanding lists were
    written into its SQL again on every run. Each row is ``kind``, ``key``, ``semester``,
    ``a``, ``b``, ``c``, ``d``, ``e``, ``f``; only the writing ("w") uses ``c`` to ``f``. The
    writing takes ``note_least`` (:func:`quotas.note_least`) and the month bounds
    (:func:`quotas.month_params`) too. ``with_types``: the school's rows of its activity types
    too ("s": the type's key, its settings as JSON text in ``c``, whether it is enabled in
    ``d``), which the teacher home reads beside the year (:func:`teacher_year_and_types`): one
    statement fewer on every visit; and the teacher's plan of the year ("p": its status in
    ``key``, its target in ``a``, its targets by type as JSON text in ``c``; "n": its comment in
    ``key``), one more (round 59)."""
    uid: BindParameter[int] = bindparam("uid")
    school_id: BindParameter[int] = bindparam("school_id")
    year: BindParameter[str] = bindparam("year")
    by_type = select(
        constant("t").label("kind"),
        CreditEntry.type_key.label("key"),
        cast(null(), Integer).label("semester"),
        func.sum(CreditEntry.hours).label("a"),
        cast(null(), Numeric).label("b"),
        cast(null(), String).label("c"),
        cast(null(), Integer).label("d"),
        cast(null(), Integer).label("e"),
        cast(null(), Integer).label("f"),
    ).where(CreditEntry.school_id == school_id, CreditEntry.school_year == year, CreditEntry.user_id == uid)
    by_type = by_type.group_by(CreditEntry.type_key)
    absences = (
        select(
            constant("a"),
            cast(null(), String),
            Activity.semester,
            func.sum(Participation.absent_hours),
            func.sum(Participation.excused_hours),
            cast(null(), String),
            cast(null(), Integer),
            cast(null(), Integer),
            cast(null(), Integer),
        )
        .join(Activity, Activity.id == Participation.activity_id)
        .where(
            Participation.user_id == uid,
            Activity.school_id == school_id,
            Activity.school_year == year,
            in_constants(Activity.state, confirmed),
            ~away_clause(Participation.user_id, Activity.school_id, Activity.starts_at),  # held while away
        )
        .group_by(Activity.semester)
    )
    exemption = select(
        constant("e"), cast(Exemption.reason, String), cast(null(), Integer), cast(null(), Numeric),
        cast(null(), Numeric), cast(null(), String), cast(null(), Integer), cast(null(), Integer), cast(null(), Integer),
    ).where(Exemption.user_id == uid, Exemption.school_id == school_id, Exemption.school_year == year)
    # the teacher is in the accepted year: a row of theirs is kept, or none is (no write ever
    # filled the year: then its teachers are today's, as :func:`_teachers_of` lists them)
    kept = select(TeacherYearRow.user_id).where(TeacherYearRow.school_id == school_id,
                                                TeacherYearRow.school_year == year)
    in_year = case((kept.where(TeacherYearRow.user_id == uid).exists() | ~kept.exists(), constant(1)), else_=constant(0))
    accepted = (
        select(
            constant("r"), cast(YearSubmission.rules, String), in_year, cast(null(), Numeric),
            cast(null(), Numeric), cast(null(), String), cast(null(), Integer), cast(null(), Integer), cast(null(), Integer),
        )
        .select_from(YearLock)
        .join(YearSubmission, YearSubmission.id == YearLock.submission_id)
        .where(YearLock.school_id == school_id, YearLock.school_year == year, locks.closes_year(YearLock))
    )
    # the periods of the year the district accepted (its semesters, or the whole year)
    locked = select(
        constant("l"), cast(null(), String), YearLock.semester, cast(null(), Numeric),
        cast(null(), Numeric), cast(null(), String), cast(null(), Integer), cast(null(), Integer), cast(null(), Integer),
    ).where(YearLock.school_id == school_id, YearLock.school_year == year)
    # the writing: title, semester, characters, longest piece, kind, pieces, pieces that count
    # (``note_least``: the reading notes' length the school's rule asks, :func:`quotas.note_least`)
    pieces = quotas.pieces_of_one(counting).subquery()
    writing = select(
        constant("w"), pieces.c.title, pieces.c.semester, pieces.c.chars, pieces.c.longest,
        pieces.c.kind, pieces.c.pieces, pieces.c.counted, pieces.c.month,
    )
    # when their teacher role here dates from (joined, or back after a gap), as text
    joined = select(
        constant("m"), cast(Membership.since, String), cast(null(), Integer), cast(null(), Numeric),
        cast(null(), Numeric), cast(null(), String), cast(null(), Integer), cast(null(), Integer), cast(null(), Integer),
    ).where(Membership.user_id == uid, Membership.school_id == school_id, Membership.role == constant(TEACHER),
            Membership.since.is_not(None))
    # the schools they left within the year (moved from): their ids, no statement more for the others
    left = select(
        constant("o"), cast(null(), String), Membership.school_id, cast(null(), Numeric),
        cast(null(), Numeric), cast(null(), String), cast(null(), Integer), cast(null(), Integer), cast(null(), Integer),
    ).where(stints.left_in_year(uid, school_id, bindparam("year_from"), bindparam("year_to")))
    parts = [by_type, absences, exemption, accepted, locked, writing, joined, left]
    if with_types:
        parts.append(select(
            constant("s"), SchoolActivityType.type_key, cast(null(), Integer), cast(null(), Numeric),
            cast(null(), Numeric), cast(SchoolActivityType.settings, String),
            cast(SchoolActivityType.enabled, Integer), cast(null(), Integer), cast(null(), Integer),
        ).where(SchoolActivityType.school_id == school_id))
        # the teacher's plan of the year, what the home shows of it (:class:`HomePlan`): its status,
        # target and targets by type as JSON text ("p"), and its comment ("n": a second text)
        theirs = (DevelopmentPlan.school_id == school_id, DevelopmentPlan.user_id == uid,
                  DevelopmentPlan.school_year == year)
        parts.append(select(
            constant("p"), DevelopmentPlan.status, cast(null(), Integer), DevelopmentPlan.target_hours,
            cast(null(), Numeric), cast(DevelopmentPlan.type_targets, String),
            cast(null(), Integer), cast(null(), Integer), cast(null(), Integer),
        ).where(*theirs))
        parts.append(select(
            constant("n"), DevelopmentPlan.comment, cast(null(), Integer), cast(null(), Numeric),
            cast(null(), Numeric), cast(null(), String), cast(null(), Integer), cast(null(), Integer), cast(null(), Integer),
        ).where(*theirs))
    return keep_compiled(union_all(*parts))


def teacher_year(user: User, school: School, year: str, leave_out: int | None = None) -> TeacherYear:
    """One teacher's year: :func:`teacher_year_and_types` without the school's types.
    ``leave_out``: as it would be without their own piece of writing of that id (what deleting
    it would leave: ``writing.deletion_loses``)."""
    return _teacher_year(user, school, year, None, leave_out)


class HomePlan(NamedTuple):
    """What the teacher home shows of the teacher's development plan of the year (read with
    their year: :func:`teacher_year_and_types`), by the attributes of ``DevelopmentPlan`` that
    ``plans.against`` and ``plans.closed_by_deadline`` read."""

    status: str
    comment: str
    target_hours: Decimal
    type_targets: dict[str, Any] | None


def teacher_year_and_types(
    user: User, school: School, year: str,
) -> tuple[TeacherYear, list[tuple[str, Any, bool]], HomePlan | None]:
    """:func:`teacher_year` and, from the same statement, the school's rows of its activity
    types — each type's key, its stored settings (as the column reads them) and whether it is
    enabled — for :func:`portal.services.schools.settings_and_enabled_of`, and the teacher's
    plan of the year (None: none written): the teacher home needs all three on every visit
    (round 59: the plan had a statement of its own)."""
    types: list[tuple[str, Any, bool]] = []
    plan: dict[str, tuple[Any, ...]] = {}
    record = _teacher_year(user, school, year, types, plan=plan)
    if "p" not in plan:
        return record, types, None
    (status, target, targets), comment = plan["p"], plan["n"][0]
    return record, types, HomePlan(status, comment, target, None if targets is None else json.loads(targets))


def _teacher_year(user: User, school: School, year: str, school_types: list[tuple[str, Any, bool]] | None,
                  leave_out: int | None = None, plan: dict[str, tuple[Any, ...]] | None = None) -> TeacherYear:
    """One teacher's year: ledger by type, absences by semester, any exemption, the rules of
    a year the district accepted and the periods it accepted, read in a single UNION ALL query (the teacher's home page runs
    it on every visit). A teacher who joined after the district accepted the year, whom its kept
    teachers leave out, is marked ``joined_after_acceptance``, and one not on the staff when the
    year was over (joined after it, or had left), with nothing of theirs there,
    ``joined_after_year``: home, record and API say so instead of assessing 0 h."""
    types: dict[str, Decimal] = {}
    absent: dict[int, tuple] = {}
    exemption: str | None = None
    accepted: Mapping[str, Any] | None = None
    joined_after = year_accepted = False
    writing: list[quotas.Piece] = []
    periods: set[int] = set()
    since: date | None = None
    left: set[int] = set()
    statement = _teacher_year_statement(tuple(_confirmed_states()), tuple(quotas.counting_states()),
                                        school_types is not None)
    least = quotas.note_least(school.rule)
    params = {"uid": user.id, "school_id": school.id, "year": year, "user_id": user.id, "note_least": least,
              **quotas.month_params(year, school.timezone), **_year_span(year, school.timezone)}
    for kind, key, semester, a, b, c, d, e, f in read_rows(statement, params).all():
        if kind == "w":
            writing.append(quotas.piece_of((c, semester, key, d, a, b, e, f)))
        elif kind == "t":
            types[key] = a
        elif kind == "a":
            absent[semester] = (a, b)
        elif kind == "r":
            accepted, joined_after, year_accepted = _accepted_rules(key), not semester, True
        elif kind == "l":
            periods.add(semester)
        elif kind == "m":
            since = joined_day(key, school.timezone)
        elif kind == "o":
            left.add(semester)
        elif kind == "s" and school_types is not None:
            # the settings as the JSON column reads them (its text decoded; none stored: None)
            school_types.append((key, None if c is None else json.loads(c), bool(d)))
        elif kind in ("p", "n") and plan is not None:  # the plan's two rows, as they came
            plan[kind] = (key, a, c)
        else:
            exemption = key
    rules = _rules_of(school, accepted)
    if leave_out is not None:
        writing = quotas.pieces_but_one(school.id, user.id, year, rules.note_least, school.timezone, leave_out)
    elif rules.note_least != least:  # an accepted year, submitted with another length of a note: read with it
        writing = quotas.writing_of({school.id: (rules.note_least, school.timezone)}, year).get(
            (school.id, user.id), [])
    spans = stints.spans_on_staff({school.id: school.timezone}, [user.id]) if rules.per_month else {}
    ty = _facts(rules, year, user, types, absent, exemption, writing, since=since, spans=spans.get((school.id, user.id)),
                closed=locks.covers(periods, WHOLE_YEAR))  # the locks say whether the year is closed
    ty.joined_after_acceptance, ty.year_accepted = joined_after, year_accepted
    ty.accepted_periods = frozenset(periods)
    ty.left_schools = frozenset(left)
    ty.note_least, ty.note_per_month = rules.note_least, rules.per_month
    counted = bool(types or absent or exemption is not None or writing)
    ty.joined_after_year = not year_accepted and not counted and _off_the_staff_at_its_end(user.id, school, year)
    return ty


def _year_span(year: str, zone: str) -> dict[str, datetime]:
    """``year_from`` and ``year_to``: when the school year begins and is over at a school in
    ``zone`` (naive UTC), as :func:`stints.left_in_year` takes them."""
    first = datetime.combine(year_bounds(year)[0], datetime.min.time())
    return {"year_from": parse_iso(first, zone), "year_to": year_over_at(year, zone)}


@dataclass(frozen=True)
class EarlierSchool:
    """A school the teacher left within the year (:func:`earlier_schools`): its name, the days
    they were on its teaching staff in the year (the first, and the last before the day they
    left) and the hours it credited them in the year, which count towards its assessment and
    the district's records, not the school they are at now."""

    school_id: int
    name: str
    first_day: date
    last_day: date
    hours: Decimal


def earlier_schools(user_id: int, school: School, year: str) -> list[EarlierSchool]:
    """The schools the teacher left within ``year`` (other than ``school``, :func:`stints.left_in_year`),
    each with its name, the days they were there in the year and the hours it credited them,
    in the order they left them: one statement. The teacher's own, to read (the policy's
    ``may_see_earlier_schools``): nobody else's business at this school."""
    span = _year_span(year, school.timezone)
    hours = (select(func.coalesce(func.sum(CreditEntry.hours), 0))
             .where(CreditEntry.school_id == Membership.school_id, CreditEntry.user_id == user_id,
                    CreditEntry.school_year == year).scalar_subquery())
    rows = db.session.execute(
        select(School.id, School.name, School.timezone, Membership.since, Membership.until, hours)
        .join(School, School.id == Membership.school_id)
        .where(stints.left_in_year(user_id, school.id, span["year_from"], span["year_to"]))
        .order_by(Membership.until, School.id)
    ).all()
    first_of_year = year_bounds(year)[0]
    out = []
    for sid, name, zone, since, until, credited in rows:
        assert until is not None  # stints.left_in_year: a role that ended
        began = to_local(since, zone).date() if since is not None else first_of_year
        out.append(EarlierSchool(sid, name, max(began, first_of_year),
                                 to_local(until - timedelta(microseconds=1), zone).date(), _dec(credited)))
    return out


def _off_the_staff_at_its_end(user_id: int, school: School, year: str) -> bool:
    """Whether the teacher did not hold the teacher role in the school when ``year`` was over:
    joined after it, or had left before its end (and was not back by then, in the stretch of the
    role today or one before a gap: :func:`_held_before_a_gap`) — the rule of
    :func:`_teachers_statement`, asked of one person. Asked only of a year that is over, so the
    current year's pages run no statement for it; someone without the role here is not asked."""
    over = year_over_at(year, school.timezone)
    if over > utcnow():
        return False
    row = db.session.execute(select(
        Membership.since, Membership.active, Membership.until, _held_before_a_gap(over),
    ).where(Membership.user_id == user_id, Membership.school_id == school.id, Membership.role == TEACHER)).one_or_none()
    if row is None:
        return False
    since, active, until, held = row
    at_its_end = (since is None or since < over) and (bool(active) or (until is not None and until >= over))
    return not at_its_end and not held


def school_teachers(school_id: int, year: str | None = None) -> list[User]:
    """The school's active teachers; with ``year``, also anyone with something counted there that
    year (:func:`_teachers_of`)."""
    return [user for _sid, user, _since in _teachers_of([school_id], year)]


def teaching_now(school_id: int) -> set[int]:
    """The ids of the school's active teachers (one query): who on a year's summary has not
    left — the others are there for what the year counts of theirs, and are marked so."""
    return set(db.session.execute(select(Membership.user_id).where(
        Membership.school_id == school_id, Membership.role == TEACHER, Membership.active.is_(True))).scalars())


def _teaching_and_accepted_statement() -> CompoundSelect:
    """:func:`teaching_now_and_accepted`'s statement (``school_id``, ``year`` bound). Built once:
    every school summary asks it, and building and keying it cost more than running it."""
    school_id: BindParameter[int] = bindparam("school_id")
    teaching = select(literal(0, Integer), Membership.user_id).where(
        Membership.school_id == school_id, Membership.role == TEACHER, Membership.active.is_(True))
    locked = select(literal(1, Integer), YearLock.semester).where(
        YearLock.school_id == school_id, YearLock.school_year == bindparam("year"))
    return union_all(teaching, locked)


_TEACHING_AND_ACCEPTED = keep_compiled(_teaching_and_accepted_statement())


def teaching_now_and_accepted(school_id: int, year: str) -> tuple[set[int], frozenset[int]]:
    """:func:`teaching_now` and the periods of ``year`` the district accepted at the school
    (:func:`portal.services.locks.accepted_periods`: over for the warnings), in one statement:
    what a year's summary asks of both besides its rows."""
    found: tuple[set[int], set[int]] = (set(), set())
    for kind, value in read_rows(_TEACHING_AND_ACCEPTED, {"school_id": school_id, "year": year}):
        found[kind].add(value)
    return found[0], frozenset(found[1])


def teaches_at(school_id: int, user_id: int) -> bool:
    """Whether the person is one of the school's active teachers today."""
    return bool(_teachers_of([school_id], None, [user_id]))


def on_summary(school_id: int, year: str, user_id: int) -> bool:
    """Whether the person is on the school's summary of ``year`` (:func:`_teachers_of`): an
    active teacher, or one who left with something counted that year."""
    return bool(_teachers_of([school_id], year, [user_id]))


def judged_elsewhere(school_id: int, year: str, user_id: int) -> list[School]:
    """The other schools whose summary of ``year`` lists the person (:func:`on_summary`), by id:
    they taught there that year (or have something it counts), and those schools judge it."""
    listed = _listed_elsewhere(school_id, year, [user_id]).get(user_id, set())
    return [db.session.get_one(School, sid) for sid in sorted(listed)]


def _listed_elsewhere(school_id: int, year: str, user_ids: Collection[int]) -> dict[int, set[int]]:
    """Of ``user_ids``, each one's other schools (where they are a teacher) whose summary of
    ``year`` lists them (:func:`judged_elsewhere`), by user id: two queries, however many people."""
    taught = set(db.session.execute(
        select(Membership.school_id, Membership.user_id).where(
            Membership.user_id.in_(sorted(user_ids)), Membership.role == TEACHER,
            Membership.school_id != school_id)).tuples())
    others = sorted({sid for sid, _uid in taught if sid is not None})
    out: dict[int, set[int]] = {}
    if others:
        for sid, user, _since in _teachers_of(others, year, sorted({uid for _sid, uid in taught})):
            if (sid, user.id) in taught:
                out.setdefault(user.id, set()).add(sid)
    return out


def judged_here(school_id: int, year: str, users: Iterable[User]) -> list[User]:
    """``users`` less those whom another school's summary of ``year`` lists
    (:func:`judged_elsewhere`): whom this school may still give a verdict of the year."""
    users = list(users)
    elsewhere = _listed_elsewhere(school_id, year, [u.id for u in users]) if users else {}
    return [u for u in users if u.id not in elsewhere]


def teaching_rows(school: School, year: str) -> list[TeacherYear]:
    """The rows of :func:`school_summary` of the people who teach at the school today: whom its
    reminders are for (a teacher who left is still on the year, but is told nothing more)."""
    teaching = {user.id for _sid, user, _since in _teachers_of([school.id], None)}
    return [row for row in school_summary(school, year) if row.user.id in teaching]


def school_summary(school: School, year: str) -> list[TeacherYear]:
    """One row per teacher of the school: hours by type, total, status."""
    return year_rows([school], year)[school.id]


def stored_years(school: School, year: str, rows: Collection[Row], *, closed: bool) -> list[StoredYear]:
    """The school's teacher-year rows for ``year`` (``teacher_years.summary_rows``: each the teacher's
    ``id``, ``username``, ``display_name``, ``gender``, ``birth_date``, then the row's
    ``by_type``, ``absent_hours`` and ``excused_hours`` as JSON text, its ``exemption_reason``
    and when their teacher role dates from, ``Membership.since``) as :func:`school_summary`
    gives them, teachers in the same order: the facts put together by :func:`_year_facts` with
    the school's rules and writing of today, assessed by the policy hook (as the exports are, a
    policy plugin installed since the rows were written included). One query (the writing).
    Alike texts and hour figures (most teachers' absences: none) are read once each.
    ``closed``: whether the district closed the year (``locks.covers`` of the whole year), as
    :class:`TeacherYear` is told: a year closed before its end is judged, not 进行中."""
    rules = _rules_of(school)
    writing = quotas.writing_of({school.id: (rules.note_least, school.timezone)}, year)
    none: list[quotas.Piece] = []
    read, dec, judge = Memo(json.loads), Memo(_dec), year_assessor(registry().plugins)
    # most teachers' absences are alike (none): read once per distinct pair of texts
    absences_of: Memo[dict[int, tuple]] = Memo(
        lambda texts: {int(sem): (hours, read[texts[1]].get(sem)) for sem, hours in read[texts[0]].items()}
    )
    # most teachers' roles date from a few days (those brought in together): each turned once
    joined: Memo[date | None] = Memo(lambda since: joined_day(since, school.timezone))
    sid, out, under_way = school.id, [], _under_way(rules, year, closed)
    spans = stints.spans_on_staff({sid: school.timezone}) if rules.per_month else {}
    # every row's hours by type (each teacher's own text) decoded in one call
    by_type = json.loads("[" + ",".join([row[5] for row in rows]) + "]") if rows else []
    for (uid, username, name, gender, birth, _t, absent, excused, exemption, since), types in zip(
            rows, by_type, strict=True):
        person = Person(uid, username, name, gender, birth)
        facts = _year_facts(
            rules, year, person, types, absences_of[absent, excused], exemption,
            writing.get((sid, uid), none), dec.__getitem__, joined[since], spans.get((sid, uid)),
        )
        out.append(StoredYear(person, facts, judge(facts), under_way))
    out.sort(key=lambda r: (pinyin_key(r.user.display_name), r.user.id))
    return out


def _entries(user_id: Any, school_id: Any, year: Any, *columns: Any) -> Select:
    q = (
        select(*columns)
        .join(Activity, Activity.id == CreditEntry.activity_id)
        .where(CreditEntry.user_id == user_id)
        .order_by(CreditEntry.school_year.desc(), CreditEntry.created_at, CreditEntry.id)
    )
    if school_id is not None:
        q = q.where(CreditEntry.school_id == school_id)
    if year is not None:
        q = q.where(CreditEntry.school_year == year)
    return q


def entries_for(
    user_id: int, school_id: int | None = None, year: str | None = None, until: datetime | None = None
) -> list[tuple[CreditEntry, Activity]]:
    """A teacher's ledger entries with their activities, oldest year last; with ``until``, only
    those written by then (the append-only ledger as it stood: a submission's lines)."""
    q = _entries(user_id, school_id, year, CreditEntry, Activity)
    if until is not None:
        q = q.where(CreditEntry.created_at <= until)
    return list(db.session.execute(q))


# What the teacher home lists of a year's entries (bound ``user_id``, ``school_id``, ``year``):
# built once, the home asks on every visit
_ENTRY_LINES = keep_compiled(_entries(
    bindparam("user_id"), bindparam("school_id"), bindparam("year"),
    CreditEntry.id, CreditEntry.kind, CreditEntry.type_key, CreditEntry.hours, CreditEntry.created_at,
    CreditEntry.activity_id, Activity.title, Activity.starts_at,
))


def entry_lines(user_id: int, school_id: int, year: str) -> list[Row]:
    """The entries of :func:`entries_for` as the teacher home lists them, as plain rows: the
    entry's ``id``, ``kind``, ``type_key``, ``hours``, ``created_at``, its ``activity_id``,
    ``title`` and ``starts_at`` (a home with a year of entries loaded them whole, activities' details and all)."""
    params = {"user_id": user_id, "school_id": school_id, "year": year}
    return list(read_rows(_ENTRY_LINES, params).all())


# -- school years ---------------------------------------------------------------------------


def parse_year(value: object, default: str | None = None, *, required: bool = False) -> str:
    """A school year such as ``2026-2027``; empty → ``default`` (the current year if None), as a
    page's empty year field means — unless ``required`` (a command's ``--year "$YEAR"`` with the
    variable unset is a mistake, not the current year)."""
    if value in (None, "") and not required:
        return default or current_school_year()
    if not isinstance(value, str) or not valid_school_year(value.strip()):
        raise Invalid(
            msg("year.invalid", value=shown(value), first=FIRST_SCHOOL_YEAR, last=LAST_SCHOOL_YEAR),
            {"year": msg("year.invalid_field")},
        )
    return value.strip()


def type_keys_for_year(
    year: str, school_id: int | None = None, rows: Sequence[SummaryRow] | None = None
) -> list[str]:
    """Columns of a summary: the school's enabled types (every installed type for the
    district), then any other type with entries that year (disabled or uninstalled). Given the
    summary's ``rows``, the other types are read from their facts instead of the ledger."""
    if school_id is None:
        keys = registry().keys()
    else:
        from portal.services.schools import enabled_types

        keys = [reg.decl.key for reg in enabled_types(school_id)]
    if rows is not None:
        found: set[str] = {k for row in rows for k in row.facts.by_type}
    else:
        q = select(CreditEntry.type_key).where(CreditEntry.school_year == year).distinct()
        if school_id is not None:
            q = q.where(CreditEntry.school_id == school_id)
        found = set(db.session.execute(q).scalars())
    extra = sorted(k for k in found if k not in keys)
    return [*keys, *extra]


# -- a teacher's record (成长档案) -------------------------------------------------------------


@dataclass
class RecordYear:
    school_year: str
    summary: TeacherYear
    entries: list[tuple[CreditEntry, Activity]] = field(default_factory=list)
    #: where the year's absence happened: each confirmed activity the teacher missed (part of)
    absences: list[tuple[Participation, Activity]] = field(default_factory=list)


def viewable_teacher(viewer: policy.Actor, user_id: int, school: School) -> User:
    """The teacher whose record ``viewer`` asks for (:func:`portal.policy.may_read_record`),
    also one who has left the school (the summaries of their years still list them). Someone
    who never belonged to the school is 'not found'."""
    target = access.get_past_or_present_member(user_id, school.id)
    if not policy.may_read_record(viewer, user_id):
        raise Forbidden(msg("policy.read_record"))
    return target


#: what a school holds of a school year — an activity, a ledger line, an exemption, writing, the
#: district's lock — as (school, year) columns: a year it holds anything of is one it assessed its
#: teachers for (:func:`_record_years_of`), one it holds nothing of no year of its records
_HELD = ((Activity.school_id, Activity.school_year), (CreditEntry.school_id, CreditEntry.school_year),
         (Exemption.school_id, Exemption.school_year), (OwnWriting.school_id, OwnWriting.school_year),
         (YearLock.school_id, YearLock.school_year))

# the years a teacher's record may list (built once: the record page asks on every visit):
# those with something of theirs counted (``1``), and those the school holds anything of (``0``)
_RECORD_YEARS = union(
    select(_counted_statement(False, True).subquery().c.school_year, literal(1, Integer).label("counted")),
    *(select(year, literal(0, Integer)).where(school_id == bindparam("school_id")) for school_id, year in _HELD),
)

# the schools of ``school_ids`` holding anything of ``year`` (:func:`years_on_record`)
_HOLDING = keep_compiled(union(*(
    select(school_id).where(school_id.in_(bindparam("school_ids", expanding=True)), year == bindparam("year"))
    for school_id, year in _HELD)))


def years_on_record(schools_: Collection[School], year: str, now: datetime | None = None) -> set[int]:
    """The ids of ``schools_`` that have ``year`` on their records: a year over that they hold
    anything of (:data:`_HELD`) — the rule of the years over the teachers' records list
    (:func:`_record_years_of`) — and their current school year (in their zone). A year over
    that a school recorded nothing of, and a year not begun (:func:`year_begun`: an activity
    planned ahead or an exemption set for it puts nobody's year on a record before it begins),
    is on no record: its summary, exports, 学时证明, the API and the district's counts assess
    nobody, and it is not submitted — not a failed year, nor one of teachers all 进行中. One
    statement, none when no school's year is over. ``now``: the instant asked of (naive UTC; a
    write's own, as the submission's check of the year begun reads it), else today."""
    on = {s.id for s in schools_ if year == current_school_year(s.timezone, now)}
    over = sorted(s.id for s in schools_ if year < current_school_year(s.timezone, now))
    if over:
        on.update(read_rows(_HOLDING, {"school_ids": over, "year": year}).scalars())
    return on


def year_begun(school: School, year: str) -> bool:
    """Whether ``year`` has begun at the school (in its zone): one not begun is on no record
    (:func:`years_on_record`), and each surface says so in its own words, not in those of a
    year over that the school recorded nothing of."""
    return year <= current_school_year(school.timezone)


def year_on_record(school: School, year: str, now: datetime | None = None) -> bool:
    """Whether ``year`` is on the school's records (:func:`years_on_record`)."""
    return bool(years_on_record([school], year, now))


def _record_summaries(user: User, school: School, only: str | None = None) -> list[tuple[str, TeacherYear]]:
    """Each year of the teacher's record in this school, newest first, with its
    :func:`teacher_year` (:func:`_record_years_of`): the current one while they are on the
    teaching staff (as its summary lists them); every year that holds something of theirs that the
    year's figures count — ledger entries, unexcused or excused absence from an activity a
    reviewer confirmed, an exemption (the year says 免于考核), writing towards the quotas; and
    every other year over that the school assessed (it holds anything of that year) while they
    were on its teaching staff at its end — the year its summary, its 学时证明 and the API
    assess them for (:func:`_teachers_of`: not :attr:`TeacherYear.not_theirs`), 0 h and all. A
    year over before they first joined is not asked (its summary leaves them out). One to three
    statements, and those of :func:`teacher_year` per year listed. With ``only``, that year
    alone is judged (the record of one year asks nothing of the others)."""
    counted, assessed = _record_years_of(user, school)
    out = []
    for year in sorted(counted | assessed, reverse=True):
        if only is not None and year != only:
            continue
        ty = teacher_year(user, school, year)
        if year in counted or not ty.not_theirs:
            out.append((year, ty))
    return out


def _record_years_of(user: User, school: School) -> tuple[set[str], set[str]]:
    """The years that may be on the teacher's record here: those on it whatever their figures
    (something of theirs counted; the current year while they are on the teaching staff), and
    the years over that the school holds anything of, on it unless not theirs
    (:attr:`TeacherYear.not_theirs`). The current year of a teacher who has left (or is away)
    with nothing of theirs in it is not on it: its summary leaves them out, and someone who left
    in the summer has no year here after their last; a year not begun is on no record
    (:func:`years_on_record`). One or two statements."""
    params = {"school_ids": [school.id], "user_ids": [user.id], "school_id": school.id,
              "confirmed": _confirmed_states(), "writing_counts": quotas.counting_states()}
    this_year = current_school_year(school.timezone)
    counted, assessed = set(), set()
    for year, theirs in read_rows(_RECORD_YEARS, params):
        if year > this_year:  # a year not begun is on no record yet (years_on_record), an exemption set for it too
            continue
        if theirs:
            counted.add(year)
        elif year < this_year:
            assessed.add(year)
    assessed -= counted
    if assessed or this_year not in counted:
        spans = stints.spans_on_staff({school.id: school.timezone}, [user.id]).get((school.id, user.id), ())
        if any(until is None for _since, until in spans):  # on the teaching staff today
            counted.add(this_year)
        # the years over before every stretch of theirs on the staff began are not asked
        assessed = {y for y in assessed if any(since is None or since <= year_bounds(y)[1] for since, _ in spans)}
    return counted, assessed


def on_record(user: User, school: School, ty: TeacherYear, year: str) -> bool:
    """Whether ``year`` (whose :func:`teacher_year` is ``ty``) is on the teacher's record here
    (:func:`_record_summaries`): what their 学时证明 and the API assess, as the record page lists it."""
    counted, assessed = _record_years_of(user, school)
    return year in counted or (year in assessed and not ty.not_theirs)


def record_years(user: User, school: School) -> list[str]:
    """The school years of the teacher's record in this school, newest first (:func:`_record_summaries`)."""
    return [year for year, _ty in _record_summaries(user, school)]


def teacher_record(user: User, school: School, year: str | None = None) -> list[RecordYear]:
    """The teacher's 成长档案 in this school, newest first: each year of :func:`record_years`
    (the current one, every year with entries, absence, an exemption or writing, and every year
    the school assessed them for), with the figures and status of :func:`teacher_year` — those
    of the year's school summary — and the year's ledger entries and absences
    (:func:`absences_for`). With ``year``, that year alone (none: not a year of their record)."""
    years = _record_summaries(user, school, year)
    if not years:
        return []
    entries = entries_for(user.id, school.id, year)
    missed = absences_for(user.id, school.id, year)
    return [RecordYear(y, ty, [t for t in entries if t[0].school_year == y], [m for m in missed if m[1].school_year == y])
            for y, ty in years]


# the activities of :func:`absences_for` (built once: the record page asks on every visit)
_ABSENCES = (
    select(Participation, Activity)
    .join(Activity, Activity.id == Participation.activity_id)
    .where(
        Participation.user_id == bindparam("user_id"),
        Activity.school_id == bindparam("school_id"),
        Activity.state.in_(bindparam("confirmed", expanding=True)),
        or_(Participation.absent_hours > 0, Participation.excused_hours > 0),
        ~away_clause(Participation.user_id, Activity.school_id, Activity.starts_at),  # held while away
    )
    .order_by(Activity.school_year.desc(), Activity.starts_at, Activity.id)
)


def absences_for(user_id: int, school_id: int, year: str | None = None) -> list[tuple[Participation, Activity]]:
    """(participation, activity) of every activity a reviewer confirmed that the teacher
    missed, whole or in part, excused (请假) or not — the rows whose sum is the year's absence
    (:func:`_year_statements`), so a teacher sees where each hour of it comes from. One query."""
    q = _ABSENCES if year is None else _ABSENCES.where(Activity.school_year == year)
    params = {"user_id": user_id, "school_id": school_id, "confirmed": _confirmed_states()}
    return [(p, a) for p, a in db.session.execute(q, params)]


# -- the certification form (学分认定表) -------------------------------------------------------


@dataclass
class CertificateLine:
    user: User
    role: str
    attended_hours: Decimal | None
    hours: Decimal  # net credited hours from the ledger
    remark: str  # the reviewer's adjustment reason, if any
    absent_hours: Decimal = ZERO  # unexcused
    excused_hours: Decimal = ZERO  # 请假
    away: bool = False  # held while they were off the school's teaching staff (``stints``)

    def remarks(self, lang: str | None = None) -> str:
        """备注 as the form prints it: the adjustment reason, then any absence (请假 / 缺席) with
        its hours, so that a teacher credited 0 h is never left without a word; of one away
        from the staff then, that their absence does not count (their year does not count it)."""
        return line_remarks(self.remark, self.absent_hours, self.excused_hours, self.away, lang)


def line_remarks(remark: str, absent_hours: Decimal, excused_hours: Decimal, away: bool, lang: str | None = None) -> str:
    """A 学分认定表 line's 备注 (:meth:`CertificateLine.remarks`) from its parts: the form's, and
    ``/verify``'s from the parts the form's code keeps, in the reader's language."""
    if away and (absent_hours or excused_hours):
        absence = in_lang(msg("paper.remark_away"), lang)
    else:
        absence = absence_remark(absent_hours, excused_hours, lang)
    return "; ".join([part for part in (remark, absence) if part])


def absence_remark(absent_hours: Decimal, excused_hours: Decimal, lang: str | None = None) -> str:
    """An absence in words, as the certification form's 备注 and the teacher's record say it:
    the leave (请假), then the unexcused absence, each with its hours; empty without either."""
    parts = []
    if excused_hours:
        parts.append(in_lang(msg("paper.remark_excused", hours=fmt(excused_hours)), lang))
    if absent_hours:
        parts.append(in_lang(msg("paper.remark_absent", hours=fmt(absent_hours)), lang))
    return "; ".join(parts)


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


# One activity's net hours per teacher (bound ``activity_id``): built once, not on every view of
# a credited activity's page, and read as plain rows (``read_rows``), not through the ORM
_NET_HOURS = keep_compiled(
    select(CreditEntry.user_id, driver_hours(func.sum(CreditEntry.hours)))  # each total made a Decimal once
    .where(CreditEntry.activity_id == bindparam("activity_id"))
    .group_by(CreditEntry.user_id)
)


def activity_net_hours(activity_id: int, until: datetime | None = None) -> dict[int, Decimal]:
    """Each teacher's net hours from one activity's ledger lines (credits less reversals): each
    distinct total made a Decimal once (sixty people share a handful of totals). With ``until``,
    only the lines written by then (what a school's submitted year counted, as :func:`entries_for`)."""
    if until is None:
        rows = read_rows(_NET_HOURS, {"activity_id": activity_id}).all()
    else:
        rows = db.session.execute(select(CreditEntry.user_id, driver_hours(func.sum(CreditEntry.hours))).where(
            CreditEntry.activity_id == activity_id, CreditEntry.created_at <= until).group_by(CreditEntry.user_id)).all()
    totals: dict[Any, Decimal] = {}
    for _uid, total in rows:
        if total not in totals:
            totals[total] = _dec(hours_from_driver(total))
    return {uid: totals[total] for uid, total in rows}


def credited_hours(act: Activity) -> dict[int, Decimal] | None:
    """Each participant's hours of an activity whose credits are posted (its workflow phase):
    its net ledger lines (:func:`activity_net_hours`), what its 学分认定表 certifies and every
    total counts, whatever the type's rule or the school's settings would give today. None
    while its credits are not posted: what crediting would give is still a preview."""
    if registry().phase(act.type_key, act.state) is not Phase.CREDITED:
        return None
    return activity_net_hours(act.id)


def certificate(activity_id: int, school_id: int) -> Certificate:
    """The credit certification form of a credited activity of this school."""
    act = access.get_activity(activity_id, school_id)
    net = credited_hours(act)
    if net is None:
        raise Conflict(msg("certificate.not_posted"), state=act.state)
    school = db.session.get_one(School, school_id)
    lines = certificate_lines(act, net)
    definition = registry().definition(act.type_key)
    approved = _last_log(act.id, definition.approving().trigger)
    posted = _last_log(act.id, definition.posting().trigger)
    return Certificate(
        act,
        school,
        lines,
        approved[1] if approved else None,
        approved[0].created_at if approved else None,
        posted[1] if posted else None,
        posted[0].created_at if posted else None,
    )


def certificate_lines(act: Activity, net: Mapping[int, Decimal]) -> list[CertificateLine]:
    """The lines of an activity's 学分认定表 as it stands, ``net`` the hours each teacher holds of
    it (:func:`activity_net_hours`): the form's, and what ``/verify`` compares a printed one with."""
    people = db.session.execute(
        select(Participation, User, away_clause(Participation.user_id, act.school_id, act.starts_at))
        .join(User, User.id == Participation.user_id)
        .where(Participation.activity_id == act.id)
        .order_by(Participation.role, User.display_name, User.id)
    ).all()
    # the named roles first, in the order the type declares them, its default role (everyone
    # else: 听讲教师, 徒弟, 课题组成员) last, as a paper form lists 主讲人 and 师傅 at the top;
    # then by name in pinyin. Not by the roles' keys ("attendee" before "speaker").
    reg = registry().get(act.type_key)  # what it declared at load: no call into the plugin
    declared = list(reg.decl.roles) if reg is not None else []
    default = reg.decl.default_role if reg is not None else None
    order = {role: (role == default, at) for at, role in enumerate(declared)}
    people = sorted(people, key=lambda pu: (order.get(pu[0].role, (True, len(declared))), pu[0].role,
                                            pinyin_key(pu[1].display_name)))
    return [
        CertificateLine(u, p.role, p.attended_hours, net.get(u.id, ZERO), p.adjust_reason or "",
                        _dec(p.absent_hours), _dec(p.excused_hours), bool(away))
        for p, u, away in people
    ]

