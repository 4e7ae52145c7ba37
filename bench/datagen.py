"""District-scale data generator: schools full of invented teachers, a few school years of
activities of every type in every state, attendance, evidence, transition logs and ledger rows.

Fast because rows are never written one at a time: ids are handed out up front (a block of
the table's sequence on PostgreSQL), the rows of a batch of schools are buffered per table and
written in one go — ``COPY … FROM STDIN`` on PostgreSQL (psycopg's ``cursor.copy``), one
multi-row ``executemany`` elsewhere — and the teacher-year rows of the batch are built by the
one builder (``credits.year_rows``) in one call. 1,000 schools × 100 teachers take minutes
(``BENCHMARKS.md``). Consistent because every figure comes from the same rules the services
apply:

* school year and semester are taken from the activity's local start date (``timeutil``);
* hours credited come from each type's own credit rule, asked through the registry, with
  the school's settings for the type;
* ledger rows exist only for activities that were credited (and reversals only for revoked
  ones, in the round they revoke); every state change has its transition-log row;
* the reviewer who approves and credits neither organised nor took part in the activity;
* no teacher takes part in, or runs, two activities at once (``portal.services.overlaps``:
  each starting before the other ends), whatever their states: a start when no organizer or
  too few teachers are free is drawn again;
* activities are held on working days: not on a weekend nor on a public holiday of a fixed
  date (:data:`FIXED_HOLIDAYS`).

Activities of the current school year that start in the future are ``planned`` (or
``cancelled``); older ones have moved along the workflow as far as their age allows.
Names of people and schools are invented from syllable lists. The generator assumes it is
the only writer while it runs (use it on a fresh or benchmark database).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Connection, Table, func, insert, select, text
from wtforms import SelectField

from portal.activity_types import ActivityType, SampleProfile
from portal.database import write_transaction
from portal.demo import STAFF_SINCE
from portal.extensions import db
from portal.facade import Portal
from portal.hours import floor_half, shortest_length
from portal.models import (
    Activity,
    CreditEntry,
    Evidence,
    Membership,
    Participation,
    School,
    SchoolActivityType,
    SchoolYearTypeHours,
    TeacherYearRow,
    TransitionLog,
    User,
)
from portal.models.school import default_district_id
from portal.models.user import username_key
from portal.registry import RegisteredType, registry
from portal.services import planner_stats, teacher_years
from portal.services.details import json_to_formdata, validate_details
from portal.services.users import hash_password
from portal.sorting import name_key
from portal.timeutil import (
    first_calendar_year,
    parse_iso,
    school_year_of,
    semester_of,
    to_local,
    utcnow,
    year_bounds,
)
from workflows import ActivitySnapshot, ParticipantSnapshot
from workflows.definition import OWNER, Phase, Transition, WorkflowDefinition

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
)
GIVEN = "子晓雨思嘉明文欣宇浩佳静婷俊杰怡涵轩泽瑞雅梦晨博志海安春秋云丽华芳敏军平伟刚毅宁悦琳颖彤诗慧清远航皓然若楠一心诚立新"
PLACES = ["城东", "城西", "育才", "启明", "新华", "光明", "红星", "阳光", "文昌", "德馨", "滨江", "青山", "桃李", "朝阳", "求真"]
LEVELS = ["小学", "实验小学", "中学", "初级中学", "九年一贯制学校"]
TOPICS = [
    "单元整体教学",
    "大概念教学设计",
    "作业分层设计",
    "课堂提问的艺术",
    "整本书阅读",
    "跨学科主题学习",
    "信息技术与课堂融合",
    "学生评价改革",
    "分层教学实践",
    "劳动教育课程",
    "双减背景下的课后服务",
    "情境教学",
    "小组合作学习",
    "核心素养导向的教学",
    "课堂观察与诊断",
]
SUBJECTS = ["语文", "数学", "英语", "科学", "道德与法治", "音乐", "美术", "体育", "信息科技"]
EVIDENCE_TEXT = "本次活动围绕课堂教学中的真实问题展开研讨，我对照自己的教学实践进行了反思，并形成了改进计划。"


DETAIL_VARIANTS = 24  # checked sets of details kept per type
DEFAULT_PROFILE = SampleProfile(10, (0.05, 0.1), (2, 4))

#: The fate of a past activity (once old enough): weights. ``revoked`` ends ``reviewed`` with
#: a credit and its reversal; ``recredited`` was revoked and credited again (round 2).
PAST_FATES: tuple[tuple[str, int], ...] = (
    ("credited", 78),
    ("reviewed", 6),
    ("held", 5),
    ("cancelled", 4),
    ("revoked", 4),
    ("recredited", 3),
)
COVERAGE_FATES = ("cancelled", "held", "reviewed", "credited", "revoked", "recredited")
#: The phase each fate ends in (``revoked`` and ``recredited`` go through credited first).
FATE_PHASES: dict[str, Phase | None] = {
    "planned": None,
    "cancelled": Phase.CLOSED,
    "held": Phase.AWAITING_REVIEW,
    "reviewed": Phase.CONFIRMED,
    "credited": Phase.CREDITED,
    "revoked": Phase.CREDITED,
    "recredited": Phase.CREDITED,
}


def fate_steps(definition: WorkflowDefinition, fate: str) -> tuple[Transition, ...]:
    """The transitions an activity of this workflow takes to meet ``fate``, asked of the
    definition (a type's own states and triggers included): the shortest way forward to a state
    of the fate's phase; then, for ``revoked``, the trigger that reverses credits, and for
    ``recredited`` the one that posts them again."""
    goal = FATE_PHASES[fate]
    if goal is None:
        return ()
    steps = definition.way_to(goal)
    if fate in ("revoked", "recredited"):
        revoke = next(t for t in definition.transitions if t.reverses_credits and steps[-1].dest in t.sources)
        steps += (revoke,)
    if fate == "recredited":
        steps += (next(t for t in definition.transitions if t.posts_credits and steps[-1].dest in t.sources),)
    return steps


TABLES: tuple[type, ...] = (
    School,
    SchoolActivityType,
    User,
    Membership,
    Activity,
    Participation,
    Evidence,
    TransitionLog,
    CreditEntry,
)


@dataclass
class GenReport:
    """What the generator wrote: rows per table, seconds taken, and the logins it made."""

    rows: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    school_codes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = ", ".join(f"{name} {count:,}" for name, count in self.rows.items())
        return f"{parts} in {self.seconds:.1f} s"


#: Starts drawn for an activity at most, until one is on a working day with an organizer and
#: enough of the pool free (no one is in two activities at once); else the best draw is kept:
#: on a working day first, then with an organizer free, then with the most teachers free.
START_DRAWS = 12

#: China's public holidays of a fixed date, as (month, first day, last day): New Year's Day,
#: Qingming, Labour Day and National Day with their usual days off. The lunar ones (Spring
#: Festival, Dragon Boat, Mid-Autumn) move every year; the generator does not know them.
FIXED_HOLIDAYS: tuple[tuple[int, int, int], ...] = ((1, 1, 1), (4, 4, 6), (5, 1, 5), (10, 1, 7))


def working_day(day: date) -> bool:
    """Whether a school holds training on ``day`` (a local date): a weekday, not a holiday."""
    if day.weekday() >= 5:
        return False
    return not any(day.month == month and first <= day.day <= last for month, first, last in FIXED_HOLIDAYS)


class _Calendar:
    """Who of a school is in an activity when: the generated activities' organizers and
    participants, filed under each UTC day an activity touches. Two activities are at once when each starts before
    the other ends — the overlap the portal reads a person's other activities by
    (``portal.services.overlaps``: ``starts_at < until and ends_at > since``); one ending as the
    next starts is not."""

    def __init__(self) -> None:
        self.days: dict[date, list[tuple[datetime, datetime, list[int]]]] = {}

    @staticmethod
    def _days(start: datetime, end: datetime) -> list[date]:
        return [start.date() + timedelta(days=n) for n in range((end.date() - start.date()).days + 1)]

    def busy(self, start: datetime, end: datetime) -> set[int]:
        """Everyone in an activity at once with ``start``–``end``."""
        found: set[int] = set()
        for day in self._days(start, end):
            for since, until, people in self.days.get(day, ()):
                if since < end and until > start:
                    found.update(people)
        return found

    def take(self, start: datetime, end: datetime, people: list[int]) -> None:
        for day in self._days(start, end):
            self.days.setdefault(day, []).append((start, end, people))


@dataclass
class _Staff:
    teachers: list[int]  # every teacher (including the staff below, who teach too)
    admin: int
    reviewers: list[int]
    organizers: list[int]


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def _period(when: datetime) -> tuple[str, int]:
    """The school year and semester of a UTC instant, in the generated schools' time."""
    day = to_local(when, "Asia/Shanghai").date()
    return school_year_of(day), semester_of(day)


def _half(rng: random.Random, low: float, high: float) -> Decimal:
    return floor_half(Decimal(str(rng.uniform(low, high))))


def _details(t: ActivityType, rng: random.Random) -> dict[str, Any]:
    """Plausible values for the type's own form, checked by that same form."""
    raw: dict[str, Any] = {}
    for f in t.form():
        if isinstance(f, SelectField) and f.choices:
            choice = rng.choice(list(f.choices))
            raw[f.name] = str(choice[0] if isinstance(choice, (tuple, list)) else getattr(choice, "value", choice))
        elif "subject" in f.name:
            raw[f.name] = rng.choice(SUBJECTS)
        else:
            raw[f.name] = rng.choice(TOPICS)
    clean, errors = validate_details(t.form, json_to_formdata(raw))
    if errors:  # a plugin form that wants more than text: leave its details empty
        return {}
    return clean


class RowSink:
    """Buffers generated rows per table and writes them in one go per batch of schools.

    Ids are handed out before the rows are written, so a batch needs no ``RETURNING``: on
    PostgreSQL a block of the table's own sequence (one statement), elsewhere the next free
    numbers (the generator is the only writer). :meth:`flush` writes the tables in the order
    of :data:`TABLES` (foreign keys first): ``COPY`` on PostgreSQL, a multi-row ``INSERT``
    otherwise.
    """

    def __init__(self, postgres: bool):
        self.postgres = postgres
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self._next: dict[str, int] = {}

    def ids(self, conn: Connection, table: Table, n: int) -> list[int]:
        if n <= 0:
            return []
        if self.postgres:
            q = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
            return list(conn.execute(q, {"t": table.name, "n": n}).scalars())
        if table.name not in self._next:
            self._next[table.name] = (conn.scalar(select(func.max(table.c.id))) or 0) + 1
        first = self._next[table.name]
        self._next[table.name] = first + n
        return list(range(first, first + n))

    def add(self, table: Table, rows: list[dict[str, Any]]) -> None:
        self.buffers.setdefault(table.name, []).extend(rows)

    def add_with_ids(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
        ids = self.ids(conn, table, len(rows))
        for row, id_ in zip(rows, ids, strict=True):
            row["id"] = id_
        self.add(table, rows)
        return ids

    def flush(self, conn: Connection) -> Counter:
        """Write every buffered row; returns rows written per table."""
        written: Counter = Counter()
        for model in (*TABLES, TeacherYearRow, SchoolYearTypeHours):
            table = model.__table__
            rows = self.buffers.pop(table.name, [])
            if not rows:
                continue
            if self.postgres:
                _copy(conn, table, rows)
            else:
                conn.execute(insert(table), rows)
            written[table.name] += len(rows)
        assert not self.buffers, f"tables outside TABLES: {sorted(self.buffers)}"
        return written


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``COPY table (columns) FROM STDIN`` through psycopg; JSON columns sent as JSON text."""
    from psycopg.types.json import Json

    columns = list(rows[0])
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([Json(row[c]) if c in as_json else row[c] for c in columns])


class DistrictGenerator:
    """Fills the database; one write transaction per school."""

    def __init__(
        self,
        teachers: int = 100,
        years: int = 1,
        seed: int = 0,
        password: str = "yanxiu-demo",
        prefix: str = "G",
        today: datetime | None = None,
        batch: int = 20,
        progress: Callable[[int, float], None] | None = None,
    ):
        if teachers < 4:
            raise ValueError("a generated school needs at least 4 teachers (admin, reviewers, organizer)")
        if years < 1:
            raise ValueError("years must be at least 1")
        self.teachers = teachers
        self.years = years
        self._data_years: set[str] | None = None
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.now = today or utcnow()
        self.password_hash = hash_password(password)  # hashed once: scrypt per user would take hours
        self.types: list[RegisteredType] = list(registry().types.values())
        # each type's volumes, asked as a third party asks them: through the facade, inside its
        # plugin's boundary (one that raises or answers wrong is reported and gets the default)
        facade = Portal(current_app._get_current_object(), "datagen")
        self.profiles = {key: facade.sample_profile(key) or DEFAULT_PROFILE for key in registry().types}
        self.report = GenReport()
        self.batch = max(1, batch)  # schools per transaction (and per COPY of each table)
        self.progress = progress  # called with (schools done, seconds) after each batch
        self.sink = RowSink(postgres=False)
        self._detail_pool: dict[str, list[dict[str, Any]]] = {}

    # -- people ---------------------------------------------------------------------------
    def _school(self, conn: Connection, code: str) -> int:
        name = f"{self.rng.choice(PLACES)}{self.rng.choice(LEVELS)}"
        [school_id] = self.sink.add_with_ids(
            conn,
            School.__table__,
            [{"code": code, "name": name, "name_key": name_key(name), "timezone": "Asia/Shanghai", "rules": {},
              "created_at": self.now,
              "district_id": default_district_id(conn), "district_rules": {}}],
        )
        self.sink.add(
            SchoolActivityType.__table__,
            [{"school_id": school_id, "type_key": r.type.key, "enabled": True, "settings": {}} for r in self.types],
        )
        return school_id

    def _staff(self, conn: Connection, school_id: int, code: str) -> _Staff:
        rng = self.rng
        users = []
        for i in range(self.teachers):
            born = date(rng.randint(1966, 2000), rng.randint(1, 12), rng.randint(1, 28))
            username = f"{code.lower()}-t{i + 1:03d}"
            users.append(
                {
                    "username": username,
                    "username_key": username_key(username),  # what the model sets (rows inserted here bypass it)
                    "display_name": _name(rng),
                    "password_hash": self.password_hash,
                    "gender": rng.choice("FFFM"),  # most primary-school teachers are women
                    "birth_date": born,
                    "active": True,
                    "session_version": 1,
                    "locale": None,
                    # staff of long standing: every generated year is theirs (``credits.year_over_at``)
                    "created_at": STAFF_SINCE,
                }
            )
        ids = self.sink.add_with_ids(conn, User.__table__, users)
        staff = _Staff(teachers=ids, admin=ids[0], reviewers=ids[1:3], organizers=ids[3 : max(4, len(ids) // 15)])
        extra = {staff.admin: "school_admin", **{u: "reviewer" for u in staff.reviewers}}
        extra.update({u: "organizer" for u in staff.organizers})
        memberships = [{"user_id": u, "school_id": school_id, "role": "teacher", "active": True, "since": STAFF_SINCE}
                       for u in ids]
        memberships += [{"user_id": u, "school_id": school_id, "role": r, "active": True, "since": STAFF_SINCE}
                        for u, r in extra.items()]
        self.sink.add(Membership.__table__, memberships)
        return staff

    # -- activities -----------------------------------------------------------------------
    def _fate(self, start: datetime) -> str:
        age = self.now - start
        if age < timedelta(0):
            return "cancelled" if self.rng.random() < 0.05 else "planned"
        if age < timedelta(days=7):
            return "held" if self.rng.random() < 0.8 else "planned"
        if age < timedelta(days=21):
            return self.rng.choice(("held", "reviewed", "reviewed", "credited"))
        names, weights = zip(*PAST_FATES, strict=True)
        return self.rng.choices(names, weights)[0]

    def _start(self, first_year: int, year_index: int) -> datetime:
        """A local working day's morning or afternoon in term time (September to June) → naive UTC."""
        year = first_year + year_index
        day = year_bounds(f"{year}-{year + 1}")[0] + timedelta(days=self.rng.randint(0, 300))
        while not working_day(day):
            day += timedelta(days=1)
        local = datetime(day.year, day.month, day.day, self.rng.choice((9, 14, 15)), 0)
        return parse_iso(local, "Asia/Shanghai")

    def _start_for(self, first_year: int, year_index: int, fate: str | None, length: timedelta) -> datetime:
        """A start for an activity of ``length`` in the ``year_index``-th generated year: a planned
        one in the next month, one forced into a state that needs it held before a month ago
        (:meth:`_past_in_year`), any other at any time of its year; a day earlier if it would
        end in another semester than it starts in, as planning asks."""
        start = self._start(first_year, year_index)
        if fate == "planned":
            start = self.now + timedelta(days=self.rng.randint(3, 30), hours=self.rng.randint(0, 5))
        elif fate is not None:
            start = self._past_in_year(start, first_year + year_index)
        if _period(start) != _period(start + length):
            start -= timedelta(days=1)
        return start

    def _past_in_year(self, start: datetime, year: int) -> datetime:
        """``start`` (a day of the school year ``year``–``year + 1``) moved back, where it must be,
        to a day of its year from a month ago back (or from halfway through a year younger than a
        month): an activity forced into a state that needs it held stays in its own year. (It was
        "30 to 300 days ago", which from late June put every forced activity of the last year into
        the current one, and in September into the last.)"""
        began = parse_iso(datetime.combine(year_bounds(f"{year}-{year + 1}")[0], datetime.min.time()), "Asia/Shanghai")
        latest = self.now - timedelta(days=30)
        if latest <= began:
            latest = began + (self.now - began) / 2
        if start <= latest:
            return start
        # whole days back (the same hour of the day), to any day from the year's first to that
        # one: all moved to the latest instant, they were all at once (and the teachers with them)
        moved = start - timedelta(days=-(-(start - latest) // timedelta(days=1)))
        if moved < began:  # the hour of the day is past ``latest``'s on a young year's first day
            return latest
        return moved - timedelta(days=self.rng.randint(0, (moved - began).days))

    def _details(self, t: ActivityType) -> dict[str, Any]:
        """One of a few checked sets of details per type: checking each activity's with the
        type's form again took a quarter of the generator's time."""
        pool = self._detail_pool.get(t.key)
        if pool is None:
            pool = self._detail_pool[t.key] = [_details(t, self.rng) for _ in range(DETAIL_VARIANTS)]
        return dict(self.rng.choice(pool))

    def _school_year_plan(self, n_years: int) -> int:
        """The first calendar year of the oldest generated school year."""
        current = school_year_of(to_local(self.now, "Asia/Shanghai").date())
        return first_calendar_year(current) - (n_years - 1)

    def _fill_school(self, conn: Connection, school_id: int, staff: _Staff) -> None:
        rng = self.rng
        first_year = self._school_year_plan(self.years)
        reviewers = set(staff.reviewers)
        calendar = _Calendar()
        planned: list[tuple[dict[str, Any], list[tuple[int, str]], str, RegisteredType, int]] = []
        for y in range(self.years):
            for reg in self.types:
                profile = self.profiles[reg.decl.key]
                count = max(1, round(profile.per_100_teachers * self.teachers / 100))
                forced: list[str] = []
                if y == 0:  # every type in every state, whatever the size and the date
                    forced += list(COVERAGE_FATES)
                if y == self.years - 1:
                    forced.append("planned")
                for i in range(max(count, len(forced))):
                    fate_wanted = forced[i] if i < len(forced) else None
                    hours = _half(rng, *profile.hours) or Decimal("0.5")
                    # a working day at most, as long as its hours need (portal.hours: a 45-minute
                    # lesson each), and ended in the semester it starts in, as planning asks
                    length = max(timedelta(hours=min(float(hours), 8)), shortest_length(hours))
                    reviewer = rng.choice(staff.reviewers)
                    # everyone but the organizer and the reviewer (two of the teachers, never one)
                    pool_size = len(staff.teachers) - 2
                    share = rng.uniform(*profile.group)
                    size = min(pool_size, max(profile.min_group, min(profile.max_group, round(share * pool_size))))
                    main_role, *other_roles = list(reg.type.roles)
                    wanted = min(pool_size, size + len(other_roles))
                    least = min(wanted, profile.min_group + len(other_roles))
                    # no one runs or takes part in two activities at once, and none is held on a
                    # day off: a time that fails is given up for another (the best draw is kept)
                    best: tuple[tuple[bool, bool, int], datetime, int, list[int]] | None = None
                    for _draw in range(START_DRAWS):
                        candidate = self._start_for(first_year, y, fate_wanted, length)
                        busy = calendar.busy(candidate, candidate + length)
                        hosts = [o for o in staff.organizers if o not in busy]
                        host = rng.choice(hosts or staff.organizers)
                        there = [u for u in staff.teachers if u not in busy and u not in (host, reviewer)]
                        on_a_working_day = working_day(to_local(candidate, "Asia/Shanghai").date())
                        score = (on_a_working_day, bool(hosts), len(there))
                        if best is None or score > best[0]:
                            best = (score, candidate, host, there)
                        if on_a_working_day and hosts and len(there) >= least:
                            break
                    assert best is not None
                    _score, start, organizer, free = best
                    people = rng.sample(free, min(len(free), wanted))
                    roles = [(u, r) for u, r in zip(people, other_roles, strict=False)]  # a small pool: fewer
                    roles += [(u, main_role) for u in people[len(other_roles) :]]
                    calendar.take(start, start + length, [organizer, *people])
                    local_day = to_local(start, "Asia/Shanghai").date()
                    fate = fate_wanted or self._fate(start)
                    steps = fate_steps(reg.engine.definition, fate)
                    row = {
                        "school_id": school_id,
                        "type_key": reg.type.key,
                        "title": f"{reg.type.name_zh}：{rng.choice(TOPICS)}",
                        "organizer_id": organizer,
                        "starts_at": start,
                        "ends_at": start + length,
                        "hours": hours,
                        "school_year": school_year_of(local_day),
                        "semester": semester_of(local_day),
                        "state": steps[-1].dest if steps else reg.engine.definition.initial,
                        "version": 1 + len(steps),
                        "credit_round": sum(1 for t in steps if t.posts_credits),
                        "details": self._details(reg.type),
                        "location": rng.choice(("学校报告厅", "录播教室", "会议室", "多功能厅")),
                        # nothing dated after the generator's "now" (an activity starting in a
                        # fortnight was entered today at the latest)
                        "created_at": min(start - timedelta(days=14), self.now - timedelta(hours=1)),
                        "updated_at": min(start, self.now),
                    }
                    assert reviewer in reviewers
                    planned.append((row, roles, steps, reg, reviewer))
        ids = self.sink.add_with_ids(conn, Activity.__table__, [p[0] for p in planned])
        settings = {r.type.key: r.type.settings_with_defaults({}) for r in self.types}
        parts: list[dict[str, Any]] = []
        evidence: list[dict[str, Any]] = []
        logs: list[dict[str, Any]] = []
        ledger: list[dict[str, Any]] = []
        for act_id, (row, roles, steps, reg, reviewer) in zip(ids, planned, strict=True):
            definition = reg.engine.definition
            attended = any(definition.phase(t.dest) not in (Phase.OPEN, Phase.CLOSED) for t in steps)
            snapshot = ActivitySnapshot(
                id=act_id,
                type_key=row["type_key"],
                state=row["state"],
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
                hours=row["hours"],
                organizer_id=row["organizer_id"],
                details=row["details"],
            )
            credits: list[tuple[int, str, Decimal]] = []
            for user_id, role in roles:
                absent = excused = Decimal("0")
                attended_hours: Decimal | None = None
                if attended:
                    roll = rng.random()
                    if roll < 0.04:
                        absent = min(row["hours"], _half(rng, 1, 3.5))
                    elif roll < 0.10:
                        excused = min(row["hours"], _half(rng, 1, 3.5))
                    attended_hours = row["hours"] - absent - excused
                parts.append(
                    {
                        "activity_id": act_id,
                        "user_id": user_id,
                        "role": role,
                        "attended_hours": attended_hours,
                        "absent_hours": absent,
                        "excused_hours": excused,
                        "adjusted_hours": None,
                        "adjust_reason": None,
                        "adjusted_by": None,
                    }
                )
                if attended and attended_hours:  # handed in once it took place, before review
                    for kind, count in reg.type.required_evidence_for(role, settings[reg.type.key]).items():
                        for i in range(count):
                            evidence.append(self._evidence(act_id, user_id, kind, i, row["ends_at"]))
                if any(t.posts_credits for t in steps):
                    snap = ParticipantSnapshot(user_id, role, attended_hours, absent, excused)
                    hours = reg.type.credit_hours(snap, snapshot, settings[reg.type.key])
                    if hours > 0:
                        credits.append((user_id, role, hours))
            when = row["ends_at"]
            credit_round = 0
            from_state = definition.initial
            for t in steps:
                when = min(self.now, when + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8)))
                actor = row["organizer_id"] if OWNER in t.roles else reviewer
                if definition.phase(t.dest) is Phase.CLOSED:  # cancelled before it took place
                    when = min(self.now, row["created_at"] + timedelta(days=1))
                payload: dict[str, Any] = {}
                if t.posts_credits:
                    credit_round += 1
                    payload["credited"] = {str(u): str(h) for u, _r, h in credits}
                    ledger += [
                        self._entry(row, act_id, u, r, h, "credit", credit_round, "", reviewer, when)
                        for u, r, h in credits
                    ]
                elif t.reverses_credits:
                    payload["reversed"] = {str(u): str(-h) for u, _r, h in credits}
                    ledger += [
                        self._entry(row, act_id, u, r, -h, "reversal", credit_round, "学时核定有误", reviewer, when)
                        for u, r, h in credits
                    ]
                logs.append(
                    {
                        "activity_id": act_id,
                        "school_id": school_id,
                        "trigger": t.trigger,
                        "from_state": from_state,
                        "to_state": t.dest,
                        "actor_id": actor,
                        # a cancel tells its participants why (Transition.needs_comment_with)
                        "comment": "学时核定有误" if t.comment_required else "时间冲突，改期" if t.comment_when_others else "",
                        "payload": payload,
                        "created_at": when,
                    }
                )
                from_state = t.dest
        for table, rows in (
            (Participation.__table__, parts),
            (Evidence.__table__, evidence),
            (TransitionLog.__table__, logs),
            (CreditEntry.__table__, ledger),
        ):
            self.sink.add(table, rows)

    def _evidence(self, act_id: int, user_id: int, kind: str, i: int, after: datetime) -> dict[str, Any]:
        text = EVIDENCE_TEXT * self.rng.randint(2, 6)
        return {
            "activity_id": act_id,
            "user_id": user_id,
            "kind": kind,
            "title": f"{kind} {i + 1}",
            "text": text,
            "char_count": len(text),
            "filename": None,
            "stored_name": None,
            "content_type": None,
            "size": 0,
            "uploaded_by": user_id,
            "uploaded_at": min(self.now, after + timedelta(hours=self.rng.randint(2, 48))),
        }

    @staticmethod
    def _entry(
        row: dict[str, Any], act_id: int, user_id: int, role: str, hours: Decimal, kind: str,
        credit_round: int, reason: str, actor: int, when: datetime,
    ) -> dict[str, Any]:
        return {
            "school_id": row["school_id"],
            "user_id": user_id,
            "activity_id": act_id,
            "type_key": row["type_key"],
            "role": role,
            "school_year": row["school_year"],
            "semester": row["semester"],
            "hours": hours,
            "kind": kind,
            "round": credit_round,
            "reason": reason,
            "created_by": actor,
            "created_at": when,
        }

    def _year_rows(self, conn: Connection, school_ids: list[int]) -> None:
        """The batch's teacher-year rows, built by the one builder for all its schools at once
        (``teacher_years.built_rows``: the rows ``flask credits rebuild-year-rows`` writes), and
        the type totals summed from them (``teacher_years.type_hours_rows``, likewise)."""
        batch = list(db.session.execute(select(School).where(School.id.in_(school_ids)).order_by(School.id)).scalars())
        # the years a rebuild covers (every year in the data, and the current one), not only the
        # batch's own: a school generated with one year still has rows for its exempt teachers in
        # the others, as ``flask credits rebuild-year-rows`` writes them. The whole data's years
        # are read once per run (four scans of the big tables), the batch's own each time.
        if self._data_years is None:
            self._data_years = set(teacher_years.data_years())
        own = db.session.execute(
            select(Activity.school_year).where(Activity.school_id.in_(school_ids)).distinct()
        ).scalars()
        self._data_years.update(own)
        for year in sorted(self._data_years):
            rows = teacher_years.built_rows(batch, year)
            self.sink.add(TeacherYearRow.__table__, rows)
            self.sink.add(SchoolYearTypeHours.__table__, teacher_years.type_hours_rows(rows))

    # -- entry point ----------------------------------------------------------------------
    def run(self, schools: int) -> GenReport:
        started = time.perf_counter()
        taken = set(db.session.execute(select(School.code).where(School.code.like(f"{self.prefix}%"))).scalars())
        self.sink = RowSink(db.session.get_bind().dialect.name == "postgresql")
        number = 0
        done = 0
        while done < schools:
            codes: list[str] = []
            with write_transaction() as s:
                conn = s.connection()
                ids: list[int] = []
                for _ in range(min(self.batch, schools - done)):
                    number += 1
                    while f"{self.prefix}{number:04d}" in taken:
                        number += 1
                    code = f"{self.prefix}{number:04d}"
                    school_id = self._school(conn, code)
                    staff = self._staff(conn, school_id, code)
                    self._fill_school(conn, school_id, staff)
                    ids.append(school_id)
                    codes.append(code)
                self.report.rows.update(self.sink.flush(conn))
                self._year_rows(conn, ids)
                self.report.rows.update(self.sink.flush(conn))
            done += len(codes)
            self.report.school_codes += codes
            if self.progress:
                self.progress(done, time.perf_counter() - started)
        self.report.seconds = time.perf_counter() - started
        return self.report


def generate(
    schools: int = 1,
    teachers: int = 100,
    years: int = 1,
    *,
    seed: int = 0,
    password: str = "yanxiu-demo",
    prefix: str = "G",
    today: datetime | None = None,
    batch: int = 20,
    progress: Callable[[int, float], None] | None = None,
    statistics: bool = True,
) -> GenReport:
    """Add ``schools`` generated schools of ``teachers`` teachers with ``years`` school years
    of history (ending with the current one). Codes are ``G0001``…; logins ``g0001-t001``…
    (``-t001`` is the school admin, ``-t002``/``-t003`` reviewers, then organizers), all with
    ``password``. ``batch`` schools are written per transaction. Then the planner's statistics
    are gathered (:mod:`portal.services.planner_stats`) unless ``statistics`` is False."""
    report = DistrictGenerator(teachers, years, seed, password, prefix, today, batch, progress).run(schools)
    if statistics:
        started = time.perf_counter()
        planner_stats.refresh()  # the planner's figures of the tables just filled
        report.seconds += time.perf_counter() - started
    return report


def table_counts() -> dict[str, int]:
    """Rows per table the generator fills (for reports and tests)."""
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) or 0 for m in TABLES}


