"""Demo data of the district level (``flask demo`` loads it after the DEMO school): more schools
of the default district at every stage of the year's submission — submitted (waiting for the
district), returned with comments (and a talk still waiting for review, which the school's
submission page warns about), accepted and locked (once reopened with a reason, sent and
accepted again) — each with an accepted annual plan its
talks were planned from (one line never held: the dashboard shows the school behind its plan),
written evidence the reviewer can open, the district's minimum writing quotas, a district
reviewer, and a second district with a school of its own and its own reviewer (districts are
tenants), which collects semesters: its school's first semester is submitted, its annual plan
returned with a comment and, its deadline days away, its admin reminded. The talks are of
the type that gathers most of the staff (``demo.gathering_types``; with the built-ins,
lectures). A teacher of one of its schools moved to another (``MOVED``). Invented people."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal import demo_corrections, policy
from portal.demo import (
    DEMO_PASSWORD,
    DISTRICT,
    STAFF_SINCE,
    gathering_types,
    main_and_lead,
    sample_details,
    walk,
)
from portal.extensions import db
from portal.models import Activity, District, School, TransitionLog, User
from portal.models.district import DEFAULT_DISTRICT_CODE
from portal.registry import registry
from portal.services import (
    access,
    activities,
    corrections,
    districts,
    reminders,
    school_plans,
    schools,
    submissions,
    transitions,
    users,
)
from portal.timeutil import current_school_year, first_calendar_year, school_year_of, to_local, utcnow
from workflows.definition import Phase

REVIEWER = ("dreviewer", "钱静怡", "F", date(1979, 10, 6))  # 区教师发展中心
OTHER_REVIEWER = ("dreviewer2", "冯志强", "M", date(1974, 3, 14))

# code, name, stage, teachers' names (the first is the school admin)
SCHOOLS = (
    ("EAST1", "东城实验小学", "submitted", ("罗文博", "韩雪梅", "唐俊杰", "曹思琪")),
    ("WEST1", "西湖路中学", "returned", ("许志宏", "邓雨桐", "冯晓东", "彭美玲")),
    ("NORTH1", "北苑第二小学", "accepted", ("蒋文涛", "沈梦瑶", "杜宇航", "叶婉清")),
)
OTHER = ("SOUTH1", "南山区第一小学", ("马建国", "朱丽娟", "胡天佑"))


#: The hours of absence without leave that void a year at 南山区, set after SOUTH1 sent its first
#: semester (judged by the seeds' 5): its teachers missed none, so no one's year and nothing of the
#: round moves, but the round's page flags the school's rule as more lenient than the district's
#: (宽于区设定). The warning (3 hours) stays below it.
LOWERED_ABSENCE_LIMIT = 4


def login_of(code: str, i: int = 0) -> str:
    """The login of a district school's ``i``-th person (0: its admin), e.g. ``east1.t0``."""
    return f"{code.lower()}.t{i}"


def _school(code: str, name: str, district_id: int, people: tuple[str, ...]) -> tuple[School, list[User]]:
    school = schools.create_school(code, name, district_id=district_id)
    for reg in gathering_types()[:2]:
        schools.set_type(school, reg.decl.key, enabled=True, by=policy.SYSTEM)
    staff = []
    for i, person in enumerate(people):
        roles = ["school_admin", "organizer", "teacher"] if i == 0 else ["reviewer", "teacher"] if i == 1 else \
            ["organizer", "teacher"] if login_of(code, i) == MOVED[0] else ["teacher"]
        staff.append(users.create_user(login_of(code, i), DEMO_PASSWORD, person, school, roles,
                                       "F" if i % 2 else "M", date(1984 + i, 5, 1), joined=STAFF_SINCE))
    return school, staff


def _start(days_ago: int) -> datetime:
    return utcnow() - timedelta(days=days_ago)


def _day(days_ago: int, school: School) -> str:
    """The school's day ``days_ago`` (10月3日): what a talk's title and its plan line say of when it
    is — a number of days ago goes stale the day after."""
    day = to_local(_start(days_ago), school.timezone)
    return f"{day.month}月{day.day}日"


