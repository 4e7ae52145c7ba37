"""What the portal tells people on its own: jobs that find who to notify.

* after a review decision is committed (approved, returned with the comment, refused with the
  reason, credited, revoked): the organizer and the participants, except the person who decided;
* after an activity is cancelled (into the closed phase from the open one): its organizer, its
  participants (whether or not attendance was recorded) and whoever holds or waits for a seat on
  its sign-up, except the person who cancelled it: its title, the time it would have been and the
  reason (the comment ``cancel`` asks once others are concerned);
* after an activity moved to another time (``activities.reschedule``): its organizer and
  participants, except the person who moved it;
* after someone is taken off an activity's list (``activities.remove_participant``): them;
* hourly: everyone in an activity that starts tomorrow (the school's local date), unless the
  district accepted its year or semester;
* hourly: participants of an ended, still open activity who lack evidence their type requires
  (``ActivityType.required_evidence_for``);
* daily: teachers whose unexcused absence in a semester reached the school's warning threshold
  (``absence_warning_hours``) or its limit, from the one teacher-year builder
  (``credits.year_rows``).

Each notification has an idempotency key, so running a job twice (a retry, two workers, the
``flask reminders run`` command) notifies nobody twice. Each function takes ``now`` (naive
UTC) from its caller, so tests pass the clock instead of changing it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from portal import jobs, outbox
from portal.activity_types import evidence_counts
from portal.extensions import db
from portal.hours import fmt
from portal.models import Activity, Evidence, Notification, Participation, School, Signup, TransitionLog
from portal.plugin_data import type_answer
from portal.registry import registry
from portal.services import locks, notifications, stints
from portal.services.notifications import NewNotification, notify_many
from portal.timeutil import current_school_year, local_text, to_local, utcnow, zone_of
from workflows.definition import Phase, WorkflowDefinition

EVIDENCE_LOOKBACK_DAYS = 30


def transition_recorded(definition: WorkflowDefinition, log: TransitionLog) -> None:
    """Called by the transition service inside its write, the log row flushed: a review
    decision's notifications are queued as the transition commits (``portal.outbox``)."""
    if decision_kind(definition, log.trigger, log.from_state, log.to_state) is not None:
        outbox.enqueue_on_commit("notifications.review_decision", log.id)


def decision_kind(definition: WorkflowDefinition, trigger: str, from_state: str, to_state: str) -> str | None:
    """Which decision people are told of a transition is, asked of the workflow definition: a
    review decision, or the end of the activity before it took place (``activity_cancelled``: the
    core's ``cancel``, or a type's own step from the open phase into the closed one)."""
    try:
        step = definition.transition(trigger)
    except KeyError:
        return None
    if step.posts_credits:
        return "credited"
    if step.reverses_credits:
        return "revoked"
    if step.clears_adjustments:
        return "returned"
    if definition.phase(to_state) is Phase.CONFIRMED and definition.phase(from_state) is Phase.AWAITING_REVIEW:
        return "approved"
    if definition.phase(to_state) is Phase.CLOSED and definition.phase(from_state) is Phase.OPEN:
        return "activity_cancelled"  # called off before it took place (a refusal after review is none)
    if definition.refuses(from_state, to_state):
        return "refused"  # refused in review (a declaration's 不予认定): its people are told why
    return None


def _link(act: Activity) -> str:
    return _link_of(act.id)


def _link_of(activity_id: int) -> str:
    return f"/activities/{activity_id}"


def _people(act: Activity) -> list[tuple[int, str]]:
    """(user id, role) of the participants, and the organizer (role ``""``) if not one. Not a
    participant away from the school's staff when it is held (``stints.theirs``): it is not
    theirs, so no decision, move nor reminder of it reaches them (the organizer is told as such)."""
    rows = [(uid, role) for uid, role in db.session.execute(
        select(Participation.user_id, Participation.role).join(Activity, Activity.id == Participation.activity_id)
        .where(Participation.activity_id == act.id, stints.theirs())
    )]
    if act.organizer_id not in {uid for uid, _ in rows}:
        rows.append((act.organizer_id, ""))
    return rows


