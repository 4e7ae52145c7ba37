"""The plugin's own table: observation notes, one row per note, per activity.

Declared on this plugin's own :class:`~sqlalchemy.MetaData`, created by its own Alembic branch
(``migrations/versions``), read and written through the session the portal gives
(:attr:`portal.facade.Portal.session`). Rows are keyed by activity, which the portal scopes to
one school: callers check the activity with ``portal.activity(id)`` first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, Table, Text, insert, select

NOTE_MAX = 5000

metadata = MetaData()

lesson_study_note = Table(
    "lesson_study_note",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, ForeignKey("activity.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_id", Integer, ForeignKey("user_account.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("written_at", DateTime, nullable=False),
)


class InvalidNote(ValueError):
    """A note was refused (empty or too long); nothing was written."""


class YearLocked(Exception):
    """A note was refused: the district has accepted, and so locked, the activity's school year
    (or its semester); nothing was written."""


@dataclass(frozen=True)
class Note:
    user_id: int
    body: str
    written_at: datetime


def clean(body: object) -> str:
    text = body.strip() if isinstance(body, str) else ""
    if not text or len(text) > NOTE_MAX:
        raise InvalidNote(f"a note of 1–{NOTE_MAX} characters")
    return text


def add_note(portal, activity_id: int, user_id: int, body: str) -> None:
    """Write one note in one transaction; none in a period the district has locked
    (:class:`YearLocked`: asked in the write's transaction, the answer holds until it commits)."""
    text = clean(body)
    school_id = portal.activity_school_id(activity_id)
    act = portal.activity(activity_id, school_id=school_id)
    with portal.write_transaction() as session:
        if portal.year_locked(act.school_year, act.semester, school_id=school_id):
            raise YearLocked(act.school_year)
        session.execute(insert(lesson_study_note).values(
            activity_id=activity_id, user_id=user_id, body=text,
            written_at=datetime.now(UTC).replace(tzinfo=None)))


def notes_of(portal, activity_id: int) -> list[Note]:
    rows = portal.session.execute(
        select(lesson_study_note.c.user_id, lesson_study_note.c.body, lesson_study_note.c.written_at)
        .where(lesson_study_note.c.activity_id == activity_id)
        .order_by(lesson_study_note.c.written_at, lesson_study_note.c.id)
    )
    return [Note(*r) for r in rows]