__all__: Sequence[str] = ("DistrictGenerator", "GenReport", "fate_steps", "generate", "table_counts")


def main(argv: list[str] | None = None, app: Any = None) -> int:
    """``python bench/datagen.py --schools N [--teachers M] [--years Y] [--seed S]``: generate
    district-scale data into the database of ``DATABASE_URL`` (or the instance's SQLite)."""
    import argparse

    def at_least(low: int):
        def parse(text: str) -> int:
            value = int(text)
            if value < low:
                raise argparse.ArgumentTypeError(f"at least {low}")
            return value

        return parse

    ap = argparse.ArgumentParser(description="Generate invented schools at district scale.")
    ap.add_argument("--schools", type=at_least(1), required=True, help="how many schools")
    ap.add_argument("--teachers", type=at_least(4), default=100, help="teachers per school (default 100)")
    ap.add_argument("--years", type=at_least(1), default=1, help="school years of history (default 1)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (same seed, same data)")
    ap.add_argument("--batch", type=at_least(1), default=20, help="schools per transaction (default 20)")
    ap.add_argument("--progress", action="store_true", help="print a line after each batch")
    args = ap.parse_args(argv)
    if app is None:
        from portal import create_app

        app = create_app()
    with app.app_context():
        def progress(done: int, seconds: float) -> None:
            print(f"{done:,} schools in {seconds:.1f} s", flush=True)

        report = generate(
            args.schools, args.teachers, args.years, seed=args.seed, batch=args.batch,
            progress=progress if args.progress else None,
        )
        first, last = report.school_codes[0], report.school_codes[-1]
    print(f"generated {report.summary()}")
    print(f"schools {first}…{last}; logins {first.lower()}-t001 (school admin), -t002/-t003 (reviewers), "
          f"-t004… (organizers, then teachers); password yanxiu-demo")
    return 0


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
