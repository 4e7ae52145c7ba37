"""Who holds which role where, and the scoping of every lookup to a school."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Exists, Select, bindparam, case, exists, literal, null, select
from sqlalchemy.orm import Session

from portal import policy
from portal.database import as_loaded, constant, in_constants, keep_compiled, loaded_columns, read_rows
from portal.errors import Forbidden, NotFound
from portal.extensions import db
from portal.messages import Msg, msg, shown
from portal.models import (
    DISTRICT_ADMIN,
    DISTRICT_ROLES,
    Activity,
    Evidence,
    Membership,
    Participation,
    School,
    SchoolActivityType,
    SignupWindow,
    TransitionLog,
    User,
)
from portal.registry import registry
from portal.security import MAX_ID  # the largest id a column holds; larger ones are simply not found
from portal.sorting import by_pinyin
from workflows.definition import (
    ATTENDANCE_RECORDED,
    FORMER_OWNER,
    HANDED_IN,
    HANDED_OVER,
    INVOLVED,
    NO_INDEPENDENT_HOLDER,
    OWNER,
    PARTICIPANT,
    RECORDER,
    Phase,
    WorkflowDefinition,
)


def school_roles(user_id: int, school_id: int) -> frozenset[str]:
    rows = db.session.execute(
        select(Membership.role).where(
            Membership.user_id == user_id, Membership.school_id == school_id, Membership.active.is_(True)
        )
    ).scalars()
    return frozenset(rows)


def is_district_admin(user_id: int) -> bool:
    return (
        db.session.execute(
            select(Membership.id).where(
                Membership.user_id == user_id, Membership.role == DISTRICT_ADMIN, Membership.active.is_(True)
            )
        ).first()
        is not None
    )


@dataclass(frozen=True)
class DistrictSeat:
    """The district a person works for and their district roles there (district admin,
    district reviewer). Every district page and query is scoped to ``district_id``: districts
    are tenants, and nobody of one district sees a school of another."""

    district_id: int
    roles: frozenset[str]


def district_seat(user_id: int) -> DistrictSeat | None:
    """The person's district and district roles (None: they hold none)."""
    rows = db.session.execute(
        select(Membership.role, Membership.district_id).where(
            Membership.user_id == user_id,
            Membership.active.is_(True),
            Membership.school_id.is_(None),
            Membership.role.in_(DISTRICT_ROLES),
        ).order_by(Membership.district_id)
    ).all()
    return _seat([(role, did) for role, did in rows])


def _seat(rows: list[tuple[str, int | None]]) -> DistrictSeat | None:
    """One district (the first by id, should a person hold roles in two)."""
    held = [(did, role) for role, did in rows if role in DISTRICT_ROLES and did is not None]
    if not held:
        return None
    first = min(did for did, _ in held)
    return DistrictSeat(first, frozenset(role for did, role in held if did == first))


SchoolRoles = list[tuple[School, list[str]]]


def schools_and_district_role(user_id: int) -> tuple[SchoolRoles, DistrictSeat | None]:
    """The schools a user belongs to with their roles there, and their district seat, if any
    (one query)."""
    rows = db.session.execute(
        select(Membership.role, School, Membership.district_id)
        .outerjoin(School, Membership.school_id == School.id)
        .where(Membership.user_id == user_id, Membership.active.is_(True))
        .order_by(School.name_key, School.code, Membership.role)
    ).all()
    return _group_roles([(role, school, did) for role, school, did in rows])


def _unread() -> Any:
    from portal.services.notifications import unread_count_column

    return unread_count_column(User.id).label("unread")


def _joined(query: Select) -> Select:
    return (
        query.select_from(User)
        .outerjoin(Membership, (Membership.user_id == User.id) & Membership.active.is_(True))
        .outerjoin(School, Membership.school_id == School.id)
        .where(User.id == bindparam("user_id"))
        .order_by(School.name_key, School.code, Membership.role)
    )


@functools.cache
def _login_query() -> tuple[Select, int, int]:
    """The login query as plain columns (built once: it runs on every request of a signed-in
    person, and building it costs more than running it), and how many are the user's and
    the school's."""
    user, school = loaded_columns(User), loaded_columns(School)
    query = _joined(select(*user, Membership.role, *school, Membership.district_id, _unread()))
    return keep_compiled(query), len(user), len(school)


