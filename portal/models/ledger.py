"""The append-only records: the transition log and the credit ledger.

Neither table is ever updated or deleted by the app; a mapper event refuses it (see
``portal.services.ledger``). A revoke writes reversing entries.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.models.types import HoursType
from portal.timeutil import utcnow


class TransitionLog(Model):
    __tablename__ = "transition_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CreditEntry(Model):
    """One line of the credit ledger: hours credited (or reversed) to one teacher.

    ``(activity_id, user_id, round, kind)`` is unique: one credit round of an activity can
    write a teacher's entry once, whatever races the app loses.
    """

    __tablename__ = "credit_entry"
    __table_args__ = (
        UniqueConstraint("activity_id", "user_id", "round", "kind"),
        Index("ix_credit_school_year_user", "school_id", "school_year", "user_id"),
        Index("ix_credit_user_year", "user_id", "school_year"),
        # district-wide totals of one year (the district page, exports): no scan of other years
        Index("ix_credit_year_school", "school_year", "school_id", "user_id", "type_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    type_key: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    school_year: Mapped[str] = mapped_column(String(9))
    semester: Mapped[int] = mapped_column(Integer)
    hours: Mapped[Decimal] = mapped_column(HoursType)  # negative for a reversal
    kind: Mapped[str] = mapped_column(String(16))  # "credit" or "reversal"
    round: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
