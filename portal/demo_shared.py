"""Demo data of a certificate on two teachers' declarations: 孙嘉怡 (teacher3, or the next of
:data:`ALSO` free then) declares a training of yesterday morning with the very file of a district
training 王雅琴 (teacher1) declared and had credited — a borrowed certificate, or the district's
list naming everyone: the reviewer judges. Her declaration is submitted and waits for review, so
the reviewer's page of it and its card in the review queue name 王雅琴's declaration
(``shared_certificates``), and 王雅琴's names hers. Waiting, it counts no hour: no teacher's year
moves; newer than the queue's other held cards, it comes last there. Which declaration stands and
which step submits are the workflow's answers, never a state's or a trigger's name. Invented people."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal.errors import DomainError, Invalid
from portal.extensions import db
from portal.models import Activity, Evidence, School, User
from portal.plugin_data import M_DEMO_TYPE
from portal.plugin_loader import describe
from portal.registry import registry
from portal.services import activities, transitions
from portal.timeutil import school_year_of, to_local, year_bounds
from workflows.definition import Phase

#: Whose standing declaration carries the certificate, and who declares it too (the first of
#: them free at its time: nobody attends two things at once).
HOLDER, ALSO = "teacher1", ("teacher3", "teacher4", "teacher5")


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def load(school: School, now: datetime) -> Activity | None:
    """The declaration sharing the certificate, or None when no self-declared type's demo gave
    ``HOLDER`` a credited declaration with a file (a type left out of the demo)."""
    holder = _user(HOLDER)
    types = registry().types
    for act in db.session.execute(select(Activity).where(
            Activity.school_id == school.id, Activity.organizer_id == holder.id).order_by(Activity.id)).scalars():
        reg = types.get(act.type_key)
        if reg is None or not reg.decl.self_declared or reg.engine.definition.phase(act.state) is not Phase.CREDITED:
            continue
        ev = db.session.execute(select(Evidence).where(Evidence.activity_id == act.id, Evidence.stored_name.is_not(None))
                                .order_by(Evidence.id).limit(1)).scalar_one_or_none()
        data = activities.stored_bytes(ev.stored_name) if ev is not None and ev.stored_name else None
        if ev is None or data is None:
            continue
        try:
            return _declared_too(school, act, ev.kind, data, now)
        except DomainError as exc:  # the type's own code refused its steps (a plugin's bug): reported
            db.session.rollback()
            registry().plugins.fail(reg.plugin, M_DEMO_TYPE, exc, key=act.type_key, error=describe(exc))
            return None
    return None


def _mornings(theirs: Activity, school: School, now: datetime) -> list[str]:
    """Local starts to try: yesterday's morning and evening, in this school year; else the time of
    ``theirs`` (the school year began today)."""
    today = to_local(now, school.timezone).date()
    yesterday = today - timedelta(days=1)
    if yesterday < year_bounds(school_year_of(today))[0]:
        return [to_local(theirs.starts_at, school.timezone).isoformat(timespec="minutes")[:16]]
    return [f"{yesterday.isoformat()}T{hour}" for hour in ("09:00", "18:00")]


def _declared_too(school: School, theirs: Activity, kind: str, data: bytes, now: datetime) -> Activity | None:
    """A declaration of the first of :data:`ALSO` the portal takes at one of :func:`_mornings`
    (nobody attends two things at once), with ``theirs``'s certificate file, submitted."""
    hours = theirs.hours
    for username in ALSO:
        who = _user(username)
        for start in _mornings(theirs, school, now):
            end = (datetime.fromisoformat(start) + (theirs.ends_at - theirs.starts_at)).isoformat(timespec="minutes")
            try:
                act = activities.plan_activity(school, who, theirs.type_key, theirs.title.rsplit("（", 1)[0] + "（补报）",
                                               start, end, str(hours), None, dict(theirs.details or {}))
            except Invalid:  # not then (attending something, a day full): the next time, or teacher
                db.session.rollback()
                continue
            activities.add_evidence(act, who, who.id, kind, "结业证书", filename="证书.pdf", data=data)
            for step in registry().types[act.type_key].engine.definition.way_to(Phase.AWAITING_REVIEW):
                transitions.fire(act.id, school.id, who, step.trigger, "")
            return act
    return None
