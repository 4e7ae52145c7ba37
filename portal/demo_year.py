"""Demo data of the teacher's year: two teaching groups, an activity open for sign-up with a
waiting list (teacher1 withdrew, teacher4 moved up) and one whose list the organizer confirmed,
teacher1's development plan (signed off by the reviewer) and teacher2's (returned with a
comment) — the others', due in a few days, not sent yet (they were reminded) — and teacher5's
time away on study leave, back since: an activity held meanwhile she missed counts no absence.
The school admin planned a session for the maths group at the hour of the confirmed one, which
teacher5 is on the list of too: both pages warn who may organise them of the clash. Two talks of
the school year before the last, closed to credits, are still on the review queue: one approved
whose hours were never posted, one held and never reviewed. Invented people."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal import demo_corrections, policy
from portal.database import write_transaction
from portal.demo import details_titled, gathering_types, hand_in, logged_back, main_and_lead, walk
from portal.extensions import db
from portal.models import Activity, Evidence, School, Signup, User
from portal.services import access, activities, groups, plans, reminders, signup, staff, teacher_years
from portal.timeutil import (
    parse_iso,
    school_year_after,
    school_year_of,
    semester_of,
    to_local,
    utcnow,
    year_bounds,
)
from workflows.definition import Phase

GROUPS = (("语文组", "organizer", ("teacher1", "teacher2", "teacher3")), ("数学组", None, ("teacher4", "teacher5", "teacher6")))
SIGNUP_SUBJECT = "课堂提问的设计"
SEATS = ("teacher2", "teacher3", "teacher4")
WAITING = ("teacher5", "teacher6")
WITHDRAWS = "teacher1"
#: An activity whose sign-up list the organizer confirmed: its seats became its participants.
CONFIRMED_SUBJECT = "听评课的观察量表"
CONFIRMED_SEATS = ("teacher3", "teacher5")
#: A session for the maths group (its members), planned by the school admin at the hour of the
#: confirmed activity: :data:`CONFIRMED_SEATS` and the group share teacher5 (``overlaps.clashes_of``).
PARALLEL_SUBJECT = "数学组的作业设计"
#: teacher2's plan, returned by the reviewer with this comment (he is to mend it and send it again).
RETURNED_PLAN = ("teacher2", "目标写得比较笼统，请写明每学期听课和上公开课的次数，再重新提交。")
#: teacher5 was away on study leave for three weeks and is back since; an activity held meanwhile
#: that she was listed in and missed is no absence of hers (``services.stints``).
AWAY = "teacher5"
AWAY_SUBJECT = "课堂观察的方法（进修期间）"
#: The school's deadline for this year's development plans: this many days after the demo's
#: today (within the days before a deadline its reminder is sent: ``district_notices.SOON``).
PLAN_DEADLINE_DAYS = 5
#: Talks of the school year before the last (closed to credits: ``policy.first_year_to_date``) left
#: on the review queue — where it goes, its subject, its day (days after that year's first): one
#: approved whose hours were never posted (listed apart, with why), one held and never reviewed
#: (its card says approving it posts no hours). teacher1 and teacher2 attended them.
CLOSED_YEAR = ((Phase.CONFIRMED, "作业设计的复盘", 190),
               (Phase.AWAITING_REVIEW, "课堂评价的改进", 200))
CLOSED_YEAR_PEOPLE = ("teacher1", "teacher2")


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
    _away_and_back(school, now)  # before the sign-ups: she signs up, back on the staff
    _signup_activity(school, now)
    confirmed = _confirmed_signup(school, now)
    if confirmed is not None:
        _parallel_session(school, confirmed)
    _plan(school, now)
    _closed_to_credits(school, now)


def confirmed_title() -> str:
    """The title of the activity whose sign-up list was confirmed (:data:`CONFIRMED_SUBJECT`)."""
    return f"{gathering_types()[0].decl.name_zh}：{CONFIRMED_SUBJECT}"


def away_title() -> str:
    """The title of the activity held while :data:`AWAY` was away (:data:`AWAY_SUBJECT`)."""
    return f"{gathering_types()[0].decl.name_zh}：{AWAY_SUBJECT}"


def _open_for_signup(school: School, title: str, start: datetime, seats: int, closes: datetime) -> Activity | None:
    """An activity of the first gathering type, two hours from ``start`` (UTC), open for sign-up
    by the organizer with ``seats`` seats until ``closes``; None without a gathering type."""
    kinds = gathering_types()
    if not kinds:
        return None
    reg = kinds[0]
    organizer = _user("organizer")
    act = activities.plan_activity(
        school, organizer, reg.decl.key, title,
        start.isoformat(timespec="minutes") + "+00:00",
        (start + timedelta(hours=2)).isoformat(timespec="minutes") + "+00:00",
        "2", [], details_titled(reg, title), location="学校报告厅",
    )
    signup.open_signup(act, seats, closes.isoformat(timespec="minutes") + "+00:00",
                       by=access.actor(organizer.id, school.id), tz=school.timezone)
    return act


def _signup_activity(school: School, now: datetime) -> Activity | None:
    act = _open_for_signup(school, signup_title(), now + timedelta(days=14), len(SEATS), now + timedelta(days=7))
    if act is None:
        return None
    # teacher1 takes the last seat, then withdraws: the first waiting (teacher4) moves up, and the
    # organizer's list shows the withdrawal and the promotion
    for username in (*SEATS[:-1], WITHDRAWS, *SEATS[-1:], *WAITING):
        person = _user(username)
        signup.sign_up(act, person, by=access.actor(person.id, school.id))
    leaver = _user(WITHDRAWS)
    signup.withdraw(act, leaver, by=access.actor(leaver.id, school.id))
    # teacher4 is told she has a seat now, at once, as the worker's queued job would
    moved = db.session.execute(select(Signup.id).where(Signup.activity_id == act.id,
                                                       Signup.promoted_at.is_not(None))).scalars().all()
    reminders.signup_seat(act.id, list(moved))  # idempotent: the queued job finds it written
    return act


def _confirmed_signup(school: School, now: datetime) -> Activity | None:
    """:data:`CONFIRMED_SEATS` signed up and took every seat; the organizer confirmed the list
    (``signup.confirm``): they are its participants, the list is closed."""
    act = _open_for_signup(school, confirmed_title(), now + timedelta(days=21), len(CONFIRMED_SEATS),
                           now + timedelta(days=10))
    if act is None:
        return None
    for username in CONFIRMED_SEATS:
        person = _user(username)
        signup.sign_up(act, person, by=access.actor(person.id, school.id))
    signup.confirm(act, by=access.actor(_user("organizer").id, school.id))
    return act


def parallel_title() -> str:
    """The title of the maths group's session at the confirmed activity's hour (:data:`PARALLEL_SUBJECT`)."""
    return f"{gathering_types()[0].decl.name_zh}：{PARALLEL_SUBJECT}"


def _parallel_session(school: School, confirmed: Activity) -> Activity:
    """Parallel sessions are allowed: the school admin plans one for the maths group at the hour
    of ``confirmed``; teacher5 is on both lists, which both pages name (a warning, no refusal)."""
    reg = gathering_types()[0]
    members = next(m for name, _leader, m in GROUPS if name == "数学组")
    return activities.plan_activity(
        school, _user("admin"), reg.decl.key, parallel_title(),
        confirmed.starts_at.isoformat(timespec="minutes") + "+00:00",
        confirmed.ends_at.isoformat(timespec="minutes") + "+00:00",
        "2", [{"user_id": _user(u).id, "role": reg.decl.default_role} for u in members],
        details_titled(reg, parallel_title()), location="数学组办公室",
    )


def away_dates(school: School, now: datetime) -> tuple[datetime, datetime]:
    """When :data:`AWAY` left and came back (UTC): 35 and 15 days before ``now``, within this
    school year; early in the year, in the summer term of the last one (a gap across a year's end
    would take that year from her)."""
    left, back = now - timedelta(days=35), now - timedelta(days=15)
    first = year_bounds(school_year_of(to_local(now, school.timezone).date()))[0]
    if to_local(left, school.timezone).date() <= first:
        left = datetime.combine(first, time(2)) - timedelta(days=75)
        back = left + timedelta(days=20)
    return left, back


def _away_and_back(school: School, now: datetime) -> Activity | None:
    """:data:`AWAY` is listed in an activity (the organizer speaks), then taken off the staff by
    the school admin (study leave) and given her role back three weeks later (``users.give_back``
    keeps the stretch before: ``EarlierStint``); the activity, held meanwhile, is recorded and
    approved with her absent — an absence that counts nowhere."""
    kinds = gathering_types()
    if not kinds:
        return None
    reg, organizer, teacher = kinds[0], _user("organizer"), _user(AWAY)
    left, back = away_dates(school, now)
    start = to_local(left + timedelta(days=10), school.timezone).replace(hour=10, minute=0, second=0, microsecond=0)
    main, lead = main_and_lead(reg)
    act = activities.plan_activity(
        school, organizer, reg.decl.key, away_title(), start.isoformat(timespec="minutes"),
        (start + timedelta(hours=2)).isoformat(timespec="minutes"), "2",
        [{"user_id": organizer.id, "role": lead}, {"user_id": teacher.id, "role": main}],
        details_titled(reg, away_title()), location="学校报告厅",
    )
    admin = access.actor(_user("admin").id, school.id)
    staff.deactivate(school, teacher.id, by=admin, at=left)
    staff.set_roles(school, teacher.id, ["teacher"], by=admin, at=back)
    walk(act, organizer, _user("reviewer"), Phase.CONFIRMED, missed=[teacher.id])
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
    username, comment = RETURNED_PLAN
    teacher = _user(username)
    plan = plans.save(school, teacher, year, "多听课，多反思，提高自己的教学水平。", "《课堂提问的艺术》", "50", {},
                      by=access.actor(teacher.id, school.id), submit=True)
    plans.decide(plan, "return", comment, by=access.actor(reviewer.id, school.id))


def closed_year_title(subject: str) -> str:
    """The title of a talk of :data:`CLOSED_YEAR`: the first gathering type's name, then ``subject``."""
    return f"{gathering_types()[0].decl.name_zh}：{subject}"


