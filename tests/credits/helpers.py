"""Builders for the credit tests: an activity of any built-in type taken to ``credited``."""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, select, union_all

from portal.database import write_transaction
from portal.extensions import db
from portal.models import (
    Activity,
    CreditEntry,
    Evidence,
    Exemption,
    OwnWriting,
    Participation,
    School,
    TeacherYearRow,
    User,
)
from portal.services import access, activities, stints, teacher_years
from portal.timeutil import utcnow
from tests.credits.conftest import BUILTIN
from tests.support import factories as f
from tests.support.sessions import log_in
from workflows.definition import PLANNED

DETAILS = {
    "lecture": {"topic": "单元整体教学"},
    "observation": {
        "subject": "语文",
        "lesson_1": "第一课",
        "lesson_2": "第二课",
        "topic_report": "阅读教学",
        "discussion_focus": "语言运用",
    },
    "mentorship": {"subject": "数学"},
    "research": {"project_title": "作业分层设计", "level": "school"},
    "school_visit": {"destination": "实验小学"},
}
TEXT = "这次活动让我收获很多，尤其是同伴对导入环节的建议，下次备课时我会先试一试。"
YEARS = ("2025-2026", "2026-2027")
#: local starts (Asia/Shanghai): both semesters of 2025-2026 (January is semester 1), and the
#: first semester of 2026-2027 — all before the day these tests were written, so always past
PAST_STARTS = (
    datetime(2025, 10, 15, 14, 0),
    datetime(2026, 1, 8, 9, 30),
    datetime(2026, 3, 20, 14, 0),
    datetime(2026, 6, 10, 8, 0),
    datetime(2026, 9, 25, 14, 0),
)


def D(value: str) -> Decimal:
    return Decimal(value)


def prepare_hold(act: Activity, organizer: User, people: list[tuple[User, str]]) -> None:
    """What each built-in type's ``hold`` guards ask for."""
    if act.type_key == "observation":
        ev = activities.add_evidence(act, organizer, organizer.id, "handbook", "观摩手册", filename="观摩手册.pdf",
                                     data=b"%PDF-1.4 handbook")
        with write_transaction():
            ev.uploaded_at = act.starts_at - timedelta(days=5)
    if act.type_key == "mentorship" and act.starts_at <= utcnow():  # a meeting log is of a meeting held (after_start)
        mentee = next(u for u, r in people if r == "mentee")
        for i in range(4):
            activities.add_evidence(act, organizer, mentee.id, "meeting_log", f"研讨{i}", text=f"{TEXT}（第{i + 1}次）")


def prepare_approve(act: Activity, organizer: User, people: list[tuple[User, str]]) -> None:
    """What each built-in type's ``approve`` guards ask for (required evidence and more)."""
    from portal.registry import registry
    from portal.services import schools

    reg = registry().get(act.type_key)
    settings = schools.type_settings(act.school_id, act.type_key)
    for u, role in people:
        # one who has left the school adds nothing there any more: the organiser adds theirs
        by = u if access.school_roles(u.id, act.school_id) else organizer
        for kind, count in reg.type.required_evidence_for(role, settings).items():
            for i in range(count):
                activities.add_evidence(act, by, u.id, kind, f"{kind}{i}", text=TEXT if i == 0 else f"{TEXT}（第{i + 1}份）")
    if act.type_key == "school_visit":
        activities.add_evidence(act, organizer, people[0][0].id, "report_lesson", "汇报课", text=TEXT)


def credited(
    school: School,
    staff: dict[str, User],
    type_key: str,
    people: list[tuple[User, str]],
    hours: str = "3",
    attended: dict[int, str] | None = None,
    absent: dict[int, str] | None = None,
    excused: dict[int, str] | None = None,
    start: datetime | None = None,
    adjust: dict[int, str] | None = None,
    adjust_reason: str = "",
    title: str = "测试活动",
    until: str = "credited",
) -> Activity:
    """Plan, hold, approve (with optional adjustments) and credit an activity."""
    org, rev = staff["organizer"], staff["reviewer"]
    act = f.plan(school, org, type_key, people, DETAILS[type_key], hours=hours, start=start, title=title)
    prepare_hold(act, org, people)
    f.attend(act, org, attended, absent, excused)
    f.fire(act, org, "hold")
    if until == "held":
        return act
    prepare_approve(act, org, people)
    f.fire(act, rev, "approve", adjust_reason or "材料齐全", hours=adjust)
    if until == "reviewed":
        return act
    return f.fire(act, rev, "credit")


