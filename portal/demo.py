"""Demo data: an invented school ``DEMO`` with staff of every role and activities of every
type in every state. All names are invented."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from hashlib import sha256
from typing import Any

from sqlalchemy import select

from portal import policy
from portal.activity_types import SampleEvidence, SampleProfile
from portal.database import write_transaction
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Activity, Evidence, School, User
from portal.plugin_data import M_DEMO_TYPE, M_TYPE_DEMO, type_answer
from portal.plugin_loader import describe
from portal.registry import RegisteredType, registry
from portal.services import activities, schools, transitions, users
from portal.timeutil import (
    current_school_year,
    school_year_after,
    school_year_of,
    to_local,
    utcnow,
    year_bounds,
)
from workflows.definition import OWNER, Phase, Transition

DEMO_PASSWORD = "yanxiu-demo"
STAFF = [
    # username, name, roles, gender, birth date
    ("admin", "林晓雨", ["school_admin", "teacher"], "F", date(1980, 3, 2)),
    ("reviewer", "周明轩", ["reviewer", "teacher"], "M", date(1978, 6, 12)),
    ("organizer", "陈思远", ["organizer", "teacher"], "M", date(1985, 9, 30)),
    ("teacher1", "王雅琴", ["teacher"], "F", date(1990, 1, 15)),
    ("teacher2", "赵子涵", ["teacher"], "M", date(1992, 4, 8)),
    ("teacher3", "孙嘉怡", ["teacher"], "F", date(1988, 11, 21)),
    ("teacher4", "吴浩然", ["teacher"], "M", date(1995, 7, 3)),
    ("teacher5", "郑佳慧", ["teacher"], "F", date(1975, 5, 19)),
    ("teacher6", "何立新", ["teacher"], "M", date(1970, 2, 27)),
]
#: When the demo's staff accounts say they joined: years before the demo's school years (their
#: past years are theirs), but for ``JOINED_THIS_YEAR``, who came at the start of this one.
STAFF_SINCE = datetime(2020, 9, 1)
JOINED_THIS_YEAR = "teacher6"
#: A teacher of long standing who left the school when last school year was over: the school
#: admin took her off the staff (staff page: deactivate) this year. Last year stays hers — its
#: summary lists her, marked 已离校, 未达标 with nothing counted — and this year does not list her.
LEFT_AFTER_LAST_YEAR = ("teacher7", "唐婉清", ["teacher"], "F", date(1987, 10, 14))
DISTRICT = ("district", "高文静", ["district_admin"], "F", date(1976, 8, 8))
DISTRICT_REVIEWER = ("dreviewer", "钱静怡", ["district_reviewer"], "F", date(1979, 10, 6))  # 区教师发展中心


# One demo activity of each type in each phase: how far along it is, and when it starts (days).
DEMO_PHASES: tuple[tuple[Phase, str, int], ...] = (
    (Phase.OPEN, "筹备中", 10),
    (Phase.AWAITING_REVIEW, "待审核", -20),
    (Phase.CONFIRMED, "待认定", -30),
    (Phase.CREDITED, "已认定", -40),
    (Phase.CLOSED, "已取消", 5),
)


def _subject(details: dict) -> str:
    """A short subject for a demo title: the first text value of the type's sample details."""
    return next((v for v in details.values() if isinstance(v, str) and len(v) > 1), "")


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def main_and_lead(reg: RegisteredType) -> tuple[str, str]:
    """A type's main role (its default: who attends, observes, is mentored) and the role that
    leads (the first other it declares: who speaks, teaches, mentors; a one-role type: the same)."""
    main = reg.decl.default_role
    return main, next((role for role in reg.decl.roles if role != main), main)


#: The demo teachers who take part in a type's demo activities, in this order (``sample_roles``).
DEMO_TEACHERS = ("teacher1", "teacher2", "teacher3", "teacher4", "teacher5")


