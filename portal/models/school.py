from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    DateTime,
    ForeignKey,
    String,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from portal.extensions import Model
from portal.timeutil import utcnow

# The school's rules (defaults from the seeds; each school may change its own).
DEFAULT_SCHOOL_RULES: dict[str, Any] = {
    "required_hours": 50,
    "absence_limit_hours": 5,
}


class School(Model):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
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
def _school_joins_default_district(_mapper: Mapper, connection: Connection, target: School) -> None:
    if target.district_id is None:
        target.district_id = default_district_id(connection)
