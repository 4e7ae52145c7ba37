from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from portal.models.types import HoursType
from portal.timeutil import utcnow


class Activity(Model):
    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_school_state", "school_id", "state", "starts_at"),
        Index("ix_activity_school_type", "school_id", "type_key"),
        Index("ix_activity_school_year", "school_id", "school_year"),
        Index("ix_activity_school_starts", "school_id", "starts_at", "id"),  # the list's order, newest first
        Index("ix_activity_year_state", "school_year", "state"),  # district-wide absences of a year
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    type_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    organizer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    ends_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    hours: Mapped[Decimal] = mapped_column(HoursType)
    school_year: Mapped[str] = mapped_column(String(9))
    semester: Mapped[int] = mapped_column(Integer)
    # No default: a new activity starts in its workflow's initial state (services/activities.py).
    state: Mapped[str] = mapped_column(String(32))
    # Bumped by every transition; a transition updates the row only if the version it read
    # is still current, so two concurrent triggers cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)
    credit_round: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    location: Mapped[str] = mapped_column(String(200), default="")
    # The school-plan line the activity was planned from (``school_plans.planned_vs_held``
    # counts it there); a line dropped from a rewritten plan leaves it unlinked.
    plan_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("school_plan_line.id"), index=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    participations: Mapped[list[Participation]] = relationship(
        back_populates="activity", lazy="raise", order_by="Participation.id"
    )


class Participation(Model):
    """A teacher's part in an activity: role and attendance (attended / absent / excused)."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    attended_hours: Mapped[Decimal | None] = mapped_column(HoursType)  # None: not recorded yet
    absent_hours: Mapped[Decimal] = mapped_column(HoursType, default=Decimal("0"))  # unexcused
    excused_hours: Mapped[Decimal] = mapped_column(HoursType, default=Decimal("0"))  # 请假
    adjusted_hours: Mapped[Decimal | None] = mapped_column(HoursType)  # reviewer's adjustment
    adjust_reason: Mapped[str | None] = mapped_column(Text)
    adjusted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    activity: Mapped[Activity] = relationship(back_populates="participations", lazy="raise")


class Evidence(Model):
    """An uploaded file or a written piece (reflection, evaluation, report, …)."""

    __tablename__ = "evidence"
    __table_args__ = (
        Index("ix_evidence_activity_user", "activity_id", "user_id"),
        # a teacher's writing of the year (``credits.teacher_year``): their own pieces, not each activity's
        Index("ix_evidence_user_kind", "user_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str | None] = mapped_column(Text)
    char_count: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str | None] = mapped_column(String(255))
    stored_name: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer, default=0)
    # what a declaration's certificate file shows (``same_certificate.likeness``): the same on
    # another of the teacher's declarations is the same certificate. "" nothing to compare by
    # (a scan of no words, a file no picture); NULL not read (other evidence, or uploaded before)
    likeness: Mapped[str | None] = mapped_column(String(72), nullable=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
