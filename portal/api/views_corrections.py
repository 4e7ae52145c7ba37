"""Correction requests in the API (:mod:`portal.services.corrections`): asked of an activity where
one's own row or its cancel is someone else's to do; read by the school's admins (all) and each
requester (their own); closed by an admin who did not ask it."""

from __future__ import annotations

from flask import g

from portal import policy
from portal.api import typed_schemas
from portal.api.blueprint import bp
from portal.api.context import caller, parsed, school_context
from portal.api.models_corrections import (
    CloseBody,
    CorrectionBody,
    CorrectionOut,
    Corrections,
    CorrectionsQuery,
)
from portal.api.openapi import operation
from portal.api.views_activities import _activity
from portal.models import CorrectionRequest
from portal.services import corrections

TAG = "activities"

typed_schemas.DATA_RULES.update({
    "ask_correction": [
        {"field": "wanted", "message": "^say what your row should read$", "rule": "a request for one's row says what it"
         " should read, in characters that count (not only spaces, punctuation or invisible characters)"},
        {"field": "reason", "message": "^say why: a reason is required$", "rule": "the reason has characters that count"
         " (not only spaces, punctuation or invisible characters such as U+200B)"},
    ],
    "close_correction": [
        {"field": "reason", "message": "^say why it is declined$", "rule": "a decline has a reason, in characters that"
         " count (none is asked of a request whose activity was credited or cancelled, or whose semester the district"
         " accepted, or whose school year is over: it closes as `moved_on`, `locked` or `year_over`)"},
    ],
})


def _request(request_id: int) -> CorrectionRequest:
    if "api_correction" not in g:  # another school's request: 404 before the body
        g.api_correction = corrections.get(school_context().school.id, request_id)
    return g.api_correction


@bp.post("/activities/<int:activity_id>/corrections")
@operation(201, CorrectionOut, "The request", json=CorrectionBody, errors=(403, 409), finds=_activity)
def ask_correction(activity_id: int) -> tuple[CorrectionOut, int]:
    """Ask the school's admins for a correction: one's own row of attendance, or the activity cancelled

    Only where someone else does it (policy.may_ask_correction): one's own row once it is recorded (or on an activity
    one does not organise), a cancel of an activity one runs and may not cancel oneself (403 otherwise). One open
    request per person, activity and kind (409, naming the day of the first); none on an activity credited or
    cancelled, in a semester the district accepted, in a school year that is over (its rows are changed no more), nor
    where no school admin but the requester could close it (409).
    The school's admins but the requester are notified."""
    ctx = school_context()
    data = parsed(CorrectionBody)
    row = corrections.ask(_activity(activity_id, ctx), ctx.actor(caller().user.id), data.kind, data.wanted,
                          data.reason)
    return CorrectionOut.of(row, ctx.school), 201


@bp.get("/corrections")
@operation(200, Corrections, "A page of requests, newest first", query=CorrectionsQuery)
def list_corrections() -> Corrections:
    """Correction requests: the school's (school admin), else the caller's own; newest first, one page at a time"""
    ctx = school_context()
    q = parsed(CorrectionsQuery, "query")
    who = ctx.actor(caller().user.id)
    rows, total = corrections.numbered(ctx.school.id, number=q.page, size=q.per_page,
                                       requester_id=None if policy.may_see_corrections(who) else who.user_id)
    return Corrections(items=[CorrectionOut.of(r.request, ctx.school, r.status) for r in rows], page=q.page,
                       per_page=q.per_page, total=total, pages=(total + q.per_page - 1) // q.per_page)


@bp.post("/corrections/<int:request_id>/close")
@operation(200, CorrectionOut, "The request", json=CloseBody, errors=(403, 409), finds=_request, may=policy.may_see_corrections)
def close_correction(request_id: int) -> CorrectionOut:
    """Close a correction request as done or declined (a school admin who did not ask it)

    The requester is notified. A request whose activity was credited or cancelled since closes as `moved_on`, one
    whose semester the district accepted since as `locked`, one whose school year is over since as `year_over`,
    whatever the outcome sent; one closed already is 409."""
    ctx = school_context()
    data = parsed(CloseBody)
    row = corrections.close(_request(request_id), ctx.actor(caller().user.id), data.outcome, data.reason)
    return CorrectionOut.of(row, ctx.school)
