"""Sign-up (报名) for an activity: a capacity, a closing time, a waiting list that moves up
by itself when someone withdraws, and the organiser's confirmation.

Every change of an activity's sign-up first locks its :class:`SignupWindow` row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write transactions begin ``IMMEDIATE`` and
so run one at a time), then counts the seats: two withdrawals at once promote two different
waiting people, and a seat is never given twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from portal import outbox, policy
from portal.database import write_transaction
from portal.errors import Conflict, Invalid
from portal.extensions import db
from portal.messages import msg
from portal.models import Activity, Membership, Participation, School, Signup, SignupWindow, User
from portal.registry import registry
from portal.security import is_digits
from portal.services import access, locks, schools, stints
from portal.services.activities import note_list_change, require_shared, still_open
from portal.sorting import pinyin_key
from portal.timeutil import BadTime, iso_local_text, local_text, parse_iso, utcnow, zone_of

SEAT, WAITING, WITHDRAWN = "seat", "waiting", "withdrawn"
MAX_CAPACITY = 1000


@dataclass
class SignupView:
    """What the activity page and the API show of a sign-up."""

    window: SignupWindow
    seats: list[tuple[Signup, User]]
    waiting: list[tuple[Signup, User]]
    mine: Signup | None
    position: int | None  # the viewer's place on the waiting list (1 = next)
    is_closed: bool
    #: who withdrew, latest first (``changed_at`` is when); the organiser's and school admin's view
    withdrawn: list[tuple[Signup, User]] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(0, self.window.capacity - len(self.seats))


def _school_time(act: Activity, when: datetime) -> str:
    school = db.session.get(School, act.school_id)
    return local_text(when, zone_of(school))


def window_of(activity_id: int) -> SignupWindow | None:
    return db.session.get(SignupWindow, activity_id)


def signed_up(activity_id: int) -> frozenset[int]:
    """Who holds a seat or waits for one on the activity's sign-up (not withdrawn): before the
    list is confirmed they are no participants yet, yet they count on the activity — a cancel
    tells them why (``Transition.needs_comment_with``, ``reminders.review_decision``)."""
    return frozenset(db.session.execute(select(Signup.user_id).where(
        Signup.activity_id == activity_id, Signup.status.in_((SEAT, WAITING)))).scalars())


def _locked_window(s, act: Activity) -> SignupWindow:
    window = s.execute(
        select(SignupWindow)
        .where(SignupWindow.activity_id == act.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if window is None:
        raise Conflict(msg("signup.not_open"))
    return window


def _on_staff(school_id: Any) -> Select:
    """The people with a role at the school (``school_id`` a value or a column). Only their
    sign-ups hold or are given a seat and become participants: one who left the school keeps
    no seat from a colleague, nor is moved up into one (:func:`confirm` would not make them a
    participant of it)."""
    return select(Membership.user_id).where(Membership.school_id == school_id, Membership.active.is_(True))


def _staff_signups(activity_id: int) -> Select:
    return (
        select(Signup)
        .join(Activity, Activity.id == Signup.activity_id)
        .where(Signup.activity_id == activity_id, Signup.user_id.in_(_on_staff(Activity.school_id)))
    )


def _seats(s, activity_id: int) -> int:
    seats = _staff_signups(activity_id).where(Signup.status == SEAT).subquery()
    return s.scalar(select(func.count()).select_from(seats)) or 0


def _promote(s, activity_id: int, free: int) -> None:
    """Give ``free`` seats to the first on the waiting list (by sign-up time) still on the staff;
    each is told once the write commits (``notifications.signup_seat``: a waiting place may never
    become a seat, so it is news)."""
    if free <= 0:
        return
    moved: list[int] = []
    for row in s.execute(
        _staff_signups(activity_id)
        .where(Signup.status == WAITING)
        .order_by(Signup.signed_at, Signup.id)
        .limit(free)
        .with_for_update(of=Signup)  # not the activity it joins
    ).scalars():
        now = utcnow()
        row.status, row.changed_at, row.promoted_at = SEAT, now, now
        moved.append(row.id)
    if moved:
        outbox.enqueue_on_commit("notifications.signup_seat", activity_id, moved)


def seats_left_by(s, school_id: int, user_id: int) -> None:
    """In the write that ends a person's roles at the school: each seat they held in one of its
    sign-ups not yet confirmed is given up, as a withdrawal's would be (the seat counts no more:
    :func:`_seats` counts only the staff's), and where the sign-up is still open it goes to the
    first waiting on the staff. Given up for good: one given a role again before the activity
    signs up again, at the end of the queue — their old sign-up would otherwise hold a seat again
    beside the colleague's who took it, more seats than the capacity."""
    now = utcnow()
    for window, row in s.execute(
        select(SignupWindow, Signup)
        .join(Signup, Signup.activity_id == SignupWindow.activity_id)
        .join(Activity, Activity.id == SignupWindow.activity_id)
        .where(Activity.school_id == school_id, Signup.user_id == user_id, Signup.status == SEAT,
               SignupWindow.confirmed_at.is_(None))
        .order_by(SignupWindow.activity_id)
        .with_for_update(of=SignupWindow)
    ).all():
        row.status, row.changed_at = WITHDRAWN, now
        s.flush()
        if window.closes_at > now:
            _promote(s, window.activity_id, window.capacity - _seats(s, window.activity_id))


