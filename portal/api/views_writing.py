"""The teacher's year: their own writing and the writing quotas, and the outlook (forecast and
warnings) the teacher home shows. Self-declared hours (学时申报) need no route of
their own: ``POST /api/v1/activities`` with a self-declared type plans one for the caller."""

from __future__ import annotations

from portal import policy
from portal.api import typed_schemas
from portal.api.blueprint import bp
from portal.api.context import caller, parsed, school_context
from portal.api.models import YearQuery
from portal.api.models_writing import (
    Outlook,
    OutlookWarning,
    PendingActivity,
    Piece,
    Quota,
    WritingCreate,
    WritingDeleted,
    YearWriting,
)
from portal.api.openapi import operation
from portal.messages import tr
from portal.services import credits, forecast, overview, schools, transitions, writing
from portal.timeutil import current_school_year, to_local, utcnow


def _year(value: str | None, tz: str) -> str:
    return credits.parse_year(value, current_school_year(tz))


@bp.get("/me/writing")
@operation(200, YearWriting, "Quotas and writing", query=YearQuery, tag="year")
def my_writing() -> YearWriting:
    """The caller's writing quotas and own writing for a school year"""
    ctx = school_context()
    q = parsed(YearQuery, "query")
    user = caller().user
    year = _year(q.year, ctx.school.timezone)
    ty = credits.teacher_year(user, ctx.school, year)
    return YearWriting(
        year=year,
        quotas=[] if ty.not_theirs else [Quota.of(x, ty.assessment.status) for x in ty.facts.quotas],
        writing=[Piece.of(p) for p in writing.writing_list(ctx.school, user.id, year)],
    )


@bp.post("/me/writing")
@operation(201, Piece, "The piece, counted", json=WritingCreate, tag="year", errors=(403,), may=policy.may_add_own_writing)
def add_my_writing() -> tuple[Piece, int]:
    """Add reading notes, a paper or a reflection to the caller's own record (a teacher)"""
    ctx = school_context()
    data = parsed(WritingCreate)
    piece = writing.add_writing(ctx.school, caller().user, data.kind, data.title, data.text)
    return Piece.of(piece), 201


#: A correction is checked like a new piece (``writing._checked``): the same declared rules.
typed_schemas.DATA_RULES["edit_my_writing"] = [
    *typed_schemas.DATA_RULES["add_my_writing"],
    {"field": "text", "message": "^write the text or attach a file$", "rule": "the text is not only white space"},
]


def _mine(piece_id: int) -> None:
    """Another person's piece (or none): 404 before the body is read."""
    ctx = school_context()
    writing.own_piece(ctx.school, piece_id, ctx.actor(caller().user.id))


@bp.put("/me/writing/<int:piece_id>")
@operation(200, Piece, "The piece as corrected, counted again", json=WritingCreate, tag="year",
           errors=(403, 409), finds=_mine)
def edit_my_writing(piece_id: int) -> Piece:
    """Correct a piece of the caller's own writing: its kind, title and text (its author)

    The quotas follow at once. Another person's piece is 404; a year the district accepted (locked) is 409."""
    ctx = school_context()
    data = parsed(WritingCreate)
    who = ctx.actor(caller().user.id)
    piece = writing.own_piece(ctx.school, piece_id, who)
    return Piece.of(writing.edit_writing(ctx.school, piece, data.kind, data.title, data.text, by=who))


@bp.delete("/me/writing/<int:piece_id>")
@operation(200, WritingDeleted, "Deleted, and what it left short for good", tag="year", errors=(403, 409),
           finds=_mine)
def delete_my_writing(piece_id: int) -> WritingDeleted:
    """Delete a piece of the caller's own writing for good (its author)

    The quotas follow at once. A piece of a month or semester that is over may leave a quota met then short for
    good (nothing written now counts for it): allowed, and the answer names them (``lost``, ``message``). Another
    person's piece is 404; a year the district accepted (locked) is 409."""
    ctx = school_context()
    who = ctx.actor(caller().user.id)
    lost = writing.delete_writing(ctx.school, writing.own_piece(ctx.school, piece_id, who), by=who)
    return WritingDeleted.of(piece_id, lost, tr(writing.loss_said(lost, "writing.deleted_lost")) if lost else None)


@bp.get("/me/outlook")
@operation(200, Outlook, "The outlook", query=YearQuery, tag="year")
def my_outlook() -> Outlook:
    """The caller's outlook for a school year

    Hours still needed, what their open activities would bring, whether the target is reachable, and warnings
    (absence at the school's threshold, quotas behind)."""
    ctx = school_context()
    q = parsed(YearQuery, "query")
    user = caller().user
    year = _year(q.year, ctx.school.timezone)
    today = to_local(utcnow(), ctx.school.timezone).date()
    ty = credits.teacher_year(user, ctx.school, year)
    if ty.not_theirs:  # not assessed (as /users/<id>/credits)
        return Outlook(year=year, needed=0.0, pending_hours=0.0, beyond_planned=0.0, outlook="not_assessed",
                       pending=[], warnings=[])
    rows = overview.participations(user.id, ctx.school.id, forecast.OUTLOOK_PHASES, year)
    pending = forecast.pending_activities(rows, schools.all_type_settings(ctx.school.id), year)
    fc = forecast.forecast(ty.facts, ty.assessment.status, pending, today, accepted=ty.accepted_periods,
                           open_to_credits=transitions.may_credit_in(year, ctx.school))
    return Outlook(
        year=year, needed=float(fc.needed), pending_hours=float(fc.pending_hours),
        beyond_planned=float(fc.beyond_planned), outlook=fc.outlook,  # type: ignore[arg-type]
        pending=[PendingActivity.of(p) for p in fc.pending],
        warnings=[OutlookWarning.of(w, ty.assessment.status)
                  for w in forecast.warnings(ty.facts, today, status=ty.assessment.status, accepted=ty.accepted_periods)],
    )
