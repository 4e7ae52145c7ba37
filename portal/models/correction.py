"""A correction asked of the school's admins (:mod:`portal.services.corrections`): one who may not
record their own row of an activity's attendance, or may not cancel it, asks another to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.timeutil import utcnow


class CorrectionRequest(Model):
    """One person's request about one activity: ``kind`` (their own row should read ``wanted``,
    or the activity cancelled), why (``reason``), and how it was closed: ``status`` open, done,
    declined (with the admin's ``close_reason``), moved on (the activity was credited or
    cancelled first: closed by that step, ``closed_by`` empty) or locked (the district accepted its
    semester first). One open request per person, activity and kind (the partial unique index)."""

    __tablename__ = "correction_request"
    __table_args__ = (
        Index("ix_correction_open_once", "activity_id", "requester_id", "kind", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_correction_school_status", "school_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    wanted: Mapped[str] = mapped_column(String(100), default="")  # a row: what it should read, in their words
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    close_reason: Mapped[str] = mapped_column(Text, default="")