def demo_roles(key: str) -> list[tuple[str, str]]:
    """Who takes part in a demo activity of type ``key``, in which of its roles (username, role):
    the type's ``sample_roles`` if it gives them, else teacher1 leads and teacher2–teacher4 take
    the main role."""
    reg = registry().types[key]
    roles = sample_roles(reg)
    if not isinstance(roles, list):  # None, or a failure (reported; the demo leaves the type out)
        main, lead = main_and_lead(reg)
        roles = [lead, main, main, main]
    return list(zip(DEMO_TEACHERS, roles, strict=False))


def gathering_types() -> list[RegisteredType]:
    """The organised types that offer demo data, the ones that gather the largest share of the
    staff first (their ``sample_profile``; a type without one last), in load order among equals.

    The demo's events for the whole staff use the first (a district school's talks and its annual
    plan, the check-in screen, the sign-up list), a district school enables the first two and a
    teacher's plan sets targets for the first three: the demo asks the types and names none (the
    core names no activity type). With the built-ins: lecture, observation, research."""

    def share(reg: RegisteredType) -> float:
        profile = sample_profile(reg)
        return -(profile.group[0] + profile.group[1]) if profile is not None else 0.0

    types = registry()
    failed = {f.plugin for f in types.plugins.failures}  # a plugin reported failing: left out
    offered = [reg for reg in types.types.values()
               if not reg.decl.self_declared and reg.plugin not in failed and sample_details(reg) is not None]
    return sorted(offered, key=share)


# -- a type's samples, asked across its plugin's boundary -------------------------------------
# A type's demo data is its plugin's code: one that raises, or answers the wrong kind of value,
# is reported with the plugin's name (the plugins page) and the demo goes on without the type,
# so a broken plugin cannot stop ``flask demo`` (and ``make run``) for every other type.

def sample_details(reg: RegisteredType) -> dict[str, Any] | None:
    """The type's example details (``ActivityType.sample_details``); None: no demo data."""
    return type_answer(reg.type, "sample_details", None, check=_details, message=M_TYPE_DEMO)


def sample_profile(reg: RegisteredType) -> SampleProfile | None:
    """The type's volumes in generated data (``ActivityType.sample_profile``); None: none given."""
    return type_answer(reg.type, "sample_profile", None, check=_of_kind(SampleProfile), message=M_TYPE_DEMO)


def sample_evidence(reg: RegisteredType) -> list[SampleEvidence]:
    """The evidence its guards need in the demo (``ActivityType.sample_evidence``)."""
    return type_answer(reg.type, "sample_evidence", [], check=_evidence_list, message=M_TYPE_DEMO)


#: What :func:`sample_roles` answers for a type whose ``sample_roles`` failed (reported).
FAILED = object()


def sample_roles(reg: RegisteredType) -> list[str] | None | object:
    """The roles of the demo's participants (``ActivityType.sample_roles``); None: the default;
    :data:`FAILED` if the method raised or answered no list of the type's roles (reported)."""
    def check(value: Any) -> list[str] | None:
        if value is None:
            return None
        if (not isinstance(value, (list, tuple)) or not 0 < len(value) <= len(DEMO_TEACHERS)
                or not all(isinstance(r, str) and r in reg.decl.roles for r in value)):
            raise TypeError(f"answered {value!r:.100}, not a list of 1 to {len(DEMO_TEACHERS)} of the type's roles")
        return list(value)
    return type_answer(reg.type, "sample_roles", FAILED, check=check, message=M_TYPE_DEMO)


def _details(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise TypeError(f"answered {value!r:.100}, not a mapping of details by field name")
    return dict(value)


def _of_kind(kind: type) -> Callable[[Any], Any]:
    """A check that lets None or a ``kind`` through and raises on anything else."""

    def check(value: Any) -> Any:
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"answered {value!r:.100}, not a {kind.__name__}")
        return value
    return check


def _evidence_list(value: Any) -> list[SampleEvidence]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, SampleEvidence) for v in value):
        raise TypeError(f"answered {value!r:.100}, not a list of SampleEvidence")
    return list(value)


