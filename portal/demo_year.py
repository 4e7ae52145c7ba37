"""Demo data of the teacher's year: two teaching groups, an activity open for sign-up with a
waiting list (teacher1 withdrew, teacher4 moved up), and teacher1's development plan (signed
off by the reviewer) — the others', due in a few days, not sent yet (they were reminded).
Invented people."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal import policy
from portal.demo import gathering_types, sample_details
from portal.extensions import db
from portal.models import Activity, School, User
from portal.services import access, activities, groups, plans, signup
from portal.timeutil import school_year_of, year_bounds

GROUPS = (("语文组", "organizer", ("teacher1", "teacher2", "teacher3")), ("数学组", None, ("teacher4", "teacher5", "teacher6")))
SIGNUP_SUBJECT = "课堂提问的设计（报名中）"
SEATS = ("teacher2", "teacher3", "teacher4")
WAITING = ("teacher5", "teacher6")
WITHDRAWS = "teacher1"
#: The school's deadline for this year's development plans: this many days after the demo's
#: today (within the days before a deadline its reminder is sent: ``district_notices.SOON``).
PLAN_DEADLINE_DAYS = 5


def signup_title() -> str:
    """The sign-up activity's title: its type's name (the first gathering type), then
    :data:`SIGNUP_SUBJECT`."""
    return f"{gathering_types()[0].decl.name_zh}：{SIGNUP_SUBJECT}"


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def load(school: School, now: datetime) -> None:
    for name, leader, members in GROUPS:
        groups.save_group(
            school, name, _user(leader).id if leader else None, [_user(u).id for u in members], by=policy.SYSTEM
        )
    _signup_activity(school, now)
    _plan(school, now)


def _signup_activity(school: School, now: datetime) -> Activity | None:
    kinds = gathering_types()
    if not kinds:
        return None
    reg = kinds[0]
    details = sample_details(reg) or {}
    organizer = _user("organizer")
    start = now + timedelta(days=14)
    act = activities.plan_activity(
        school, organizer, reg.decl.key, signup_title(),
        start.isoformat(timespec="minutes") + "+00:00",
        (start + timedelta(hours=2)).isoformat(timespec="minutes") + "+00:00",
        "2", [], details, location="学校报告厅",
    )
    closes = (now + timedelta(days=7)).isoformat(timespec="minutes") + "+00:00"
    signup.open_signup(act, len(SEATS), closes, by=access.actor(organizer.id, school.id), tz=school.timezone)
    # teacher1 takes the last seat, then withdraws: the first waiting (teacher4) moves up, and the
    # organizer's list shows the withdrawal and the promotion
    for username in (*SEATS[:-1], WITHDRAWS, *SEATS[-1:], *WAITING):
        person = _user(username)
        signup.sign_up(act, person, by=access.actor(person.id, school.id))
    leaver = _user(WITHDRAWS)
    signup.withdraw(act, leaver, by=access.actor(leaver.id, school.id))
    return act


def _plan(school: School, now: datetime) -> None:
    today = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(school.timezone)).date()
    year = school_year_of(today)
    last = year_bounds(year)[1]
    # near: the teachers without a sent plan are reminded (``district_notices.remind_plan_deadline``,
    # run with the demo's other reminders); on the school year's last day, none can be
    plans.set_deadline(school, year, min(last, today + timedelta(days=PLAN_DEADLINE_DAYS)).isoformat(),
                       by=policy.SYSTEM)
    teacher = _user("teacher1")  # targets for the first three gathering types (fewer types: fewer targets)
    plan = plans.save(
        school, teacher, year,
        "提高课堂提问的有效性，每月至少听课两节并写评课稿；尝试一次同课异构，学期末上一节汇报课。",
        "《给教师的建议》（苏霍姆林斯基）\n《课堂提问的艺术》\n整本书阅读教学",
        "60", {reg.decl.key: hours for reg, hours in zip(gathering_types(), ("20", "20", "10"), strict=False)},
        by=access.actor(teacher.id, school.id), submit=True,
    )
    reviewer = _user("reviewer")
    plans.decide(plan, "approve", "目标具体，可行。", by=access.actor(reviewer.id, school.id))
