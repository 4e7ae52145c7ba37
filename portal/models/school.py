from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from portal.extensions import Model
from portal.timeutil import DEFAULT_ZONE, utcnow

# The school's rules (defaults from the seeds; each school may change its own).
DEFAULT_SCHOOL_RULES: dict[str, Any] = {
    "required_hours": 50,
    "absence_limit_hours": 5,
    # warn a teacher when unexcused absence in a semester reaches this (hours)
    "absence_warning_hours": 3,
    # no email or plugin message from this local hour until that one (equal: none)
    "quiet_hours_start": 22,
    "quiet_hours_end": 7,
    # QR check-in opens this many minutes before the start and closes this many after it
    "checkin_opens_minutes": 30,
    "checkin_closes_minutes": 30,
    # the teacher's year (declared in portal/school_rules.py with their ranges and labels)
    "reading_notes_chars": 10000,  # seed 000: 读书笔记10000字 a year
    # seed 004: 每篇不少于300字 — a reading note shorter than this counts neither its characters
    # nor its book; 0 (off) by default: the defaults follow seed 000, which asks no length of a note
    "reading_note_chars": 0,
    # seed 004: 每月必须记2—3篇读书笔记 — the reading notes (that count) asked in each whole month
    # of teaching that is over; 0 (off) by default, as seed 000 asks a year's characters only
    "reading_notes_per_month": 0,
    "paper_chars": 3000,  # seed 000: 一篇3000字的论文或教学心得 a year
    "papers_per_year": 1,
    "reflections_per_semester": 5,
    "books_per_semester": 1,
    "quotas_decide": False,  # an unmet writing quota makes the year "short"
}
#: The writing quotas a district may set a minimum of (reading-note characters, papers or
#: teaching essays, reflections, books, the least length of one reading note): its schools may
#: ask for more, never for less.
DISTRICT_QUOTAS = ("reading_notes_chars", "papers_per_year", "reflections_per_semester", "books_per_semester",
                   "reading_note_chars")
#: The least hours a school year requires (one half-hour step), unless its writing asks the rest
#: (:func:`asks_nothing`); a district's minimum below it (0) holds its schools to nothing less.
LEAST_REQUIRED_HOURS = 0.5
#: The writing quotas that ask a teacher for something when above 0 (the others bound one piece).
ASKING_QUOTAS = ("reading_notes_chars", "reading_notes_per_month", "papers_per_year", "reflections_per_semester",
                 "books_per_semester")


def asks_nothing(rule: Callable[[str], Any]) -> bool:
    """Whether rules (``rule(key)``) would ask nothing of a teacher's year: fewer hours than
    :data:`LEAST_REQUIRED_HOURS` (0), and no writing quota that decides the year and asks for
    something. Seed 004 asks every teacher for school-based training each year (每位教师每学年至少
    参加一个科目(项目)的校本培训, 每月必须记读书笔记): such rules would call every teacher "met"
    for nothing. The one rule of the school's save (``schools.update_rules``: refused) and of
    reading (:meth:`School.rule`: a rule stored so before reads as the least hours)."""
    if float(rule("required_hours")) >= LEAST_REQUIRED_HOURS:
        return False
    return not (rule("quotas_decide") and any(rule(key) for key in ASKING_QUOTAS))


#: Rules a district may set for its schools: a school may be stricter, never more lenient —
#: raise the required hours and the writing quotas (``RAISE_ONLY``), lower the absence limit.
RAISE_ONLY = ("required_hours", *DISTRICT_QUOTAS)


def laxer_than(key: str, value: Any, district: Any) -> bool:
    """Whether a school rule's ``value`` is more lenient than what its district set (``district``,
    None: nothing): fewer hours or a smaller quota (``RAISE_ONLY``), a higher absence limit."""
    if district is None or value is None:
        return False
    return value < district if key in RAISE_ONLY else value > district


def district_rule(district_rules: dict[str, Any] | None, key: str) -> Any:
    """The district's own setting of a school rule (None: the district set none)."""
    if not district_rules or key not in DEFAULT_SCHOOL_RULES:
        return None
    return district_rules.get(key)


def rules_of_district(settings: Any) -> dict[str, Any]:
    """The school rules among a district's settings (what its schools copy)."""
    if isinstance(settings, str):  # a JSON column read through text SQL on SQLite
        settings = json.loads(settings or "{}")
    return {k: v for k, v in (settings or {}).items() if k in DEFAULT_SCHOOL_RULES and v is not None}