@jobs.job("notifications.review_decision")
def review_decision(log_id: int) -> list[int]:
    log = db.session.get(TransitionLog, log_id)
    if log is None:
        return []
    act = db.session.get(Activity, log.activity_id)
    if act is None:
        return []
    kind = decision_kind(registry().definition(act.type_key), log.trigger, log.from_state, log.to_state)
    if kind is None:
        return []
    params: dict[str, object] = {"title": act.title, "comment": log.comment or ""}
    people = _people(act)
    if kind in ("approved", "credited"):
        params.update(_year_of_hours(act))
    if kind == "activity_cancelled":  # when it would have been, in the school's time; sign-ups are told too
        from portal.services.signup import signed_up  # signup → activities → … → reminders

        params["start"] = local_text(act.starts_at, zone_of(db.session.get(School, act.school_id)))
        listed = {uid for uid, _role in people}
        people += [(uid, "") for uid in sorted(signed_up(act.id) - listed)]
    # a credit tells each participant their own hours (none: absent, or nothing to credit)
    credited = (log.payload or {}).get("credited") if kind == "credited" else None

    def params_of(uid: int, role: str) -> dict:
        if credited is None or not role:  # the organizer not taking part: the activity's news only
            return params
        return {**params, "hours": credited.get(str(uid), "0")}

    return notify_many([
        NewNotification(uid, kind, f"{kind}:{log.id}:{uid}", params_of(uid, role), _link(act), act.school_id)
        for uid, role in people if uid != log.actor_id
    ])


def _year_of_hours(act: Activity) -> dict[str, object]:
    """What an approval or a credit of ``act`` tells of the year its hours count in: nothing for
    an activity of the school's year now; for one of another year (a talk of last year approved
    today), that year and semester (``notifications.text`` names them: not this year's hours), and
    whether the year is closed to credits (``transitions.may_credit_in``: approving it posts none)."""
    from portal.services.transitions import may_credit_in  # transitions → reminders

    school = db.session.get_one(School, act.school_id)
    if act.school_year == current_school_year(zone_of(school)):
        return {}
    return {"year": act.school_year, "semester": act.semester, "closed": not may_credit_in(act.school_year, school)}


@jobs.job("notifications.rescheduled")
def rescheduled(log_id: int) -> list[int]:
    """Tell the people of an activity (its participants and organizer, but not who moved it) the
    time it moved to (``activities.reschedule``; ``log_id``: its history entry), in the school's
    time. Once per move: a retried job tells nobody twice."""
    from portal.services.activities import moved  # activities → … → reminders

    log = db.session.get(TransitionLog, log_id)
    if log is None or (times := moved(log)) is None or (act := db.session.get(Activity, log.activity_id)) is None:
        return []
    tz = zone_of(db.session.get(School, act.school_id))
    params = {"title": act.title, "start": local_text(times.start, tz), "end": local_text(times.end, tz),
              "was": local_text(times.old_start, tz), "activity": act.id, "at": times.start.isoformat()}
    return notify_many([
        NewNotification(uid, "rescheduled", f"rescheduled:{log.id}:{uid}", params, _link(act), act.school_id)
        for uid, _role in _people(act) if uid != log.actor_id
    ])


@notifications.stands_while("rescheduled")
def _move_stands(n: Notification) -> bool:
    """The activity is still open and starts when the notice says (moved again since, or
    cancelled, while quiet hours held the email: the later word is sent, not this one)."""
    ref = n.params.get("activity")
    act = db.session.get(Activity, ref) if isinstance(ref, int) else None
    return (act is not None and act.state in registry().states_in(Phase.OPEN)
            and act.starts_at.isoformat() == n.params.get("at"))


@jobs.job("notifications.removed")
def removed(activity_id: int, user_id: int, place: int) -> list[int]:
    """Tell someone taken off an activity's list (``activities.remove_participant``; ``place``:
    the id their row on it had) that they are no longer in it, naming its time in the school's.
    Once per removal (put back and taken off again: another row, told again)."""
    act = db.session.get(Activity, activity_id)
    if act is None:
        return []
    tz = zone_of(db.session.get(School, act.school_id))
    params = {"title": act.title, "start": local_text(act.starts_at, tz), "activity": act.id}
    return notify_many([NewNotification(user_id, "removed", f"removed:{act.id}:{user_id}:{place}", params, _link(act),
                                        act.school_id)])