def ledger_total(user_id: int, school_id: int | None = None, year: str | None = None) -> Decimal:
    q = select(func.coalesce(func.sum(CreditEntry.hours), 0)).where(CreditEntry.user_id == user_id)
    if school_id is not None:
        q = q.where(CreditEntry.school_id == school_id)
    if year is not None:
        q = q.where(CreditEntry.school_year == year)
    return Decimal(str(db.session.scalar(q))).quantize(Decimal("0.1"))


def login(client: FlaskClient, user: User, school: School | None = None) -> FlaskClient:
    """Log ``user`` in through Flask-Login's session keys (the login page is another area),
    instead of whoever the client was logged in as."""
    client.delete_cookie("remember_token")
    with client.session_transaction() as sess:
        sess.clear()
    return log_in(client, user, school.id if school is not None else None)


#: the seeds' age at which a teacher's year is no longer assessed, by 31 December of its first
#: calendar year (women 50, men 55), written out here rather than asked of the core
RETIREMENT = {"F": 50, "M": 55}


def unexcused_absences(school_id: int, year: str, user_id: int | None = None) -> dict[int, dict[int, Decimal]]:
    """Every teacher's unexcused absence per semester (user id → semester → hours): their
    attendance in the school's activities of the year whose state a reviewer confirmed (the
    phase, asked of the type's workflow), but those held while they were away from the staff
    (``stints``: not theirs to attend). One read for everyone (:func:`seeds_status` asks it
    of each teacher of an audit); ``user_id``: only theirs."""
    from portal.registry import registry

    q = select(Participation.user_id, Participation.absent_hours, Activity.id, Activity.type_key, Activity.state,
               Activity.starts_at, Activity.semester).join(Activity, Activity.id == Participation.activity_id).where(
        Activity.school_id == school_id, Activity.school_year == year)
    if user_id is not None:
        q = q.where(Participation.user_id == user_id)
    rows = db.session.execute(q).all()
    confirmed = [r for r in rows if registry().phase(r.type_key, r.state).counts_for_absence]
    # who was away when each activity began: one question per activity, for all its people
    people: dict[int, set[int]] = {}
    for r in confirmed:
        people.setdefault(r.id, set()).add(r.user_id)
    starts = {r.id: r.starts_at for r in confirmed}
    away = {act: stints.away_at(school_id, uids, starts[act]) for act, uids in people.items()}
    absent: dict[int, dict[int, Decimal]] = {}
    for r in confirmed:
        if r.user_id not in away[r.id]:
            mine = absent.setdefault(r.user_id, {})
            mine[r.semester] = mine.get(r.semester, Decimal("0")) + (r.absent_hours or Decimal("0"))
    return absent


def unexcused_absence(school_id: int, user_id: int, year: str) -> dict[int, Decimal]:
    """A teacher's unexcused absence per semester (:func:`unexcused_absences`)."""
    return unexcused_absences(school_id, year, user_id).get(user_id, {})