class School(Model):
    __tablename__ = "school"
    __table_args__ = (Index("ix_school_district_name_key", "district_id", "name_key", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # the name's pinyin (``portal.sorting.name_key``), kept with the name: lists of schools are
    # ordered by it (then the code), as a Chinese reader files names
    name_key: Mapped[str] = mapped_column(String(120), default="0", server_default="0")
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_ZONE)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The district the school belongs to (a tenant); a school created without one joins the
    # deployment's default district (:func:`default_district_id`). The column is nullable only
    # because SQLite cannot add a NOT NULL foreign key to a table with rows; nothing writes NULL.
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True, nullable=True)
    # A new random stamp, set by database triggers whenever anything the school's pages show
    # changes (migration 3b9d0c4e2f61). Cached pages are keyed on it (``portal.page_cache``).
    # Random, not a counter: after a database is restored or rebuilt, old stamps do not recur.
    data_version: Mapped[int] = mapped_column(
        BigInteger, default=lambda: secrets.randbits(62), server_default=text("0")
    )

    # The district's own settings of school rules, as the school sees them (written by the
    # district's settings service and at the school's creation): they bound the school's rules
    # without a join or a query wherever a rule is read.
    district_rules: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The district's announced deadlines not yet a week past, as the school's people see them
    # (copied by ``services.announcements`` whenever the district announces, changes or
    # withdraws one): the home shows them without a query of its own.
    district_deadlines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    def rule(self, key: str) -> Any:
        """The school's rule: its own value (as :func:`portal.school_rules.read_stored` reads it),
        else the district's, else the seeds' default — never less strict than the district set
        (required hours at least the district's, the absence limit at most the district's)."""
        from portal.school_rules import read_stored  # declared over this module's defaults

        # as declared: an hours rule out of its range or off the half hour is not read as stored
        own = read_stored(key, (self.rules or {}).get(key))
        floor = district_rule(self.district_rules, key)
        value = own if own is not None else floor if floor is not None else DEFAULT_SCHOOL_RULES[key]
        if key == "absence_warning_hours":
            return self._warning_before_limit(value)
        if key == "required_hours" and value < LEAST_REQUIRED_HOURS and asks_nothing(
                lambda k: value if k == key else self.rule(k)):  # stored before the rule was asked
            value = LEAST_REQUIRED_HOURS
        if floor is None:
            return value
        return floor if laxer_than(key, value, floor) else value

    def _warning_before_limit(self, warning: Any) -> Any:
        """The absence warning comes before the absence that voids the year, or not at all: a
        district lowering its limit onto a school's warning (3 h by default) would otherwise leave
        the school's teachers no warning before the year is lost. Half an hour before the limit,
        then (none under a limit of half an hour or 0); the school's own save is held to it
        (``services.schools``)."""
        limit = self.rule("absence_limit_hours")
        if not warning or warning < limit:
            return warning
        return max(limit - 0.5, 0)


class SchoolActivityType(Model):
    """Which activity types a school has enabled, with the school's settings for each."""

    __tablename__ = "school_activity_type"
    __table_args__ = (UniqueConstraint("school_id", "type_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    type_key: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SchoolChange(Model):
    """The audit log of a school's settings as its admins changed them: a rule (``what``
    "rule", ``subject`` its key, ``[value]`` before and after) or an activity type (``what``
    "type", ``subject`` its key, ``{name: value}`` of its switch, ``enabled``, and the settings
    that changed), who changed them (None: the operator at the command line) and when. Written
    in the change's own transaction, only when something changed; rows are only ever added."""

    __tablename__ = "school_change"
    __table_args__ = (Index("ix_school_change_school_time", "school_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the operator (CLI)
    what: Mapped[str] = mapped_column(String(16))  # "rule" or "type"
    subject: Mapped[str] = mapped_column(String(64))  # the rule's key or the type's
    before: Mapped[Any] = mapped_column(JSON)
    after: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def default_district_id(connection: Connection) -> int:
    """The deployment's default district (code ``DEFAULT``, else the first), created if there is
    none: where schools and district staff created without a district belong."""
    from portal.models.district import DEFAULT_DISTRICT_CODE

    found = connection.execute(
        text("SELECT id FROM district ORDER BY CASE WHEN code = :code THEN 0 ELSE 1 END, id LIMIT 1"),
        {"code": DEFAULT_DISTRICT_CODE},
    ).scalar()
    if found is None:
        found = connection.execute(
            text("INSERT INTO district (code, name, settings, created_at) VALUES (:code, :name, '{}', :now) RETURNING id"),
            {"code": DEFAULT_DISTRICT_CODE, "name": "默认区", "now": utcnow()},
        ).scalar_one()
    return int(found)


@event.listens_for(School, "before_insert")
@event.listens_for(School, "before_update")
def _name_keyed(_mapper: Mapper, _connection: Connection, target: School) -> None:
    """The name's pinyin kept with the name (a school written without the ORM sets it itself)."""
    from portal.sorting import name_key

    target.name_key = name_key(target.name)


@event.listens_for(School, "before_insert")
def _school_joins_default_district(_mapper: Mapper, connection: Connection, target: School) -> None:
    if target.district_id is None:
        target.district_id = default_district_id(connection)
    if target.district_rules is None:
        settings = connection.execute(text("SELECT settings FROM district WHERE id = :id"),
                                      {"id": target.district_id}).scalar()
        target.district_rules = rules_of_district(settings)
    # its copy of the district's announcements: written by ``schools.create_school``