@jobs.job("notifications.signup_seat")
def signup_seat(activity_id: int, signup_ids: list[int]) -> list[int]:
    """Tell each person moved up from an activity's waiting list (``signup.withdraw``, a raised
    capacity, a seat holder leaving the staff) that they have a seat, naming its time in the
    school's. Once per sign-up (withdrawn and signed up again: the end of the queue, no seat)."""
    act = db.session.get(Activity, activity_id)
    if act is None or not signup_ids:
        return []
    tz = zone_of(db.session.get(School, act.school_id))
    params = {"title": act.title, "start": local_text(act.starts_at, tz), "activity": act.id}
    rows = db.session.execute(select(Signup.id, Signup.user_id).where(
        Signup.id.in_([int(i) for i in signup_ids]), Signup.activity_id == act.id)).all()
    return notify_many([NewNotification(uid, "signup_seat", f"signup_seat:{sid}", params, _link(act), act.school_id)
                        for sid, uid in rows])


@notifications.stands_while("signup_seat")
def _seat_stands(n: Notification) -> bool:
    """They hold the seat still and the activity is open (withdrew, or it was cancelled, while
    quiet hours held the email: nothing to tell)."""
    from portal.services.signup import SEAT  # the sign-up service reads this module's neighbours

    ref = (n.params or {}).get("activity")
    act = db.session.get(Activity, ref) if isinstance(ref, int) else None
    return act is not None and act.state in registry().states_in(Phase.OPEN) and db.session.execute(
        select(Signup.id).where(Signup.activity_id == ref, Signup.user_id == n.user_id, Signup.status == SEAT)
    ).first() is not None


@notifications.stands_while("removed")
def _removed_stands(n: Notification) -> bool:
    """Still off the list (put back on it while quiet hours held the email: not sent)."""
    ref = n.params.get("activity")
    return not isinstance(ref, int) or db.session.execute(select(Participation.id).where(
        Participation.activity_id == ref, Participation.user_id == n.user_id)).first() is None


@notifications.stands_while("tomorrow")
def _tomorrow_stands(n: Notification) -> bool:
    """The activity is still open, starts when the reminder says, and the person is still in it
    (it may be cancelled or moved in the evening, or the person taken off its list, while quiet
    hours hold the email until the morning)."""
    ref = n.params.get("activity")
    if ref is None:  # written before reminders named their activity
        return True
    act = db.session.get(Activity, ref)
    return (act is not None and act.state in registry().states_in(Phase.OPEN)
            and act.starts_at.isoformat() == n.params.get("at")
            and n.user_id in {uid for uid, _role in _people(act)})


# -- periodic ---------------------------------------------------------------------------------


@jobs.periodic("reminders.hourly", minute="7")
def hourly() -> None:
    now = utcnow()
    remind_tomorrow(now)
    remind_evidence(now)


@jobs.periodic("reminders.daily", minute="17", hour="0")  # 08:17 in China
def daily() -> None:
    remind_absence(utcnow())


def remind_tomorrow(now: datetime) -> list[int]:
    """Everyone in an open activity that starts tomorrow, by the school's calendar, in a period
    the district has not accepted (one it accepted takes no check-in or attendance: year.locked):
    once per start. Keyed by the activity alone, an activity moved to another day (or hour) after
    its reminder went out was never told of again, so its people had the old day as the last word;
    now each start is told unless it is the one a person was told of last (moved back to a start
    told before: told once more, the earlier key taken)."""
    open_states = registry().states_in(Phase.OPEN)
    rows = db.session.execute(
        select(Activity, School.timezone).join(School, School.id == Activity.school_id).where(
            Activity.state.in_(open_states), Activity.starts_at > now, Activity.starts_at < now + timedelta(hours=49),
            ~locks.locked_clause(Activity.school_id, Activity.school_year, Activity.semester),
        )
    ).all()
    due = [(act, start) for act, tz in rows
           if (start := to_local(act.starts_at, tz)).date() == to_local(now, tz).date() + timedelta(days=1)]
    people = {act.id: _people(act) for act, _start in due}
    told = _told_tomorrow(people)
    items: list[NewNotification] = []
    for act, start in due:
        at = act.starts_at.isoformat()
        params = {"title": act.title, "time": start.strftime("%H:%M"), "location": act.location or "",
                  "activity": act.id, "at": at}
        for uid, _role in people[act.id]:
            said = told.get((act.id, uid), [])
            if said and said[-1] == at:
                continue  # told of this start last: nothing new
            again = f":{said.count(at)}" if at in said else ""  # moved back to a start told before
            items.append(NewNotification(uid, "tomorrow", f"tomorrow:{act.id}:{at}:{uid}{again}", params, _link(act),
                                         act.school_id))
    return notify_many(items)