def counted_people(school_id: int, year: str) -> set[int]:
    """Who has something of theirs in the school's year that its figures count, read here: ledger
    lines, an exemption, writing (their own, or handed in to an activity: reading notes, papers,
    reflections, of an activity not cancelled and not held while they were away), absence with
    or without leave from an activity whose state a reviewer confirmed. A teacher who left is
    on the year's summary if, and only if, they are one."""
    from portal.registry import registry

    people = set(db.session.execute(union_all(*(  # one read of the three tables
        select(t.user_id).where(t.school_id == school_id, t.school_year == year)
        for t in (CreditEntry, Exemption, OwnWriting)))).scalars())
    for uid, type_key, state, starts_at in db.session.execute(
            select(Evidence.user_id, Activity.type_key, Activity.state, Activity.starts_at)
            .join(Activity, Activity.id == Evidence.activity_id).where(
                Activity.school_id == school_id, Activity.school_year == year,
                Evidence.kind.in_(("reading_notes", "paper", "reflection")))):
        # not writing on what never took place (cancelled), nor on what was held while they were away
        if registry().phase(type_key, state).counts_writing and not stints.away_at(school_id, [uid], starts_at):
            people.add(uid)
    for uid, absent, excused, type_key, state in db.session.execute(
        select(Participation.user_id, Participation.absent_hours, Participation.excused_hours, Activity.type_key,
               Activity.state).join(Activity, Activity.id == Participation.activity_id).where(
            Activity.school_id == school_id, Activity.school_year == year)
    ):
        if registry().phase(type_key, state).counts_for_absence and (absent or excused):
            people.add(uid)
    return people


class _Writes:
    """How many statements that may write (anything but a SELECT or a BEGIN) each engine of
    this process has run: a reference read when its engine's count was the same, and the
    session holds no unflushed change, read the same rows it would read again."""

    counted: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()

    @classmethod
    def now(cls) -> tuple[Engine, int] | None:
        """The current engine and its count (it is counted from here on); None while the
        session holds a change not yet flushed (a read would flush it: a write)."""
        session = db.session()
        if session.new or session.dirty or session.deleted:
            return None
        engine = db.engine
        if engine not in cls.counted:
            cls.counted[engine] = 0
            event.listen(engine, "before_cursor_execute", cls._count)
        return engine, cls.counted[engine]

    @classmethod
    def _count(cls, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:6].upper() not in ("SELECT", "BEGIN"):
            cls.counted[conn.engine] += 1


#: the last reference read of :func:`seeds_status`: (engine, its write count, school, year) →
#: (the exempt teachers, every teacher's unexcused absence per semester)
_REFERENCE: dict[str, Any] = {}


def _seeds_reference(school_id: int, year: str) -> tuple[set[int], dict[int, dict[int, Decimal]]]:
    """Who is exempt in the school's year and everyone's unexcused absence, read once for all
    the teachers of an audit and read again as soon as anything may have been written."""
    now = _Writes.now()
    key = (weakref.ref(now[0]), now[1], school_id, year) if now is not None else None
    if key is not None and _REFERENCE.get("key") == key:
        return _REFERENCE["value"]
    exempt = set(db.session.execute(select(Exemption.user_id).where(
        Exemption.school_id == school_id, Exemption.school_year == year)).scalars())
    value = (exempt, unexcused_absences(school_id, year))
    after = _Writes.now()  # what was read is kept only if nothing was written meanwhile
    if key is not None and after is not None and after[1] == key[1]:
        _REFERENCE.update(key=key, value=value)
    return value


def seeds_status(school_id: int, user: User, year: str, total: Decimal, rules: Mapping[str, Any],
                 quotas_unmet: bool = False) -> str:
    """The seeds' rule (seed 004), applied to what an auditor read himself: ``total`` (the
    ledger's sum), the exemptions and attendance read here, the teacher's age, the ``rules``
    (``required_hours``, ``absence_limit_hours``) and, when the school's unmet writing quotas
    decide, whether one is unmet."""
    exempt, absences = _seeds_reference(school_id, year)
    if user.id in exempt:
        return "exempt"
    if user.gender in RETIREMENT and user.birth_date is not None \
            and int(year[:4]) - user.birth_date.year >= RETIREMENT[user.gender]:
        return "exempt"
    # "擅自不参加…累计缺席5个学时以上": someone who was absent, that much or more (以上 includes
    # the number); a limit of 0 makes any unexcused absence too much, never none at all
    limit = Decimal(str(rules["absence_limit_hours"]))
    if any(hours > 0 and hours >= limit for hours in absences.get(user.id, {}).values()):
        return "not_recognised"
    return "short" if total < Decimal(str(rules["required_hours"])) or quotas_unmet else "met"