#: What demo pieces are written of: each piece takes its own choice of these, in its own order.
SENTENCES = (
    "这次活动让我收获很多。", "课堂上学生的提问比预想的多。", "我应当留出更多讨论的时间。",
    "同伴的设计给了我新的思路。", "导入环节还可以更简洁一些。", "小组合作的分工需要更明确。",
    "板书的结构帮助学生理清了层次。", "评价语言要更具体，少一些泛泛的表扬。", "作业设计应当分层，照顾不同的学生。",
    "听课时我记下了三个值得借鉴的细节。", "教学目标的表述要能检测。", "情境创设贴近学生的生活经验。",
    "朗读指导不够充分，下次要示范。", "课后与学生交流，发现了新的困惑。", "时间分配前松后紧，需要调整。",
    "多媒体的使用要服务于教学内容。", "追问能把学生的思考引向深入。", "学生的错误是宝贵的教学资源。",
    "教研组的讨论让我看到了自己的盲点。", "单元整体设计要先理清大概念。", "课堂练习的反馈要及时。",
    "关注沉默的学生，给他们表达的机会。", "教材的留白处正是学生思考的起点。", "下一次我想尝试先学后教。",
)


def demo_text(title: str) -> str:
    """A demo piece's own text, opening with its title: a piece of writing counts once in a
    teacher's year (``quotas.require_new_piece``: not even mostly the same words again), so each
    piece is its own choice of :data:`SENTENCES`, picked by its title."""
    pick = random.Random(sha256(title.encode()).digest()).sample(SENTENCES, 12)
    return f"关于{title}：{''.join(pick)}"
#: Who declares the demo's self-declared activities, phase by phase (teacher1: one awaiting
#: review, one credited).
DECLARERS = ("teacher2", "teacher1", "teacher3", "teacher1", "teacher4")


def _declared_start(now: datetime, offset: int, tz: str) -> datetime:
    """A past start for a declaration, at most ``|offset|`` days ago and inside the current
    school year (a declaration is of finished training of this year)."""
    local_today = to_local(now, tz).date()
    year_start = year_bounds(school_year_of(local_today))[0]
    days = max(min(abs(offset), (local_today - year_start).days), 0)
    return now - timedelta(days=days, hours=0 if days else 4)  # as the other demo activities, unless today


def _title(act: Activity, _kind: str, i: int, count: int) -> str:
    """A title a teacher would write (《活动》, 《活动》（2）), never the kind's key."""
    return f"《{act.title}》" + (f"（{i + 1}）" if count > 1 else "")


def _evidence(act: Activity, by: User, owner_id: int, kind: str, title: str) -> Evidence:
    """A written piece, or a small PDF of its own where the kind is taken only as a file (a
    declaration's certificate: ``activities.file_required``)."""
    if activities.file_required(registry().types[act.type_key].decl, kind):
        scan = f"%PDF-1.4\n% {act.id} {owner_id} {kind} {title}\n".encode()
        return activities.add_evidence(act, by, owner_id, kind, title, filename=f"{kind}.pdf", data=scan)
    return activities.add_evidence(act, by, owner_id, kind, title, text=demo_text(title))


def _add_evidence(act: Activity, organizer: User, step: Transition) -> None:
    """Evidence so the type's guards pass before ``step``: the type's own ``sample_evidence``,
    then what each role must provide and has not yet (``required_evidence_for``, before the
    approval)."""
    reg = registry().types[act.type_key]
    people = activities.participants_with_users(act.id)
    stage = step.trigger
    for sample in sample_evidence(reg):
        if sample.stage != stage:
            continue
        owners = [u for p, u in people if p.role == sample.role] if sample.role else [organizer]
        for owner in owners[:1] if sample.first_only else owners:
            for i in range(sample.count):
                title = _title(act, sample.kind, i, sample.count)
                ev = _evidence(act, organizer, owner.id, sample.kind, title)
                if sample.days_before_start is not None:
                    with write_transaction():
                        ev.uploaded_at = act.starts_at - timedelta(days=sample.days_before_start)
    if step.adjusts_hours:  # the reviewer's approval: required evidence is checked there
        settings = schools.type_settings(act.school_id, act.type_key)
        # what is not given yet: at an earlier stage, or just now as the type's own sample
        have = Counter((e.user_id, e.kind) for e in activities.evidence_of(act.id))
        for p, u in people:
            for kind, count in reg.type.required_evidence_for(p.role, settings).items():
                for i in range(have[(u.id, kind)], count):
                    _evidence(act, u, u.id, kind, _title(act, kind, i, count))