def _require_before_start(act: Activity) -> None:
    """An activity open for participants (not a declaration: its declarer's alone), still
    editable and not yet begun."""
    require_shared(act)
    if not _taking_people(act):
        raise Conflict(msg("signup.not_open"), state=act.state)
    if utcnow() >= act.starts_at:
        raise Conflict(msg("signup.started"))


def open_signup(act: Activity, capacity: object, closes_at: object, *, by: policy.Actor, tz: str) -> SignupWindow:
    """Open an activity for sign-up, or change the capacity and closing time of an open one
    (not below the seats already given; more seats move the waiting list up)."""
    policy.require(policy.may_run_signup(by, act), "policy.run_signup")
    _require_before_start(act)
    fields = {}
    if isinstance(capacity, str) and is_digits(capacity.strip()) and len(capacity.strip()) < 7:
        capacity = int(capacity.strip())
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        fields["capacity"] = msg("signup.capacity", n=MAX_CAPACITY)
    closes: datetime | None = None
    try:
        closes = parse_iso(iso_local_text(closes_at) if isinstance(closes_at, str)  # 2026年12月4日 14:00 too
                           else closes_at if isinstance(closes_at, datetime) else "", tz)
    except BadTime as exc:
        fields["closes_at"] = exc.msg
    if closes is not None:
        if closes >= act.starts_at:
            fields["closes_at"] = msg("signup.closes_after_start", start=_school_time(act, act.starts_at))
        elif closes <= utcnow():
            fields["closes_at"] = msg("signup.closes_past")
    if fields:  # said as what did not happen: opening it, or changing the one open
        opened = db.session.execute(select(SignupWindow.activity_id).where(SignupWindow.activity_id == act.id)).first()
        raise Invalid(msg("signup.not_changed" if opened else "signup.refused"), fields)
    assert isinstance(capacity, int) and closes is not None
    with write_transaction() as s:
        _still_runs(s, act, by)
        window = s.execute(
            select(SignupWindow).where(SignupWindow.activity_id == act.id).with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if window is None:
            window = SignupWindow(activity_id=act.id, capacity=capacity, closes_at=closes, created_by=by.user_id)
            s.add(window)
            return window
        if window.confirmed_at is not None:
            raise Conflict(msg("signup.confirmed"))
        seats = _seats(s, act.id)
        if capacity < seats:
            raise Invalid(msg("signup.not_changed"), {"capacity": msg("signup.capacity_below_seats", n=seats)})
        window.capacity, window.closes_at = capacity, closes
        _promote(s, act.id, capacity - seats)
    return window


def _still_runs(s: Session, act: Activity, by: policy.Actor) -> None:
    """Inside the write: ``by`` still runs the activity's sign-up (:func:`access.require_still`)."""
    access.require_still(s, by, lambda now: policy.may_run_signup(now, act), "policy.run_signup",
                         school_id=act.school_id)


def _still_signs_up(s: Session, act: Activity, by: policy.Actor) -> None:
    """Inside the write: ``by`` is still a teacher of the school (:func:`access.require_still`)."""
    access.require_still(s, by, policy.may_sign_up, "policy.sign_up", school_id=act.school_id)


def _taking_people(act: Activity) -> bool:
    """Whether the activity's state still takes people (its phase is editable: not cancelled,
    not held or later)."""
    return registry().phase(act.type_key, act.state).editable


def _check_open(act: Activity, window: SignupWindow) -> None:
    if not _taking_people(act):  # cancelled meanwhile: the list is closed with it
        raise Conflict(msg("signup.not_open"), state=act.state)
    if window.confirmed_at is not None:
        raise Conflict(msg("signup.confirmed"))
    if utcnow() >= act.starts_at:
        raise Conflict(msg("signup.started"))


def sign_up(act: Activity, user: User, *, by: policy.Actor) -> Signup:
    """Sign ``user`` (the caller) up: a seat while there is one, else the end of the waiting list."""
    policy.require(by.user_id == user.id and policy.may_sign_up(by), "policy.sign_up")
    policy.require(policy.may_sign_up_for(by, act), "policy.sign_up_own")
    with write_transaction() as s:
        _still_signs_up(s, act, by)
        window = _locked_window(s, act)
        _check_open(act, window)
        if utcnow() >= window.closes_at:
            raise Conflict(msg("signup.closed", time=_school_time(act, window.closes_at)))
        if s.execute(
            select(Participation.id).where(Participation.activity_id == act.id, Participation.user_id == user.id)
        ).first():
            raise Conflict(msg("signup.participant"))
        row = s.execute(
            select(Signup).where(Signup.activity_id == act.id, Signup.user_id == user.id)
        ).scalar_one_or_none()
        if row is not None and row.status != WITHDRAWN:
            raise Conflict(msg("signup.twice"))
        status = SEAT if _seats(s, act.id) < window.capacity else WAITING
        now = utcnow()
        if row is None:
            row = Signup(activity_id=act.id, user_id=user.id, status=status, signed_at=now, changed_at=now)
            s.add(row)
        else:  # signing up again after withdrawing: the end of the queue
            row.status, row.signed_at, row.changed_at, row.promoted_at = status, now, now, None
    return row


def withdraw(act: Activity, user: User, *, by: policy.Actor) -> None:
    """Withdraw ``user`` (the caller); a freed seat goes to the first on the waiting list."""
    policy.require(by.user_id == user.id and policy.may_sign_up(by), "policy.sign_up")
    with write_transaction() as s:
        _still_signs_up(s, act, by)
        window = _locked_window(s, act)
        _check_open(act, window)
        row = s.execute(
            select(Signup)
            .where(Signup.activity_id == act.id, Signup.user_id == user.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if row is None or row.status == WITHDRAWN:
            raise Conflict(msg("signup.not_signed_up"))
        had_seat = row.status == SEAT
        row.status, row.changed_at = WITHDRAWN, utcnow()
        s.flush()
        if had_seat:
            _promote(s, act.id, window.capacity - _seats(s, act.id))


def confirm(act: Activity, *, by: policy.Actor) -> int:
    """The organiser confirms the list: seat holders still on the school's staff become
    participants (the type's default role) and the list is closed; those added are an entry of
    the activity's history, as when added by hand (:func:`activities.note_list_change`). Returns
    how many were added."""
    policy.require(policy.may_run_signup(by, act), "policy.run_signup")
    _require_before_start(act)
    locks.require_unlocked(act.school_id, act.school_year, act.semester)  # the roster of an accepted year
    reg = schools.require_type(act.type_key)
    added: dict[int, str] = {}
    with write_transaction() as s:
        _still_runs(s, act, by)
        locks.require_unlocked(act.school_id, act.school_year, act.semester)  # again in the write (SQLite)
        window = _locked_window(s, act)
        if window.confirmed_at is not None:
            raise Conflict(msg("signup.confirmed"))
        still_open(s, act, "participants")  # not cancelled meanwhile; the new people move the version
        already = set(
            s.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars()
        )
        for uid in s.execute(  # a seat holder who has left the school is no participant of its activity
            select(Signup.user_id)
            .where(Signup.activity_id == act.id, Signup.status == SEAT, Signup.user_id.in_(_on_staff(act.school_id)))
            .order_by(Signup.signed_at, Signup.id)
        ).scalars():
            if uid not in already:
                s.add(Participation(activity_id=act.id, user_id=uid, role=reg.decl.default_role))
                added[uid] = reg.decl.default_role
        window.confirmed_at, window.confirmed_by = utcnow(), by.user_id
        note_list_change(s, act, by.user_id, added=added)  # the list changed after planning, as by hand
    return len(added)


def view(act: Activity, viewer_id: int) -> SignupView | None:
    """The sign-up of an activity as its page shows it (None: not open for sign-up). Who
    withdrew is there for the views to show to those who run the sign-up
    (:func:`portal.policy.may_run_signup`); a teacher sees their own withdrawal in ``mine``."""
    window = window_of(act.id)
    if window is None:
        return None
    found = db.session.execute(  # everyone who ever signed up: the viewer's own row may be a withdrawal
        select(Signup, User, Signup.user_id.in_(_on_staff(act.school_id)))
        .join(User, User.id == Signup.user_id)
        .where(Signup.activity_id == act.id)
        .order_by(Signup.signed_at, Signup.id)
    ).all()
    rows = [(r, u) for r, u, _staff in found]
    staying = [(r, u) for r, u, staff in found if staff]  # a seat or a place in the queue is the staff's
    seats = sorted(((r, u) for r, u in staying if r.status == SEAT), key=lambda p: pinyin_key(p[1].display_name))
    waiting = [(r, u) for r, u in staying if r.status == WAITING]
    mine = next((r for r, _u in rows if r.user_id == viewer_id), None)
    position = next((i + 1 for i, (r, _u) in enumerate(waiting) if r.user_id == viewer_id), None)
    closed = (window.confirmed_at is not None or utcnow() >= window.closes_at or utcnow() >= act.starts_at
              or not _taking_people(act))
    withdrawn = sorted(((r, u) for r, u in rows if r.status == WITHDRAWN), key=lambda p: (p[0].changed_at, p[0].id),
                       reverse=True)
    return SignupView(window, seats, waiting, mine, position, closed, withdrawn)


def signups_of(user_id: int, school_id: int, school_year: str) -> list[tuple[Signup, Activity]]:
    """A teacher's own sign-ups for the school's activities of a year, withdrawn ones too
    (``changed_at`` is when), the latest change first: one query. Not those of an activity held
    while they were away from the school's staff (``stints.away_clause``): not theirs to attend."""
    return [
        (row, act)
        for row, act in db.session.execute(
            select(Signup, Activity)
            .join(Activity, Activity.id == Signup.activity_id)
            .where(Signup.user_id == user_id, Activity.school_id == school_id, Activity.school_year == school_year,
                   ~stints.away_clause(Signup.user_id, Activity.school_id, Activity.starts_at))
            .order_by(Signup.changed_at.desc(), Signup.id.desc())
        )
    ]


def open_to(by: policy.Actor, school_id: int) -> list[tuple[Activity, SignupWindow]]:
    """The school's activities the teacher ``by`` may sign up for now (refused to one who may not
    sign up, ``policy.sign_up``): open for sign-up, not confirmed, neither closed nor started,
    still taking people (:func:`_check_open`), and the teacher neither holds a seat, waits for one
    nor is a participant already (one who withdrew may sign up again). The one closing first
    first: one query, and the type's phase asked per row."""
    policy.require(policy.may_sign_up(by), "policy.sign_up")
    user_id = by.user_id
    now = utcnow()
    mine = select(Signup.activity_id).where(Signup.user_id == user_id, Signup.status.in_((SEAT, WAITING)))
    taking_part = select(Participation.activity_id).where(Participation.user_id == user_id)
    rows = db.session.execute(
        select(Activity, SignupWindow)
        .join(SignupWindow, SignupWindow.activity_id == Activity.id)
        .where(Activity.school_id == school_id, SignupWindow.confirmed_at.is_(None), SignupWindow.closes_at > now,
               Activity.starts_at > now, Activity.id.not_in(mine), Activity.id.not_in(taking_part))
        .order_by(SignupWindow.closes_at, Activity.starts_at, Activity.id)
    ).all()
    return [(act, window) for act, window in rows if _taking_people(act)]


def actor_for(user_id: int, school_id: int) -> policy.Actor:
    return access.actor(user_id, school_id)