def build_small_school() -> dict[str, Any]:
    """S1 with the five built-in types: an organiser, a reviewer and a school admin who also
    teach (so they can take part, and the separation of duties is exercised), four teachers."""
    s1 = f.school("S1", types=BUILTIN)
    people = f.staff(s1)
    f.person(s1, people["admin"].username, "teacher")
    return {"s1": s1.id, "staff": f.ids(people)}


def rows_are_a_rebuild(school: School, years: tuple[str, ...]) -> None:
    """The stored teacher-year rows of ``school`` (and its type totals) equal what the builder
    computes from scratch, in memory: the state machines' first invariant."""
    db.session.expire_all()
    for year in years:
        t = TeacherYearRow
        stored = {r.user_id: r for r in db.session.execute(select(  # the columns compared, no ORM objects
            t.user_id, t.total_hours, t.by_type, t.absent_hours, t.excused_hours, t.exemption_reason, t.status,
            t.reason).where(t.school_id == school.id, t.school_year == year))}
        built = {row["user_id"]: row for row in teacher_years.built_rows([school], year)}  # in memory only
        if not stored:
            continue  # no row yet for the year: readers compute it (one row per teacher or none)
        assert set(stored) == set(built), (year, sorted(stored), sorted(built))
        for uid, row in built.items():
            got = stored[uid]
            mine = (got.total_hours, got.by_type, got.absent_hours, got.excused_hours, got.exemption_reason,
                    got.status, got.reason)
            theirs = (row["total_hours"], row["by_type"], row["absent_hours"], row["excused_hours"],
                      row["exemption_reason"], row["status"], row["reason"])
            assert mine == theirs, (year, uid, mine, theirs)
        sums: Counter[str] = Counter()
        for got in stored.values():
            if got.status == "not_recognised":  # a year not recognised adds nothing to the totals
                continue
            for key, hours in got.by_type.items():
                sums[key] += D(hours)
        kept = {key: hours for sid, _y, key, hours in teacher_years.stored_type_hours(year) if sid == school.id}
        assert kept == {k: v for k, v in sums.items() if v}, (year, kept, sums)


def staff_and(staff: dict[str, User], facts: Mapping[str, Any], *who: str) -> dict[str, User]:
    """S1's staff and the people a test's prepared data added (their ids under ``who`` in ``facts``)."""
    return {**staff, **{key: db.session.get_one(User, facts[key]) for key in who}}


def assert_school_rule_refused(school_id: int, key: str, bad: Any) -> None:
    """``schools.update_rules`` refuses ``bad`` for ``key`` beside a good change of another rule,
    naming the field, and nothing changes: the rule is still off, the other rule as it was, no
    change logged."""
    from portal.errors import Invalid
    from portal.models import School, SchoolChange
    from portal.policy import SYSTEM
    from portal.services import schools

    last = select(SchoolChange.id).order_by(SchoolChange.id.desc()).limit(1)
    before = db.session.scalar(last)
    try:
        schools.update_rules(db.session.get_one(School, school_id), {key: bad, "reading_notes_chars": 5000}, by=SYSTEM)
    except Invalid as err:
        assert key in err.fields
    else:
        raise AssertionError(f"{key}={bad!r} was taken")
    db.session.rollback()
    school = db.session.get_one(School, school_id)
    assert school.rule(key) == 0 and school.rule("reading_notes_chars") == 10000
    assert db.session.scalar(last) == before


def hold_year(school: School, organizer: User, year: str) -> Activity:
    """An activity planned in ``year`` with nobody on it (written as a row: the year may be long
    over): the school holds something of the year, so the year is on its records
    (``credits.years_on_record``) and its summary assesses its teachers, though nothing counts."""
    start = datetime(int(year[:4]), 11, 1, 2, 0)
    act = Activity(school_id=school.id, type_key="lecture", title="往年计划", organizer_id=organizer.id,
                   starts_at=start, ends_at=start + timedelta(hours=2), hours=Decimal("2"), school_year=year,
                   semester=1, state=PLANNED)
    db.session.add(act)
    db.session.flush()
    return act