def demo_school() -> School:
    """The DEMO school with every installed type enabled and its staff (no activities)."""
    school = schools.create_school("DEMO", "研修示范小学")
    for key in registry().keys():
        schools.set_type(school, key, enabled=True, by=policy.SYSTEM)
    this_year = datetime.combine(year_bounds(current_school_year(school.timezone))[0], datetime.min.time())
    for username, name, roles, gender, born in STAFF:
        # the first admin is made as `flask user create` makes one: a staff-log line by the command line
        by = policy.SYSTEM if "school_admin" in roles else None
        joined = this_year + timedelta(days=1) if username == JOINED_THIS_YEAR else STAFF_SINCE
        users.create_user(username, DEMO_PASSWORD, name, school, roles, gender, born, logged_by=by, joined=joined)
    for username, name, roles, gender, born in (DISTRICT, DISTRICT_REVIEWER):
        users.create_user(username, DEMO_PASSWORD, name, None, roles, gender, born, joined=STAFF_SINCE)
    return school


def load_demo(today: datetime | None = None) -> School:
    """Create the DEMO school (idempotent: does nothing if it exists)."""
    existing = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one_or_none()
    if existing is not None:
        return existing
    school = demo_school()
    organizer, reviewer = _user("organizer"), _user("reviewer")
    now = today or utcnow()
    absent: list[bool] = []  # teacher1's one absence without leave: given by the first type that can
    for shift, (key, reg) in enumerate(registry().types.items()):
        details = sample_details(reg)
        if details is None or sample_roles(reg) is FAILED:  # no demo data (or its plugin failed to: reported)
            continue
        try:
            _type_demo(school, key, reg, details, (organizer, reviewer), now, absent, shift)
        except DomainError as exc:  # the type's own code refused its steps (a plugin's bug): reported
            db.session.rollback()
            registry().plugins.fail(reg.plugin, M_DEMO_TYPE, exc, key=key, error=describe(exc))
    _demo_writing(school)
    _demo_exemption(school, now)
    from portal import demo_year  # groups, a sign-up with a waiting list, teacher1's plan

    demo_year.load(school, now)
    from portal import demo_staff  # a change of groups (and its undoing) in the staff audit log

    demo_staff.load(school)
    _demo_leaver(school)
    _plan_and_submission(school)  # after every change of the year: the submission freezes it
    from portal import demo_reach

    demo_reach.load(school, now)  # notifications, the check-in screen
    return school


