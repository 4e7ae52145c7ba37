"""A teacher's own writing that belongs to no activity: reading notes (读书笔记), a paper or
teaching essay (论文 / 教学随笔), a teaching reflection (教学反思), counted for the writing quotas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.timeutil import utcnow


class OwnWriting(Model):
    __tablename__ = "own_writing"
    __table_args__ = (Index("ix_own_writing_school_year_user", "school_id", "school_year", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    school_year: Mapped[str] = mapped_column(String(9))
    semester: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # reading_notes / paper / reflection
    title: Mapped[str] = mapped_column(String(200))  # the book read, or the paper's title
    text: Mapped[str] = mapped_column(Text)
    char_count: Mapped[int] = mapped_column(Integer)  # portal.textcount.chinese_count
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)  # last corrected by its author
