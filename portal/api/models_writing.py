"""The wire format of the teacher's year (``portal.api.views_writing``): their own writing, the
writing quotas and the outlook, as pydantic models like those of ``portal.api.models``."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StringConstraints

from portal.api.models import Body, Out, absent
from portal.assessment import QuotaFact
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


class Quota(Out):
    key: str = Field(description="reading_notes, paper, reflections or books")
    semester: int = Field(description="0 for a quota of the whole year")
    done: int
    target: int
    unit: Literal["chars", "pieces"]
    met: bool

    @classmethod
    def of(cls, q: QuotaFact) -> Quota:
        return cls(key=q.key, semester=q.semester, done=q.done, target=q.target, unit=q.unit, met=q.met)  # type: ignore[arg-type]


class Piece(Out):
    id: int
    kind: WrittenKind
    title: str
    char_count: int = Field(description="characters as Chinese readers count them")
    school_year: str
    semester: int
    created_at: str = Field(description="when it was added (UTC)")

    @classmethod
    def of(cls, p: OwnWriting) -> Piece:
        return cls(
            id=p.id, kind=p.kind, title=p.title, char_count=p.char_count,  # type: ignore[arg-type]
            school_year=p.school_year, semester=p.semester,
            created_at=p.created_at.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
        )


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


class OutlookWarning(Out):
    kind: Literal["absence", "quota"]
    semester: int
    hours: float = absent("unexcused absence in the semester (absence)")
    limit: float = absent("the school's absence limit (absence)")
    severe: bool = Field(description="the limit is reached: the year is not recognised")
    quota: Quota | None = absent("the quota that is behind (quota)")

    @classmethod
    def of(cls, w: forecast.YearWarning) -> OutlookWarning:
        extra: dict[str, Any] = {}
        if w.kind == "absence":
            extra.update(hours=float(w.hours), limit=float(w.limit))
        if w.quota is not None:
            extra["quota"] = Quota.of(w.quota)
        return cls(kind=w.kind, semester=w.semester, severe=w.severe, **extra)  # type: ignore[arg-type]


class Outlook(Out):
    year: str
    needed: float = Field(description="hours still needed for the requirement")
    pending_hours: float = Field(description="what the caller's open activities would bring")
    beyond_planned: float = Field(description="hours to find in activities not planned yet")
    outlook: Literal["met", "on_track", "needs_more", "unreachable", "not_assessed"]
    pending: list[PendingActivity]
    warnings: list[OutlookWarning]
