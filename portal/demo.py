"""Demo data: an invented school ``DEMO`` with staff of every role and activities of every
type in every state (each phase, and each state of the type's own), and the review's other steps:
a return for rework, hours lowered with a reason, credits revoked. All names are invented."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from hashlib import sha256
from typing import Any

from sqlalchemy import event, select

from portal import policy
from portal.activity_types import SampleEvidence, SampleProfile, _sample_profile_problem
from portal.database import write_transaction
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Activity, Evidence, School, SchoolActivityType, TransitionLog, User
from portal.plugin_data import M_DEMO_TYPE, M_TYPE_DEMO, type_answer
from portal.plugin_loader import describe
from portal.registry import RegisteredType, registry
from portal.services import activities, schools, transitions, users
from portal.timeutil import (
    current_school_year,
    parse_iso,
    school_year_after,
    school_year_of,
    semester_of,
    to_local,
    utcnow,
    year_bounds,
)
from workflows.definition import OWNER, Phase, Transition, WorkflowDefinition

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
# Its title says which of the type's sessions it is (第一期 the earliest, :func:`_demo_goals`), never
# its state: a state in the title goes stale once the activity moves on.
DEMO_PHASES: tuple[tuple[Phase, int], ...] = (
    (Phase.OPEN, 10),
    (Phase.AWAITING_REVIEW, -20),
    (Phase.CONFIRMED, -30),
    (Phase.CREDITED, -40),
    (Phase.CLOSED, 5),
)
#: The sessions' numbers in words (a type with more demo activities counts on in digits).
SESSION_NUMBERS = "一二三四五六七八九十"


def session_tag(n: int) -> str:
    """The ``n``-th (from 0) session of a type's demo activities, by start: 第一期, 第二期 …"""
    return f"第{SESSION_NUMBERS[n] if n < len(SESSION_NUMBERS) else n + 1}期"


def _subject(details: dict) -> str:
    """A short subject for a demo title: the first text value of the type's sample details."""
    return next((v for v in details.values() if isinstance(v, str) and len(v) > 1), "")


def details_titled(reg: RegisteredType, title: str) -> dict[str, Any]:
    """The type's sample details for an activity titled ``title`` (``类型：主题（标签）``): the field
    a demo title is made from (:func:`_subject`'s, the first text value) holds the title's subject,
    so the activity's page does not tell another topic than its title (a talk titled 课堂提问的艺术
    on 新课标下的单元整体教学). A field offering choices keeps its sample value."""
    details = dict(sample_details(reg) or {})
    key = next((k for k, v in details.items() if isinstance(v, str) and len(v) > 1), None)
    subject = title.partition("：")[2] or title
    subject = subject[:subject.rindex("（")] if subject.endswith("）") and "（" in subject else subject
    form_class = getattr(reg.type, "form", None)
    fields = form_class() if form_class is not None else None
    if key is not None and subject and fields is not None and key in fields and not hasattr(fields[key], "iter_choices"):
        details[key] = subject
    return details


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

#: What :func:`sample_roles` and :func:`sample_evidence` answer for a type whose method failed (reported).
FAILED = object()


def sample_details(reg: RegisteredType) -> dict[str, Any] | None:
    """The type's example details (``ActivityType.sample_details``); None: no demo data."""
    return type_answer(reg.type, "sample_details", None, check=_details, message=M_TYPE_DEMO)


def sample_profile(reg: RegisteredType, message: str = M_TYPE_DEMO) -> SampleProfile | None:
    """The type's volumes in generated data (``ActivityType.sample_profile``); None: none given, or
    it failed (reported with ``message``: what went on without it)."""
    def check(value: Any) -> SampleProfile | None:
        profile = _of_kind(SampleProfile)(value)
        if profile is not None and (problem := _sample_profile_problem(profile)):  # a subclass past its check
            raise ValueError(problem)
        return profile
    return type_answer(reg.type, "sample_profile", None, check=check, message=message)