@functools.cache
def _login_query_orm() -> Select:
    """The same through the ORM, for a session that holds the user or a school already:
    ``populate_existing`` makes the schools' data stamps (which key the page cache) what the
    database has, even in a session that read them before."""
    return _joined(select(User, Membership.role, School, Membership.district_id, _unread())).execution_options(
        populate_existing=True
    )


def user_with_schools(user_id: int) -> tuple[User | None, SchoolRoles, DistrictSeat | None, int]:
    """A user with their schools, roles and district seat, and how many notifications they
    have not read, in one query: what every page of a logged-in user needs first (the login
    loader runs it). The rows are read as columns and made into the session's objects
    (``database.as_loaded``): a fraction of the ORM's cost of loading them."""
    query, n_user, n_school = _login_query()
    rows = read_rows(query, {"user_id": user_id}).all()
    if not rows:
        return None, [], None, 0
    school_at = n_user + 1
    user = as_loaded(User, rows[0][:n_user])
    schools: dict[int, School | None] = {}
    for row in rows:
        sid = row[school_at]
        if sid is not None and sid not in schools:
            schools[sid] = as_loaded(School, row[school_at : school_at + n_school])
    if user is None or None in schools.values():  # already in this session: refreshed by the ORM
        return _user_with_schools_orm(user_id)
    roles = [(row[n_user], schools.get(row[school_at]), row[-2]) for row in rows if row[n_user] is not None]
    grouped, district = _group_roles(roles)
    return user, grouped, district, int(rows[0][-1] or 0)


def _user_with_schools_orm(user_id: int) -> tuple[User | None, SchoolRoles, DistrictSeat | None, int]:
    rows = db.session.execute(_login_query_orm(), {"user_id": user_id}).all()
    schools, district = _group_roles(
        [(role, school, did) for _user, role, school, did, _n in rows if role is not None]
    )
    return rows[0][0], schools, district, int(rows[0][4] or 0)


def _group_roles(rows: Iterable[tuple[str, School | None, int | None]]) -> tuple[SchoolRoles, DistrictSeat | None]:
    out: dict[int, tuple[School, list[str]]] = {}
    district_rows: list[tuple[str, int | None]] = []
    for role, school, did in rows:
        if school is None:
            district_rows.append((role, did))
            continue
        out.setdefault(school.id, (school, []))[1].append(role)
    return list(out.values()), _seat(district_rows)


def holds_a_role(user_id: Any) -> Exists:
    """SQL: whether the person (an id, or a column such as ``User.id``) holds an active role in a
    school or a district: what :func:`portal.policy.may_sign_in` asks of a login or a token."""
    return select(Membership.id).where(
        Membership.user_id == user_id, Membership.active.is_(True),
        Membership.school_id.is_not(None) | Membership.district_id.is_not(None),
    ).exists()


def school_in_context(
    schools: SchoolRoles, district: DistrictSeat | None, *, school_id: int | None = None, code: str | None = None
) -> tuple[School, frozenset[str]] | None:
    """The school a request acts in and the person's roles there — the one rule for the pages
    (school chosen by id in the session) and the API (``X-School`` code): one of the person's
    schools, or for district staff any school of their district named by code; their district
    roles are added in a school of their district only (in another district's school they are what
    their roles there make them). None when the school named is not theirs (another district's included)."""
    for school, roles in schools:
        if (school_id is not None and school.id == school_id) or (code is not None and school.code == code):
            extra = district.roles if district is not None and school.district_id == district.district_id else None
            return school, frozenset(roles) | (extra or frozenset())
    if district and code is not None:
        school = school_by_code(code)
        if school.district_id != district.district_id:
            raise NotFound(msg("school.no_code", code=shown(code)))
        return school, district.roles
    return None


def schools_of(user_id: int) -> list[tuple[School, list[str]]]:
    """The schools a user belongs to, with their roles there (one query)."""
    return schools_and_district_role(user_id)[0]


