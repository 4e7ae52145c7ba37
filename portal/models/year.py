"""The teacher's year beyond the ledger: teaching groups (教研组), sign-up (报名) for an
activity with its waiting list, and personal development plans (个人发展计划)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.models.types import HoursType
from portal.timeutil import utcnow


class TeachingGroup(Model):
    """A 教研组 of one school (语文组, 数学组 …) and its leader (教研组长)."""

    __tablename__ = "teaching_group"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class GroupMember(Model):
    """A member of a teaching group; a teacher may belong to several groups."""

    __tablename__ = "teaching_group_member"

    group_id: Mapped[int] = mapped_column(ForeignKey("teaching_group.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True, index=True)


class SignupWindow(Model):
    """An activity open for sign-up: how many seats, until when, and whether the organiser
    has confirmed the list (then the seat holders are participants and the list is closed)."""

    __tablename__ = "signup_window"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)
    closes_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Signup(Model):
    """One person's sign-up: ``seat`` (within capacity), ``waiting`` or ``withdrawn``. The
    waiting list is ordered by ``signed_at`` then ``id``."""

    __tablename__ = "signup"
    __table_args__ = (
        UniqueConstraint("activity_id", "user_id"),
        Index("ix_signup_activity_status", "activity_id", "status", "signed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # the last change of status
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime)  # moved up from the waiting list


class DevelopmentPlan(Model):
    """A teacher's 个人发展计划 for one school year, in their own words, and its sign-off."""

    __tablename__ = "development_plan"
    __table_args__ = (
        UniqueConstraint("school_id", "user_id", "school_year"),
        Index("ix_plan_school_year_status", "school_id", "school_year", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_year: Mapped[str] = mapped_column(String(9))
    goals: Mapped[str] = mapped_column(Text, default="")
    studies: Mapped[str] = mapped_column(Text, default="")  # books and topics, one a line
    target_hours: Mapped[Decimal] = mapped_column(HoursType)
    type_targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # type key → hours (text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