#: A teacher's reflection on each demo talk: one of their own each time (the same words again
#: are no new piece of writing, ``quotas.require_new_piece``).
REFLECTIONS = (
    "听完讲座，我重新设计了单元作业，分层布置，学生完成率明显提高。",
    "讲座提到的大单元教学让我反思：过去的课时安排太零碎，下学期准备先从一个单元试起。",
    "专家关于课堂提问的建议很实用，这周我在两个班试了追问，学生的回答比以前完整。",
    "讲座后我和同组老师一起修改了评价量表，把过程性评价的比重提高到四成。",
    "这次讲座让我意识到作业反馈要及时，我开始当天批改、次日讲评，效果不错。",
)


def _talk(school: School, staff: list[User], days_ago: int, hours: str,
          plan_line_id: int | None = None, phase: Phase = Phase.CREDITED) -> Activity | None:
    """A talk of the school (the first of the gathering types) held ``days_ago``, the school admin
    leading and the teachers in the main role, taken along the workflow to ``phase``."""
    if not (kinds := gathering_types()):
        return None
    reg = kinds[0]
    main, lead = main_and_lead(reg)
    start = _start(days_ago)
    act = activities.plan_activity(
        school, staff[0], reg.decl.key, f"{reg.decl.name_zh}：{school.name}校本研修（{_day(days_ago, school)}）",
        start.isoformat(timespec="minutes") + "+00:00",
        (start + timedelta(hours=3)).isoformat(timespec="minutes") + "+00:00",
        hours, [{"user_id": u.id, "role": main} for u in staff[2:]] + [{"user_id": staff[0].id, "role": lead}],
        sample_details(reg) or {}, location="多功能厅", plan_line_id=plan_line_id,
    )
    activities.add_evidence(act, staff[2], staff[2].id, "reflection", "讲座反思",
                            text=REFLECTIONS[days_ago % len(REFLECTIONS)])
    walk(act, staff[0], staff[1], phase)
    return act


#: Why WEST1's reviewer sent its talk awaiting review back (it still waits for review).
SENT_BACK = "请补充活动现场照片和签到表扫描件后再送审。"


def _sent_back(act: Activity, reviewer: User) -> None:
    """The school's reviewer sends the talk awaiting review back with :data:`SENT_BACK` (the
    workflow's return from where it is: the step that clears adjustments), its people told at
    once (``reminders.review_decision``, as the queued job would)."""
    definition = registry().types[act.type_key].engine.definition
    back = next((t for t in definition.transitions if t.clears_adjustments and act.state in t.sources), None)
    if back is None:
        return
    transitions.fire(act.id, act.school_id, reviewer, back.trigger, SENT_BACK)
    log_id = db.session.execute(select(TransitionLog.id).where(TransitionLog.activity_id == act.id)
                                .order_by(TransitionLog.id.desc())).scalars().first()
    if log_id is not None:
        reminders.review_decision(log_id)


def _accepted_plan(school: School, staff: list[User], reviewer: User, year: str, district_id: int) -> dict[int, int]:
    """The school's annual plan for the year, sent and accepted: a talk in the month of each
    demo talk (held from the plan line), one more a month earlier that was never held (the
    school is behind its plan), and two later in the year. Returns day offset → plan line id."""
    if not (kinds := gathering_types()):
        return {}
    key, name = kinds[0].decl.key, kinds[0].decl.name_zh
    tz = school.timezone
    months = {days: to_local(_start(days), tz).month for days in (25, 12)}
    earlier = to_local(_start(45), tz).month
    lines = [{"type": key, "month": m, "title": f"{_day(days, school)}{name}", "hours": "3" if days == 25 else "2",
              "responsible": "教科室"} for days, m in months.items()]
    lines.append({"type": key, "month": earlier, "title": f"{earlier}月读书分享会", "hours": "4",
                  "responsible": "教研组长"})
    lines += [{"type": key, "month": m, "title": f"{m}月{name}", "hours": "3", "responsible": "教科室"}
              for m in (3, 5)]
    admin = access.actor(staff[0].id, school.id)
    plan = school_plans.save_plan(school, year, "提升作业设计与课堂评价能力；每位教师全年完成 50 学时。", "50", lines, by=admin)
    school_plans.submit_plan(school, year, by=admin)
    school_plans.decide_plan(plan.id, True, "计划可行，同意实施。", by=policy.Actor.of(reviewer.id, ["district_reviewer"]),
                             district_id=district_id)
    by_title = {line.title: line.id for line in school_plans.lines_of(plan.id)}
    return {days: by_title[f"{_day(days, school)}{name}"] for days in months
            if school_year_of(to_local(_start(days), tz).date()) == year}


