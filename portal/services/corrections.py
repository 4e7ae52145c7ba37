"""Correction requests: one whom the portal sends to someone else — their own recorded row of an
activity's attendance (:func:`policy.may_record_own_attendance`), a cancel withheld from them
(:func:`policy.may_close_over_own_record`, or an organiser whose role no longer cancels) — asks the
school's admins, with a reason. The request waits on the admins' to-do list
(:mod:`portal.services.school_todo`) and reaches them as a notice; an admin who did not ask it
(:func:`policy.may_close_correction`) makes the change through the existing pages (attendance,
cancel) and closes it as done, or declines it with a reason; the requester is told either way. A
request whose activity moved on first (credited or cancelled: its phase) is closed by that step
(:func:`activity_moved_on`), its requester told; one whose semester the district accepted first
closes as locked whatever the admin picks, one whose school year is over since as year over
(:func:`closes_as`). None is asked in a semester the district
accepted nor in a school year that is over (:func:`activities.year_over_refusal`): nobody changes a
row there. The lists page (:func:`page`,
:func:`numbered`).

The school's audit log lists them (``view=corrections``): who asked, why, who closed it and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import jobs, outbox, policy
from portal.database import write_transaction
from portal.errors import Conflict, DomainError, Invalid, NotFound
from portal.extensions import db
from portal.messages import msg
from portal.models import SCHOOL_ADMIN, Activity, CorrectionRequest, Notification, Participation, School, User
from portal.paging import Key, Page, keyset
from portal.registry import registry
from portal.services import access, activities, locks, notifications, transitions
from portal.services.district_notices import school_admins
from portal.services.notifications import NewNotification, notify_many
from portal.textcount import says_something
from portal.timeutil import to_local, utcnow, zone_of
from workflows.definition import Phase, WorkflowDefinition

ROW, CANCEL = "row", "cancel"
KINDS = (ROW, CANCEL)
OPEN, DONE, DECLINED, MOVED_ON, LOCKED, YEAR_OVER = "open", "done", "declined", "moved_on", "locked", "year_over"
STATUSES = (OPEN, DONE, DECLINED, MOVED_ON, LOCKED, YEAR_OVER)
OUTCOMES = (DONE, DECLINED)  # what an admin closes one as
REASON_MAX = 500
WANTED_MAX = 100
#: The phases after which nothing is corrected on an activity: its hours credited, or it cancelled.
MOVED_ON_PHASES = frozenset({Phase.CREDITED, Phase.CLOSED})


def moved_on(act: Activity) -> bool:
    """Whether the activity went past what a request asks (credited or cancelled)."""
    return registry().phase(act.type_key, act.state) in MOVED_ON_PHASES


def closes_as(act: Activity) -> str | None:
    """What an open request on ``act`` closes as, whatever an admin picks: moved on (credited or
    cancelled: :func:`moved_on`), locked (its semester accepted by the district: nothing changes
    there any more), or year over (its school year is before the last:
    :func:`activities.year_over_refusal`, no row of it changes any more); None: as the admin closes
    it (done or declined). Migration ``c3e8a5f1b7d9`` closed those the older code left open so."""
    if moved_on(act):
        return MOVED_ON
    if locks.is_locked(act.school_id, act.school_year, act.semester):
        return LOCKED
    if activities.year_over_refusal(act) is not None:
        return YEAR_OVER
    return None


def reads_as(req: CorrectionRequest, closes: str | None) -> str:
    """The status ``req`` reads as, ``closes`` what it closes as (:func:`closes_as` of its
    activity): an open one as that, the lists' rule (:func:`_reads_as`) for one request's page."""
    return (closes or OPEN) if req.status == OPEN else req.status


def activity_moved_on(s: Session, definition: WorkflowDefinition, act: Activity, to_state: str) -> None:
    """Called by the transition service inside its write, the activity's step taken: one that takes
    it into a phase past what a request asks (:data:`MOVED_ON_PHASES`: credited, or cancelled)
    closes its open requests as moved on in the same transaction (the step, its log, its ledger and
    them: whole or not at all); each requester is told once it commits."""
    if definition.phase(to_state) not in MOVED_ON_PHASES:
        return
    closed = list(s.execute(select(CorrectionRequest).where(
        CorrectionRequest.activity_id == act.id, CorrectionRequest.status == OPEN)
        .order_by(CorrectionRequest.id).with_for_update()).scalars())
    now = utcnow()
    for req in closed:  # closed by nobody: the activity moved on (its trigger moves the school's data stamp)
        req.status, req.closed_at = MOVED_ON, now
    if closed:
        s.flush()
        outbox.enqueue_on_commit(MOVED_ON_JOB, [r.id for r in closed])


MOVED_ON_JOB = "notifications.corrections_moved_on"


@jobs.job(MOVED_ON_JOB)
def tell_moved_on(request_ids: list[int]) -> list[int]:
    """Each requester of these requests closed as moved on is told, once (the key of an admin's close)."""
    rows = db.session.execute(select(CorrectionRequest, Activity.title).join(
        Activity, Activity.id == CorrectionRequest.activity_id).where(
        CorrectionRequest.id.in_(request_ids), CorrectionRequest.status == MOVED_ON)
        .order_by(CorrectionRequest.id)).all()
    return notify_many([_closed_notice(req, title) for req, title in rows])


def _closed_notice(req: CorrectionRequest, title: str) -> NewNotification:
    return NewNotification(req.requester_id, "correction_closed", f"correction_closed:{req.id}",
                           {"title": title, "comment": req.close_reason, "status": req.status},
                           f"/corrections/{req.id}", req.school_id)


def _closing(act: Activity, triggers: Sequence[str]) -> list[str]:
    definition = registry().definition(act.type_key)
    return [t for t in triggers if definition.phase(definition.transition(t).dest) is Phase.CLOSED]


def offered(act: Activity, actor: policy.Actor, own_row: Participation | None, allowed: Sequence[str],
            withheld: Sequence[str], *, declared: bool, locked: bool) -> list[str]:
    """The kinds of request ``actor`` may send about ``act``, from what its page has read: their
    own row (``own_row``: once it is recorded), the steps offered to them (``allowed``) and those
    withheld over their own unexcused absence (``withheld``). None on an activity that moved on,
    nor in a semester the district accepted (``locked``: no admin changes a row or cancels there),
    nor in a school year that is over (:func:`activities.year_over_refusal`: no admin changes its
    rows any more), nor where no school admin but the asker could close it (:func:`closers`: asked
    only then)."""
    if moved_on(act) or locked or activities.year_over_refusal(act) is not None:
        return []
    out = []
    recorded = own_row is not None and activities.has_record(own_row)  # nothing to correct before it is
    if recorded and policy.may_ask_correction(
            concerned=True, declared=declared, does_it_oneself=policy.may_record_own_attendance(actor, act, recorded=True)):
        out.append(ROW)
    runs_it = act.organizer_id == actor.user_id or bool(_closing(act, withheld))
    if policy.may_ask_correction(concerned=runs_it, does_it_oneself=bool(_closing(act, allowed)), declared=declared):
        out.append(CANCEL)
    return out if out and closers(act.school_id, actor.user_id) else []


class Offer(NamedTuple):
    """What an activity's page offers its viewer (:func:`offer`): the kinds still to ask, and
    their open requests of the other kinds offered (said with their day instead of the link)."""

    to_ask: list[str]
    waiting: list[CorrectionRequest]


def offer(act: Activity, actor: policy.Actor, own_row: Participation | None, allowed: Sequence[str],
          withheld: Sequence[str], *, declared: bool, locked: bool) -> Offer:
    """:func:`offered`, less the kinds the viewer asked already and is waiting on (read only when
    one is offered: one statement)."""
    kinds = offered(act, actor, own_row, allowed, withheld, declared=declared, locked=locked)
    waiting = _open_of(act.id, actor.user_id) if kinds else {}
    return Offer([k for k in kinds if k not in waiting], [waiting[k] for k in kinds if k in waiting])


def _open_of(activity_id: int, user_id: int) -> dict[str, CorrectionRequest]:
    return {r.kind: r for r in db.session.execute(select(CorrectionRequest).where(
        CorrectionRequest.activity_id == activity_id, CorrectionRequest.requester_id == user_id,
        CorrectionRequest.status == OPEN).order_by(CorrectionRequest.id)).scalars()}


def closers(school_id: int, requester_id: int) -> list[int]:
    """The school's admins who may close a request of ``requester_id`` (:func:`policy.may_close_correction`):
    those told of it. None in a school whose only admin asks (or that has none): nobody would ever close it."""
    return [uid for uid in school_admins(school_id)
            if policy.may_close_correction(policy.Actor.of(uid, {SCHOOL_ADMIN}), requester_id)]


def offered_now(act: Activity, actor: policy.Actor) -> list[str]:
    """:func:`offered`, read of the database (the service's own check)."""
    people = list(db.session.execute(select(Participation).where(Participation.activity_id == act.id)).scalars())
    ids = [p.user_id for p in people]
    own = next((p for p in people if p.user_id == actor.user_id), None)
    locked = locks.is_locked(act.school_id, act.school_year, act.semester)
    allowed = transitions.allowed_triggers(act, actor.user_id, ids, actor.roles, locked)
    withheld = transitions.withheld_over_own_record(
        act, actor.user_id, allowed, own is not None and activities.records_absence(own), ids, actor.roles, locked)
    return offered(act, actor, own, allowed, withheld, declared=registry().self_declared(act.type_key), locked=locked)


def _text(value: Any, name: str, most: int, required: bool, fields: dict[str, Any], missing: str) -> str:
    if value is not None and not isinstance(value, str):
        fields[name] = msg("at_most_chars", n=most)
        return ""
    text = (value or "").strip()
    if len(text) > most:
        fields[name] = msg("at_most_chars", n=most)
    elif required and not says_something(text):  # spaces, punctuation or invisible characters say nothing
        fields[name] = msg(missing)
    return text


def ask(act: Activity, by: policy.Actor, kind: Any, wanted: Any, reason: Any) -> CorrectionRequest:
    """Send a request about ``act`` (of the actor's school, read by the caller); refused with a
    clear error and nothing written on bad input, where the actor may do it themself (or may not
    ask it), on an activity that moved on, and while the same request of theirs is open (its day)."""
    fields: dict[str, Any] = {}
    if kind not in KINDS:
        fields["kind"] = msg("correction.kind")
    want = _text(wanted, "wanted", WANTED_MAX, kind == ROW, fields, "correction.wanted_required")
    why = _text(reason, "reason", REASON_MAX, True, fields, "correction.reason_required")
    if fields:
        raise Invalid(msg("correction.not_sent"), fields)
    to = require_askable(act, by, kind)
    try:
        with write_transaction() as s:
            access.require_still(s, by, lambda _now: True, "forbidden", school_id=act.school_id)
            req = CorrectionRequest(school_id=act.school_id, activity_id=act.id, requester_id=by.user_id, kind=kind,
                                    wanted=want if kind == ROW else "", reason=why, status=OPEN, close_reason="")
            s.add(req)  # its trigger moves the school's data stamp: the admins' cached to-do list
    except IntegrityError:  # the same request sent twice at once: the first stands
        first = _open_one(act.id, by.user_id, kind)
        raise Conflict(msg("correction.already_open", day=_day(act.school_id, first.created_at if first else utcnow()))) \
            from None
    name = db.session.get_one(User, by.user_id).display_name
    notify_many([NewNotification(uid, "correction_asked", f"correction_asked:{req.id}:{uid}",
                                 {"name": name, "title": act.title, "reason": why, "request": req.id},
                                 f"/corrections/{req.id}",
                                 act.school_id)
                 for uid in to])
    return req


def require_askable(act: Activity, by: policy.Actor, kind: str) -> list[int]:
    """The refusals of :func:`ask` once its input is read (``kind`` one of :data:`KINDS`): the
    activity moved on, its semester accepted or its school year over, nobody to close it, not the actor's to ask, or
    theirs open already (its day). Returns the admins it goes to."""
    if moved_on(act):
        raise Conflict(msg("correction.moved_on"))
    locks.require_unlocked(act.school_id, act.school_year, act.semester)  # nothing is changed there: nothing to ask
    if (over := activities.year_over_refusal(act)) is not None:  # nor in a year that is over
        raise Conflict(over)
    if not (to := closers(act.school_id, by.user_id)):  # sent to nobody, it would wait for ever
        raise Conflict(msg("correction.nobody_to_close"))
    policy.require(kind in offered_now(act, by), f"correction.not_asked_{kind}")
    first = _open_one(act.id, by.user_id, kind)
    if first is not None:
        raise Conflict(msg("correction.already_open", day=_day(act.school_id, first.created_at)))
    return to


def form_kind(act: Activity, by: policy.Actor, kind: Any) -> str:
    """The kind the ask form opens with, refused as :func:`ask` would refuse sending it: ``kind``
    where it names one, else the first that may be asked (none: refused as the first kind)."""
    if kind in KINDS:
        require_askable(act, by, kind)
        return str(kind)
    refused: DomainError | None = None
    for k in KINDS:
        try:
            require_askable(act, by, k)
        except DomainError as exc:
            refused = refused or exc
        else:
            return k
    assert refused is not None
    raise refused


@notifications.stands_while("correction_asked")
def _asked_stands(n: Notification) -> bool:
    """The request still waits (closed by another admin while quiet hours held the email: nothing to tell)."""
    ref = (n.params or {}).get("request")
    req = db.session.get(CorrectionRequest, ref) if access.id_in_range(ref) else None
    return req is not None and req.status == OPEN


def _open_one(activity_id: int, user_id: int, kind: str) -> CorrectionRequest | None:
    return _open_of(activity_id, user_id).get(kind)


def _day(school_id: int, at: datetime) -> str:
    return to_local(at, zone_of(db.session.get_one(School, school_id))).date().isoformat()


def get(school_id: int, request_id: Any) -> CorrectionRequest:
    """A request of this school; another school's is 'not found', never 'forbidden'."""
    req = db.session.get(CorrectionRequest, request_id) if isinstance(request_id, int) and access.id_in_range(request_id) \
        else None
    if req is None or req.school_id != school_id:
        raise NotFound(msg("correction.not_found"))
    return req


def close(req: CorrectionRequest, by: policy.Actor, outcome: Any, reason: Any) -> CorrectionRequest:
    """Close an open request as done or declined (``reason`` required to decline); one whose
    activity moved on, or whose semester the district accepted since, closes as such whatever was
    chosen (:func:`closes_as`). The requester is told."""
    policy.require(policy.may_see_corrections(by), "policy.admin_only")
    policy.require(policy.may_close_correction(by, req.requester_id), "correction.own")
    fields: dict[str, Any] = {}
    if outcome not in OUTCOMES:
        fields["outcome"] = msg("correction.outcome")
    gone = closes_as(db.session.get_one(Activity, req.activity_id))  # closes as such: no reason asked
    why = _text(reason, "reason", REASON_MAX, outcome == DECLINED and gone is None, fields, "correction.decline_reason")
    if fields:
        raise Invalid(msg("correction.not_closed"), fields)
    with write_transaction() as s:
        access.require_still(s, by, lambda now: policy.may_close_correction(now, req.requester_id), "correction.own",
                             school_id=req.school_id)
        now = s.execute(select(CorrectionRequest).where(CorrectionRequest.id == req.id).with_for_update()
                        .execution_options(populate_existing=True)).scalar_one()
        if now.status != OPEN:
            raise Conflict(msg("correction.closed_already"))
        act = s.get_one(Activity, now.activity_id)
        now.status = closes_as(act) or str(outcome)
        now.closed_by, now.closed_at, now.close_reason = by.user_id, utcnow(), why
    notify_many([_closed_notice(now, act.title)])
    return now


class Row(NamedTuple):
    request: CorrectionRequest
    title: str
    requester: str
    closer: str | None
    status: str  # as it reads (:func:`_reads_as`): an open one that can no longer be granted reads as closed


#: A list's sort (newest first) and page size: the web's keyset pages (``paging``), the API's numbered ones.
KEYS = (Key(CorrectionRequest.created_at, datetime, descending=True), Key(CorrectionRequest.id, int, descending=True))
PAGE_SIZE = 20


def _reads_as(school_id: int) -> ColumnElement[str]:
    """A request's status as the lists and the to-do list read it, over its row and its activity's
    (joined): an open one that can no longer be granted — its semester accepted by the district,
    or its school year over — reads as what it closes as (:func:`closes_as`, in SQL: the lock's
    own clause, and the first school year still written into, ``policy.first_year_to_date``), so
    no admin is asked for what they cannot do. One moved on was closed by its step already."""
    this_year = activities.school_year_now(db.session.get_one(School, school_id))
    return case(
        (CorrectionRequest.status != OPEN, CorrectionRequest.status),
        (locks.locked_clause(Activity.school_id, Activity.school_year, Activity.semester), LOCKED),
        (Activity.school_year < policy.first_year_to_date(this_year), YEAR_OVER),
        else_=OPEN)


def _query(school_id: int, status: str | None, requester_id: int | None) -> Select:
    """The school's requests with their activity's title, who asked and closed them and the status
    they read as (:func:`_reads_as`): those reading as ``status``, or one person's
    (``requester_id``); not sorted."""
    closer = db.aliased(User)
    reads_as = _reads_as(school_id)
    q = (select(CorrectionRequest, Activity.title, User.display_name, closer.display_name, reads_as)
         .join(Activity, Activity.id == CorrectionRequest.activity_id)
         .join(User, User.id == CorrectionRequest.requester_id)
         .outerjoin(closer, closer.id == CorrectionRequest.closed_by)
         .where(CorrectionRequest.school_id == school_id))
    if status is not None:
        q = q.where(reads_as == status)
    if requester_id is not None:
        q = q.where(CorrectionRequest.requester_id == requester_id)
    return q


def listed(school_id: int, *, status: str | None = None, requester_id: int | None = None,
           limit: int | None = 100) -> list[Row]:
    """The school's requests (:func:`_query`), newest first (one statement); ``limit`` None: all of them."""
    q = _query(school_id, status, requester_id).order_by(*(k.column.desc() for k in KEYS)).limit(limit)
    return [Row(*r) for r in db.session.execute(q)]


def page(school_id: int, *, status: str | None = None, requester_id: int | None = None, after: str | None = None,
         before: str | None = None, size: int = PAGE_SIZE) -> Page[Row]:
    """A page of :func:`listed`'s list by keyset (the web's lists: one statement, no count); a broken
    cursor is :class:`Invalid`."""
    return keyset(lambda q: [Row(*r) for r in db.session.execute(q)], _query(school_id, status, requester_id), KEYS,
                  lambda r: (r.request.created_at, r.request.id), after=after, before=before, size=size)


def numbered(school_id: int, *, requester_id: int | None, number: int, size: int) -> tuple[list[Row], int]:
    """Page ``number`` (from 1) of :func:`listed`'s list, ``size`` a page, and how many in all (the
    API's numbered pages, as its other lists: two statements)."""
    q = _query(school_id, None, requester_id)
    total = db.session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = db.session.execute(q.order_by(*(k.column.desc() for k in KEYS)).limit(size).offset((number - 1) * size))
    return [Row(*r) for r in rows], int(total)


def waiting_on(school_id: int, actor: policy.Actor) -> tuple[int, datetime | None]:
    """The requests ``actor`` may close (not their own) that read as open (:func:`_reads_as`: not
    those that can no longer be granted) and the oldest's time: one statement (the to-do list's)."""
    n, oldest = db.session.execute(
        select(func.count(), func.min(CorrectionRequest.created_at))
        .join(Activity, Activity.id == CorrectionRequest.activity_id).where(
            CorrectionRequest.school_id == school_id, _reads_as(school_id) == OPEN,
            CorrectionRequest.requester_id != actor.user_id)).one()
    return int(n or 0), oldest


def local_day(school: School, at: datetime) -> date:
    return to_local(at, zone_of(school)).date()
