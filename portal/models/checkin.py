"""Self check-in (签到) by scanning the organizer's rotating QR code, calendar feed tokens and
long exports run as jobs: the rows that reach people outside a page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.timeutil import utcnow


class CheckIn(Model):
    """A participant marked present by themselves (once per activity). The organizer's
    attendance record stays the truth; the attendance page shows both."""

    __tablename__ = "check_in"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    checked_in_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    address: Mapped[str] = mapped_column(String(64), default="")


class CalendarFeed(Model):
    """A secret calendar URL: ``scope`` is ``"me"`` (the person's activities) or
    ``"school:<id>"``. Only the token's SHA-256 is kept; regenerating replaces it."""

    __tablename__ = "calendar_feed"
    __table_args__ = (UniqueConstraint("user_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    scope: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ExportJob(Model):
    """A long export run by the worker: its progress, and the file kept for a while for the
    person (and school) that asked — nobody else may download it."""

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))  # None: district-wide
    kind: Mapped[str] = mapped_column(String(32))
    year: Mapped[str] = mapped_column(String(9))
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued/running/done/failed/expired
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    stored_name: Mapped[str | None] = mapped_column(String(64))
    download_name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: why its last try failed, a message code (``export.failed_*``, :func:`export_jobs.failure_of`)
    failure: Mapped[str | None] = mapped_column(String(40))
    #: what to export beyond kind and year: ``district_id``, ``school_id`` (the school summarised),
    #: ``format`` (xlsx / csv); checked when asked, read by the worker
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