def load_district_demo() -> None:
    """Idempotent: does nothing if the demo district's schools exist."""
    if db.session.execute(select(School.id).where(School.code == SCHOOLS[0][0])).first():
        return
    default = db.session.execute(select(District).where(District.code == DEFAULT_DISTRICT_CODE)).scalar_one()
    with_name = districts.get_district(default.id)
    if with_name.name == "默认区":
        from portal.database import write_transaction

        with write_transaction():
            with_name.name = "研修示范区"
    username, name, gender, born = REVIEWER
    reviewer = users.by_username(username) or users.create_user(
        username, DEMO_PASSWORD, name, None, ["district_reviewer"], gender, born, district_id=default.id)
    year = current_school_year()
    district_admin = users.by_username(DISTRICT[0])  # sets the district's minimum writing quotas
    districts.update_settings(default, {"reading_notes_chars": 10000, "reflections_per_semester": 5},
                              by=policy.Actor.of(district_admin.id, DISTRICT[2]) if district_admin else policy.SYSTEM)
    for code, name, stage, people in SCHOOLS:
        school, staff = _school(code, name, default.id, people)
        from_plan = _accepted_plan(school, staff, reviewer, year, default.id)
        _talk(school, staff, 25, "3", from_plan.get(25))
        # the accepted school's second talk waits for review when its year is first sent: a teacher
        # asks to correct her row, and the district accepts the year before the admin answers
        recent = _talk(school, staff, 12, "2", from_plan.get(12),
                       phase=Phase.AWAITING_REVIEW if stage == "accepted" else Phase.CREDITED)
        _organised_by_the_mover(school, staff)
        if stage == "returned":  # held, not reviewed yet (sent back): its admin is warned before submitting again
            if (waiting := _talk(school, staff, 6, "2", phase=Phase.AWAITING_REVIEW)) is not None:
                _sent_back(waiting, staff[1])
        admin = access.actor(staff[0].id, school.id)
        asked = demo_corrections.ask_row(recent, demo_corrections.BEFORE_ACCEPTANCE, on_leave=False) \
            if stage == "accepted" and recent is not None else None
        sub = submissions.submit(school, year, by=admin)
        seat = policy.Actor.of(reviewer.id, ["district_reviewer"])
        if stage == "returned":
            submissions.decide(sub.id, False, "请核对两位教师的请假记录后重新报送。",
                               {str(staff[3].id): "缺少12月讲座的签到，请补录。"}, by=seat, district_id=default.id)
        elif stage == "accepted":  # accepted, reopened for a late correction, sent and accepted again
            submissions.decide(sub.id, True, "数据完整，予以认定。", by=seat, district_id=default.id)
            if asked is not None:  # the admin answers after the acceptance: it closes as locked
                corrections.close(asked, admin, corrections.DONE, "")
            submissions.reopen(sub.id, "学校申请补录一位教师的请假记录，重新开放本学年。",
                               by=policy.Actor.of(district_admin.id, DISTRICT[2]) if district_admin else seat,
                               district_id=default.id)
            if recent is not None:  # reopened: the talk is reviewed and credited before the year is sent again
                walk(recent, staff[0], staff[1], Phase.CREDITED, start=recent.state)
            again = submissions.submit(school, year, by=admin)
            submissions.decide(again.id, True, "补录后数据完整，予以认定。", by=seat, district_id=default.id)
    _moved_teacher(default.id, district_admin)
    # the second district collects semesters: its school's first semester waits for its reviewer
    other = districts.create_district("NANSHAN", "南山区", {"submission_period": "semester"})
    school, staff = _school(OTHER[0], OTHER[1], other.id, OTHER[2])
    _talk(school, staff, 20, "3")
    admin = access.actor(staff[0].id, school.id)
    submissions.submit(school, year, 1, by=admin)
    # then 南山区 voids a year at less absence than the school judged its first semester by (the
    # seeds'): its round shows its reviewer the school's rule as more lenient than the district's now
    districts.update_settings(other, {"absence_limit_hours": LOWERED_ABSENCE_LIMIT}, by=policy.SYSTEM)
    username, name, gender, born = OTHER_REVIEWER
    other_reviewer = users.create_user(username, DEMO_PASSWORD, name, None, ["district_reviewer"], gender, born,
                                       district_id=other.id)
    _returned_plan(school, admin, policy.Actor.of(other_reviewer.id, ["district_reviewer"]), year, other.id)
    _plan_deadline_near(other, school)
    _moved_talk(school, staff)
    _decision_notifications()