def _type_demo(school: School, key: str, reg: RegisteredType, details: dict[str, Any], staff: tuple[User, User],
               now: datetime, absent: list[bool], shift: int = 0) -> None:
    """The demo activities of one type, one in each phase of ``DEMO_PHASES``, each taken there
    through its own workflow as its users would (``staff``: the organizer and the reviewer).
    Each type's are ``shift`` days earlier than the first type's: the same teachers attend
    them, and no one attends two afternoons' activities at once (``services.overlaps``)."""
    organizer, reviewer = staff
    type_name = reg.decl.name_zh
    definition = reg.engine.definition
    declared = reg.decl.self_declared
    for index, (phase, tag, offset) in enumerate(DEMO_PHASES):
        # 14:00–17:00 in the school's time: within one day, so within one semester, whenever it runs
        start = to_local(now + timedelta(days=offset - shift), school.timezone).replace(
            hour=14, minute=0, second=0, microsecond=0)
        planner = organizer
        if declared:  # a teacher's own finished training: in the past, this school year
            planner = _user(DECLARERS[index % len(DECLARERS)])
            begun = to_local(_declared_start(now, offset - shift, school.timezone), school.timezone)
            # as the others (14:00, one start for the queue's order), unless it is today's
            start = (begun.replace(hour=14, minute=0, second=0, microsecond=0)
                     if begun.date() < to_local(now, school.timezone).date() else begun)
        act = activities.plan_activity(
            school,
            planner,
            key,
            f"{type_name}：{_subject(details)}（{tag}）",
            start.isoformat(timespec="minutes"),
            (start + timedelta(hours=3)).isoformat(timespec="minutes"),
            "3",
            None if declared else [{"user_id": _user(u).id, "role": r} for u, r in demo_roles(key)],
            details,
            location="" if declared else "学校报告厅",
        )
        for step in definition.way_to(phase):  # the type's own workflow, its own states too
            if definition.phase(step.dest) is Phase.CLOSED:
                transitions.fire(act.id, school.id, planner, step.trigger, "时间冲突，改期")
                continue
            _add_evidence(act, planner, step)  # what the type's guards ask before it
            if step.not_before_start and not declared:  # held: the attendance first
                rows = [
                    {"user_id": p.user_id, "attended_hours": "3", "absent_hours": "0", "excused_hours": "0"}
                    for p, _ in activities.participants_with_users(act.id)
                ]
                rows[-1] = {**rows[-1], "attended_hours": "2", "excused_hours": "1"}
                if not absent and definition.phase(act.state) is Phase.OPEN and phase is Phase.CONFIRMED:
                    # teacher1 missed one activity without leave: 3 of the 5 hours, the warning
                    absent.append(True)
                    rows = [
                        {**r, "attended_hours": "0", "absent_hours": "3", "excused_hours": "0"}
                        if r["user_id"] == _user("teacher1").id else r
                        for r in rows
                    ]
                activities.record_attendance(act, organizer, rows)
            actor = planner if OWNER in step.roles else reviewer
            transitions.fire(act.id, school.id, actor, step.trigger, "材料齐全" if step.adjusts_hours else "")


#: teacher1's own writing: reading notes of a book and two reflections (the quotas show progress).
DEMO_WRITING = (
    ("reading_notes", "《给教师的建议》", "苏霍姆林斯基提醒我们，教师的时间从读书中来。" * 60),
    ("reflection", "", "今天的阅读课上，学生提问比预想的多，我应当留出更多讨论的时间。" * 5),
    ("reflection", "", "单元整体教学需要先理清大概念，再设计学习任务。" * 5),
)


#: teacher1's first draft of the reading notes, with a typo in the title and two thirds of the
#: text; corrected afterwards (``writing.edit_writing``) into the first piece of DEMO_WRITING.
DEMO_DRAFT = ("reading_notes", "给教师的建意", "苏霍姆林斯基提醒我们，教师的时间从读书中来。" * 40)


def _demo_writing(school: School) -> None:
    from portal.services import access, writing

    teacher = _user("teacher1")
    draft = writing.add_writing(school, teacher, *DEMO_DRAFT)
    writing.edit_writing(school, draft, *DEMO_WRITING[0], by=access.actor(teacher.id, school.id))
    for kind, title, text in DEMO_WRITING[1:]:
        writing.add_writing(school, teacher, kind, title, text)
    kind, title, paragraphs = DEMO_WORD_PAPER  # teacher2 wrote hers in Word: the file's words count
    writing.add_writing(school, _user("teacher2"), kind, title,
                        filename=f"{title}.docx", data=_word_file(paragraphs))