def sample_evidence(reg: RegisteredType) -> list[SampleEvidence] | object:
    """The evidence its guards need in the demo (``ActivityType.sample_evidence``): each piece of
    one of the type's kinds, for one of its roles (or the organizer), before one of its triggers —
    a typo would hand in nothing before nothing, and the demo's refusal would name only what the
    guard then missed. :data:`FAILED` if it raised or answered so (reported): the demo leaves the
    type out."""
    def check(value: Any) -> list[SampleEvidence]:
        pieces = _evidence_list(value)
        triggers = reg.engine.definition.triggers
        for piece in pieces:
            if piece.kind not in reg.decl.evidence_kinds:
                raise TypeError(f"names evidence kind {piece.kind!r}, not one of the type's kinds "
                                f"({', '.join(reg.decl.evidence_kinds)})")
            if piece.role is not None and piece.role not in reg.decl.roles:
                raise TypeError(f"names role {piece.role!r}, not one of the type's roles ({', '.join(reg.decl.roles)})")
            if piece.stage not in triggers:
                raise TypeError(f"names stage {piece.stage!r}, not one of the type's triggers "
                                f"({', '.join(dict.fromkeys(triggers))})")
        return pieces
    return type_answer(reg.type, "sample_evidence", FAILED, check=check, message=M_TYPE_DEMO)


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
#: review, one credited), then round again for the type's own states (teacher2: one refused).
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
    samples = sample_evidence(reg)
    for sample in samples if isinstance(samples, list) else []:
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


def load_demo(today: datetime | None = None, printed: dict[str, str] | None = None) -> School:
    """Create the DEMO school (idempotent: if it exists, only a type installed since is added:
    :func:`add_new_types`). ``printed`` is given the verification codes of the forms the demo
    printed (by kind: ``verification.KINDS``), their only copies (``portal.demo_paper``)."""
    existing = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one_or_none()
    if existing is not None:
        add_new_types(existing, today or utcnow())
        return existing
    school = demo_school()
    organizer, reviewer = _user("organizer"), _user("reviewer")
    now = today or utcnow()
    absent: list[bool] = []  # teacher1's one absence without leave: given by the first type that can
    for shift, (key, reg) in enumerate(registry().types.items()):
        details = sample_details(reg)
        if details is None or FAILED in (sample_roles(reg), sample_evidence(reg)):  # none (or failed: reported)
            continue
        try:
            _type_demo(school, key, reg, details, (organizer, reviewer), now, absent, shift)
        except DomainError as exc:  # the type's own code refused its steps (a plugin's bug): reported
            db.session.rollback()
            registry().plugins.fail(reg.plugin, M_DEMO_TYPE, exc, key=key, error=describe(exc))
    codes = _demo_review_steps(school, reviewer)
    _demo_declared_again(school)
    from portal import demo_shared  # a certificate on two teachers' declarations, told to the reviewer

    demo_shared.load(school, now)
    _demo_writing(school)
    _last_months_note(school, now)
    # seed 004's reading note every month (每月必须记…读书笔记), one a month: teacher1's one note,
    # written today, fills no month that is over — the home and writing page name the short months
    schools.update_rules(school, {"reading_notes_per_month": 1}, by=policy.SYSTEM)
    _demo_exemption(school, now)
    from portal import demo_year  # groups, a sign-up with a waiting list, teacher1's plan

    demo_year.load(school, now)
    from portal import demo_staff  # a change of groups (and its undoing) in the staff audit log

    demo_staff.load(school)
    _demo_leaver(school)
    _own_absence_talk(school, now)
    from portal import demo_declarations  # credited at 0 h, and one the deputy handed evidence in for

    demo_declarations.load(school, now)
    _plan_and_submission(school)  # after every change of the year: the submission freezes it
    from portal import demo_reach

    demo_reach.load(school, now)  # notifications, the check-in screen
    from portal import demo_exports

    demo_exports.load(school)  # the district's exports: one written, one waiting for the worker, one failed
    from portal import demo_corrections

    demo_corrections.load(school)  # a correction request waiting on the admin, one declined to its requester
    from portal import demo_settings

    demo_settings.load(school)  # an hours setting stored off the half-hour grid: stored and read, said
    from portal import demo_paper

    codes["record"] = demo_paper.print_record(school, now)  # after every change: /verify finds it unchanged
    if printed is not None:
        printed.update(codes)
    return school


