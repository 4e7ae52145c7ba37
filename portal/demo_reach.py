"""Demo data for reaching people: the notifications the demo's history would have sent (review
decisions, evidence due, absence), written at once rather than left to a worker, and a talk
(of the type that gathers most of the staff: a lecture with the built-ins) starting a quarter of
an hour after the demo is loaded, so its QR check-in screen is live, with two teachers already
checked in, and one tomorrow, its people reminded; the district's announced deadlines and the
reminders of the school's own deadlines and writing quotas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.database import write_transaction
from portal.demo import details_titled, gathering_types, main_and_lead
from portal.extensions import db
from portal.models import Activity, CheckIn, Participation, School, TransitionLog, User
from portal.registry import registry
from portal.services import activities, handover, reminders
from portal.timeutil import to_local

CHECKIN_SUBJECT = "课堂提问的艺术"


def checkin_title() -> str:
    """The live check-in activity's title: the type's name, then :data:`CHECKIN_SUBJECT`."""
    return f"{gathering_types()[0].decl.name_zh}：{CHECKIN_SUBJECT}"


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def checkin_activity(school: School, now: datetime) -> None:
    kinds = gathering_types()
    if not kinds:
        return
    reg = kinds[0]
    start = now + timedelta(minutes=15)
    # late in the evening it began earlier: an activity ends on its day (and so in its semester)
    day_end = to_local(start, school.timezone).replace(hour=23, minute=59, second=0, microsecond=0)
    start = min(start.replace(tzinfo=UTC), day_end - timedelta(hours=2)).astimezone(UTC).replace(tzinfo=None)
    main, lead = main_and_lead(reg)  # the teachers attend, the reviewer leads
    people = [("teacher1", main), ("teacher2", main), ("teacher3", main), ("teacher5", main),
              ("teacher6", main), ("reviewer", lead)]
    act = activities.plan_activity(
        school, _user("organizer"), reg.decl.key, checkin_title(),
        start.isoformat(timespec="minutes") + "+00:00",
        (start + timedelta(hours=2)).isoformat(timespec="minutes") + "+00:00", "2",
        [{"user_id": _user(u).id, "role": r} for u, r in people], details_titled(reg, checkin_title()),
        location="学校报告厅",
    )
    with write_transaction() as s:
        for username, minutes in (("teacher2", 4), ("teacher3", 2)):
            s.add(CheckIn(activity_id=act.id, user_id=_user(username).id, checked_in_at=now - timedelta(minutes=minutes)))


#: A talk tomorrow (10:00–12:00 by the school's clock): its people get the hourly reminder.
TOMORROW_SUBJECT = "作业的分层设计"
TOMORROW_PEOPLE = ("teacher4", "reviewer")  # the first attends, the second leads


def tomorrow_title() -> str:
    """The talk tomorrow's title: the type's name, then :data:`TOMORROW_SUBJECT`."""
    return f"{gathering_types()[0].decl.name_zh}：{TOMORROW_SUBJECT}"


def tomorrow_activity(school: School, now: datetime) -> None:
    """A talk of the first gathering type tomorrow, its people told by ``remind_tomorrow`` as
    the worker's hourly run would (written at once). The school admin planned it and handed it
    to the organizer (教研组长), who was told (its history says so), and who changed its list since
    (:func:`change_the_list`)."""
    if not (kinds := gathering_types()):
        return
    reg = kinds[0]
    start = to_local(now + timedelta(days=1), school.timezone).replace(hour=10, minute=0, second=0, microsecond=0)
    main, lead = main_and_lead(reg)
    admin = _user("admin")
    act = activities.plan_activity(
        school, admin, reg.decl.key, tomorrow_title(), start.isoformat(timespec="minutes"),
        (start + timedelta(hours=2)).isoformat(timespec="minutes"), "2",
        [{"user_id": _user(u).id, "role": r} for u, r in zip(TOMORROW_PEOPLE, (main, lead), strict=True)]
        + [{"user_id": _user(SENT_AWAY).id, "role": main}],  # sent on a course since (change_the_list)
        details_titled(reg, tomorrow_title()), location="学校报告厅",
    )
    handover.hand_over(act, admin, _user("organizer").id)
    change_the_list(act)
    reminders.remind_tomorrow(now)


#: The talk tomorrow's list changed after planning: one sent on a course, one joining late.
SENT_AWAY, LATE_JOINER = "teacher5", "teacher6"


def change_the_list(act: Activity) -> None:
    """The organizer changes the talk's list after it was planned, as on its participants page:
    :data:`LATE_JOINER` joined the research group (told by the reminder, as those planned in),
    :data:`SENT_AWAY` is sent on a course (told at once, as the worker's queued job would)."""
    organizer = _user("organizer")
    main, _lead = main_and_lead(registry().types[act.type_key])
    away = _user(SENT_AWAY).id
    place = db.session.execute(select(Participation.id).where(Participation.activity_id == act.id,
                                                               Participation.user_id == away)).scalar_one()
    activities.remove_participant(act, organizer, away)
    reminders.removed(act.id, away, place)  # idempotent: the queued job finds it written
    activities.set_participants(act, organizer, [{"user_id": _user(LATE_JOINER).id, "role": main}])


def load(school: School, now: datetime) -> None:
    checkin_activity(school, now)
    tomorrow_activity(school, now)
    for log_id in db.session.execute(
        select(TransitionLog.id).where(TransitionLog.school_id == school.id).order_by(TransitionLog.id)
    ).scalars().all():
        reminders.review_decision(log_id)  # idempotent: the queued jobs will find them written
    reminders.remind_evidence(now)
    reminders.remind_absence(now)
    deadlines(school, now)


#: The district's announced deadlines in the demo: one for all staff, one for the school admins
#: (days away: its reminder is sent). Not the annual plan's own deadline: that one is the
#: district's setting (``school_plans.deadline``, 30 June by default), which /school-plan shows —
#: the admins' announcement named 「下学年年度校本研修计划报送」 on a day five days off while the
#: plan page said 30 June. It asks for something the portal does not hold: how the year's plan
#: is carried out so far.
DEADLINES = (
    ("学年学时汇总上报", 20, "请各校核对教师学时后，在平台上报送本学年学时汇总表。", "all_staff"),
    ("年度校本研修计划执行情况中期报送", 5,
     "请各校对照本学年年度校本研修计划，书面报送本学年开学以来的执行情况（已开展的活动、教师学时完成情况）。"
     "下学年计划的报送截止日期以平台“年度校本研修计划”页所示为准。", "school_admins"),
)


def deadlines(school: School, now: datetime) -> None:
    """The district admin's deadlines, with the notifications they made (at once, not left to a
    worker), and the reminders of the school's own deadlines and quotas due now."""
    from portal import policy
    from portal.services import announcements, district_notices

    if school.district_id is None:
        return
    district_admin = policy.Actor.of(_user("district").id, [policy.DISTRICT_ADMIN])
    today = announcements.district_today(now)
    for title, days, note, audience in DEADLINES:
        row = announcements.announce(school.district_id, title, today + timedelta(days=days), note, audience,
                                     by=district_admin)
        district_notices.deadline_announced(row.id)
    district_notices.run_all(now)
