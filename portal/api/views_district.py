"""The district's API: its schools, the queue of submitted school years, a submission's frozen
figures, accept / return / reopen; and the school admin's submission of the year.

District endpoints act in the caller's own district (no ``X-School``): a submission or school of
another district is 'not found'. Schemas are inline here (additive to the shared components)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from portal import policy
from portal.api import parsing
from portal.api.blueprint import bp
from portal.api.context import caller, school_context
from portal.api.schemas import SCHOOL_YEAR
from portal.api.spec import MAX_ID, Param, json_response, operation
from portal.errors import Forbidden, NotFound
from portal.hours import fmt
from portal.messages import msg
from portal.models import YearSubmission
from portal.services import access, credits, submissions
from portal.services import overview as overview_service

_HOURS = {"type": "string", "pattern": "^-?[0-9]+(\\.5)?$", "description": "hours, in steps of 0.5"}
_COMMENT = {"type": "string", "maxLength": submissions.COMMENT_MAX}
TEACHER_ROW = {
    "type": "object",
    "properties": {
        "user_id": {"type": "integer"},
        "username": {"type": "string"},
        "name": {"type": "string"},
        "by_type": {"type": "object", "additionalProperties": _HOURS},
        "total": _HOURS,
        "required": _HOURS,
        "absent": {"type": "object", "additionalProperties": _HOURS},
        "excused": {"type": "object", "additionalProperties": _HOURS},
        "status": {"type": "string", "enum": ["met", "short", "not_recognised", "exempt"]},
        "reason": {"type": "string"},
    },
}
SUBMISSION = {
    "type": "object",
    "required": ["id", "school", "year", "semester", "round", "status", "teachers", "total_hours"],
    "properties": {
        "id": {"type": "integer"},
        "school": {"type": "string", "description": "school code"},
        "school_name": {"type": "string"},
        "year": {"type": "string"},
        "semester": {"type": "integer", "description": "0: the whole school year; 1 or 2: a semester"},
        "round": {"type": "integer"},
        "status": {"type": "string", "enum": list(submissions.STATUSES)},
        "locked": {"type": "boolean"},
        "teachers": {"type": "integer"},
        "met": {"type": "integer"},
        "short": {"type": "integer"},
        "not_recognised": {"type": "integer"},
        "exempt": {"type": "integer"},
        "total_hours": {"type": "number"},
        "by_type": {"type": "object", "additionalProperties": _HOURS},
        "comment": {"type": "string"},
        "teacher_comments": {"type": "object", "additionalProperties": {"type": "string"}},
        "submitted_at": {"type": "string", "format": "date-time"},
        "decided_at": {"type": ["string", "null"], "format": "date-time"},
        "rows": {"type": "array", "items": TEACHER_ROW},
    },
}
QUEUE_PARAMS = (
    Param("status", {"type": "string", "enum": list(submissions.STATUSES)}, "Submissions in this status (default submitted)"),
    Param("year", SCHOOL_YEAR, "Only this school year"),
    Param("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}, "Page number, from 1"),
    Param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Items per page (default 20)"),
)
YEAR_PARAM = Param("year", SCHOOL_YEAR, "School year, e.g. 2026-2027 (default: the current one)")
DECISION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["decision"],
    "properties": {
        "decision": {"type": "string", "enum": ["accept", "return"]},
        "comment": _COMMENT,
        "teacher_comments": {
            "type": "object",
            "description": "user id → what the school must correct for that teacher",
            "additionalProperties": _COMMENT,
        },
    },
}
REOPEN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {"reason": {**_COMMENT, "minLength": 1}},
}
SUBMIT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["year"],
    "properties": {"year": SCHOOL_YEAR, "semester": {"type": "integer", "enum": [1, 2]}},
}


def _seat() -> access.DistrictSeat:
    seat = access.district_seat(caller().user.id)
    if seat is None:
        raise Forbidden(msg("policy.district_only"))
    return seat


def _actor(seat: access.DistrictSeat) -> policy.Actor:
    return policy.Actor.of(caller().user.id, seat.roles)


def _submission(sub: YearSubmission, code: str, name: str, rows: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": sub.id, "school": code, "school_name": name, "year": sub.school_year, "semester": sub.semester,
        "round": sub.round, "status": sub.status, "locked": sub.status == submissions.ACCEPTED,
        "teachers": sub.teachers, "met": sub.met, "short": sub.short, "not_recognised": sub.not_recognised,
        "exempt": sub.exempt, "total_hours": float(sub.total_hours), "by_type": sub.by_type,
        "comment": sub.comment, "teacher_comments": sub.teacher_comments,
        "submitted_at": sub.submitted_at.isoformat() + "Z",
        "decided_at": sub.decided_at.isoformat() + "Z" if sub.decided_at else None,
    }
    if rows:
        out["rows"] = sub.rows
    return out


def _one(sub: YearSubmission) -> Response:
    from portal.extensions import db
    from portal.models import School

    school = db.session.get_one(School, sub.school_id)
    return jsonify(_submission(sub, school.code, school.name, rows=True))


def _id(submission_id: int) -> int:
    if submission_id > MAX_ID:
        raise NotFound(msg("submission.not_found"))
    return submission_id


@bp.get("/district/schools")
@operation(
    summary="The schools of the caller's district with their figures for a year (district staff)",
    tag="district",
    school=False,
    query=(YEAR_PARAM,),
    responses={200: json_response("One row per school", {"type": "array", "items": {"type": "object"}})},
    errors=(403,),
)
def district_schools() -> Response:
    seat = _seat()
    policy.require(policy.may_view_district(_actor(seat)), "policy.district_only")
    q = parsing.query((YEAR_PARAM,))
    year = credits.parse_year(q.get("year"))
    return jsonify([
        {"school": r.school.code, "name": r.school.name, "staff": r.staff, "teachers": r.teachers,
         "by_status": r.by_status, "hours": fmt(r.hours)}
        for r in overview_service.district_overview(year, seat.district_id)
    ])


@bp.get("/district/submissions")
@operation(
    summary="The district's queue of submitted school years, oldest first, one page at a time (district staff)",
    tag="district",
    school=False,
    query=QUEUE_PARAMS,
    responses={200: json_response("A page of submissions", {
        "type": "object",
        "properties": {"items": {"type": "array", "items": SUBMISSION}, "page": {"type": "integer"},
                       "pages": {"type": "integer"}, "total": {"type": "integer"},
                       "counts": {"type": "object", "additionalProperties": {"type": "integer"}}},
    })},
    errors=(403,),
)
def district_queue() -> Response:
    seat = _seat()
    policy.require(policy.may_view_district(_actor(seat)), "policy.district_only")
    q = parsing.query(QUEUE_PARAMS)
    page = submissions.queue(seat.district_id, q.get("status", submissions.SUBMITTED), q.get("page", 1),
                             q.get("per_page", submissions.PER_PAGE), year=q.get("year"))
    return jsonify({
        "items": [_submission(r.submission, r.school.code, r.school.name) for r in page.rows],
        "page": page.page, "pages": page.pages, "total": page.total, "counts": page.counts,
    })


@bp.get("/district/submissions/<int:submission_id>")
@operation(
    summary="A submission with every teacher's frozen figures (district staff)",
    tag="district",
    school=False,
    responses={200: json_response("The submission", SUBMISSION)},
    errors=(403,),
)
def district_submission(submission_id: int) -> Response:
    seat = _seat()
    policy.require(policy.may_view_district(_actor(seat)), "policy.district_only")
    return _one(submissions.get(_id(submission_id), seat.district_id))


@bp.post("/district/submissions/<int:submission_id>/decision")
@operation(
    summary="Accept (locks the school year) or return a submission with comments (district reviewer)",
    tag="district",
    school=False,
    body=DECISION,
    description="A return needs a comment for the school or for at least one teacher. A submission "
    "already decided is refused with 409.",
    responses={200: json_response("The submission as decided", SUBMISSION)},
    errors=(403, 409),
)
def district_decide(submission_id: int) -> Response:
    seat = _seat()
    data = parsing.json_body(DECISION)
    sub = submissions.decide(_id(submission_id), data["decision"] == "accept", data.get("comment", ""),
                             data.get("teacher_comments"), by=_actor(seat), district_id=seat.district_id)
    return _one(sub)


@bp.post("/district/submissions/<int:submission_id>/reopen")
@operation(
    summary="Reopen an accepted (locked) school year, with a reason for the audit log (district staff)",
    tag="district",
    school=False,
    body=REOPEN,
    responses={200: json_response("The submission, reopened", SUBMISSION)},
    errors=(403, 409),
)
def district_reopen(submission_id: int) -> Response:
    seat = _seat()
    data = parsing.json_body(REOPEN)
    return _one(submissions.reopen(_id(submission_id), data["reason"], by=_actor(seat), district_id=seat.district_id))


@bp.get("/submissions")
@operation(
    summary="The school's submissions of a year to the district, newest round first (school admin)",
    tag="district",
    query=(YEAR_PARAM,),
    responses={200: json_response("The rounds", {"type": "array", "items": SUBMISSION})},
    errors=(403,),
)
def school_submissions() -> Response:
    ctx = school_context()
    ctx.allow(policy.may_submit_year, caller().user.id, "school_admin")
    q = parsing.query((YEAR_PARAM,))
    year = credits.parse_year(q.get("year"))
    return jsonify([_submission(s, ctx.school.code, ctx.school.name) for s in submissions.rounds(ctx.school.id, year)])


@bp.post("/submissions")
@operation(
    summary="Submit the school year (or a semester, if the district collects semesters) to the district (school admin)",
    tag="district",
    body=SUBMIT,
    description="Freezes every teacher's hours by type, absence and assessment with the credit summary, "
    "in one transaction. Refused with 409 while a submission waits or after the district accepted.",
    responses={201: json_response("The submission", SUBMISSION)},
    errors=(403, 409),
)
def school_submit() -> tuple[Response, int]:
    ctx = school_context()
    data = parsing.json_body(SUBMIT)
    ctx.allow(policy.may_submit_year, caller().user.id, "school_admin")
    sub = submissions.submit(ctx.school, data["year"], data.get("semester"), by=ctx.actor(caller().user.id))
    return _one(sub), 201
