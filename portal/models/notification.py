"""Notifications: what a person is told (in the app, by email, through plugins), and how.

``Notification.key`` is unique: the job that finds "activity tomorrow" or "review decision"
for a person writes the row at most once however often it runs or is retried. A delivery
(``NotificationDelivery``) is claimed per channel before sending, so a retried job never
sends the same notification twice on one channel. ``Notification.queued_at`` says its delivery
is on the queue: a run that finds it written but not queued (the run that wrote it failed
between the two) queues it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.timeutil import utcnow


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # idempotency key
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    kind: Mapped[str] = mapped_column(String(32))  # one of portal.services.notifications.KINDS
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(300), default="")  # a path inside the portal
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    # when its delivery was put on the queue; None: written, not (yet) queued — a later run queues it
    queued_at: Mapped[datetime | None] = mapped_column(DateTime)


class NotificationDelivery(Model):
    """One channel's delivery of one notification: ``email`` or ``hook:<plugin>``."""

    __tablename__ = "notification_delivery"
    __table_args__ = (UniqueConstraint("notification_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    channel: Mapped[str] = mapped_column(String(80))
    claimed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class NotificationSetting(Model):
    """A person's email address for notifications and the kinds they do not want by email."""

    __tablename__ = "notification_setting"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    email_off: Mapped[list[str]] = mapped_column(JSON, default=list)  # kinds not sent by email
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
