"""Printed documents the portal issued (PDF forms), each verifiable at ``/verify/<code>``.

Only a SHA-256 digest of the verification code is stored: a copy of the database does not
give anyone the codes (an HMAC of the paper keyed from ``SECRET_KEY``, one per printed version
of the figures: ``portal.services.verification.code_for``). ``content`` is a snapshot of what the document certified, so the
verification page can say what was printed and what has changed in the ledger since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.timeutil import utcnow


class IssuedDocument(Model):
    __tablename__ = "issued_document"
    __table_args__ = (Index("ix_issued_document_school_year", "school_id", "school_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the code
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    kind: Mapped[str] = mapped_column(String(16))  # "certificate", "summary" or "record"
    school_year: Mapped[str] = mapped_column(String(9))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"))  # a certificate's activity
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # a record's teacher
    issued_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
