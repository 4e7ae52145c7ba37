"""The demo shows a cancelled activity with its reason, and the people who were in it told."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Notification, School, TransitionLog, User


def test_the_demo_has_a_cancel_with_a_reason_and_its_people_told(site, as_user):
    with site.app_context():
        school_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        cancel = db.session.execute(select(TransitionLog).where(
            TransitionLog.school_id == school_id, TransitionLog.trigger == "cancel").order_by(TransitionLog.id)
        ).scalars().first()
        assert cancel is not None and cancel.comment
        told = dict(db.session.execute(select(User.id, User.username).join(Notification, Notification.user_id == User.id).where(
            Notification.kind == "activity_cancelled", Notification.link == f"/activities/{cancel.activity_id}")
        ).all())
        assert told and cancel.actor_id not in told  # the organizer who called it off is not told
        reason, activity_id, someone = cancel.comment, cancel.activity_id, sorted(told.values())[0]
    assert reason in as_user(someone).get("/notifications").get_data(as_text=True)
    page = as_user("organizer").get(f"/activities/{activity_id}").get_data(as_text=True)
    assert reason in page