#: A teacher who moved from one school of the district to another (``moves.move_teacher``): the
#: login, the school joined and how many days ago (after the talks of their old school they attended)
MOVED = (login_of("EAST1", 2), "WEST1", 8)


#: The talk the moved teacher organised at the school they left, this many days ahead: open, it
#: stays there (``moves.check_move``'s "to hand over") for its admin to hand over on its page.
MOVER_TALK_DAYS_AHEAD = 6


def _organised_by_the_mover(school: School, staff: list[User]) -> None:
    """A talk of the school :data:`MOVED`'s teacher organises (they hold the organizer role
    there), planned for some days ahead, the school's other teachers attending and its admin
    speaking: what the move leaves behind. Planned before the school's submission, which so
    stays as the district saw it."""
    mover = next((u for u in staff if u.username == MOVED[0]), None)
    if mover is None or not (kinds := gathering_types()):
        return
    reg = kinds[0]
    main, lead = main_and_lead(reg)
    start = _start(-MOVER_TALK_DAYS_AHEAD).replace(minute=0, second=0, microsecond=0)
    activities.plan_activity(
        school, mover, reg.decl.key, f"{reg.decl.name_zh}：{school.name}作业设计研讨（{mover.display_name}组织）",
        start.isoformat(timespec="minutes") + "+00:00",
        (start + timedelta(hours=2)).isoformat(timespec="minutes") + "+00:00", "2",
        [{"user_id": u.id, "role": main} for u in staff[2:] if u.id != mover.id] + [{"user_id": staff[0].id, "role": lead}],
        sample_details(reg) or {}, location="多功能厅",
    )


def _moved_teacher(district_id: int, district_admin: User | None) -> None:
    """EAST1's teacher 唐俊杰 teaches at WEST1 since eight days ago, moved by the district admin:
    both schools' staff logs say so, their talks at EAST1 stay theirs, WEST1 judges their year;
    the talk they organised at EAST1, days ahead (:func:`_organised_by_the_mover`), stays there
    for EAST1's admin to hand over, as the move's confirmation says."""
    from portal.services import moves

    username, code, days_ago = MOVED
    person, joins = users.by_username(username), access.school_by_code(code)
    if person is None:
        return
    by = policy.Actor.of(district_admin.id, DISTRICT[2]) if district_admin else policy.SYSTEM
    day = to_local(_start(days_ago), joins.timezone).date()
    moves.move_teacher(person.id, joins.id, day, by=by, district_id=district_id)


