"""The wire format of the district's announced deadlines (``portal.api.views_announcements``).
The shapes are checked here; the day (a real date, not past) and the rest by the service with
its coded messages."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints, WithJsonSchema

from portal.api.models import Body, Out
from portal.api.typed_schemas import text
from portal.models import DeadlineAnnouncement
from portal.services import announcements

Audience = Literal["school_admins", "all_staff"]
assert set(Audience.__args__) == set(announcements.AUDIENCES), "the API's audiences are the service's"  # type: ignore[attr-defined]
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
Day = Annotated[str, StringConstraints(pattern=DAY),
                WithJsonSchema({"type": "string", "format": "date", "pattern": DAY, "examples": ["2027-06-30"],
                                "description": "A day (ISO 8601), today or later"})]
Title = Annotated[str, StringConstraints(min_length=1, max_length=announcements.TITLE_MAX),
                  WithJsonSchema(text(announcements.TITLE_MAX, nonblank=True))]
Note = Annotated[str, StringConstraints(max_length=announcements.NOTE_MAX),
                 WithJsonSchema(text(announcements.NOTE_MAX))]


class DeadlineBody(Body):
    title: Title
    due_on: Day
    note: Note = ""
    audience: Audience = "all_staff"


class DeadlineOut(Out):
    id: int
    title: str
    due_on: str
    note: str
    audience: Audience

    @classmethod
    def of(cls, row: DeadlineAnnouncement) -> DeadlineOut:
        return cls(id=row.id, title=row.title, due_on=row.due_on.isoformat(), note=row.note,
                   audience=row.audience)  # type: ignore[arg-type]


class Deadlines(Out):
    items: list[DeadlineOut]