class Earlier(NamedTuple):
    """Who had a hand in an activity besides its organiser now, from its history: they stay
    involved in it (separation of duties)."""

    #: organised it before a school admin handed it to another organiser (a handover's ``from``):
    #: :data:`~workflows.definition.FORMER_OWNER`
    organisers: frozenset[int] = frozenset()
    #: fired a step that brought it into review (out of the open phase into awaiting review), or
    #: changed its attendance (an :data:`~workflows.definition.ATTENDANCE_RECORDED` entry, open or
    #: held: any edit of the hours is theirs to vouch for): :data:`~workflows.definition.RECORDER`.
    #: Every one of them, not only the latest: one brought back for rework and to review again
    #: still holds what the first recorded
    recorders: frozenset[int] = frozenset()
    #: handed in evidence for another's declaration (:func:`policy.hands_in_for_another`; its
    #: evidence, not its history): :data:`~workflows.definition.HANDED_IN`
    handed_in: frozenset[int] = frozenset()

    @property
    def people(self) -> frozenset[int]:
        return self.organisers | self.recorders | self.handed_in


NOBODY_EARLIER = Earlier()

#: What :data:`_EARLIER_HANDS` names a row of evidence handed in for another's declaration (no
#: history entry: not an identifier, so no workflow's trigger is named so).
HANDED_IN_ROW = _HANDED_IN = "evidence.handed_in"


def review_edges() -> tuple[list[str], list[str]]:
    """The states of the open phase and of awaiting review: a history entry from one of the
    first into one of the second brought the activity into review."""
    types = registry()
    return types.states_in(Phase.OPEN), types.states_in(Phase.AWAITING_REVIEW)


def involved_before(activity_ids: Iterable[int]) -> dict[int, Earlier]:
    """Who had a hand in each activity besides its organiser now (:class:`Earlier`), by activity
    id, in one statement over the history: who organised it before a handover
    (``handover.hand_over``'s entries, their ``from``), who brought it into review and who
    changed its attendance (the entries' actor). An activity with none of them is absent."""
    ids = sorted(set(activity_ids))
    if not ids:
        return {}
    open_, review = review_edges()
    return earlier_of_rows(read_rows(_EARLIER_HANDS, {"ids": ids, "open": open_, "review": review,
                                                      "declaring": declaring_types()}).all())


def earlier_hands(ids: Any, from_open: Any, to_review: Any) -> Any:
    """SQL: :func:`involved_before`'s condition on the history (``TransitionLog``): entries of
    activities ``ids`` (a bound list) that handed one over, changed its attendance, or brought it
    into review: ``from_open`` and ``to_review``, the conditions on the entry's states."""
    return (TransitionLog.activity_id.in_(ids)  # the triggers written in: the statements are built once
            & (in_constants(TransitionLog.trigger, (HANDED_OVER, ATTENDANCE_RECORDED)) | (from_open & to_review)))


def handover_payload() -> Any:
    """SQL: an entry's payload when it is a handover's (its ``from``), else NULL: an attendance
    entry's (sixty people's hours) is not needed by :func:`involved_before`."""
    return case((TransitionLog.trigger == constant(HANDED_OVER), TransitionLog.payload), else_=null())


def declaring_types() -> list[str]:
    """The installed types whose activities are declarations (a teacher's own, self-declared)."""
    return sorted(key for key, reg in registry().types.items() if reg.decl.self_declared)


def handed_in_for_another(ids: Any, declaring: Any) -> Any:
    """SQL: ``Evidence`` (joined to its ``Activity``) of activities ``ids`` handed in by one for
    another on a declaration (a type of ``declaring``): the rows ``policy.hands_in_for_another``
    answers yes for."""
    return (Evidence.activity_id.in_(ids) & (Evidence.uploaded_by != Evidence.user_id)
            & Activity.type_key.in_(declaring))


# bound ``ids`` and the states of the open phase and of awaiting review, of every installed type
# (the log's state names; what a phase holds is the workflows' to say); and, as rows of the same
# shape, evidence handed in for another on a declaration (bound ``declaring``): one statement still
_EARLIER_HANDS = (
    select(TransitionLog.activity_id, TransitionLog.trigger, TransitionLog.from_state, TransitionLog.to_state,
           TransitionLog.actor_id, handover_payload())
    .where(earlier_hands(bindparam("ids", expanding=True),
                         TransitionLog.from_state.in_(bindparam("open", expanding=True)),
                         TransitionLog.to_state.in_(bindparam("review", expanding=True))))
    .union_all(select(Evidence.activity_id, literal(_HANDED_IN), null(), null(), Evidence.uploaded_by, null())
               .join(Activity, Activity.id == Evidence.activity_id)
               .where(handed_in_for_another(bindparam("ids", expanding=True), bindparam("declaring", expanding=True))))
)


