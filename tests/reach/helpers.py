"""Lookups of the demo school shared by the reach tests."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, Notification, School, User
from portal.registry import registry
from workflows.definition import Phase


def user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def school() -> School:
    return db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()


def activity(type_key: str, phase: Phase) -> Activity:
    """The demo's activity of ``type_key`` in ``phase`` (the demo has one of each)."""
    states = registry().states_in(phase)
    return db.session.execute(
        select(Activity).where(Activity.type_key == type_key, Activity.state.in_(states)).order_by(Activity.id)
    ).scalars().first()


def notes(kind: str | None = None, username: str | None = None) -> list[Notification]:
    """Notifications as the database has them now (the worker writes in other threads)."""
    db.session.commit()  # end this session's read snapshot
    q = select(Notification).order_by(Notification.id)
    if kind:
        q = q.where(Notification.kind == kind)
    if username:
        q = q.where(Notification.user_id == user(username).id)
    return list(db.session.execute(q.execution_options(populate_existing=True)).scalars())


def no_quiet_hours() -> None:
    """The worker delivers at the wall clock's time: a run at night in Shanghai would fall in
    the demo school's quiet hours (22–07) and hold the email. Equal hours: no quiet hours."""
    from portal.policy import SYSTEM
    from portal.services import schools

    schools.update_rules(school(), {"quiet_hours_start": 0, "quiet_hours_end": 0}, by=SYSTEM)