def _moved_talk(school: School, staff: list[User]) -> None:
    """A talk planned for an afternoon three days on, moved by its organizer to that morning
    (``activities.reschedule``), its people told at once (``reminders.rescheduled``, as the
    queued job would)."""
    if not (kinds := gathering_types()):
        return
    reg = kinds[0]
    main, lead = main_and_lead(reg)
    day = to_local(utcnow() + timedelta(days=3), school.timezone).replace(minute=0, second=0, microsecond=0)
    first, start = day.replace(hour=14), day.replace(hour=9)
    act = activities.plan_activity(
        school, staff[0], reg.decl.key, f"{reg.decl.name_zh}：{school.name}校本研修（改期）",
        first.isoformat(timespec="minutes"), (first + timedelta(hours=2)).isoformat(timespec="minutes"), "2",
        [{"user_id": u.id, "role": main} for u in staff[2:]] + [{"user_id": staff[0].id, "role": lead}],
        sample_details(reg) or {}, location="多功能厅",
    )
    activities.reschedule(act, staff[0], start.isoformat(timespec="minutes"),
                          (start + timedelta(hours=2)).isoformat(timespec="minutes"))
    reminders.rescheduled(db.session.execute(select(TransitionLog.id).where(TransitionLog.activity_id == act.id))
                          .scalar_one())


#: The second district's deadline for its schools' annual plans: this many days after today, so
#: SOUTH1's admin (its plan returned, not sent again) is reminded of it; fewer days where the
#: deadline would fall in the next calendar year (a district sets a month and a day of the year
#: the plan's school year starts in).
SCHOOL_PLAN_DEADLINE_DAYS = 5


def _plan_deadline_near(district: District, school: School) -> None:
    """The district's annual-plan deadline days away, its reminder sent as the daily job sends it
    (``district_notices.remind_school_plan_deadline``, written at once). In January and February,
    when the plan written for is the current year's, its deadline is over: none."""
    from portal.services import district_notices

    now = utcnow()
    today = to_local(now, school.timezone).date()
    first = first_calendar_year(school_plans.next_year(school.timezone, now))
    due = next((day for n in range(SCHOOL_PLAN_DEADLINE_DAYS, 0, -1)
                if (day := today + timedelta(days=n)).year == first), None)
    if due is None:
        return
    districts.update_settings(district, {"plan_deadline": due.strftime("%m-%d")}, by=policy.SYSTEM)
    district_notices.remind_school_plan_deadline(now)


def _returned_plan(school: School, admin: policy.Actor, reviewer: policy.Actor, year: str, district_id: int) -> None:
    """The second district's school sent its annual plan without saying who leads each line:
    its reviewer returned it with a comment (the school corrects and sends it again)."""
    if not (kinds := gathering_types()):
        return
    key, name = kinds[0].decl.key, kinds[0].decl.name_zh
    lines = [{"type": key, "month": m, "title": f"{m}月{name}", "hours": "3", "responsible": ""} for m in (10, 12, 4)]
    plan = school_plans.save_plan(school, year, "立足课堂，提升教师的作业设计能力。", "50", lines, by=admin)
    school_plans.submit_plan(school, year, by=admin)
    school_plans.decide_plan(plan.id, False, "请写明每月活动的负责人后重新报送。", by=reviewer, district_id=district_id)


def _decision_notifications() -> None:
    """The district's decisions as their schools' admins were told (written at once, not left
    to a worker): the returned school's admin and the accepted (and reopened) one's see them in the
    centre, and each school's admin the decision on its annual plan."""
    from portal.models import SchoolPlan, SubmissionEvent
    from portal.services import district_notices

    for plan in db.session.execute(select(SchoolPlan).order_by(SchoolPlan.id)).scalars().all():
        if plan.decided_at is not None:  # idempotent as the job is: the queued one finds them written
            district_notices.school_plan_job(plan.id, plan.status, plan.comment, plan.decided_at.isoformat())
    for event_id in db.session.execute(
        select(SubmissionEvent.id).where(SubmissionEvent.action.in_(("accept", "return", "reopen")))
        .order_by(SubmissionEvent.id)
    ).scalars().all():
        district_notices.submission_job(event_id)  # idempotent: the queued job finds them written