def earlier_of_rows(rows: Iterable[tuple[int, str, str, str, int, Any]]) -> dict[int, Earlier]:
    """:func:`involved_before` of the history entries ``rows`` (activity id, trigger, from and to
    state, actor, payload) read by :func:`earlier_hands`."""
    open_, review = review_edges()
    found: dict[int, list[tuple[str, str, str, int, Any]]] = {}
    for activity_id, trigger, from_state, to_state, actor_id, payload in rows:
        found.setdefault(activity_id, []).append((trigger, from_state, to_state, actor_id, payload))
    return {key: _earlier(entries, open_, review) for key, entries in found.items()}


def involved_before_in(history: Iterable[Any], evidence: Iterable[Any] = (), *, declared: bool = False) -> Earlier:
    """:func:`involved_before` of one activity, read from its history (a page that reads it:
    ``TransitionLog``s or rows of their names, ``transitions.history_rows``) and its ``evidence``
    (``Evidence`` rows; on a declaration, ``declared``, who handed in for another)."""
    open_, review = review_edges()
    handed = [(_HANDED_IN, None, None, e.uploaded_by, None) for e in evidence
              if policy.hands_in_for_another(declared=declared, uploader_id=e.uploaded_by, for_user_id=e.user_id)]
    return _earlier([(log.trigger, log.from_state, log.to_state, log.actor_id, log.payload) for log in history]
                    + handed, open_, review)


def _earlier(entries: Iterable[tuple[str, str, str, int, Any]], open_: list[str], review: list[str]) -> Earlier:
    organisers: set[int] = set()
    recorders: set[int] = set()
    handed_in: set[int] = set()
    for trigger, from_state, to_state, actor_id, payload in entries:
        if trigger == _HANDED_IN and from_state is None:  # a row of evidence, not a history entry
            handed_in.add(actor_id)
        elif trigger == HANDED_OVER:
            if (before := _handed_over_from(payload)) is not None:
                organisers.add(before)
        elif trigger == ATTENDANCE_RECORDED or (from_state in open_ and to_state in review):
            recorders.add(actor_id)
    return Earlier(frozenset(organisers), frozenset(recorders), frozenset(handed_in))


def _handed_over_from(payload: Any) -> int | None:
    """Who a handover's history entry took the activity from."""
    before = payload.get("from") if isinstance(payload, dict) else None
    return before if isinstance(before, int) and id_in_range(before) else None


def activity_roles(
    activity: Activity,
    user_id: int,
    roles: Iterable[str],
    participant_ids: Iterable[int] | None,
    definition: WorkflowDefinition | None = None,
    *,
    takes_part: bool = False,
    before: Earlier | None = None,
) -> frozenset[str]:
    """School roles plus the relations ``owner`` (or ``former_owner``: its organiser, who may
    run it no more, :func:`portal.policy.may_run_as_organiser`, or one who organised it before it
    was handed over), ``recorder`` (brought it into review) and ``participant`` to this activity,
    and, given the type's workflow ``definition``, ``no_independent_holder`` when the actor may
    stand in for the school's reviewers because none of them is independent of the activity.
    ``participant_ids``: everyone taking part; or None when the caller read only whether the
    actor does (``takes_part``: the review queue, which lists hundreds), and then a stand-in's
    check asks the database who else is involved. ``before``: who else had a hand in it
    (:func:`involved_before`; None: read here when it may matter)."""
    out = set(roles)
    people = None if participant_ids is None else set(participant_ids)
    if activity.organizer_id == user_id:
        runs = policy.may_run_as_organiser(policy.Actor.of(user_id, roles), registry().self_declared(activity.type_key))
        out.add(OWNER if runs else FORMER_OWNER)  # involved: who else had a hand in it changes nothing
    elif before is None and (definition is None or any(
            t.independent and (t.roles | t.stand_in_roles) & out for t in definition.transitions)):
        before = involved_before([activity.id]).get(activity.id, NOBODY_EARLIER)  # it decides what they may do
    if before is not None:
        if user_id in before.organisers and OWNER not in out:
            out.add(FORMER_OWNER)
        if user_id in before.recorders:
            out.add(RECORDER)
        if user_id in before.handed_in:
            out.add(HANDED_IN)
    if (user_id in people) if people is not None else takes_part:
        out.add(PARTICIPANT)
    if definition is not None and not out & INVOLVED:
        stand_in = [t for t in definition.transitions if t.stand_in_roles & out and not t.roles & out]
        if stand_in:
            holders = frozenset().union(*(t.roles for t in stand_in))
            earlier = involved_before([activity.id]).get(activity.id, NOBODY_EARLIER) if before is None else before
            if not _independent_holder_exists(activity, holders, people, earlier.people):
                out.add(NO_INDEPENDENT_HOLDER)
    return frozenset(out)


