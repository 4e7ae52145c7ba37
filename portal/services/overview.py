"""Read-only views the pages need: activity lists, what waits on a teacher, the review
queue, and the district table. Each is a fixed number of queries, whatever the size."""

from __future__ import annotations

import functools
import operator
from collections import defaultdict, namedtuple
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)

from portal.activity_types import evidence_counts
from portal.assessment import EXEMPT, MET, counts_so_far
from portal.database import CompiledOnce, constant, in_constants, keep_compiled, read_rows
from portal.extensions import db
from portal.hours import present_at_most
from portal.models import Activity, Evidence, Membership, Participation, School, SchoolActivityType, User
from portal.once import Memo
from portal.page_cache import cached_per_school
from portal.paging import Key, Page, in_page_order, keyset, page_of, page_query
from portal.plugin_data import PluginStepFailed, hours_rule, previewing, type_answer
from portal.registry import registry
from portal.services import credits, locks, quotas, schools
from portal.services.activities import (
    PARTICIPANTS_OR_COUNTS,
    AttendanceTally,
    NameRow,
    ParticipantRow,
    attendance_tally,
    participant_groups,
    participant_pairs,
)
from portal.services.ledger import (
    core_rule,
    credit_ceiling,
    credit_ceiling_each,
    credit_hours_each,
    credit_hours_for,
    rule_ignores_identity,
)
from portal.services.snapshots import activity_snapshot
from portal.services.stints import away_clause, theirs
from portal.sorting import by_pinyin
from portal.timeutil import to_local, utcnow
from workflows.definition import Phase

EDITABLE = tuple(p for p in Phase if p.editable)
ZERO = Decimal("0")


# -- activity list ---------------------------------------------------------------------------

@dataclass
class ActivityFilters:
    type_key: str = ""
    state: str = ""
    school_year: str = ""
    semester: int | None = None
    organizer_id: int | None = None


def _activity_query(school_id: int, f: ActivityFilters, *columns: Any):
    """The school's activities that pass ``f``: entities, or only ``columns``."""
    q = (select(*columns) if columns else select(Activity)).where(Activity.school_id == school_id)
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
    return q


def list_activities(school_id: int, f: ActivityFilters, page: int = 1, per_page: int = 20):
    """A page of the school's activities, newest first (a Flask-SQLAlchemy Pagination: the
    API's numbered pages)."""
    q = _activity_query(school_id, f).order_by(Activity.starts_at.desc(), Activity.id.desc())
    return db.paginate(q, page=page, per_page=per_page, error_out=False)


ACTIVITY_KEYS = (Key(Activity.starts_at, datetime, descending=True), Key(Activity.id, int, descending=True))
ACTIVITY_PAGE_SIZE = 20


#: What the web list shows of an activity: plain rows of these, not entities (a page of twenty
#: activities loaded whole, with their JSON details, cost more than the rest of the query).
ACTIVITY_LIST_COLUMNS = (
    Activity.id, Activity.title, Activity.type_key, Activity.state, Activity.starts_at, Activity.hours,
    Activity.organizer_id,
)


def activities_page(
    school_id: int, f: ActivityFilters, after: str | None = None, before: str | None = None,
    size: int | None = None,
) -> Page[Row]:
    """A page of the school's activities (:data:`ACTIVITY_LIST_COLUMNS`), newest first, by
    keyset (one query, no COUNT): the web list, however many years of history the school keeps."""
    return keyset(
        lambda q: list(read_rows(q).all()),  # plain rows: not through the ORM's execution
        _activity_query(school_id, f, *ACTIVITY_LIST_COLUMNS),
        ACTIVITY_KEYS,
        lambda a: (a.starts_at, a.id),
        after=after,
        before=before,
        size=size or ACTIVITY_PAGE_SIZE,
    )


# The activity list's filters (bound ``school_id``): built once, not on every view of the list,
# and read as plain rows (``read_rows``), not through the ORM's execution
_SCHOOL_YEARS = keep_compiled(
    select(Activity.school_year).where(Activity.school_id == bindparam("school_id")).distinct()
    .order_by(Activity.school_year.desc())
)
_ORGANIZERS = keep_compiled(
    select(User.id, User.display_name)
    .where(User.id.in_(select(Activity.organizer_id).where(Activity.school_id == bindparam("school_id"))))
    .order_by(User.id)
)


def school_years(school_id: int) -> list[str]:
    return list(read_rows(_SCHOOL_YEARS, {"school_id": school_id}).scalars())


def organizers(school_id: int) -> list[Row]:
    """(id, display name) of everyone who organised an activity of the school, by pinyin: the
    activity list's filter (plain rows: only the two are shown)."""
    return by_pinyin(read_rows(_ORGANIZERS, {"school_id": school_id}).all(), lambda u: u.display_name)


def _members_query(school_id: int):
    return select(User).where(
        User.active.is_(True),
        User.id.in_(select(Membership.user_id).where(Membership.school_id == school_id, Membership.active.is_(True))),
    ).order_by(User.id)


def members(school_id: int) -> list[User]:
    """Active members of the school (anyone who may take part in an activity)."""
    return by_pinyin(db.session.execute(_members_query(school_id)).scalars(), lambda u: u.display_name)


def members_and_away(school_id: int, at: datetime) -> tuple[list[User], set[int]]:
    """:func:`members`, and those of them off the school's teaching staff at ``at`` (the start of
    an activity: ``stints.away_clause``, the rule that refuses them on its list), in one statement."""
    rows = db.session.execute(_members_query(school_id).add_columns(away_clause(User.id, school_id, at))).all()
    return by_pinyin([u for u, _away in rows], lambda u: u.display_name), {u.id for u, away in rows if away}


def users_by_id(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()}


# -- teacher home ---------------------------------------------------------------------------

@dataclass
class Waiting:
    activity: Any  # a read-only row with the attributes of Activity (``participations``)
    role: str
    missing: dict[str, int]  # evidence kind → how many more