def _told_tomorrow(people: dict[int, list[tuple[int, str]]]) -> dict[tuple[int, int], list[str]]:
    """(activity id, user id) → the starts each person in ``people`` (activity id → its people)
    was told of, in order (the reminders of an activity are those linking to it)."""
    told: dict[tuple[int, int], list[str]] = defaultdict(list)
    act_ids = sorted(people)
    for first in range(0, len(act_ids), 100):
        chunk = act_ids[first : first + 100]
        links = {_link_of(a): a for a in chunk}
        uids = sorted({uid for a in chunk for uid, _role in people[a]})
        for uid, link, said in db.session.execute(
            select(Notification.user_id, Notification.link, Notification.params).where(
                Notification.user_id.in_(uids), Notification.kind == "tomorrow", Notification.link.in_(list(links)),
            ).order_by(Notification.id)
        ):
            told[(links[link], uid)].append(str((said or {}).get("at")))
    return told


def remind_evidence(now: datetime) -> list[int]:
    """Participants of an ended activity still open for evidence, in a period the district has
    not accepted, who lack what their role requires (told once per activity)."""
    from portal.services import schools

    editable = registry().states_in(*(p for p in Phase if p.editable))
    acts = db.session.execute(
        select(Activity).where(
            Activity.state.in_(editable), Activity.ends_at <= now,
            Activity.ends_at > now - timedelta(days=EVIDENCE_LOOKBACK_DAYS),
            # a year or semester the district accepted takes no evidence (year.locked): none asked for
            ~locks.locked_clause(Activity.school_id, Activity.school_year, Activity.semester),
        ).order_by(Activity.id)
    ).scalars().all()
    items: list[NewNotification] = []
    for act in acts:
        reg = registry().get(act.type_key)
        if reg is None:
            continue
        settings = schools.type_settings(act.school_id, act.type_key)
        have = Counter((uid, kind) for uid, kind in db.session.execute(
            select(Evidence.user_id, Evidence.kind).where(Evidence.activity_id == act.id)
        ))
        for uid, role in _people(act):
            if not role:
                continue
            need = type_answer(reg.type, "required_evidence_for", {}, role, settings, check=evidence_counts)
            missing = [k for k, n in need.items() if have[(uid, k)] < n]
            if not missing:
                continue
            kinds = [{"zh": registry().kind_name(act.type_key, k, "zh"), "en": registry().kind_name(act.type_key, k, "en")}
                     for k in missing]
            items.append(NewNotification(uid, "evidence_due", f"evidence:{act.id}:{uid}",
                                         {"title": act.title, "kinds": kinds}, _link(act) + "#evidence",
                                         act.school_id))
    return notify_many(items)


def remind_absence(now: datetime) -> list[int]:
    """Teachers whose unexcused absence in a semester reached the warning threshold (once) or
    the limit (once more): the absence warnings their home page shows
    (:func:`portal.services.forecast.warnings`), from the teacher-year rows every page uses."""
    from portal.services import credits, forecast, schools

    items: list[NewNotification] = []
    for school in schools.all_schools():
        year = current_school_year(school.timezone, now)
        today = to_local(now, school.timezone).date()
        accepted = locks.accepted_periods(school.id, year)  # what the district accepted is over
        for row in credits.teaching_rows(school, year):  # not to those who left
            for w in forecast.warnings(row.facts, today, status=row.assessment.status, accepted=accepted):
                if w.kind != "absence":
                    continue
                level = "limit" if w.severe else "warn"
                items.append(NewNotification(
                    row.user.id, "absence_warning", f"absence:{school.id}:{year}:{w.semester}:{row.user.id}:{level}",
                    {"semester": w.semester, "hours": fmt(w.hours), "limit": fmt(w.limit)}, "/", school.id,
                ))
    return notify_many(items)


# -- the command --------------------------------------------------------------------------------

group = AppGroup("reminders", help="Notifications the portal sends on its own (the worker runs them too).")


@group.command("run")
def run_command() -> None:
    """Find and queue every reminder due now (activities tomorrow, evidence due, absence,
    deadlines, quotas behind)."""
    now = utcnow()
    counts = {
        "tomorrow": len(remind_tomorrow(now)),
        "evidence_due": len(remind_evidence(now)),
        "absence_warning": len(remind_absence(now)),
    }
    from portal.services import district_notices  # deadlines and quotas (their own daily job)

    counts.update(district_notices.run_all(now))
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


def register(app: Flask) -> None:
    app.cli.add_command(group)
