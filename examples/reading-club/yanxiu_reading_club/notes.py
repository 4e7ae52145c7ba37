"""The plugin's own table: handwritten reading notes counted by the organizer.

The table lives in its own :class:`~sqlalchemy.MetaData` (not the portal's), is created by
this plugin's Alembic branch (``migrations/versions``), and is written only through
:func:`log_note`. Rows are keyed by activity, which the portal already scopes to one school.
Every function takes the SQLAlchemy session it works in: the portal's, from the facade
(``portal.session``), so this module imports nothing of the portal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

BOOK_MAX = 200
CHARS_MAX = 200_000

metadata = MetaData()

reading_club_note = Table(
    "reading_club_note",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, ForeignKey("activity.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_id", Integer, ForeignKey("user_account.id"), nullable=False),
    Column("book", String(BOOK_MAX), nullable=False),
    Column("char_count", Integer, nullable=False),
    Column("read_on", Date, nullable=False),
    Column("logged_by", Integer, ForeignKey("user_account.id"), nullable=False),
    Column("logged_at", DateTime, nullable=False),
)


class InvalidNote(ValueError):
    """A note was refused; ``fields`` says why, by field name. Nothing was written."""

    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


@dataclass(frozen=True)
class Note:
    user_id: int
    book: str
    char_count: int
    read_on: date


def log_note(
    session: Session, activity_id: int, user_id: int, book: str, char_count: int, logged_by: int,
    read_on: date | None = None,
) -> None:
    """Record a handwritten note of ``char_count`` characters for a member, in one commit.

    The caller (the organizer's tooling) has checked that ``user_id`` takes part in the activity.
    """
    fields: dict[str, str] = {}
    book = book.strip() if isinstance(book, str) else ""
    if not book or len(book) > BOOK_MAX:
        fields["book"] = f"a book title of 1–{BOOK_MAX} characters is required"
    if isinstance(char_count, bool) or not isinstance(char_count, int) or not 0 < char_count <= CHARS_MAX:
        fields["char_count"] = f"a whole number from 1 to {CHARS_MAX}"
    if fields:
        raise InvalidNote(fields)
    now = datetime.now(UTC).replace(tzinfo=None)
    session.execute(
        insert(reading_club_note).values(
            activity_id=activity_id,
            user_id=user_id,
            book=book,
            char_count=char_count,
            read_on=read_on or now.date(),
            logged_by=logged_by,
            logged_at=now,
        )
    )
    session.commit()


def logged_chars(session: Session, activity_id: int) -> dict[int, int]:
    """Characters of handwritten notes per member of one activity."""
    rows = session.execute(
        select(reading_club_note.c.user_id, func.sum(reading_club_note.c.char_count))
        .where(reading_club_note.c.activity_id == activity_id)
        .group_by(reading_club_note.c.user_id)
    )
    return {uid: int(total or 0) for uid, total in rows}


def notes_of(session: Session, activity_id: int) -> dict[int, tuple[Note, ...]]:
    """The handwritten notes of one activity, per member, oldest first."""
    out: dict[int, list[Note]] = defaultdict(list)
    rows = session.execute(
        select(reading_club_note)
        .where(reading_club_note.c.activity_id == activity_id)
        .order_by(reading_club_note.c.read_on, reading_club_note.c.id)
    )
    for r in rows.mappings():
        out[r["user_id"]].append(Note(r["user_id"], r["book"], r["char_count"], r["read_on"]))
    return {uid: tuple(notes) for uid, notes in out.items()}