# Built once (a page asks it for every activity a stand-in may decide): the values are bound.
# The school's active holders of the roles, not "holders not among the people involved": a
# NOT IN of everyone involved (sixty on a big activity) cost the statement's compilation about
# six calls per person on every page, and a school has a handful of reviewers.
_INDEPENDENT_HOLDER = (
    select(Membership.user_id)
    .join(User, User.id == Membership.user_id)
    .where(
        Membership.school_id == bindparam("school_id"),
        Membership.role.in_(bindparam("roles", expanding=True)),
        Membership.active.is_(True),
        User.active.is_(True),
    )
)


# The same holders but those taking part in the activity (bound ``activity_id``): for a caller
# that did not read everyone taking part (``activity_roles``' ``participant_ids`` None)
_HOLDER_NOT_TAKING_PART = _INDEPENDENT_HOLDER.where(
    ~exists().where(Participation.activity_id == bindparam("activity_id"), Participation.user_id == Membership.user_id)
)


def _independent_holder_exists(activity: Activity, roles: frozenset[str], participants: set[int] | None,
                               earlier: frozenset[int] = frozenset()) -> bool:
    """Whether an active member of the activity's school holds one of ``roles`` and neither
    organised it (now, or before a handover), brought it into review (``earlier``:
    :attr:`Earlier.people`) nor took part in it (``participants``: everyone taking part, or
    None: the database is asked who does)."""
    params = {"school_id": activity.school_id, "roles": sorted(roles)}
    organisers = earlier | {activity.organizer_id}
    if participants is None:
        holders = read_rows(_HOLDER_NOT_TAKING_PART, {**params, "activity_id": activity.id}).scalars()
        return any(holder not in organisers for holder in holders)
    return not (participants | organisers).issuperset(read_rows(_INDEPENDENT_HOLDER, params).scalars())


def school_by_code(code: str) -> School:
    school = db.session.execute(select(School).where(School.code == code)).scalar_one_or_none()
    if school is None:
        raise NotFound(msg("school.no_code", code=shown(code)))
    return school




