"""Districts (tenants of a deployment), the school year a school submits to its district, the
district's decisions on it, and the lock an accepted year puts on the school's records.

A school belongs to one district; district roles (``district_admin``, ``district_reviewer``) are
memberships with ``district_id`` set and no school. A :class:`YearLock` row is what the services
and the database triggers (migration ``a7d3c9e15b20``) ask before a ledger, attendance or
exemption change of that school year.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.models.types import HoursType
from portal.timeutil import utcnow

#: The code of the district existing schools were moved into by the migration.
DEFAULT_DISTRICT_CODE = "DEFAULT"

#: The district's settings and their defaults (a school may raise a minimum, never lower it).
DEFAULT_DISTRICT_SETTINGS: dict[str, Any] = {
    "required_hours": 50,
    "absence_limit_hours": 5,
    "submission_period": "year",  # "year" or "semester"
    "plan_deadline": "06-30",  # month-day of the school annual plan's deadline
    # the district's minimum writing quotas (None: each school decides; see school.DISTRICT_QUOTAS)
    "reading_notes_chars": None,
    "papers_per_year": None,
    "reflections_per_semester": None,
    "books_per_semester": None,
    "reading_note_chars": None,  # each reading note at least this long (seed 004: 每篇不少于300字)
}

#: ``YearLock.semester`` / ``YearSubmission.semester`` of a whole-year submission.
WHOLE_YEAR = 0


class District(Model):
    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def setting(self, key: str) -> Any:
        return (self.settings or {}).get(key, DEFAULT_DISTRICT_SETTINGS[key])


class YearSubmission(Model):
    """One round of a school's submission of a school year (or semester) to its district: the
    frozen figures of every teacher (``rows``), their totals for the queue, and the 学时汇总表
    as it was (``summary_xlsx``). A return ends a round; the school's next submission is the
    next round. ``status``: submitted, returned, accepted, reopened."""

    __tablename__ = "year_submission"
    __table_args__ = (
        UniqueConstraint("school_id", "school_year", "semester", "round"),
        Index("ix_submission_queue", "district_id", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    school_year: Mapped[str] = mapped_column(String(9))
    semester: Mapped[int] = mapped_column(Integer, default=WHOLE_YEAR)
    round: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))
    teachers: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)
    short: Mapped[int] = mapped_column(Integer, default=0)
    not_recognised: Mapped[int] = mapped_column(Integer, default=0)
    exempt: Mapped[int] = mapped_column(Integer, default=0)
    total_hours: Mapped[Decimal] = mapped_column(HoursType, default=Decimal("0"))
    by_type: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # type → hours (text)
    rows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # the school's rules as they stood when it submitted (DEFAULT_SCHOOL_RULES' keys): an accepted
    # year is judged by them everywhere (``credits``); None for submissions made before they were kept
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    summary_xlsx: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    comment: Mapped[str] = mapped_column(Text, default="")  # the district's comment on the whole school
    teacher_comments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # user id → comment
    submitted_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)


class SubmissionEvent(Model):
    """The audit log of submissions: who submitted, returned, accepted or reopened, when, with
    what comment. Append-only (the ORM and database triggers refuse changes)."""

    __tablename__ = "submission_event"
    __table_args__ = (Index("ix_submission_event_school", "school_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("year_submission.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    action: Mapped[str] = mapped_column(String(16))  # submit / return / accept / reopen
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class YearLock(Model):
    """A school year (or one semester of it) the district accepted: the school's ledger,
    attendance and exemptions of that year are frozen while this row exists."""

    __tablename__ = "year_lock"
    __table_args__ = (UniqueConstraint("school_id", "school_year", "semester"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    school_year: Mapped[str] = mapped_column(String(9))
    semester: Mapped[int] = mapped_column(Integer, default=WHOLE_YEAR)
    submission_id: Mapped[int] = mapped_column(ForeignKey("year_submission.id"))
    locked_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    locked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SchoolPlan(Model):
    """The school's annual plan (年度校本研修计划) for a school year: aims, target hours and the
    planned activities (:class:`SchoolPlanLine`), sent to the district by its deadline. ``status``:
    draft, submitted, returned, accepted."""

    __tablename__ = "school_plan"
    __table_args__ = (
        UniqueConstraint("school_id", "school_year"),
        Index("ix_school_plan_district", "district_id", "school_year", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    school_year: Mapped[str] = mapped_column(String(9))
    status: Mapped[str] = mapped_column(String(16))
    aims: Mapped[str] = mapped_column(Text, default="")
    target_hours: Mapped[Decimal] = mapped_column(HoursType, default=Decimal("0"))
    comment: Mapped[str] = mapped_column(Text, default="")  # the district's, on a return
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # submitted after the district's deadline
    updated_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)


class SchoolPlanWriter(Model):
    """Who wrote (saved or sent) a school's annual plan, and when: a row each time, never changed
    nor removed. ``SchoolPlan.updated_by`` keeps only the last writer; these are every writer,
    none of whom may accept or return the plan (``school_plans.involved``)."""

    __tablename__ = "school_plan_writer"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("school_plan.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    written_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SchoolPlanLine(Model):
    """A planned activity of a school plan: its type, month, planned hours and who is responsible."""

    __tablename__ = "school_plan_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("school_plan.id"), index=True)
    type_key: Mapped[str] = mapped_column(String(64))
    month: Mapped[int] = mapped_column(Integer)  # 1–12
    title: Mapped[str] = mapped_column(String(200))
    planned_hours: Mapped[Decimal] = mapped_column(HoursType)
    responsible: Mapped[str] = mapped_column(String(100), default="")


class DeadlineAnnouncement(Model):
    """A deadline the district announces to its schools (title, date, note): shown on the district
    dashboard and the school admins' home, in the calendar feeds of the people it concerns, and
    told to them when announced and 7 and 1 days before. ``audience``: ``school_admins`` or
    ``all_staff`` (everyone with a role in a school of the district)."""

    __tablename__ = "deadline_announcement"
    __table_args__ = (Index("ix_deadline_announcement_district_due", "district_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