def _closed_to_credits(school: School, now: datetime) -> list[Activity]:
    """The talks of :data:`CLOSED_YEAR`, in the year before the first one open to dating
    (``policy.first_year_to_date``: 2024–2025 in December 2026). The rule refuses to plan one
    there, as it should: each is planned in this year and held, its attendance and evidence
    entered (nor are they entered in a year before the last: ``activities.year_over_refusal``),
    then dated back to its day, as the demo writes its other past (its evidence dated back too),
    and taken on along its workflow by the reviewer (its hours counted in its own year): its
    evidence, and its steps in its history, an hour after it ended (:func:`portal.demo.logged_back`)."""
    kinds = gathering_types()
    if not kinds:
        return []
    reg, organizer, reviewer = kinds[0], _user("organizer"), _user("reviewer")
    main, lead = main_and_lead(reg)
    this_year = school_year_of(to_local(now, school.timezone).date())
    year = school_year_after(policy.first_year_to_date(this_year), -1)
    first = year_bounds(year)[0]
    made = []
    for phase, subject, days in CLOSED_YEAR:
        title = closed_year_title(subject)
        # an afternoon of yesterday by the school's clock: past, in a year open to dating
        planned = to_local(now - timedelta(days=1), school.timezone).replace(hour=19, minute=0, second=0, microsecond=0)
        act = activities.plan_activity(
            school, organizer, reg.decl.key, title, planned.isoformat(timespec="minutes"),
            (planned + timedelta(hours=2)).isoformat(timespec="minutes"), "2",
            [{"user_id": organizer.id, "role": lead},
             *({"user_id": _user(u).id, "role": main} for u in CLOSED_YEAR_PEOPLE)],
            details_titled(reg, title), location="学校报告厅",
        )
        day = first + timedelta(days=days)
        then = parse_iso(f"{day.isoformat()}T14:00", school.timezone)
        walked = utcnow()
        back = walked - (then + timedelta(hours=3))  # an hour after it ended
        moved = act.starts_at - then  # how far back its day goes
        with logged_back(back):  # held, its attendance and evidence in while its day is in a year open to them
            walk(act, organizer, reviewer, Phase.AWAITING_REVIEW)
            hand_in(act, organizer, phase)
        # the one never reviewed: a participant asked to correct their row the day it was held
        asked = demo_corrections.ask_in_its_year(act) if phase is Phase.AWAITING_REVIEW else None
        # a piece its type dated before the start (yesterday's) goes back with it
        dated = set(db.session.execute(select(Evidence.id).where(
            Evidence.activity_id == act.id, Evidence.uploaded_at < walked)).scalars())
        people = [p.user_id for p, _u in activities.participants_with_users(act.id)]
        any_evidence = bool(activities.evidence_of(act.id))
        with write_transaction():  # dated back: its day, its year and semester
            act.starts_at, act.ends_at = then, then + timedelta(hours=2)
            act.school_year, act.semester = school_year_of(day), semester_of(day)
            if any_evidence:  # its writing counted there no more
                teacher_years.refresh(school, this_year, people)
        with logged_back(back):  # its steps, in its history, taken then (append-only: written so)
            walk(act, organizer, reviewer, phase, start=act.state, evidence=False)
        with write_transaction() as s:  # its evidence handed in then too
            for ev in s.execute(select(Evidence).where(Evidence.activity_id == act.id)).scalars():
                if ev.id in dated:
                    ev.uploaded_at -= moved
                elif ev.uploaded_at >= walked:  # a piece its type dates before the start is dated so already
                    ev.uploaded_at -= back
        if asked is not None:  # its year over now: the admin closes it, as year over
            demo_corrections.closed_year_over(asked.id, back)
        made.append(act)
    return made