#: teacher2's teaching essay, handed in as a Word file (``portal.file_text`` reads its words).
DEMO_WORD_PAPER = ("paper", "小组合作学习中的分工与评价", (
    "小组合作学习常常流于形式：讨论热闹，收获不多。",
    "本学期我在四年级数学课上尝试明确分工：记录员、发言人、计时员轮流担任。",
    "每节课后用三项指标评价小组表现，学生的参与明显增加。",
) * 40)  # past the school's 3,000 characters a paper needs


def _word_file(paragraphs: tuple[str, ...]) -> bytes:
    import io

    from docx import Document

    doc = Document()
    for line in paragraphs:
        doc.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


#: teacher3 was on maternity leave all of last school year: exempted from its assessment by the
#: school admin (the exemptions page of that year, its summary, her 成长档案 lists the year).
DEMO_EXEMPTION = ("teacher3", "产假")


def _demo_exemption(school: School, now: datetime) -> None:
    from portal.services import exemptions

    last_year = school_year_after(school_year_of(to_local(now, school.timezone).date()), -1)
    username, reason = DEMO_EXEMPTION
    exemptions.set_exemption(school, _user("admin"), _user(username).id, last_year, reason)


def _demo_leaver(school: School) -> None:
    """``LEFT_AFTER_LAST_YEAR``: on the staff since ``STAFF_SINCE``, taken off it by the school
    admin (as on the staff page) now, in this school year — after last year was over."""
    from portal.services import access, staff

    username, name, roles, gender, born = LEFT_AFTER_LAST_YEAR
    leaver = users.create_user(username, DEMO_PASSWORD, name, school, roles, gender, born, joined=STAFF_SINCE)
    staff.deactivate(school, leaver.id, by=access.actor(_user("admin").id, school.id))


def _plan_and_submission(school: School) -> None:
    """The DEMO school's annual plan of this year (sent to the district) and this year's figures
    submitted to the district, waiting for its reviewer."""
    from portal.services import access, school_plans, submissions

    admin = access.actor(_user("admin").id, school.id)
    year = current_school_year(school.timezone)
    lines = [
        {"type": key, "month": month, "title": f"{registry().types[key].decl.name_zh}（{month}月）", "hours": "3",
         "responsible": "教科室"}
        for key, month in zip(registry().keys(), (10, 11, 12, 3, 4, 5), strict=False)
    ]
    school_plans.save_plan(school, year, "聚焦课堂教学改进，提升作业设计与命题能力。", "50", lines, by=admin)
    school_plans.submit_plan(school, year, by=admin)
    submissions.submit(school, year, by=admin)


def walk(act: Activity, organizer: User, reviewer: User, phase: Phase) -> None:
    """Take a demo activity along its type's workflow to ``phase`` (its own states too), with
    the evidence and attendance each step's guards ask for."""
    definition = registry().types[act.type_key].engine.definition
    for step in definition.way_to(phase):
        if definition.phase(step.dest) is Phase.CLOSED:
            transitions.fire(act.id, act.school_id, organizer, step.trigger, "时间冲突，改期")
            continue
        _add_evidence(act, organizer, step)  # what the type's guards ask before it
        if step.not_before_start:  # held: the attendance first
            rows = [
                {"user_id": p.user_id, "attended_hours": str(act.hours), "absent_hours": "0", "excused_hours": "0"}
                for p, _ in activities.participants_with_users(act.id)
            ]
            rows[-1] = {**rows[-1], "attended_hours": str(act.hours - 1), "excused_hours": "1"}
            activities.record_attendance(act, organizer, rows)
        actor = organizer if OWNER in step.roles else reviewer
        transitions.fire(act.id, act.school_id, actor, step.trigger, "材料齐全" if step.adjusts_hours else "")


def demo_counts() -> dict[str, int]:
    from sqlalchemy import func

    return {
        "activities": db.session.scalar(select(func.count(Activity.id))) or 0,
        "evidence": db.session.scalar(select(func.count(Evidence.id))) or 0,
    }


__all__ = ["DEMO_PASSWORD", "load_demo"]
