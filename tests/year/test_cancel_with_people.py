"""Cancelling an activity people counted on: a reason is asked once anyone but the canceller takes
part or signed up (``Transition.needs_comment_with``, enforced by the engine); without one nothing
changes (state, history, ledger, participations, sign-ups, notices). With one, its participants,
whoever holds or waits for a seat and its organizer are told — title, time and reason — once
each, however often the job runs (SQLite; PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Activity, CreditEntry, Notification, OutboxJob, Participation, Signup, TransitionLog
from portal.services import activities, notifications, reminders, signup, transitions
from portal.timeutil import local_text, utcnow
from tests.support import factories as f
from tests.year.helpers import actor, closes_in, future_activity, school_with_teachers


def _rows(activity_id: int) -> tuple:
    act = db.session.get(Activity, activity_id)
    db.session.refresh(act)
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return (
        act.state, act.version,
        count(TransitionLog), count(CreditEntry), count(Notification), count(OutboxJob),
        sorted(db.session.execute(select(Participation.user_id, Participation.role, Participation.attended_hours)
                                  .where(Participation.activity_id == activity_id)).all()),
        sorted(db.session.execute(select(Signup.user_id, Signup.status).where(Signup.activity_id == activity_id)).all()),
    )


def _refused(act: Activity, who, comment) -> Invalid:
    with pytest.raises(Invalid) as exc:
        transitions.fire(act.id, act.school_id, who, "cancel", comment)
    return exc.value


def test_cancel_with_participants_needs_a_reason_and_a_blank_one_changes_nothing(app):
    s, p, ts = school_with_teachers("CA", 2)
    act = f.plan(s, p["organizer"], "lecture", [(ts[0], "attendee"), (ts[1], "attendee")], {"topic": "取消"})
    activities.record_attendance(act, p["organizer"], [  # attended already: cancelled, it is lost to them
        {"user_id": ts[0].id, "attended_hours": "2", "absent_hours": "0", "excused_hours": "0"}])
    before = _rows(act.id)
    for comment in ("", "   ", None, "\u3000\n"):
        exc = _refused(act, p["organizer"], comment)
        assert exc.msg.code == "trigger.reason_for_others"
        assert "told" in exc.fields["comment"].render("en") and "原因" in exc.fields["comment"].render("zh_Hans_CN")
        assert _rows(act.id) == before
    transitions.fire(act.id, s.id, p["organizer"], "cancel", "  报告人临时出差  ")
    after = db.session.get(Activity, act.id)
    assert after.state == "cancelled"
    log = db.session.execute(select(TransitionLog).where(TransitionLog.activity_id == act.id)
                             .order_by(TransitionLog.id.desc())).scalars().first()
    assert log.trigger == "cancel" and log.comment == "报告人临时出差"


def test_sign_ups_count_and_the_organizer_alone_needs_no_reason(app):
    s, p, ts = school_with_teachers("CB", 3)
    alone = future_activity(s, p["organizer"])  # nobody else in it: cancelled without a word
    transitions.fire(alone.id, s.id, p["organizer"], "cancel", "")
    assert db.session.get(Activity, alone.id).state == "cancelled"
    mine = f.plan(s, p["organizer"], "lecture", [(p["organizer"], "attendee")], {"topic": "自己"})
    transitions.fire(mine.id, s.id, p["organizer"], "cancel", "")  # only its canceller takes part
    act = future_activity(s, p["organizer"])
    signup.open_signup(act, 1, closes_in(7), by=actor(p["organizer"], s), tz=s.timezone)
    signup.sign_up(act, ts[0], by=actor(ts[0], s))
    signup.sign_up(act, ts[1], by=actor(ts[1], s))  # waiting
    before = _rows(act.id)
    assert _refused(act, p["organizer"], "").msg.code == "trigger.reason_for_others"  # no participant, two signed up
    assert _refused(act, p["admin"], " ").msg.code == "trigger.reason_for_others"
    assert _rows(act.id) == before
    signup.withdraw(act, ts[0], by=actor(ts[0], s))
    signup.withdraw(act, ts[1], by=actor(ts[1], s))
    transitions.fire(act.id, s.id, p["organizer"], "cancel", "")  # everyone withdrew: nobody to tell


def test_everyone_it_concerned_is_told_once_with_title_time_and_reason(app):
    s, p, ts = school_with_teachers("CC", 5)
    act = f.plan(s, p["organizer"], "lecture", [(ts[0], "attendee"), (ts[1], "attendee")], {"topic": "通知"},
                 title="课堂提问的艺术", start=utcnow() + timedelta(days=14))
    signup.open_signup(act, 3, closes_in(7), by=actor(p["organizer"], s), tz=s.timezone)
    for t in ts[2:5]:
        signup.sign_up(act, t, by=actor(t, s))
    signup.withdraw(act, ts[4], by=actor(ts[4], s))  # withdrew: not theirs any more
    notifications.save_setting(ts[1].id, "", [k for k in notifications.KINDS if k != "activity_cancelled"], "en")
    transitions.fire(act.id, s.id, p["admin"], "cancel", "与区教研活动冲突")
    log_id = db.session.execute(select(TransitionLog.id).where(TransitionLog.activity_id == act.id,
                                                               TransitionLog.trigger == "cancel")).scalar_one()
    assert len(reminders.review_decision(log_id)) == 5  # the job queued with the cancel, as the worker runs it
    told = list(db.session.execute(select(Notification).where(Notification.kind == "activity_cancelled")).scalars())
    assert sorted(n.user_id for n in told) == sorted([p["organizer"].id, ts[0].id, ts[1].id, ts[2].id, ts[3].id])
    assert reminders.review_decision(log_id) == []  # the job retried: nobody told twice
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "activity_cancelled")) == len(told)
    start = local_text(act.starts_at, s.timezone)
    note = next(n for n in told if n.user_id == ts[2].id)
    assert notifications.text(note).render("en") == f"课堂提问的艺术 ({start}) has been cancelled: 与区教研活动冲突"
    zh = notifications.text(note).render("zh_Hans_CN")
    assert zh.startswith("课堂提问的艺术（") and "已取消" in zh and zh.endswith("与区教研活动冲突")


def test_a_school_admin_cancelling_an_organizers_activity_tells_them_why(app):
    """The organiser is concerned when someone else cancels their activity (a school admin): the
    reason is asked though nobody takes part or signed up, and the organiser is told it — not a
    bare "has been cancelled" with no why (``Transition.needs_comment_with``'s ``organizer_id``)."""
    s, p, _ts = school_with_teachers("CD", 0)
    act = future_activity(s, p["organizer"])
    before = _rows(act.id)
    for blank in ("", "  "):
        exc = _refused(act, p["admin"], blank)  # nobody takes part: the organiser is the one told
        assert exc.msg.code == "trigger.reason_for_others"
        assert "organizer (if not you)" in exc.msg.render("en") and "组织者（如不是您）" in exc.msg.render("zh_Hans_CN")
        assert _rows(act.id) == before
    transitions.fire(act.id, s.id, p["admin"], "cancel", "场地另有安排")
    reminders.review_decision(db.session.execute(select(TransitionLog.id).where(
        TransitionLog.activity_id == act.id, TransitionLog.trigger == "cancel")).scalar_one())
    [note] = db.session.execute(select(Notification).where(Notification.kind == "activity_cancelled")).scalars()
    assert note.user_id == p["organizer"].id
    assert notifications.text(note).render("en").endswith("has been cancelled: 场地另有安排")
    own = future_activity(s, p["organizer"])  # their own, by themself: nobody else to tell
    transitions.fire(own.id, s.id, p["organizer"], "cancel", "")
    assert db.session.get(Activity, own.id).state == "cancelled"
