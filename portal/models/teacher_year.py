"""Each teacher's year in a school, kept ready: totals, absence per semester, the verdict.

Derived data: every row is what :func:`portal.services.credits.year_rows` computes for the
teacher, written in the same transaction as the ledger entries, attendance, exemptions,
rules and memberships that move it (``portal.services.teacher_years``), and rebuilt from
scratch by ``flask credits rebuild-year-rows``. Counting a district is then a GROUP BY.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.models.types import HoursType
from portal.timeutil import utcnow


class TeacherYearRow(Model):
    __tablename__ = "teacher_year"
    __table_args__ = (Index("ix_teacher_year_year_school_status", "school_year", "school_id", "status"),)

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    school_year: Mapped[str] = mapped_column(String(9), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    total_hours: Mapped[Decimal] = mapped_column(HoursType)
    by_type: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # type key → hours
    absent_hours: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # semester → unexcused hours
    excused_hours: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    exemption_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # the assess hook's verdict
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SchoolYearTypeHours(Model):
    """A school's hours of one activity type in one year: the sum of its teacher-year rows'
    ``by_type`` (teachers' hours only, the figures of the 学时汇总表 and the submissions),
    rewritten with them, so the district's chart sums at most schools × types rows."""

    __tablename__ = "school_year_type_hours"
    __table_args__ = (Index("ix_school_year_type_hours_year", "school_year", "school_id"),)

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)
    school_year: Mapped[str] = mapped_column(String(9), primary_key=True)
    type_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hours: Mapped[Decimal] = mapped_column(HoursType)
