"""Handing an activity to another organiser: an organiser who left the research group (or the
school) runs the shared activities they planned no more (:func:`portal.policy.may_run_as_organiser`),
and a school admin gives each, not yet credited or closed, to someone of the school who may
run it. The change is written to the activity's history (a line of its own, its state
unchanged: :data:`workflows.definition.HANDED_OVER`) and the new organiser is told."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, select

from portal import policy
from portal.activity_types import Text
from portal.database import write_transaction
from portal.errors import Conflict, Invalid
from portal.extensions import db
from portal.messages import msg
from portal.models import Activity, Membership, Notification, TransitionLog, User
from portal.registry import registry
from portal.services import access, locks, notifications
from portal.services.activities import is_declaration
from portal.services.notifications import NewNotification, notify_many
from portal.sorting import by_pinyin
from portal.timeutil import utcnow
from workflows.definition import HANDED_OVER, Phase

FIELD = "organizer_id"


def may_be_handed_over(act: Activity) -> bool:
    """Whether the activity is one a school admin may hand over: a shared one (a declaration is
    its declarer's), not credited or closed (asked of its phase)."""
    return not is_declaration(act) and not registry().phase(act.type_key, act.state).finished


def candidates(act: Activity) -> list[Row]:
    """(id, display name) of the school's active members who may take the activity over
    (:func:`portal.policy.may_take_over`), by pinyin, its organiser left out: the form's choices."""
    roles = policy.roles_for(policy.may_take_over)
    return by_pinyin(db.session.execute(
        select(User.id, User.display_name).where(
            User.active.is_(True), User.id != act.organizer_id,
            User.id.in_(select(Membership.user_id).where(
                Membership.school_id == act.school_id, Membership.active.is_(True), Membership.role.in_(roles))),
        ).order_by(User.id)
    ).all(), lambda u: u.display_name)


def _open_organised(school_id: int, user_id: int) -> Any:
    """The condition on :class:`Activity` of the school's shared activities the person organises
    that are not yet credited or closed."""
    types = registry()
    open_states = types.states_in(*(p for p in Phase if not p.finished))
    declared = [key for key in types.keys() if types.self_declared(key)]
    return (Activity.school_id == school_id) & (Activity.organizer_id == user_id) & Activity.state.in_(open_states) \
        & Activity.type_key.not_in(declared)


def still_organised(school_id: int, user_id: int) -> int:
    """How many shared activities of the school the person organises that are not yet credited
    or closed: what a school admin is told when the person may run them no more, to hand them over."""
    return int(db.session.execute(select(func.count(Activity.id)).where(_open_organised(school_id, user_id))).scalar_one())


def organised_open(school_id: int, user_id: int) -> list[Activity]:
    """Those activities (:func:`still_organised`) themselves, by start: what a teacher's move to
    another school leaves for the school's admins to hand over (``moves.check_move``)."""
    return list(db.session.execute(
        select(Activity).where(_open_organised(school_id, user_id)).order_by(Activity.starts_at, Activity.id)
    ).scalars())


def who_hands_over(school_id: int) -> list[str]:
    """The names, by pinyin, of the school's active members who may hand its activities over
    (:func:`portal.policy.may_hand_over`)."""
    roles = policy.roles_for(policy.may_hand_over)
    return by_pinyin(db.session.execute(
        select(User.display_name).where(User.active.is_(True), User.id.in_(select(Membership.user_id).where(
            Membership.school_id == school_id, Membership.active.is_(True), Membership.role.in_(roles))))
    ).scalars(), str)


def left_behind(school_id: int, user_id: int, roles: frozenset[str] | list[str]) -> int:
    """:func:`still_organised` of a person holding ``roles`` now, when those let them run such
    activities no more (0 when they still may: nothing to hand over)."""
    if policy.may_run_as_organiser(policy.Actor.of(user_id, roles), declared=False):
        return 0
    return still_organised(school_id, user_id)


def _state(act: Activity) -> Text:
    types = registry()
    return Text(types.state_name(act.type_key, act.state, "zh"), types.state_name(act.type_key, act.state, "en"))


def _require_open(act: Activity) -> None:
    if is_declaration(act):
        raise Conflict(msg("handover.declared"))
    if registry().phase(act.type_key, act.state).finished:
        raise Conflict(msg("handover.finished", state=_state(act)), state=act.state)


def _new_organizer(act: Activity, raw: Any, roles_of: Any) -> int:
    """The id asked for, checked: a member of the activity's school who may take it over, not its
    organiser already. ``roles_of(user_id)``: their roles in the school (read, or locked in the write)."""
    if not access.id_in_range(raw):
        raise Invalid(msg("handover.refused"), {FIELD: msg("must_be_integer") if not isinstance(raw, int)
                                                 or isinstance(raw, bool) else msg("handover.not_member")})
    if raw == act.organizer_id:
        raise Invalid(msg("handover.refused"), {FIELD: msg("handover.same")})
    roles = roles_of(raw)
    active = db.session.execute(select(User.active).where(User.id == raw)).scalar_one_or_none()
    if not roles or not active:
        raise Invalid(msg("handover.refused"), {FIELD: msg("handover.not_member")})
    if not policy.may_take_over(policy.Actor.of(raw, roles)):
        raise Invalid(msg("handover.refused"), {FIELD: msg("handover.no_role")})
    return int(raw)


def hand_over(act: Activity, actor: User, new_organizer_id: Any) -> Activity:
    """Make ``new_organizer_id`` the organiser of ``act`` (a school admin's act), all or nothing:
    the activity, a line in its history, then a notice to the new organiser. Refused, with
    nothing written: anyone but a school admin; a declaration; an activity credited or closed,
    or of a year the district accepted; someone not of the school (or gone from it), without a
    role that lets them run it, or its organiser already."""
    by = access.actor(actor.id, act.school_id)
    policy.require(policy.may_hand_over(by), "policy.hand_over")
    _require_open(act)
    locks.require_unlocked(act.school_id, act.school_year, act.semester)
    _new_organizer(act, new_organizer_id, lambda uid: access.school_roles(uid, act.school_id))
    with write_transaction() as s:
        access.require_still(s, by, policy.may_hand_over, "policy.hand_over", school_id=act.school_id)
        now = s.execute(
            select(Activity).where(Activity.id == act.id).with_for_update().execution_options(populate_existing=True)
        ).scalar_one()
        _require_open(now)
        locks.require_unlocked(act.school_id, act.school_year, act.semester)  # again in the write (SQLite)
        new_id = _new_organizer(now, new_organizer_id, lambda uid: access.roles_now(s, uid, act.school_id))
        before, at = now.organizer_id, utcnow()
        now.organizer_id, now.updated_at = new_id, at
        log = TransitionLog(activity_id=now.id, school_id=now.school_id, trigger=HANDED_OVER, from_state=now.state,
                            to_state=now.state, actor_id=actor.id, comment="",
                            payload={"from": before, "to": new_id}, created_at=at)
        s.add(log)
        s.flush()
        log_id = log.id
    notify_many([NewNotification(new_id, "handed_over", f"handed_over:{log_id}:{new_id}",
                                 {"title": now.title, "activity": now.id}, f"/activities/{now.id}", now.school_id)])
    return now


@notifications.stands_while("handed_over")
def _handed_over_stands(n: Notification) -> bool:
    """The person still organises the activity (handed on again, or cancelled, while quiet hours
    held the email: nothing to tell)."""
    ref = (n.params or {}).get("activity")
    act = db.session.get(Activity, ref) if access.id_in_range(ref) else None
    return act is not None and act.organizer_id == n.user_id and not registry().phase(act.type_key,
                                                                                       act.state).finished