# What the teacher home (its outlook, its waiting list, a type's credit rule through
# ``snapshots.activity_snapshot``) reads of an activity: a plain tuple of those columns by
# attribute name. Not the bookkeeping ones (version, credit round, plan line, location, the
# times of writing): each column read is converted on every row.
_ACTIVITY_READ = (
    Activity.id, Activity.school_id, Activity.type_key, Activity.title, Activity.organizer_id, Activity.starts_at,
    Activity.ends_at, Activity.hours, Activity.school_year, Activity.semester, Activity.state, Activity.details,
)
ActivityRow = namedtuple("ActivityRow", [c.key for c in _ACTIVITY_READ])  # type: ignore[misc]
_SHARED = len(ParticipantRow._fields)
@functools.cache
def _participations(states: tuple[str, ...], of_year: bool) -> Select[Any]:
    """:func:`participations`' statement, built once per set of states (they come from the
    installed types' code; written in as constants (``database.in_constants``): an expanding list was written into
    its SQL again on every run) and whether it is of one year (``year`` bound): the teacher home
    asks on every visit, and building it cost more than running it. Plain columns, not ORM
    entities: loading a busy teacher's two dozen pairs as objects took twice as long as the
    statement."""
    statement = (
        select(
            *(getattr(Participation, name) for name in ParticipantRow._fields),
            *(c.label(f"activity_{c.key}") for c in _ACTIVITY_READ),
        )
        .join(Activity, Activity.id == Participation.activity_id)
        .where(
            Participation.user_id == bindparam("user_id"),
            Activity.school_id == bindparam("school_id"),
            in_constants(Activity.state, states),
            # nothing more happens in a period the district accepted (as the queue, :func:`_waiting`)
            ~locks.locked_clause(Activity.school_id, Activity.school_year, Activity.semester),
            theirs(),  # one held while they were away from the staff is not theirs (``stints``)
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    # ... of one school year: the home's, whose outlook reads the credited ones too
    return keep_compiled(statement.where(Activity.school_year == bindparam("year")) if of_year else statement)


def participations(
    user_id: int, school_id: int, phases: tuple[Phase, ...] = EDITABLE, year: str | None = None,
) -> list[tuple[ParticipantRow, Any]]:
    """The user's part in the school's activities whose state is in one of ``phases`` (of the
    school ``year`` when given), by start: (participation, activity) as read-only tuples with
    the attributes of the models. Those of a year or semester the district has accepted are
    left out: they can no longer be credited nor take evidence (``year.locked``), so the
    outlook counts no hours from them and the home asks for no evidence there."""
    params: dict[str, Any] = {"user_id": user_id, "school_id": school_id}
    if year is not None:
        params["year"] = year
    statement = _participations(tuple(registry().states_in(*phases)), year is not None)
    return [
        (ParticipantRow._make(row[:_SHARED]), ActivityRow._make(row[_SHARED:]))
        for row in read_rows(statement, params).all()
    ]


@functools.cache
def _evidence_counts(states: tuple[str, ...]) -> Select[int, str, int]:
    """How many pieces of each kind a person gave to each of a school's activities in one of
    ``states`` (written in: ``database.in_constants``), built once per set of states. The
    caller's activities are some of them: a list of their ids, bound expanding, was written into
    the SQL again on every run (round 62: most of what this statement cost the home)."""
    return keep_compiled(
        select(Evidence.activity_id, Evidence.kind, func.count())
        .join(Activity, Activity.id == Evidence.activity_id)
        .where(Evidence.user_id == bindparam("user_id"), Activity.school_id == bindparam("school_id"),
               in_constants(Activity.state, states))
        .group_by(Evidence.activity_id, Evidence.kind)
    )


def waiting_on(
    user_id: int,
    school_id: int,
    rows: list[tuple[ParticipantRow, Any]] | None = None,
    settings: Mapping[str, dict] | None = None,
) -> list[Waiting]:
    """Open activities the user takes part in where their required evidence is missing
    (``rows``: the user's participations if already read; those not editable are skipped)."""
    if rows is None:
        rows = participations(user_id, school_id)
    states = tuple(registry().states_in(*EDITABLE))
    rows = [(p, a) for p, a in rows if a.state in states]
    if not rows:
        return []
    have: dict[tuple[int, str], int] = {}  # of the school's editable activities: ``rows``' are among them
    for act_id, kind, n in read_rows(_evidence_counts(states), {"user_id": user_id, "school_id": school_id}):
        have[(act_id, kind)] = n
    settings_cache = settings if settings is not None else schools.all_type_settings(school_id)
    types = registry()
    # the type's answer reads the role and the type's settings only (its contract passes no
    # activity): asked once per type and role of the page, not once per activity
    needs: dict[tuple[str, str], dict[str, int]] = {}
    out: list[Waiting] = []
    for p, act in rows:
        reg = types.get(act.type_key)
        if reg is None:
            continue
        need = needs.get((act.type_key, p.role))
        if need is None:
            need = needs[(act.type_key, p.role)] = type_answer(
                reg.type, "required_evidence_for", {}, p.role, settings_cache[act.type_key], check=evidence_counts)
        missing = {k: n - have.get((act.id, k), 0) for k, n in need.items() if have.get((act.id, k), 0) < n}
        if missing:
            out.append(Waiting(act, p.role, missing))
    return out


# -- review queue ---------------------------------------------------------------------------

class QueueEvidence(NamedTuple):
    """A row of QUEUE_EVIDENCE, as a plain tuple (as ``activities.participant_pairs``)."""

    id: int
    activity_id: int
    user_id: int
    kind: str
    title: str | None
    text: str | None
    stored_name: str | None
    filename: str | None
    size: int = 0  # a file's size and likeness: a declaration's certificate compared with others'
    likeness: str | None = None  # (``shared_certificates.shared_each``)


@dataclass
class QueueParticipant:
    """A participant as the queue shows them: their participation (``person``: the attributes
    the hours rule reads) and account (username and name), plain tuples, not ORM objects: the
    queue lists hundreds."""

    person: ParticipantRow
    account: NameRow
    would_get: Decimal | None  # None when the type is not installed
    evidence: list[QueueEvidence] = field(default_factory=list)
    max_hours: Decimal | None = None  # the most an adjustment may credit (the hours not recorded missing)
    short: Mapping[str, int] | None = None  # required evidence not handed in: how many pieces of each kind


class PlainGroup(NamedTuple):
    """People of a held card on the plain rule, not listed by name (``queue_items``' ``everyone``):
    alike in role, hours attended and hours to credit; how many, and the evidence they handed in."""

    role: str
    attended: Decimal | None
    would_get: Decimal | None
    n: int
    pieces: int


class Tally(NamedTuple):
    """A held card's people counted as a reviewer decides on them: by their attendance, each in
    one part (``activities.attendance_tally``: the parts add up to everyone), and among them
    those whose hours were adjusted and whose required evidence is short."""

    attendance: AttendanceTally
    adjusted: int
    short: int

    @property
    def people(self) -> int:
        return self.attendance.people


@dataclass
class QueueItem:
    activity: Any  # a read-only row with the attributes of Activity the queue reads (``QUEUE_COLUMNS``)
    participants: list[QueueParticipant]
    organizer_name: str | None  # None: the organizer's account is gone
    activity_evidence: list[QueueEvidence] = field(default_factory=list)  # the organizer's own files
    allowed: list[str] = field(default_factory=list)  # triggers the viewer may fire (set by the page)
    own: bool = False  # the viewer organised or took part: someone else decides
    handed_in: bool = False  # ``own`` only as they handed in evidence for another's declaration (set by the page)
    adjustable: bool = False  # the viewer may change its hours (a trigger of theirs adjusts them; set by the page)
    counted: tuple[int, Decimal] | None = None  # (people, hours to credit) when only counted: no ``participants``
    notice: Any = None  # the type's credit rule raised (reported): what is shown instead of its hours (a message)
    takes_part: bool = False  # the viewer (``queue_items``' ``viewer``) takes part, counted or not
    returned: Any = None  # its latest step returned it for rework (``transitions.Returned``; set by the page)
    #: its teacher's declarations of it refused before (``transitions.refused_before``; set by the page)
    refused_before: Any = ()
    closed_year: Any = None  # why its hours will not be posted (its school year closed to credits; set by the page)
    # a held card not listed whole: those on the plain rule, grouped (``participants``: the others, by name)
    plain: list[PlainGroup] = field(default_factory=list)
    tally: Tally | None = None  # a held card's people counted (present, absent, …), when not listed whole
    files: list[QueueEvidence] = field(default_factory=list)  # its evidence with a file, whoever's (detailed only)
    #: other teachers' declarations sharing its certificate (``shared_certificates.told_to_each``; set by the page)
    shared: Any = ()

    @property
    def would_get_total(self) -> Decimal:
        """The hours crediting would post for the whole activity."""
        if self.counted is not None:
            return self.counted[1]
        return (sum((qp.would_get for qp in self.participants if qp.would_get), ZERO)
                + sum((g.would_get * g.n for g in self.plain if g.would_get), ZERO))

    @property
    def size(self) -> int:
        """How many people take part."""
        return self.counted[0] if self.counted is not None else len(self.participants) + sum(g.n for g in self.plain)


# What the queue reads of a piece of evidence (its text, file name and link), as plain rows of
# the activities ``ids``: built once, not on every request (its participants:
# ``activities.PARTICIPANTS_OF``)
QUEUE_EVIDENCE = (
    select(
        Evidence.id, Evidence.activity_id, Evidence.user_id, Evidence.kind, Evidence.title, Evidence.text,
        Evidence.stored_name, Evidence.filename, Evidence.size, Evidence.likeness,
    )
    .where(Evidence.activity_id.in_(bindparam("ids", expanding=True)))
    .order_by(Evidence.id)
)
REVIEW_PAGE_SIZE = 10  # activities per section of the review queue (a reviewed one is a row)
#: held activities per page of the review queue: each is a card a reviewer decides on (its counts,
#: those of its people not on the plain rule by name), a phone's screen or two each; a school's
#: reviewer has 5–20 a week (BENCHMARKS round 47: the product decision)
HELD_PAGE_SIZE = 5
QUEUE_KEYS = (Key(Activity.starts_at, datetime), Key(Activity.id, int))  # oldest first


def review_queue(school_id: int, phases: tuple[Phase, ...] = (Phase.AWAITING_REVIEW,)) -> list[QueueItem]:
    """Every activity of the school in a state of ``phases``, oldest first, with evidence and
    hours (4 queries). Pages use :func:`review_page` (a fixed number of activities)."""
    states = registry().states_in(*phases)
    rows = db.session.connection().execute(
        _queue_query(tuple(states)).order_by(Activity.starts_at, Activity.id), {"queue_school": school_id}
    ).all()
    return queue_items(school_id, [(row, row.organizer_name) for row in rows])


# The columns of an activity the queue reads, by their attribute names: its page and cards, the
# hours rule's snapshot (``snapshots.activity_snapshot``) and ``transitions.allowed_triggers``
# (the activity's state and people, its school's reviewers); reading every column cost a third more
QUEUE_COLUMNS = tuple(
    Activity.__table__.c[name]
    for name in ("id", "school_id", "type_key", "title", "organizer_id", "starts_at", "ends_at", "hours", "state",
                 "details", "version", "school_year", "semester")
)


#: a section's school years (``_waiting``): those hours may still be posted for (``OPEN_YEARS``: from
#: the year bound as ``queue_first``, ``transitions.first_year_to_credit``) or those closed to credits
OPEN_YEARS, CLOSED_YEARS = "open", "closed"


def _waiting(states: tuple[str, ...], typed: bool = False, organised: bool = False, years: str | None = None) -> Any:
    """The queue's activities: the school's (bound ``queue_school``) in ``states``, except those
    of a year or semester the district has accepted: nothing can be decided on them (every step
    is refused with ``year.locked``) and, oldest first, they would fill the first page for good.
    Their pages still show them, with the lock; reopening the year brings them back.
    ``typed``: of one type only (bound ``queue_type``: the queue's filter); ``organised``: of one
    organiser only (bound ``queue_organizer``); ``years``: ``OPEN_YEARS`` or ``CLOSED_YEARS``, of
    a school year from the one bound as ``queue_first`` or before it (years are ``2026-2027``:
    their order is the text's, as ``policy.first_year_to_date`` says)."""
    first = bindparam("queue_first", type_=String)
    return and_(
        # the states written in (``database.in_constants``): the statements are built once per set of states
        Activity.school_id == bindparam("queue_school"), in_constants(Activity.state, states),
        ~locks.locked_clause(Activity.school_id, Activity.school_year, Activity.semester),
        *((Activity.type_key == bindparam("queue_type"),) if typed else ()),
        *((Activity.organizer_id == bindparam("queue_organizer"),) if organised else ()),
        *((Activity.school_year >= first,) if years == OPEN_YEARS else ()),
        *((Activity.school_year < first,) if years == CLOSED_YEARS else ()),
    )


@functools.cache
def _queue_query(states: tuple[str, ...], typed: bool = False, organised: bool = False,
                 years: str | None = None) -> Select[Any]:
    """Activities of the school (bound parameter ``queue_school``) in ``states`` with their
    organizer's name (outer join: one query), as plain rows: the ``QUEUE_COLUMNS`` of the
    activity by their attribute names, then ``organizer_name``. The queue only shows them;
    building ORM objects took four times as long as the statement. Built once per set of
    states (they come from the installed types' code), not on every request: building it cost
    about as much as running it. ``typed``, ``organised``, ``years``: as :func:`_waiting`."""
    return (
        select(*QUEUE_COLUMNS, User.display_name.label("organizer_name"))
        .outerjoin(User, User.id == Activity.organizer_id)
        .where(_waiting(states, typed, organised, years))
    )


def review_page(
    school_id: int, phase: Phase, after: str | None = None, before: str | None = None, size: int | None = None
) -> Page[tuple[Any, str | None]]:
    """One page of the activities of ``phase``, oldest first (keyset on start and id: the
    backlog can grow without the page getting slower). Items are (activity, organizer's name):
    the activity a read-only row with the attributes of :class:`Activity`."""
    return keyset(
        lambda q: [(row, row.organizer_name)
                   for row in db.session.connection().execute(q, {"queue_school": school_id}).all()],
        _queue_query(tuple(registry().states_in(phase))),
        QUEUE_KEYS,
        lambda row: (row[0].starts_at, row[0].id),
        after=after,
        before=before,
        size=size or (HELD_PAGE_SIZE if phase is Phase.AWAITING_REVIEW else REVIEW_PAGE_SIZE),
    )


@functools.cache
def _counts_query(states: tuple[str, ...]) -> Select[str, str, int]:
    """How many activities of the school (``queue_school``) are in each of ``states``, by type:
    built once per set of states, as :func:`_queue_query`."""
    return (
        select(Activity.type_key, Activity.state, func.count())
        .where(_waiting(states))
        .group_by(Activity.state, Activity.type_key)
    )


def queue_counts(school_id: int, phases: tuple[Phase, ...]) -> dict[Phase, int]:
    """How many activities of the school wait in each phase: one GROUP BY over the states."""
    rows = db.session.connection().execute(
        _counts_query(tuple(registry().states_in(*phases))), {"queue_school": school_id}
    ).all()
    return _phase_counts(phases, rows)


def _phase_counts(phases: tuple[Phase, ...], rows: Iterable[tuple[str, str, int]]) -> dict[Phase, int]:
    """(type, state, how many) rows added up by the phase each state has in its type."""
    out = dict.fromkeys(phases, 0)
    reg = registry()
    for type_key, state, n in rows:
        phase = reg.phase(type_key, state)
        if phase in out:
            out[phase] += n
    return out


_COUNT, _SETTINGS = -1, -2  # ``part`` of the rows of ``_sections_query`` that are not a page's
# where :func:`_sections_query`'s rows hold what :func:`review_sections` reads of them: the activity's
# columns (``QUEUE_COLUMNS``), the organiser's name, ``n``, ``part``
_AT = {c.key: i for i, c in enumerate(QUEUE_COLUMNS)}
_TYPE_KEY, _DETAILS, _ORGANIZER_NAME = _AT["type_key"], _AT["details"], len(QUEUE_COLUMNS)
_COUNTED = operator.itemgetter(_TYPE_KEY, _AT["state"], _AT["organizer_id"], _ORGANIZER_NAME, _AT["school_year"], -2)
_ACTIVITY = operator.itemgetter(*range(_ORGANIZER_NAME + 1))
#: A page's activity of :func:`review_sections`: the ``QUEUE_COLUMNS`` by their attribute names and the
#: organiser's name, read as an ``Activity`` is (a SQLAlchemy row looks an attribute up by its name
#: at ~10× a named tuple's cost, and the queue's cards, rules and buttons read a row's some 40 times)
QueueRow = namedtuple("QueueRow", [*_AT, "organizer_name"])  # type: ignore[misc]


class QueueCount(NamedTuple):
    """How many activities of the queue (any filter) are of a type, state, organiser and school
    year: a row of :func:`review_sections`' counts, from which its sections are counted and the
    queue's filters offer their choices (the types and organisers that have cards in it)."""

    type_key: str
    state: str
    organizer_id: int | None
    organizer_name: str | None
    school_year: str
    n: int


class QueueSections(NamedTuple):
    """What :func:`review_sections` reads in one statement."""

    pages: list[Page[tuple[Any, str | None]]]
    counts: dict[Phase, int]  # by phase, of the filter (every school year)
    # every installed type's settings for the school, defaults filled in: a type's when first asked
    settings: Mapping[Any, dict[str, Any]]
    enabled: tuple[str, ...] = ()  # the school's enabled types, installed, in registry order
    section_counts: tuple[int, ...] = ()  # each section's own count: its phase, years and the filter
    waiting: tuple[QueueCount, ...] = ()  # the whole queue counted (no filter): the filters' choices


Section = tuple[Phase, str | None, str | None] | tuple[Phase, str | None, str | None, str | None]


def review_sections(
    school_id: int, sections: Sequence[Section], size: int | None = None,
    type_key: str | None = None, organizer_id: int | None = None, first_year: str | None = None,
) -> QueueSections:
    """The review queue's sections in one statement: for each (phase, after, before[, years])
    its page as :func:`review_page` gives it, how many activities wait in each of these phases as
    :func:`queue_counts` counts them, and the school's type settings as
    ``schools.all_type_settings`` gives them (for :func:`queue_items`). A UNION ALL of the
    pages (each ordered and limited on its own), the counts and the stored settings: the page
    made four statements. ``type_key``, ``organizer_id``: the pages and counts of that type and
    organiser only (the queue's filters; the caller asks whether they are among the queue's:
    ``enabled`` and ``waiting``, read here too). ``years`` of a section (``OPEN_YEARS``,
    ``CLOSED_YEARS``): its activities of a school year from ``first_year`` on, or before it."""
    reg = registry()
    typed, organised = type_key is not None, organizer_id is not None
    queries = tuple(
        page_query(_queue_query(tuple(reg.states_in(spec[0])), typed, organised, spec[3] if len(spec) > 3 else None),
                   QUEUE_KEYS, after=spec[1], before=spec[2],
                   size=size or (HELD_PAGE_SIZE if spec[0] is Phase.AWAITING_REVIEW else REVIEW_PAGE_SIZE))
        for spec in sections
    )
    phases = tuple(dict.fromkeys(spec[0] for spec in sections))
    statement, kept = _sections_query(tuple(q.statement for q in queries), tuple(reg.states_in(*phases)))
    # first pages only: the statement is the one built once, and its compiled form is kept beside
    # it (a later page's is built per request: the engine's cache finds what it compiled)
    options = kept.options if all(spec[1] is None and spec[2] is None for spec in sections) else {}
    parts: dict[int, list[tuple[Any, str | None]]] = defaultdict(list)
    waiting, stored, enabled = [], {}, set()
    bound = {"queue_school": school_id, **({"queue_type": type_key} if typed else {}),
             **({"queue_organizer": organizer_id} if organised else {}),
             **({"queue_first": first_year or ""} if any(len(spec) > 3 and spec[3] for spec in sections) else {})}
    for row in db.session.connection().execute(statement, bound, execution_options=options).all():
        part = row[-1]
        if part == _COUNT:  # read by position: a row's attribute is looked up by its name (64 rows a page)
            waiting.append(QueueCount._make(_COUNTED(row)))
        elif part == _SETTINGS:
            stored[row[_TYPE_KEY]] = row[_DETAILS]  # the stored settings, in the JSON column's place
            if row[-2]:
                enabled.add(row[_TYPE_KEY])
        else:  # the activity as a named tuple: the page reads its attributes often, by name
            act = QueueRow._make(_ACTIVITY(row))
            parts[part].append((act, act[_ORGANIZER_NAME]))
    pages = [page_of(q, in_page_order(q, parts[i], _queue_values), _queue_values) for i, q in enumerate(queries)]
    # the defaults filled in as schools.all_type_settings fills them (the type's own rule), for the
    # types the page asks of only (a handful of its activities' types, not every installed one)
    settings = Memo(lambda key: schools.with_defaults(reg.types[key], stored.get(key)))
    # counted by type and organiser (the filter's), each row's phase asked once per type and state
    phase = Memo(lambda pair: reg.phase(*pair))
    counts = dict.fromkeys(phases, 0)
    each = [0] * len(sections)
    wants = [(spec[0], spec[3] if len(spec) > 3 else None) for spec in sections]
    for w in waiting:
        if (typed and w.type_key != type_key) or (organised and w.organizer_id != organizer_id):
            continue
        its = phase[(w.type_key, w.state)]
        if its not in counts:
            continue
        counts[its] += w.n
        open_year = w.school_year >= (first_year or "")  # as ``_waiting`` compares them
        for i, (wanted, years) in enumerate(wants):
            if wanted is its and (years is None or open_year is (years == OPEN_YEARS)):
                each[i] += w.n
    return QueueSections(pages, counts, settings, tuple(k for k in reg.types if k in enabled), tuple(each),
                         tuple(waiting))


def _queue_values(item: tuple[Any, str | None]) -> tuple[datetime, int]:
    return item[0].starts_at, item[0].id


@functools.lru_cache(maxsize=32)
def _sections_query(pages: tuple[Select[Any], ...], counted_states: tuple[str, ...]) -> tuple[CompoundSelect, CompiledOnce]:
    """The pages' statements (each a subquery: its own order and limit) and the counts of
    ``counted_states`` by type, state, organiser (and their name) and school year, as rows of one
    shape: the activity's columns and the organizer's name, then ``n`` (the count) and ``part``
    (the page's index; ``_COUNT``: a count; ``_SETTINGS``: a type's stored settings for the school, in ``details``, and whether
    the school has it enabled, 1 or 0 in ``n``).
    First pages' statements are built once (``paging._first_page``), and so is this then:
    building it cost more than running it; its compiled form is kept beside it
    (``database.CompiledOnce``: not held beyond this cache's entry)."""
    branches: list[Any] = []  # selects of one shape, typed apart
    for i, statement in enumerate(pages):
        sub = statement.subquery()
        # ``n`` typed: PostgreSQL makes the pages' untyped NULLs text, which a count does not match
        branches.append(select(*sub.c, cast(null(), Integer).label("n"), literal_column(str(i)).label("part")))
    keep: dict[str, Any] = {"type_key": Activity.type_key, "state": Activity.state,
                            "organizer_id": Activity.organizer_id, "school_year": Activity.school_year}
    branches.append(
        select(*(keep.get(c.key, null()) for c in QUEUE_COLUMNS), User.display_name, func.count(),
               literal_column(str(_COUNT)))
        .outerjoin(User, User.id == Activity.organizer_id)
        .where(_waiting(counted_states))
        # by state first: the (school, state) index finds the rows
        .group_by(Activity.state, Activity.type_key, Activity.organizer_id, Activity.school_year, User.display_name)
    )
    keep = {"type_key": SchoolActivityType.type_key, "details": SchoolActivityType.settings}  # JSON in a JSON column
    branches.append(
        select(*(keep.get(c.key, null()) for c in QUEUE_COLUMNS), null(),
               case((SchoolActivityType.enabled.is_(True), constant(1)), else_=constant(0)), literal_column(str(_SETTINGS)))
        .where(SchoolActivityType.school_id == bindparam("queue_school"))
    )
    return union_all(*branches), CompiledOnce()



_first = operator.itemgetter(0)


def _display_name(pair: tuple[ParticipantRow, NameRow]) -> str:
    return pair[1].display_name


def queue_items(
    school_id: int, acts: list[tuple[Any, str | None]], detailed: Collection[int] | None = None,
    settings: Mapping[str, dict[str, Any]] | None = None, viewer: int | None = None,
    everyone: Collection[int] | None = None,
) -> list[QueueItem]:
    """Queue items for these activities (rows of ``_queue_query`` with their organizer's
    name, as :func:`review_page` gives them): participants and the hours each would get, and
    for the activities in ``detailed`` (default: all) their evidence and the most each
    participant may be credited; the others (a section that shows counts and totals) are only
    counted (``QueueItem.counted``, no ``participants``) when their type's rule gives alike
    participants alike hours (``ledger.rule_ignores_identity``): one row per distinct role and
    hours instead of one per person. In three queries whatever the number of activities (two
    given ``settings``, the school's type settings as :func:`review_sections` reads them).
    Participants and evidence are read as rows (the queue only shows them), and the activity's
    snapshot is taken once for all its participants. Every item says whether ``viewer`` takes
    part (``takes_part``, a counted one's too: only the viewer's own row of it is read): with the
    organizer, what ``transitions.allowed_triggers_each`` needs.
    ``everyone``: the ``detailed`` activities listed whole (default: all); each other one lists by
    name only its people not on the plain rule (absent, on leave, adjusted, attendance not
    recorded, required evidence short: :func:`_plain`) and the others grouped by role, hours
    attended and hours to credit (``QueueItem.plain``), with everyone counted (``tally``)."""
    if not acts:
        return []
    ids = [a.id for a, _u in acts]
    shown = set(ids) if detailed is None else set(detailed) & set(ids)
    countable = Memo(_countable)  # asked once per type of the page, not once per activity
    grouped = {a.id for a, _u in acts if a.id not in shown and countable[a.type_key]}
    # plain rows through the session's connection (same transaction): no ORM objects to build
    conn = db.session.connection()
    parts: dict[int, list[tuple[ParticipantRow, NameRow]]] = defaultdict(list)
    groups: dict[int, list[tuple[ParticipantRow, int]]] = defaultdict(list)
    rows = conn.execute(
        PARTICIPANTS_OR_COUNTS,
        {"ids": [i for i in ids if i not in grouped], "grouped": sorted(grouped), "viewer": viewer},
    ).all()
    # the rows by kind (a comprehension each: no call per row): a person (``id`` set), a counted
    # group (``n`` people), the viewer in a counted activity (``n`` = 0)
    one_by_one = sorted([r for r in rows if r[0] is not None], key=_first)  # in the order they were added
    counted = [r for r in rows if r[0] is None and r[-1]]
    viewer_in = {r[1] for r in rows if r[0] is None and not r[-1]}
    for pair in by_pinyin(participant_pairs(one_by_one), _display_name):  # as the activity page lists them
        parts[pair[0].activity_id].append(pair)
    for group in participant_groups(counted):
        groups[group[0].activity_id].append(group)
    evidence: dict[tuple[int, int], list[QueueEvidence]] = defaultdict(list)
    files: dict[int, list[QueueEvidence]] = defaultdict(list)
    if shown:
        for e in map(QueueEvidence._make, conn.execute(QUEUE_EVIDENCE, {"ids": sorted(shown)}).all()):
            evidence[(e.activity_id, e.user_id)].append(e)
            if e.stored_name:
                files[e.activity_id].append(e)
    settings_cache = schools.all_type_settings(school_id) if settings is None else settings
    # the core rule's answers by type, shared by the page's activities (``credit_hours_each``),
    # and each type's rule with its plugin boundary, set up once per type, not once per activity.
    # The hours and the ceilings share them: both are the rule's answer for a role and attended,
    # absent and excused hours (a ceiling's attended being the hours not missed), so whoever
    # attended all they did not miss is asked once for both
    known: dict[str, dict[tuple[Any, ...], Decimal]] = defaultdict(dict)
    type_of = registry().get
    rules = Memo(lambda key: hours_rule(registry().types[key].type, "credit_hours"))  # asked of installed types only
    # the evidence each role must hand in, by type (its answer reads the role and settings only:
    # ``waiting_on``), asked once per type of a card not listed whole; none for a type not installed
    needs = Memo(lambda key: Memo(lambda role: {} if (reg := type_of(key)) is None else type_answer(
        reg.type, "required_evidence_for", {}, role, settings_cache[key], check=evidence_counts)))
    out: list[QueueItem] = []
    with previewing():  # a credit rule that raises: its activity shows a notice, the others their hours
        for act, organizer_name in acts:
            reg = type_of(act.type_key)
            if act.id in grouped and reg is not None:
                alike = groups.get(act.id, [])
                try:
                    figures = credit_hours_each(reg.type, act, [g for g, _n in alike], settings_cache[act.type_key],
                                                activity_snapshot(act), known[act.type_key], rules[act.type_key])
                except PluginStepFailed as exc:
                    out.append(QueueItem(act, [], organizer_name, counted=(sum(n for _g, n in alike), ZERO),
                                         notice=exc.notice, takes_part=act.id in viewer_in))
                    continue
                total = sum((h * n for (_g, n), h in zip(alike, figures, strict=True) if h), ZERO)
                out.append(QueueItem(act, [], organizer_name, counted=(sum(n for _g, n in alike), total),
                                     takes_part=act.id in viewer_in))
                continue
            detail = act.id in shown
            pairs = parts.get(act.id, [])
            people_rows = [p for p, _u in pairs]
            hours: list[Decimal | None] = [None] * len(pairs)
            ceilings: list[Decimal | None] = [None] * len(pairs)
            notice = None
            if reg is not None:  # the rule asked once per distinct participant, not once per row
                try:
                    hours, ceilings = _figures(reg.type, act, people_rows, settings_cache[act.type_key],
                                               known[act.type_key], rules[act.type_key], detail)
                except PluginStepFailed as exc:  # reported with the plugin's name; no figures to show
                    hours, ceilings, notice = [None] * len(pairs), [None] * len(pairs), exc.notice
            plain: list[PlainGroup] = []
            tally = None
            if detail and (everyone is None or act.id in everyone):
                people = [QueueParticipant(p, u, h, evidence.get((act.id, p.user_id), []), c)
                          for (p, u), h, c in zip(pairs, hours, ceilings, strict=True)]
            elif detail:
                people, plain, tally = _plain(act, pairs, hours, ceilings, evidence, needs[act.type_key])
            else:
                people = [QueueParticipant(p, u, h) for (p, u), h in zip(pairs, hours, strict=True)]
            own = evidence.get((act.id, act.organizer_id), [])  # the organizer's files, unless theirs as a participant
            if own and any(p.user_id == act.organizer_id for p in people_rows):
                own = []
            out.append(QueueItem(act, people, organizer_name, own, notice=notice,
                                 takes_part=viewer in [p.user_id for p in people_rows], plain=plain, tally=tally,
                                 files=files.get(act.id, [])))
    return out


def _plain(
    act: Any, pairs: list[tuple[ParticipantRow, NameRow]], hours: list[Decimal | None],
    ceilings: list[Decimal | None], evidence: Mapping[tuple[int, int], list[QueueEvidence]],
    needs: Mapping[Any, dict[str, int]],
) -> tuple[list[QueueParticipant], list[PlainGroup], Tally]:
    """A held card not listed whole: its people not on the plain rule by name (as they are
    listed), the others grouped by (role, hours attended, hours to credit) in the order first
    met, and everyone counted. On the plain rule: attendance recorded, nothing absent or on
    leave, no adjustment and every piece of evidence their role requires handed in (:func:`_short`).
    A card whose groups would write no fewer rows than its people (a declarant, a mentor and
    mentee) lists them all by name, as a card listed whole."""
    named: list[QueueParticipant] = []
    groups: dict[tuple[Any, ...], list[int]] = {}
    adjusted = short_n = 0
    aid = act.id
    mines = [evidence.get((aid, p.user_id), []) for p, _u in pairs]
    shorts = [_short(p, mine, needs) for (p, _u), mine in zip(pairs, mines, strict=True)]  # once each: both ways use them
    for (p, u), h, c, mine, short in zip(pairs, hours, ceilings, mines, shorts, strict=True):
        adjusted += 1 if p.adjusted_hours is not None else 0
        short_n += 1 if short else 0
        if (p.attended_hours is None or p.absent_hours or p.excused_hours or p.adjusted_hours is not None
                or short):
            named.append(QueueParticipant(p, u, h, mine, c, short))
            continue
        group = groups.get((p.role, p.attended_hours, h))
        if group is None:
            groups[(p.role, p.attended_hours, h)] = [1, len(mine)]
        else:
            group[0] += 1
            group[1] += len(mine)
    tally = Tally(attendance_tally(p for p, _u in pairs), adjusted, short_n)
    if len(named) + len(groups) >= len(pairs):  # grouping writes no fewer rows (a declarant, a pair): by name
        return [QueueParticipant(p, u, h, mine, c, short) for (p, u), h, c, mine, short
                in zip(pairs, hours, ceilings, mines, shorts, strict=True)], [], tally
    plain = [PlainGroup(role, attended, h, n, pieces) for (role, attended, h), (n, pieces) in groups.items()]
    return named, plain, tally


def _short(p: ParticipantRow, mine: list[QueueEvidence], needs: Mapping[Any, dict[str, int]]) -> dict[str, int] | None:
    """The pieces of each kind ``p`` has yet to hand in of those their role requires (None: none
    missing, or they did not attend), counted as the approval's guard counts: their own pieces."""
    need = needs[p.role] if p.attended_hours else None
    if not need:
        return None
    have: dict[str, int] = {}
    for e in mine:
        have[e.kind] = have.get(e.kind, 0) + 1
    return {kind: n - have.get(kind, 0) for kind, n in need.items() if have.get(kind, 0) < n} or None


def _figures(
    activity_type: Any, act: Any, people: list[ParticipantRow], settings: dict[str, Any],
    known: dict[tuple[Any, ...], Decimal], rule: Callable[..., Decimal], ceilings: bool,
) -> tuple[list[Decimal | None], list[Decimal | None]]:
    """The hours (``credit_hours_each``) and, when ``ceilings``, the most each may be credited
    (``credit_ceiling_each``) of an activity's ``people``, in order, worked out once per distinct
    row of figures (role, attended, absent, excused, adjusted: a slice of the row) under a rule
    that gives alike participants alike hours (:func:`ledger.rule_ignores_identity`): sixty people
    have a handful, and a key made, an answer looked up and a ceiling's hours worked out per person
    cost more than the rule's asks. The rule is asked as those functions ask it — once per distinct
    role and hours, in the people's order, hours first; the core rule's answers kept in ``known``
    (the page's, by type), a declared rule's for this activity only — and the activity's snapshot
    is made only if the rule is asked. Any other rule is asked once per person, as they ask it."""
    if not rule_ignores_identity(activity_type):
        snapshot = activity_snapshot(act)
        return (list(credit_hours_each(activity_type, act, people, settings, snapshot, known, rule)),
                list(credit_ceiling_each(activity_type, act, people, settings, snapshot, known, rule)) if ceilings
                else [None] * len(people))
    if not core_rule(activity_type):
        known = {}  # a declared rule may read the activity: its answers are this activity's
    rows: list[tuple[Any, ...]] = [p[3:8] for p in people]  # (role, attended, absent, excused, adjusted)
    first: dict[tuple[Any, ...], ParticipantRow] = {}
    for row, p in zip(rows, people, strict=True):
        if row not in first:
            first[row] = p
    made: list[Any] = []  # the activity's snapshot, once the rule is asked

    def asked(key: tuple[Any, ...], answer: Callable[..., Decimal], p: ParticipantRow) -> Decimal:
        if key not in known:
            if not made:
                made.append(activity_snapshot(act))
            known[key] = answer(activity_type, act, p, settings, made[0], rule)
        return known[key]

    # an adjusted participant has the reviewer's figure: the rule is not asked for it
    hours = {row: row[4] if row[4] is not None else asked(row[:4], credit_hours_for, p) for row, p in first.items()}
    if not ceilings:
        return [hours[row] for row in rows], [None] * len(people)
    whole = act.hours
    most = {row: asked((row[0], present_at_most(whole, p), row[2], row[3]), credit_ceiling, p)
            for row, p in first.items()}
    return [hours[row] for row in rows], [most[row] for row in rows]


def _countable(type_key: str) -> bool:
    """Whether an activity of this type may be counted rather than listed (its type installed,
    its rule giving alike participants alike hours)."""
    reg = registry().get(type_key)
    return reg is not None and rule_ignores_identity(reg.type)


# -- district -------------------------------------------------------------------------------

@dataclass
class SchoolRow:
    """A school's line on the district page: every teacher counted once under their status."""

    school: School
    staff: int
    teachers: int
    by_status: dict[str, int]  # assessment.SHOWN_ORDER → teachers, a year under way read so far
    hours: Decimal

    @property
    def assessed(self) -> int:
        """Teachers whose year is assessed (the exempt are not)."""
        return self.teachers - self.by_status.get(EXEMPT, 0)

    @property
    def met(self) -> int:
        return self.by_status.get(MET, 0)

    @property
    def met_share(self) -> float:
        """Share of the assessed teachers who met the requirement (exempt teachers left out)."""
        return self.met / self.assessed if self.assessed else 0.0


def district_overview(year: str, subset: list[School] | None = None, district_id: int | None = None) -> list[SchoolRow]:
    """One row per school (of ``subset``, else every school of ``district_id``, else every
    school): staff, teachers by status, hours credited in ``year``. The statuses read as the
    school's pages read them (``assessment.counts_so_far``): of a year still under way at the
    school — its last day not past by the school's clock, not closed by the district — nobody
    is short yet (进行中).

    Each school's figures are cached under its data stamp (``portal.page_cache``); only the
    schools whose data changed since are computed again, together, by
    :func:`_district_figures`.
    """
    chosen = schools.all_schools(district_id) if subset is None else subset
    now = utcnow()
    figures = cached_per_school("district-row", chosen, (year,), lambda changed: _district_figures(changed, year),
                                # a month's end moves the verdicts of a school that asks notes each month
                                lambda s: (quotas.month_turned(s.rule, year, s.timezone, now), _year_over(s, year, now)))
    return [SchoolRow(s, *figures[s.id]) for s in chosen]


DISTRICT_PAGE_SIZE = 50
SCHOOL_KEYS = (Key(School.name_key, str), Key(School.code, str))  # by the names' pinyin, then code


def district_page(year: str, after: str | None = None, before: str | None = None,
                  size: int | None = None, district_id: int | None = None) -> Page[SchoolRow]:
    """A page of the district table, schools by the pinyin of their names (``School.name_key``,
    then code; keyset: a district has a thousand), of
    ``district_id`` only when given (districts are tenants)."""
    query = select(School) if district_id is None else select(School).where(School.district_id == district_id)
    found = keyset(
        lambda q: list(db.session.execute(q.execution_options(populate_existing=True)).scalars()),
        query, SCHOOL_KEYS, lambda school: (school.name_key, school.code), after=after, before=before,
        size=size or DISTRICT_PAGE_SIZE,
    )
    return Page(district_overview(year, found.items), found.next, found.prev, found.moved)


def _district_figures(subset: list[School], year: str) -> dict[int, tuple[int, int, dict[str, int], Decimal]]:
    """(staff, teachers, teachers by status, hours) of each school of ``subset``: a GROUP BY
    over the stored teacher-year rows (``services.teacher_years``), which hold the same
    teacher years as the school's own summary (:func:`credits.year_rows`)."""
    from portal.services import teacher_years

    ids = [s.id for s in subset]
    staff_count = dict(
        db.session.execute(
            select(Membership.school_id, func.count(func.distinct(Membership.user_id)))
            .where(Membership.active.is_(True), Membership.school_id.in_(ids))
            .group_by(Membership.school_id)
        ).all()
    )
    counts = teacher_years.counts_by_school(year, subset)
    now = utcnow()
    # an acceptance stamps the school anew (its cached figure is computed again), a year's end
    # is in the cache key (:func:`_year_over`)
    going = [s.id for s in subset if not _year_over(s, year, now)]
    closed = teacher_years.closed_schools(year, going) if going else set()
    out: dict[int, tuple[int, int, dict[str, int], Decimal]] = {}
    for sid in ids:
        teachers, by_status, hours = counts[sid]
        shown = counts_so_far(by_status, sid in going and sid not in closed)
        out[sid] = (staff_count.get(sid, 0), teachers, shown, hours)
    return out


def _year_over(school: School, year: str, now: datetime) -> bool:
    """Whether ``year``'s last day is past by ``school``'s clock (``credits``' rule of a year
    under way, the district's closing aside)."""
    return credits.year_over_on(to_local(now, school.timezone).date(), year)
