"""The wire format of correction requests (``portal.api.views_corrections``): the shapes here, the
rest (a row's wanted reading, a decline's reason, who may ask or close) by the service with its
coded messages (``x-data-rules``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, WithJsonSchema

from portal.api.models import Body, Out, SchoolQuery, local_time
from portal.api.typed_schemas import text
from portal.models import CorrectionRequest, School
from portal.services import corrections

Kind = Literal["row", "cancel"]
Status = Literal["open", "done", "declined", "moved_on", "locked", "year_over"]
Outcome = Literal["done", "declined"]
assert set(Kind.__args__) == set(corrections.KINDS), "the API's kinds are the service's"  # type: ignore[attr-defined]
assert set(Status.__args__) == set(corrections.STATUSES), "the API's statuses are the service's"  # type: ignore[attr-defined]
assert set(Outcome.__args__) == set(corrections.OUTCOMES), "the API's outcomes are the service's"  # type: ignore[attr-defined]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=corrections.REASON_MAX),
                   WithJsonSchema(text(corrections.REASON_MAX, nonblank=True))]
Wanted = Annotated[str, StringConstraints(max_length=corrections.WANTED_MAX),
                   WithJsonSchema(text(corrections.WANTED_MAX))]
Comment = Annotated[str, StringConstraints(max_length=corrections.REASON_MAX),
                    WithJsonSchema(text(corrections.REASON_MAX))]


class CorrectionBody(Body):
    kind: Kind = Field(description="`row`: one's own row of attendance should read `wanted`; `cancel`: the activity "
                                   "cancelled")
    wanted: Wanted = Field("", description="What one's own row should read, in one's words (required for `row`)")
    reason: Reason = Field(description="Why (required)")


class CloseBody(Body):
    outcome: Outcome = Field(description="`done` once the change is made (attendance page, cancel), or `declined`")
    reason: Comment = Field("", description="Required to decline")


class CorrectionOut(Out):
    id: int
    activity_id: int
    requester_id: int
    kind: Kind
    wanted: str
    reason: str
    status: Status = Field(description="`moved_on`: the activity was credited or cancelled before it was closed; "
                                       "`locked`: the district accepted its semester before it was closed (nothing "
                                       "changes there); `year_over`: its school year was over (before the last) "
                                       "before it was closed. An open request that can no longer be granted (its semester "
                                       "accepted, its school year over) is listed as `locked` or `year_over`")
    asked_at: str
    closed_by: int | None = None
    closed_at: str | None = None
    close_reason: str

    @classmethod
    def of(cls, row: CorrectionRequest, school: School, status: str | None = None) -> CorrectionOut:
        """``status``: as the list reads it (``corrections.Row.status``), else the stored one."""
        return cls(id=row.id, activity_id=row.activity_id, requester_id=row.requester_id, kind=row.kind,  # type: ignore[arg-type]
                   wanted=row.wanted, reason=row.reason, status=status or row.status,  # type: ignore[arg-type]
                   asked_at=local_time(row.created_at, school), closed_by=row.closed_by,
                   closed_at=local_time(row.closed_at, school) if row.closed_at else None,
                   close_reason=row.close_reason)


class CorrectionsQuery(SchoolQuery):
    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1")
    per_page: int = Field(corrections.PAGE_SIZE, ge=1, le=100, description="Items per page (default 20)")


class Corrections(Out):
    items: list[CorrectionOut]
    page: int
    per_page: int
    total: int
    pages: int
