"""The wire format of the teacher's year (``portal.api.views_writing``): their own writing, the
writing quotas and the outlook, as pydantic models like those of ``portal.api.models``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, get_args

from pydantic import Field, StringConstraints

from portal.api.models import Body, Out, OutlookWarning, Quota
from portal.models import OwnWriting
from portal.services import forecast
from portal.services.activities import TEXT_MAX
from portal.services.quotas import WRITTEN_KINDS
from portal.services.writing import TITLE_MAX

WrittenKind = Literal["reading_notes", "paper", "reflection"]
assert get_args(WrittenKind) == WRITTEN_KINDS, "the API's kinds are the quotas' written kinds"


# -- requests -------------------------------------------------------------------------------------


class WritingCreate(Body):
    kind: WrittenKind
    title: Annotated[str, StringConstraints(max_length=TITLE_MAX)] = Field(
        "", description="the book, for reading notes; the title of a paper (a reflection may have none)")
    text: Annotated[str, StringConstraints(min_length=1, max_length=TEXT_MAX)]


# -- responses ------------------------------------------------------------------------------------


def _utc(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


class Piece(Out):
    id: int
    kind: WrittenKind
    title: str
    char_count: int = Field(description="characters as Chinese readers count them")
    school_year: str
    semester: int
    created_at: str = Field(description="when it was added (UTC)")
    updated_at: str | None = Field(description="when its author last corrected it (UTC)")

    @classmethod
    def of(cls, p: OwnWriting) -> Piece:
        return cls(
            id=p.id, kind=p.kind, title=p.title, char_count=p.char_count,  # type: ignore[arg-type]
            school_year=p.school_year, semester=p.semester,
            created_at=_utc(p.created_at), updated_at=_utc(p.updated_at) if p.updated_at else None,
        )


class LostQuota(Out):
    key: str = Field(description="the writing quota: notes_monthly, reading_notes, paper, reflections, books")
    semester: int = Field(description="its semester, 0 for the year's")
    month: str | None = Field(description="the month of the monthly reading notes, as 2026-10; null for the others")


class WritingDeleted(Out):
    id: int = Field(description="the piece deleted")
    lost: list[LostQuota] = Field(
        description="writing quotas of periods over that were met and are short for good now: nothing written now "
                    "counts for them (empty when none)")
    message: str | None = Field(description="the same in words, in the caller's language; null when nothing is lost")

    @classmethod
    def of(cls, piece_id: int, lost: frozenset[tuple[str, int, str]], message: str | None) -> WritingDeleted:
        return cls(id=piece_id, lost=[LostQuota(key=k, semester=s, month=m or None) for k, s, m in sorted(lost)],
                   message=message)


class YearWriting(Out):
    year: str
    quotas: list[Quota]
    writing: list[Piece]


class PendingActivity(Out):
    activity_id: int
    title: str
    type: str
    state: str
    hours: float

    @classmethod
    def of(cls, p: forecast.PendingActivity) -> PendingActivity:
        a = p.activity
        return cls(activity_id=a.id, title=a.title, type=a.type_key, state=a.state, hours=float(p.hours))


class Outlook(Out):
    year: str
    needed: float = Field(description="hours still needed for the requirement")
    pending_hours: float = Field(description="what the caller's open activities would bring")
    beyond_planned: float = Field(description="hours to find in activities not planned yet")
    outlook: Literal["met", "on_track", "needs_more", "unreachable", "not_assessed"]
    pending: list[PendingActivity]
    warnings: list[OutlookWarning]