def add_new_types(school: School, now: datetime) -> list[str]:
    """An existing DEMO school given the types installed since it was made: each type the school
    has never had a setting of (not one its admin switched off) is enabled, and one of them with
    no activity in the school gets its demo activities, as a new DEMO school would (a type whose
    demo cannot be made is reported and left out, as there). Idempotent: a second run finds every
    type known to the school and its activities there. Answers the keys given demo activities."""
    known: dict[str, bool] = {key: enabled for key, enabled in db.session.execute(
        select(SchoolActivityType.type_key, SchoolActivityType.enabled).where(SchoolActivityType.school_id == school.id))}
    present = set(db.session.scalars(select(Activity.type_key).where(Activity.school_id == school.id).distinct()))
    added: list[str] = []
    for key, reg in registry().types.items():
        if known.get(key) is False or key in present:  # switched off by its admin, or demoed already
            continue
        if key not in known:
            schools.set_type(school, key, enabled=True, by=policy.SYSTEM)
        details = sample_details(reg)
        if details is None or FAILED in (sample_roles(reg), sample_evidence(reg)):  # none (or failed: reported)
            continue
        try:  # days of its own, after the types demoed already: the same teachers attend them
            _type_demo(school, key, reg, details, (_user("organizer"), _user("reviewer")), now, [True],
                       len(present) + len(added))
        except DomainError as exc:
            db.session.rollback()
            registry().plugins.fail(reg.plugin, M_DEMO_TYPE, exc, key=key, error=describe(exc))
            continue
        added.append(key)
    return added


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
    for index, (goal, tag, offset) in enumerate(_demo_goals(definition)):
        phase = goal if isinstance(goal, Phase) else definition.phase(goal)
        # 14:00–17:00 in the school's time: within one day, so within one semester, whenever it runs
        hour = 14 if isinstance(goal, Phase) else OWN_STATE_HOUR
        start = to_local(now + timedelta(days=offset - shift), school.timezone).replace(
            hour=hour, minute=0, second=0, microsecond=0)
        planner = organizer
        if declared:  # a teacher's own finished training: in the past, this school year
            planner = _user(DECLARERS[index % len(DECLARERS)])
            begun = to_local(_declared_start(now, offset - shift, school.timezone), school.timezone)
            # as the others (14:00, one start for the queue's order), unless it is today's
            start = (begun.replace(hour=hour, minute=0, second=0, microsecond=0)
                     if begun.date() < to_local(now, school.timezone).date() else begun)
        act = activities.plan_activity(
            school,
            planner,
            key,
            _demo_title(type_name, details, tag),
            start.isoformat(timespec="minutes"),
            (start + timedelta(hours=3)).isoformat(timespec="minutes"),
            "3",
            None if declared else [{"user_id": _user(u).id, "role": r} for u, r in demo_roles(key)],
            details,
            location="" if declared else "学校报告厅",
        )
        for step in definition.way_to(goal):  # the type's own workflow, its own states too
            if definition.phase(step.dest) is Phase.CLOSED:  # cancelled by its planner, or refused
                closer = planner if OWNER in step.roles else reviewer
                transitions.fire(act.id, school.id, closer, step.trigger,
                                 "时间冲突，改期" if closer is planner else "所附证书与申报的培训不符，不予认定。")
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


def _demo_review_steps(school: School, reviewer: User) -> dict[str, str]:
    """The review's other steps, on approved demo activities (load order): a declaration (its
    declarer alone is told) returned for rework with a comment, then approved again with the
    hours lowered for a reason; an organised activity credited, its 学分认定表 printed, then
    revoked with a reason (its ledger lines reversed, it waits to be credited again; ``/verify``
    of the form says so). Asked of each workflow, never of a trigger's name. Returns the
    verification code of the form printed, by kind (none if no type reached the step)."""
    types = registry().types
    approved = [act for act in db.session.execute(
        select(Activity).where(Activity.school_id == school.id).order_by(Activity.id)).scalars()
        if types[act.type_key].engine.definition.phase(act.state) is Phase.CONFIRMED]

    def step(act: Activity, what: Callable[[Transition], bool]) -> Transition | None:
        definition = types[act.type_key].engine.definition
        return next((t for t in definition.transitions if what(t) and act.state in t.sources), None)

    declared = [act for act in approved if types[act.type_key].decl.self_declared]
    if declared and (back := step(act := declared[0], lambda t: t.clears_adjustments)):
        transitions.fire(act.id, school.id, reviewer, back.trigger, "证书载明的学时与申报的不一致，请核对。")
        again = step(act, lambda t: t.adjusts_hours)
        present = [(p.user_id, p.attended_hours) for p, _u in activities.participants_with_users(act.id)
                   if p.attended_hours is not None and p.attended_hours > 1]
        if again is not None and present:
            transitions.fire(act.id, school.id, reviewer, again.trigger, "证书载明的学时少于申报，按证书认定。",
                             hours={present[0][0]: str(present[0][1] - 1)})
    codes: dict[str, str] = {}
    organised = [act for act in approved if not types[act.type_key].decl.self_declared]
    if organised and (credit := step(act := organised[0], lambda t: t.posts_credits)):
        from portal import demo_corrections  # a participant's correction request, closed by the credit

        asked = demo_corrections.ask_before(act)
        transitions.fire(act.id, school.id, reviewer, credit.trigger)
        demo_corrections.told(asked)
        if (revoke := step(act, lambda t: t.reverses_credits)) is not None:
            from portal import demo_paper

            codes["certificate"] = demo_paper.print_certificate(act, reviewer)
            transitions.fire(act.id, school.id, reviewer, revoke.trigger, "签到表登记有误，撤销后重新核对认定。")
    return codes