def id_in_range(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def known_names(school_id: int, user_ids: Iterable[int]) -> dict[int, str]:
    """The names of those of ``user_ids`` the school knows (a member of it now or once), by id;
    anyone else is left out: another school's people are not this school's to name (nor an id no
    column holds: no one's)."""
    wanted = [u for u in dict.fromkeys(user_ids) if id_in_range(u)]
    if not wanted:
        return {}
    return dict(db.session.execute(
        select(User.id, User.display_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id, User.id.in_(wanted))
    ).all())


def not_members(school_id: int, strangers: Iterable[int], at: dict[int, int] | None = None) -> list[Msg]:
    """The refusal of people chosen who are no active members of the school, in words: whoever
    was a member once by name (the school knew them; in pinyin order); anyone else — a user of
    another school, an id nobody has — with neither name nor id (their names are not this
    school's to read, and an id is no word): at their place in the list sent (``at``: id →
    place, from 1), else once as "someone chosen"."""
    wanted = list(dict.fromkeys(strangers))
    if not wanted:
        return []
    former = known_names(school_id, wanted)
    named = [msg("plan.not_member", name=n) for n in by_pinyin(former.values(), str)]
    others = [u for u in wanted if u not in former]
    if at is None:
        return named + [msg("plan.not_member_someone")] * bool(others)
    return named + [msg("plan.not_member_at", n=n) for n in sorted(at[u] for u in others)]


def get_activity(activity_id: int, school_id: int) -> Activity:
    """An activity of this school; another school's activity is 'not found', never 'forbidden'."""
    act = db.session.get(Activity, activity_id) if id_in_range(activity_id) else None
    if act is None or act.school_id != school_id:
        raise NotFound(msg("activity.not_found"))
    return act


class ActivityFacts(NamedTuple):
    """An activity with what its page asks of it first."""

    activity: Activity
    locked: bool  # its year (or semester) is locked
    signup: bool  # it has a sign-up window (open or confirmed)
    # the school's stored settings of the activity's type ({} when the school has no row of
    # it), or None when not known (a row holding JSON null): ``schools.type_settings`` reads them
    stored_settings: Any = None


def get_activity_and_lock(activity_id: int, school_id: int) -> ActivityFacts:
    """:func:`get_activity`, whether its year (or semester) is locked, whether it has a
    sign-up window, and the school's stored settings of its type, in one statement (the
    activity page asks all four of every activity; most have no sign-up, and reading the window
    or the settings on their own cost more than the page's rows)."""
    if not id_in_range(activity_id):
        raise NotFound(msg("activity.not_found"))
    params = {"activity_id": activity_id}
    # read as columns and made the session's object (``database.as_loaded``: a fraction of the
    # ORM's cost of loading it); through the ORM when the session holds the activity already
    found: Any = read_rows(_activity_and_lock(True), params).first()
    act = None if found is None else as_loaded(Activity, found[:-4])
    if found is not None and act is None:
        found = db.session.execute(_activity_and_lock(False), params).first()
        act = None if found is None else found[0]
    if act is None or act.school_id != school_id:
        raise NotFound(msg("activity.not_found"))
    return ActivityFacts(act, bool(found[-4]), bool(found[-3]), found[-2] if found[-1] else {})


@functools.cache
def _activity_and_lock(as_columns: bool) -> Select:
    """The statement of :func:`get_activity_and_lock` (bound ``activity_id``), built once: the
    activity page asks it on every view, and building it (three EXISTS and a subquery) cost
    about as much as running it. The activity's columns (``as_columns``) or the entity, then
    the four facts."""
    from portal.services import locks

    of_type = (SchoolActivityType.school_id == Activity.school_id, SchoolActivityType.type_key == Activity.type_key)
    return keep_compiled(select(
        *(loaded_columns(Activity) if as_columns else [Activity]),
        locks.locked_clause(Activity.school_id, Activity.school_year, Activity.semester),
        exists().where(SignupWindow.activity_id == Activity.id),
        select(SchoolActivityType.settings).where(*of_type).scalar_subquery(),
        exists().where(*of_type),
    ).where(Activity.id == bindparam("activity_id")))


def get_member(user_id: int, school_id: int) -> User:
    user = db.session.get(User, user_id) if id_in_range(user_id) else None
    if user is None or not school_roles(user_id, school_id):
        raise NotFound(msg("user.not_found"))
    return user


def still_members(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Those of the (user id, school id) ``pairs`` whose person holds a role at that school now
    (one query): one who left is told nothing more of the school, even a notice made or queued
    while they were there."""
    wanted = set(pairs)
    if not wanted:
        return set()
    found = db.session.execute(
        select(Membership.user_id, Membership.school_id).where(
            Membership.user_id.in_(sorted({uid for uid, _ in wanted})),
            Membership.school_id.in_(sorted({sid for _, sid in wanted})),
            Membership.active.is_(True),
        )
    ).all()
    return wanted & {(uid, sid) for uid, sid in found}


def get_past_or_present_member(user_id: int, school_id: int) -> User:
    """A person who belongs or belonged to the school (their memberships stay when they leave,
    switched off): whose record its summaries still list. Anyone else is not found."""
    user = db.session.get(User, user_id) if id_in_range(user_id) else None
    if user is None or db.session.execute(
        select(Membership.id).where(Membership.user_id == user_id, Membership.school_id == school_id).limit(1)
    ).first() is None:
        raise NotFound(msg("user.not_found"))
    return user


def one_at_a_time(user_id: int) -> None:
    """In a write transaction: this person's writes that must see one another (a declaration
    against their other declarations, a piece of writing against their others) run one at a
    time: their user row is locked (FOR UPDATE on PostgreSQL; SQLite's write transactions begin
    IMMEDIATE and so run one at a time already). Check after it, inside the same transaction."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def lock_people(user_ids: list[int]) -> None:
    """:func:`one_at_a_time` for several people at once (one statement; ids in order, so two
    writers locking overlapping sets wait rather than deadlock)."""
    db.session.execute(select(User.id).where(User.id.in_(sorted(set(user_ids)))).order_by(User.id).with_for_update())


def actor(user_id: int, school_id: int) -> policy.Actor:
    """``user_id`` as :mod:`portal.policy` sees them in the school (one query)."""
    return policy.Actor.of(user_id, school_roles(user_id, school_id))


def require_still(
    s: Session, by: policy.Actor, check: Callable[[policy.Actor], bool], code: str, *,
    school_id: int | None = None, district_id: int | None = None,
) -> None:
    """Ask ``check`` (a question of :mod:`portal.policy` about the actor, the thing acted on
    bound in: ``lambda now: policy.may_organise(now, act, declared=False)``) again inside the write ``s``, of the
    roles ``by`` holds now in the school ``school_id`` — or, without one, in the district
    ``district_id`` (its district roles): a right read before the write may be gone by the time
    it writes (taken by another admin, or the operator, at the same moment). The memberships
    that give the right there and the actor's own are locked (:func:`_locked`): of two admins
    taking each other's role at once, the second finds it has none left and is refused with
    ``code``. In a school, one who holds no role there any more is refused too, even where the
    question is of their own thing (their activity, their writing): who left acts there no
    more. The operator (``by.system``) is not asked."""
    if by.system:
        return
    if school_id is not None:
        where = Membership.school_id == school_id
    elif district_id is not None:
        where = Membership.school_id.is_(None) & (Membership.district_id == district_id)
    else:
        raise ValueError("a school or a district")
    now = policy.Actor.of(by.user_id, _locked(s, by.user_id, where, policy.roles_for(check)))
    policy.require(check(now) and (school_id is None or bool(now.roles)), code)


def roles_now(s: Session, user_id: int, school_id: int) -> frozenset[str]:
    """:func:`school_roles` inside the write ``s``, locked as :func:`require_still` locks them:
    for a write that depends on the person still belonging to the school (a check-in, a trigger
    fired by their roles), so that a change of their roles at the same moment comes wholly
    before or wholly after it."""
    return _locked(s, user_id, Membership.school_id == school_id, [])


def _locked(s: Session, user_id: int, where: Any, roles: list[str]) -> frozenset[str]:
    """Lock the active memberships (``where``) of ``roles``, of the roles that administer a
    school (which every change of someone's roles locks first, :func:`require_still_admin`) and
    of ``user_id``, in one statement, the administering ones first, then by id: so two such
    writes queue rather than deadlock (a change of roles never holds another row while it waits
    for an administering one). The roles ``user_id`` holds there now."""
    first = policy.roles_for(policy.may_administer)
    rows = s.execute(
        select(Membership.user_id, Membership.role)
        .where(where, Membership.role.in_(sorted({*roles, *first})) | (Membership.user_id == user_id),
               Membership.active.is_(True))
        .order_by(case((Membership.role.in_(first), 0), else_=1), Membership.id)
        .with_for_update()
    ).all()
    return frozenset(role for uid, role in rows if uid == user_id)


def require_still_admin(s: Session, school_id: int, by: policy.Actor, code: str = "policy.admin_only") -> None:
    """:func:`require_still` of :func:`policy.may_administer` in the school."""
    require_still(s, by, policy.may_administer, code, school_id=school_id)


def require_role(user_id: int, school_id: int, *roles: str) -> frozenset[str]:
    have = school_roles(user_id, school_id)
    if not have & set(roles):
        raise Forbidden(msg("policy.requires_role", roles=", ".join(roles)))
    return have
