from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.timeutil import utcnow

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
}
#: Rules other than hours: (lowest, highest), whole numbers. Hours rules: 0–1000 in half hours.
RULE_BOUNDS: dict[str, tuple[int, int]] = {
    "quiet_hours_start": (0, 23),
    "quiet_hours_end": (0, 23),
    "checkin_opens_minutes": (0, 24 * 60),
    "checkin_closes_minutes": (0, 24 * 60),
}


class School(Model):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A new random stamp, set by database triggers whenever anything the school's pages show
    # changes (migration 3b9d0c4e2f61). Cached pages are keyed on it (``portal.page_cache``).
    # Random, not a counter: after a database is restored or rebuilt, old stamps do not recur.
    data_version: Mapped[int] = mapped_column(
        BigInteger, default=lambda: secrets.randbits(62), server_default=text("0")
    )

    def rule(self, key: str) -> Any:
        return (self.rules or {}).get(key, DEFAULT_SCHOOL_RULES[key])


class SchoolActivityType(Model):
    """Which activity types a school has enabled, with the school's settings for each."""

    __tablename__ = "school_activity_type"
    __table_args__ = (UniqueConstraint("school_id", "type_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    type_key: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