def _demo_declared_again(school: School) -> None:
    """A declaration refused in review (teacher2's 未通过) declared again by its teacher, for the
    same days, with a new scan of the certificate, and submitted: the reviewer's card of it says
    it was refused before, who, when and why (``transitions.refused_before``). Which declaration
    was refused is the workflow's answer (``WorkflowDefinition.refuses``), never a state's name."""
    types = registry().types
    for act in db.session.execute(select(Activity).where(Activity.school_id == school.id).order_by(Activity.id)).scalars():
        reg = types[act.type_key]
        if not reg.decl.self_declared or transitions.refused_in(act.type_key, transitions.history_rows(act.id)) is None:
            continue
        declarer = db.session.get_one(User, act.organizer_id)
        tz = school.timezone
        again = activities.plan_activity(
            school, declarer, act.type_key, act.title.rsplit("（", 1)[0] + "（重新申报）",
            to_local(act.starts_at, tz).isoformat(timespec="minutes")[:16],
            to_local(act.ends_at, tz).isoformat(timespec="minutes")[:16], str(act.hours), None, dict(act.details or {}),
        )
        for step in reg.engine.definition.way_to(Phase.AWAITING_REVIEW):
            _add_evidence(again, declarer, step)
            transitions.fire(again.id, school.id, declarer, step.trigger, "")
        return


#: When a type's own states (those no walk of ``DEMO_PHASES`` ends in: a refused declaration) are
#: shown: mornings (the phases' activities are afternoons) of the type's own days, the first on
#: the day of its activity awaiting review, each next one ten days earlier.
OWN_STATE_HOUR, OWN_STATE_DAYS = 9, -20


def _demo_title(type_name: str, details: dict[str, Any], tag: str) -> str:
    return f"{type_name}：{_subject(details)}（{tag}）"


def phase_title(key: str, phase: Phase | str) -> str:
    """The title of type ``key``'s demo activity taken to ``phase`` (or to the type's own state of
    that name): its session (:func:`_demo_goals`), where a test finds it."""
    reg = registry().types[key]
    tag = next(t for goal, t, _d in _demo_goals(reg.engine.definition) if goal == phase)
    return _demo_title(reg.decl.name_zh, sample_details(reg) or {}, tag)


def _demo_goals(definition: WorkflowDefinition) -> list[tuple[Phase | str, str, int]]:
    """Where a type's demo activities go, each with its session (:func:`session_tag`, by start)
    and its day: ``DEMO_PHASES``, then each state of the type that none of them ends in (by
    name), so every state has an activity."""
    reached = {steps[-1].dest if (steps := definition.way_to(p)) else definition.initial for p, _d in DEMO_PHASES}
    own = [s for s in definition.states if s.name not in reached]
    goals: list[tuple[Phase | str, int]] = [*DEMO_PHASES, *((s.name, OWN_STATE_DAYS - 10 * k) for k, s in enumerate(own))]
    # by start: the day, then the hour (a type's own state's in the morning, the others' at 14:00)
    by_start = sorted(range(len(goals)), key=lambda i: (goals[i][1], isinstance(goals[i][0], Phase)))
    tags = {i: session_tag(n) for n, i in enumerate(by_start)}
    return [(goal, tags[i], offset) for i, (goal, offset) in enumerate(goals)]


#: teacher1's reading notes of a book, as a teacher would write them: each passage once (a piece
#: padded by repeating itself is refused, ``quotas.repeated_share``).
READING_NOTES = (
    "苏霍姆林斯基提醒我们，教师的时间从读书中来。他说，每天不间断地读书，跟书籍结下终生的友谊，"
    "就像潺潺小溪每日不断地注入思想的大河。读到这里，我想起自己刚工作时，总抱怨备课占去了所有时间，"
    "却很少想到，正是因为读得太少，备课才显得格外吃力。书中有一位历史教师上了一节公开课，"
    "听课的人问他准备了多久，他回答说，对这节课，我准备了一辈子；而直接准备这个课题，只用了大约十五分钟。"
    "这句话让我久久不能平静。教师的知识背景越宽广，讲课时就越能从容地关注学生的思维，而不是紧盯着教案。"
    "作者还谈到学习困难的学生，他认为不应该让这些孩子只做补习题，而要让他们多读多想，"
    "用阅读来唤起求知的愿望。我班上有两名学生，课堂上总是沉默，作业也常常拖延。"
    "下学期我打算为他们准备一份短小有趣的书目，每周和他们聊一次读后的想法，看看能否让他们重新找到学习的乐趣。"
    "书中关于评价的论述也给我很大启发：分数不应成为压在孩子心上的石头，教师要让每个学生看到自己的进步。"
    "读完这本书，我给自己定了一个小目标：每天至少阅读三十分钟，每月写一篇读书笔记，与教研组的同事分享。"
)
#: teacher1's own writing: reading notes of a book and two reflections (the quotas show progress).
DEMO_WRITING = (
    ("reading_notes", "《给教师的建议》", READING_NOTES),
    ("reflection", "", "今天的阅读课上，学生提问比预想的多，我应当留出更多讨论的时间。下次先让学生在小组里整理问题，"
                       "再挑出两三个值得全班讨论的，既不打断思路，也能照顾到提问的孩子。"),
    ("reflection", "", "单元整体教学需要先理清大概念，再设计学习任务。这次备课时我先写下单元要回答的核心问题，"
                       "再倒推每一课的目标，发现原来几节课之间的衔接清楚了许多，作业也少了重复的练习。"),
)


