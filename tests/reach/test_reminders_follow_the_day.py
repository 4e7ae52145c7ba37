"""Reminders that follow what they remind of: an activity moved to another day or hour after its
"tomorrow" reminder went out is told again for its new start (once, by email in Chinese with the
new time), and one moved back is told again too; a job run twice tells nobody twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.database import write_transaction
from portal.extensions import db
from portal.models import Activity
from portal.services import notifications, reminders
from portal.services.delivery import deliver_now
from portal.timeutil import to_local
from tests.reach.helpers import activity, notes, user
from workflows.definition import Phase

NOON_UTC = datetime(2026, 12, 1, 4, 0)  # 12:00 in Shanghai: outside the default quiet hours


def _move(act_id: int, by: timedelta) -> Activity:
    """The activity moved by ``by`` (no page moves one yet; the operator, a plugin or a later
    page may: the reminders must not depend on it never happening)."""
    with write_transaction() as s:
        act = s.get_one(Activity, act_id)
        act.starts_at, act.ends_at = act.starts_at + by, act.ends_at + by
    return db.session.get_one(Activity, act_id)


def _evening_before(act: Activity) -> datetime:
    """20:00 in Shanghai on the day before the activity's start (naive UTC): its reminder's run."""
    day = to_local(act.starts_at, "Asia/Shanghai").date() - timedelta(days=1)
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=20 - 8)


def _teacher1_told(act: Activity) -> list[str]:
    return [n.params["at"] for n in notes("tomorrow", "teacher1") if n.params.get("activity") == act.id]


def test_an_activity_moved_to_another_day_is_told_again_for_its_new_day(queued_app, smtp):
    """Before: the key was the activity and the person, so the reminder for the new day was never
    written; the teacher's last word was the old day (whose held email was then not sent)."""
    notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
    act = activity("lecture", Phase.OPEN)
    first = act.starts_at
    assert len(reminders.remind_tomorrow(first - timedelta(days=1))) == 5  # four participants, the organizer
    act = _move(act.id, timedelta(days=3))
    assert len(reminders.remind_tomorrow(_evening_before(act))) == 5
    assert reminders.remind_tomorrow(_evening_before(act) + timedelta(hours=1)) == []  # the next hourly run
    assert _teacher1_told(act) == [first.isoformat(), act.starts_at.isoformat()]
    [old, new] = [n for n in notes("tomorrow", "teacher1") if n.params.get("activity") == act.id]
    assert deliver_now(old.id, NOON_UTC) == []  # the old day's: no longer true
    assert deliver_now(new.id, NOON_UTC) == ["email"]
    [mail] = smtp.inbox.to("t1@school.test")
    time = to_local(act.starts_at, "Asia/Shanghai").strftime("%H:%M")
    assert f"{act.title}将于明天 {time}" in mail.get_content()


def test_an_activity_moved_to_another_hour_and_back_is_told_each_time(queued_app):
    act = activity("lecture", Phase.OPEN)
    first = act.starts_at
    evening_before = _evening_before(act)
    reminders.remind_tomorrow(evening_before)
    act = _move(act.id, timedelta(hours=2))  # later the same day
    assert len(reminders.remind_tomorrow(evening_before + timedelta(hours=1))) == 5
    act = _move(act.id, timedelta(hours=-2))  # back to the first hour
    assert len(reminders.remind_tomorrow(evening_before + timedelta(hours=2))) == 5
    assert reminders.remind_tomorrow(evening_before + timedelta(hours=3)) == []
    later = (first + timedelta(hours=2)).isoformat()
    assert _teacher1_told(act) == [first.isoformat(), later, first.isoformat()]