#: teacher1's first draft of the reading notes, with a typo in the title and two thirds of the
#: text; corrected afterwards (``writing.edit_writing``) into the first piece of DEMO_WRITING.
DEMO_DRAFT = ("reading_notes", "给教师的建意", READING_NOTES[: len(READING_NOTES) * 2 // 3])


def _demo_writing(school: School) -> None:
    from portal.services import access, writing

    teacher = _user("teacher1")
    draft = writing.add_writing(school, teacher, *DEMO_DRAFT)
    writing.edit_writing(school, draft, *DEMO_WRITING[0], by=access.actor(teacher.id, school.id))
    for kind, title, text in DEMO_WRITING[1:]:
        writing.add_writing(school, teacher, kind, title, text)
    kind, title, paragraphs = DEMO_WORD_PAPER  # teacher2 wrote his in Word: the file's words count
    writing.add_writing(school, _user("teacher2"), kind, title,
                        filename=f"{title}.docx", data=_word_file(paragraphs))


#: teacher6's one reading note, written on the 10th of last month: that month is over and this note
#: alone fills it, so the writing page says beside its delete that deleting it would leave the month
#: short for good (``writing.deletion_loses``). None when last month is not of this school year.
LAST_MONTHS_NOTE = ("reading_notes", "《静悄悄的革命》", (
    "佐藤学在书中描写了许多日本中小学的课堂，最打动我的是他对“倾听”的强调。他认为，教室里最重要的不是热烈的发言，"
    "而是彼此倾听的关系：教师要先听懂每一个孩子的话，再把这些话相互联结起来。回想自己的课堂，我常常急于得到正确答案，"
    "学生一旦说错，就马上请下一位同学回答，那个孩子的想法就这样被略过了。书里说，说错的答案往往最值得全班一起琢磨，"
    "因为它暴露了孩子真实的思考过程。上周的数学课上，我试着放慢节奏，请一个算错的学生讲讲他是怎么想的，"
    "结果其他同学很快发现了问题所在，讨论也比平时深入得多。作者还提出，学习是与教材、与同伴、与自己的三重对话。"
    "今后备课时，我想先设计好能引发对话的问题，再留出足够的安静时间，让每个孩子都有机会把想法说完整。"))


def _last_months_note(school: School, now: datetime) -> None:
    from portal.services import writing

    teacher = _user(JOINED_THIS_YEAR)
    today = to_local(now, school.timezone).date()
    day = (today.replace(day=1) - timedelta(days=1)).replace(day=10)
    if school_year_of(day) != school_year_of(today) or day <= year_bounds(school_year_of(today))[0]:
        return  # September: last month is last year's (and before the teacher joined)
    piece = writing.add_writing(school, teacher, *LAST_MONTHS_NOTE)
    with write_transaction():  # written then (the rules' update that follows counts the teachers' rows again)
        piece.created_at = parse_iso(f"{day.isoformat()}T16:00", school.timezone)
        piece.semester = semester_of(day)


#: teacher2's teaching essay, handed in as a Word file (``portal.file_text`` reads its words):
#: past the school's 3,000 characters a paper needs, each passage once (``quotas.repeated_share``).
DEMO_WORD_PAPER = ("paper", "小组合作学习中的分工与评价", (
    ("小组合作学习常常流于形式：讨论热闹，收获不多。上学期我在四年级数学课上做过一次统计，一节课里真正参与讨论"
     "的学生不到一半，其余的孩子或者等待组长给出答案，或者干脆在本子上画画。汇报时站起来的总是那几张熟悉的面孔"
     "，他们的想法代表不了整个小组。于是我开始思考，合作的形式有了，合作的实质却没有建立起来，问题究竟出在哪里"
     "。"),
    ("回看课堂录像，我发现症结在于分工模糊。老师一句“四人一组讨论一下”，学生并不知道自己该做什么，能力强的包"
     "办，能力弱的旁观，讨论的时间越长，差距反而越大。另一个原因是任务本身缺少合作的必要：一道一个人就能算出来"
     "的题目，放到小组里讨论，只会让先做完的孩子感到无聊。"),
    ("本学期我尝试明确分工。每个小组设记录员、发言人、计时员和检查员四个角色，每两周轮换一次，保证每个学生都担"
     "任过每种角色。记录员负责把组员的思路写在小白板上，发言人负责向全班汇报，计时员提醒大家控制节奏，检查员核"
     "对结果并追问“你是怎么想的”。角色卡贴在桌角，上面印着该角色要说的几句话，刚开始时孩子们照着读，慢慢就能"
     "用自己的语言表达了。"),
    ("在任务设计上，我把适合合作的内容挑出来，例如“用二十四个小正方形拼长方形，有几种拼法”“调查全班同学最喜"
     "欢的运动并绘制条形统计图”。这类问题答案不唯一，需要分头尝试再汇总比较，一个人很难在规定时间内完成。学生"
     "在拼摆、记录、比较中自然产生交流的需要，合作不再是老师的要求，而是解决问题的办法。"),
    ("评价跟着分工一起改变。过去我只表扬答对的小组，现在每节课后用三项指标评价小组表现：人人有事做，人人能说清"
     "，组内能互助。每项满分三颗星，由小组自评和教师评价结合给出，结果贴在教室后面的展示栏里。月底统计星数最多"
     "的小组，请他们介绍经验，其他小组可以提问。这样一来，组长不再急于自己算完，而会主动去教还没弄懂的同伴。"),
    ("两个月下来，变化是看得见的。我再次做了统计，课堂讨论中发过言的学生比例从不到一半提高到八成以上。几位平时"
     "沉默的学生，在担任发言人的那两周里准备得格外认真，有一位女生课后专门找我练习汇报的开头。家长会上，一位父"
     "亲告诉我，孩子回家后会模仿检查员的样子追问弟弟的作业，这让我意识到角色背后的思维习惯正在迁移。"),
    ("当然，问题也随之出现。轮换角色让一部分能力较强的学生感到束缚，他们觉得自己明明会做，却只能当计时员。为此"
     "我在检查员的角色中增加了“提出一个更难的问题”的任务，并允许学有余力的学生在完成基本任务后挑战拓展题。另"
     "一个问题是讨论时间难以把握，有的小组五分钟就结束，有的十五分钟还在争论，我便准备了分层的提示卡，先完成的"
     "小组可以领取下一张。"),
    ("在教研组的集体备课中，我把这些做法和同事们做了交流。三年级的李老师提出，低年级学生识字量有限，角色卡可以"
     "改成图标；六年级的赵老师则认为，高年级可以让学生自己协商分工，教师只提供规则。这些建议让我认识到，分工的"
     "形式要随着学段调整，不能一刀切，但核心是让每个学生都有明确的责任和表达的机会。"),
    ("我也反思了自己在小组活动中的位置。以前学生讨论时，我常常站在讲台上等待，或者忙着准备下一个环节。现在我给"
     "自己定了规矩：讨论开始后先巡视一圈，只听不说；第二圈再针对卡住的小组提一个问题，而不是直接告诉他们方法。"
     "听得多了，我对学生的想法有了更准确的把握，后面的全班交流也更有针对性，常常能把一个小组的错误变成全班讨论"
     "的素材。"),
    ("数据之外，我更看重学生之间关系的变化。开学初，班里有两个男孩因为座位问题闹过矛盾，被分在同一组后，起初互"
     "不理睬。后来在一次测量操场周长的活动中，一个负责拉卷尺，一个负责读数记录，配合得越来越默契。活动结束时，"
     "他们主动要求下次还在一组。合作学习带来的不仅是成绩的提高，还有信任与尊重的建立。"),
    ("下一步，我打算在三个方面继续探索：一是把小组评价与单元测验结合起来，观察合作表现与个人成绩之间的关系；二"
     "是开发一套适合四年级的合作任务库，按照图形、统计、计算三个领域分类整理，供同年级老师使用；三是尝试跨学科"
     "的合作项目，例如和科学老师一起设计测量植物生长的长期观察活动，让学生在真实情境中运用数学。"),
    ("回顾这一学期的尝试，我最大的体会是，合作不会因为把桌子拼在一起就自然发生，它需要清晰的分工、值得合作的任"
     "务和指向过程的评价。教师要做的，是为学生搭好这三级台阶，然后退到一旁，耐心地倾听和等待。这篇文章记录的只"
     "是一个开始，许多做法还需要在更多班级中检验，我期待在教研组的帮助下把它做得更扎实。"),
    ("为了让改进有据可依，我在学期中设计了一份简短的问卷，请学生匿名回答三个问题：在小组里你最常做什么，你最喜"
     "欢哪个角色，你希望老师怎样帮助你的小组。收回的四十二份问卷中，有十九人最喜欢发言人，只有四人选择计时员，"
     "理由多是“没什么事可做”。这个结果提醒我，计时员的职责需要充实，于是我让计时员同时负责记录每位组员发言的"
     "次数，并在小结时报告。"),
    ("问卷里还有一条留言让我印象深刻：“我不敢说，因为怕说错了被同学笑。”原来，有些孩子的沉默并不是因为不会，"
     "而是因为害怕。我在全班讨论了“说错了怎么办”，约定每个小组都要先肯定同伴想法中的合理之处，再提出不同意见"
     "。我自己也在课堂上多次展示错误的解法，请学生一起找出问题，让大家明白出错是学习的一部分。"),
    ("家校沟通也是这次实践的重要环节。我利用家长群分享了小组合作的照片和学生的汇报视频，请家长在家里也给孩子当"
     "听众，让孩子讲一讲今天在小组里解决了什么问题。起初回应的家长不多，后来越来越多的家长发来孩子在家讲题的录"
     "音，有的还附上自己的感受。这些反馈让学生感到自己的努力被看见，也让我更了解每个孩子的家庭学习环境。"),
    ("在教学进度方面，同事曾担心合作学习会拖慢进度。实际情况是，单元开始时确实多用了一些时间，但学生在合作中形"
     "成的方法在后续学习中反复用到，到了单元后半段，练习和复习的时间明显缩短。期末检测中，本班在解决问题这一板"
     "块的得分率高于年级平均水平，计算部分则基本持平，说明合作学习在发展思维方面的作用更为突出。"),
    ("我也注意到，并非所有内容都适合小组合作。像口算练习、概念的初步讲解，个人独立完成或教师集中讲授效率更高。"
     "因此我在备课时先判断教学内容的性质，再决定采用哪种组织方式，一节课中往往是独立思考、小组交流、全班汇报交"
     "替进行，而不是从头到尾都在讨论。合作是手段而不是目的，这一点需要时时提醒自己。"),
    ("在分组方式上，我经历了几次调整。最初按座位就近分组，结果有的小组整体偏强，有的整体偏弱；后来按成绩异质分"
     "组，又出现了强者包办的现象。现在采用的是“同组异质、组间同质”的原则，并参考学生的性格特点和相处情况，每"
     "学期中途微调一次。分组名单由我和班主任一起商量确定，尽量让每个组里既有善于表达的，也有细心踏实的。"),
    ("教室环境的布置也起到了作用。我把课桌摆成四人一组的岛屿形状，每组配一块小白板和一盒磁贴，墙上张贴着角色职"
     "责和讨论用语。学生进教室就能感受到这是一个需要交流的空间。开放日时，来听课的家长说这样的教室更像一个工作"
     "坊，孩子们的状态也比坐成一排排时更放松。"),
    ("学校的教研活动为我提供了很大帮助。教研组长组织我们观摩了区里一位特级教师的合作学习示范课，课后大家围绕“"
     "如何让每个学生都参与”展开了两个小时的讨论。我把讨论记录整理成表格，对照自己的课堂逐条检查，发现自己在小"
     "组汇报后的追问还比较薄弱，常常只问“还有别的方法吗”，缺少引导学生比较方法优劣的问题。"),
    ("针对追问的问题，我准备了一组问题清单，例如“这两种方法有什么相同的地方”“如果数据变大，哪种方法更方便”"
     "“你能用别的图形来验证吗”。每节课选用两三个，并记录学生的回答情况。一个月后再看记录，学生的回答从只说结"
     "果，逐渐变为能说出理由，甚至会主动质疑别的小组的结论，课堂的思维含量有了明显提升。"),
    ("作为教师，我自己在这个过程中也在成长。我开始习惯用录像和记录来观察课堂，用数据来检验自己的判断，而不是凭"
     "感觉下结论。读了几本关于合作学习的专著后，我更加理解了积极互赖和个体责任这两个关键概念，也明白了为什么仅"
     "仅把学生分在一起并不等于合作。理论与实践的相互印证，让我对教学工作有了新的认识。"),
    ("最后想说的是，合作学习的价值最终要落在每一个孩子身上。当那个曾经不敢开口的女生在全班面前清楚地讲出自己的"
     "解题思路时，当两个闹过矛盾的男孩一起拿着卷尺在操场上奔跑时，我真切地感受到，课堂正在成为孩子们共同成长的"
     "地方。"),
))


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


#: The organiser's own talk that his absence without leave is recorded on (by the school admin):
#: started two days ago, not held yet — his year does not count it (only a reviewed activity's
#: absence counts), but cancelling it would undo that record, so the page tells him someone else
#: who runs it cancels it (``policy.may_close_over_own_record``). Its subject, and how many days ago.
OWN_ABSENCE_TALK = ("初中数学单元作业的设计与讲评", 2)


def _own_absence_talk(school: School, now: datetime) -> None:
    """:data:`OWN_ABSENCE_TALK`, of the type that gathers most of the staff, the organiser alone on
    it (in its leading role): no one else's year or list moves."""
    if not (kinds := gathering_types()):
        return
    reg = kinds[0]
    _main, lead = main_and_lead(reg)
    subject, days_ago = OWN_ABSENCE_TALK
    organizer = _user("organizer")
    title = f"{reg.decl.name_zh}：{subject}"
    start = to_local(now - timedelta(days=days_ago), school.timezone).replace(hour=8, minute=0, second=0,
                                                                               microsecond=0)
    act = activities.plan_activity(
        school, organizer, reg.decl.key, title, start.isoformat(timespec="minutes"),
        (start + timedelta(hours=2)).isoformat(timespec="minutes"), "2",
        [{"user_id": organizer.id, "role": lead}], details_titled(reg, title), location="学校报告厅")
    activities.record_attendance(act, _user("admin"), [
        {"user_id": organizer.id, "attended_hours": "0", "absent_hours": "2", "excused_hours": "0"}])


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


def walk(act: Activity, organizer: User, reviewer: User, phase: Phase, missed: Collection[int] = (),
         start: str | None = None, evidence: bool = True) -> None:
    """Take a demo activity along its type's workflow to ``phase`` (its own states too), with
    the evidence and attendance each step's guards ask for (``missed``: the people absent from
    all of it without leave; the last other one on leave for an hour); from ``start``, the state
    it is in, when it was taken part of the way already (``evidence`` False: its evidence handed
    in already, :func:`hand_in`)."""
    definition = registry().types[act.type_key].engine.definition
    for step in definition.way_to(phase, start):
        if definition.phase(step.dest) is Phase.CLOSED:
            transitions.fire(act.id, act.school_id, organizer, step.trigger, "时间冲突，改期")
            continue
        if evidence:
            _add_evidence(act, organizer, step)  # what the type's guards ask before it
        if step.not_before_start:  # held: the attendance first
            rows = [
                {"user_id": p.user_id, "attended_hours": str(act.hours), "absent_hours": "0", "excused_hours": "0"}
                for p, _ in activities.participants_with_users(act.id) if p.user_id not in missed
            ]
            rows[-1] = {**rows[-1], "attended_hours": str(act.hours - 1), "excused_hours": "1"}
            rows += [{"user_id": uid, "attended_hours": "0", "absent_hours": str(act.hours), "excused_hours": "0"}
                     for uid in missed]
            activities.record_attendance(act, organizer, rows)
        actor = organizer if OWNER in step.roles else reviewer
        transitions.fire(act.id, act.school_id, actor, step.trigger, "材料齐全" if step.adjusts_hours else "")


def hand_in(act: Activity, organizer: User, phase: Phase) -> None:
    """The evidence the steps from the activity's state to ``phase`` ask (:func:`walk`), handed in
    before they are taken."""
    definition = registry().types[act.type_key].engine.definition
    for step in definition.way_to(phase, act.state):
        if definition.phase(step.dest) is not Phase.CLOSED:
            _add_evidence(act, organizer, step)


@contextmanager
def logged_back(shift: timedelta) -> Iterator[None]:
    """The lines of activities' histories (``TransitionLog``) written inside carry the time they
    are written less ``shift``: a demo activity dated back to its day shows the steps taken then,
    not today. Set as each line is inserted — the history stays append-only, no line is changed
    after (its rows refuse it): the demo's other past is dated back by an update of its rows once
    written, these are written dated. The demo alone writes a past."""

    def dated(_mapper: Any, _connection: Any, line: TransitionLog) -> None:
        line.created_at = (line.created_at or utcnow()) - shift

    event.listen(TransitionLog, "before_insert", dated)
    try:
        yield
    finally:
        event.remove(TransitionLog, "before_insert", dated)


def demo_counts() -> dict[str, int]:
    from sqlalchemy import func

    return {
        "activities": db.session.scalar(select(func.count(Activity.id))) or 0,
        "evidence": db.session.scalar(select(func.count(Evidence.id))) or 0,
    }


__all__ = ["DEMO_PASSWORD", "load_demo"]
