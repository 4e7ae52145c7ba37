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
from portal.api.typed_schemas import storable, text
from portal.errors import Forbidden, NotFound
from portal.hours import fmt
from portal.messages import msg
from portal.models import YearSubmission
from portal.services import access, credits, submissions
from portal.services import overview as overview_service

_HOURS = {"type": "string", "pattern": "^-?[0-9]+(\\.5)?$", "description": "hours, in steps of 0.5"}
_COMMENT = text(submissions.COMMENT_MAX)
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
    "properties": {"reason": text(submissions.COMMENT_MAX, nonblank=True)},
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
        for r in overview_service.district_overview(year, district_id=seat.district_id)
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


MONTH_DAYS = [f"{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 32)
              if d <= (29 if m == 2 else 30 if m in (4, 6, 9, 11) else 31)]
SETTINGS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "required_hours": {"type": ["number", "null"], "minimum": 0, "maximum": 1000, "multipleOf": 0.5,
                           "description": "schools may require more, never less (null: none set)"},
        "absence_limit_hours": {"type": ["number", "null"], "minimum": 0, "maximum": 1000, "multipleOf": 0.5,
                                "description": "schools may allow less absence, never more (null: none set)"},
        "submission_period": {"type": "string", "enum": ["year", "semester"]},
        "plan_deadline": {"type": "string", "enum": MONTH_DAYS},
    },
}
DISTRICT = json_response("The district and its settings", {
    "type": "object",
    "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "settings": {"type": "object"}},
})
NEW_SCHOOL = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "name", "admin_username", "admin_password"],
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"},
        "name": text(200, nonblank=True),
        "admin_username": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
        "admin_name": text(100),
        "admin_password": text(200, min_length=8),
    },
}
TYPE_SWITCH = {
    "type": "object",
    "additionalProperties": False,
    "required": ["enabled"],
    "properties": {"enabled": {"type": "boolean"}},
}


def _district_json(d: Any) -> Response:
    return jsonify({"code": d.code, "name": d.name, "settings": d.settings or {}})


@bp.put("/district/settings")
@operation(
    summary="The district's defaults: required hours, absence limit, submission period, plan deadline (district admin)",
    tag="district",
    school=False,
    body=SETTINGS,
    responses={200: DISTRICT},
    errors=(403,),
)
def district_settings() -> Response:
    from portal.services import districts

    seat = _seat()
    data = parsing.json_body(SETTINGS)
    return _district_json(districts.update_settings(districts.get_district(seat.district_id), data, by=_actor(seat)))


@bp.post("/district/schools")
@operation(
    summary="Create a school of the district with its first school admin (district admin)",
    tag="district",
    school=False,
    body=NEW_SCHOOL,
    responses={201: json_response("The school", {"type": "object", "properties": {
        "school": {"type": "string"}, "name": {"type": "string"}, "admin": {"type": "string"}}})},
    errors=(403,),
)
def district_create_school() -> tuple[Response, int]:
    from portal.services import districts

    seat = _seat()
    data = parsing.json_body(NEW_SCHOOL)
    school, admin = districts.create_school_with_admin(
        districts.get_district(seat.district_id), data["code"], data["name"], data["admin_username"],
        data.get("admin_name", ""), data["admin_password"], by=_actor(seat))
    return jsonify({"school": school.code, "name": school.name, "admin": admin.username}), 201


@bp.put("/district/activity-types/<key>")
@operation(
    summary="Enable or disable an activity type in every school of the district (district admin)",
    tag="district",
    school=False,
    body=TYPE_SWITCH,
    responses={200: DISTRICT},
    errors=(403,),
)
def district_type(key: str) -> Response:
    from portal.registry import registry
    from portal.services import districts

    seat = _seat()
    data = parsing.json_body(TYPE_SWITCH)
    if registry().get(key) is None:
        raise NotFound(msg("type.not_installed_api", key=repr(key)))
    district = districts.get_district(seat.district_id)
    districts.enable_type(district, key, data["enabled"], by=_actor(seat))
    return _district_json(district)


DASH_PARAMS = (YEAR_PARAM, Param("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}, "Page of schools"))
EXPORT_PARAMS = (YEAR_PARAM, Param("format", {"type": "string", "enum": ["csv", "xlsx"]}, "csv (default) or xlsx"))


@bp.get("/district/dashboard")
@operation(
    summary="The district dashboard's figures: submissions by status, hours by type, shares per school (paged)",
    tag="district",
    school=False,
    query=DASH_PARAMS,
    responses={200: json_response("The figures", {"type": "object", "properties": {
        "year": {"type": "string"}, "page": {"type": "integer"}, "pages": {"type": "integer"},
        "total_schools": {"type": "integer"},
        "by_status": {"type": "object", "additionalProperties": {"type": "integer"}},
        "hours_by_type": {"type": "object", "additionalProperties": _HOURS},
        "schools": {"type": "array", "items": {"type": "object"}}}})},
    errors=(403,),
)
def district_dashboard() -> Response:
    from portal.services import dashboard

    seat = _seat()
    policy.require(policy.may_view_district(_actor(seat)), "policy.district_only")
    q = parsing.query(DASH_PARAMS)
    d = dashboard.dashboard(seat.district_id, credits.parse_year(q.get("year")), q.get("page", 1))
    return jsonify({
        "year": d.year, "page": d.page, "pages": d.pages, "total_schools": d.total_schools, "by_status": d.by_status,
        "hours_by_type": {k: fmt(h) for k, h in d.hours_by_type},
        "schools": [{"school": r.school.code, "name": r.school.name,
                     "status": r.submission.status if r.submission else None, "shares": dict(r.shares)}
                    for r in d.schools],
    })


@bp.get("/district/submitted")
@operation(
    summary="The figures every school submitted for a year, with each row's accepted/locked state: CSV "
    "(a row per teacher) or XLSX (a summary sheet and a sheet per school)",
    tag="district",
    school=False,
    query=EXPORT_PARAMS,
    responses={200: {"description": "The export", "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}}}}},
    errors=(403,),
)
def district_submitted() -> Response:
    import io

    from flask import request, stream_with_context

    from portal.reports import district_exports

    seat = _seat()
    policy.require(policy.may_view_district(_actor(seat)), "policy.district_only")
    q = parsing.query(EXPORT_PARAMS)
    year = credits.parse_year(q.get("year"))
    lang = request.accept_languages.best_match(["zh", "en"]) or "zh"
    name = f"district-submitted-{year}.{q.get('format', 'csv')}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if q.get("format") == "xlsx":
        out = io.BytesIO()
        district_exports.write_workbook(seat.district_id, year, out, lang)
        return Response(out.getvalue(), headers=headers,
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    body = stream_with_context(district_exports.stream_csv_rows(seat.district_id, year, lang))
    return Response(body, mimetype="text/csv", headers=headers)


PLAN_LINE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "month", "title", "hours"],
    "properties": {
        "type": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
                 "description": "an installed activity type (another: 404)"},
        "month": {"type": "integer", "minimum": 1, "maximum": 12},
        "title": text(200, nonblank=True),
        "hours": {"type": "number", "minimum": 0, "maximum": 1000, "multipleOf": 0.5},
        "responsible": text(100),
    },
}
PLAN_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["year", "lines"],
    "properties": {
        "year": SCHOOL_YEAR,
        "aims": text(4000),
        "target_hours": {"type": "number", "minimum": 0, "maximum": 1000, "multipleOf": 0.5},
        "lines": {"type": "array", "maxItems": 200, "items": PLAN_LINE},
    },
}
PLAN = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "school": {"type": "string"}, "year": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "submitted", "returned", "accepted"]},
        "late": {"type": "boolean"}, "aims": {"type": "string"}, "target_hours": _HOURS,
        "comment": {"type": "string"}, "lines": {"type": "array", "items": {"type": "object"}},
        "planned_vs_held": {"type": "array", "items": {"type": "object"}},
    },
}
PLAN_YEAR = {"type": "object", "additionalProperties": False, "required": ["year"], "properties": {"year": SCHOOL_YEAR}}
PLAN_DECISION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["decision"],
    "properties": {"decision": {"type": "string", "enum": ["accept", "return"]}, "comment": _COMMENT},
}


def _plan_json(plan: Any, code: str) -> Response:
    from portal.services import school_plans

    grid = school_plans.planned_vs_held(plan)
    return jsonify({
        "id": plan.id, "school": code, "year": plan.school_year, "status": plan.status, "late": plan.late,
        "aims": plan.aims, "target_hours": fmt(plan.target_hours), "comment": plan.comment,
        "lines": [{"type": ln.type_key, "month": ln.month, "title": ln.title, "hours": fmt(ln.planned_hours),
                   "responsible": ln.responsible} for ln in school_plans.lines_of(plan.id)],
        "planned_vs_held": [{"type": k, "month": m, "planned": c.planned, "planned_hours": fmt(c.planned_hours),
                             "held": c.held, "held_hours": fmt(c.held_hours)} for (k, m), c in sorted(grid.items())],
    })


@bp.get("/school-plan")
@operation(
    summary="The school's annual plan for a year, with planned against held by type and month (school admin)",
    tag="district",
    query=(YEAR_PARAM,),
    responses={200: json_response("The plan", PLAN)},
    errors=(403,),
)
def school_plan_get() -> Response:
    from portal.services import school_plans

    ctx = school_context()
    ctx.allow(policy.may_submit_year, caller().user.id, "school_admin")
    q = parsing.query((YEAR_PARAM,))
    plan = school_plans.get_plan(ctx.school.id, credits.parse_year(q.get("year")))
    if plan is None:
        raise NotFound(msg("school_plan.not_found"))
    return _plan_json(plan, ctx.school.code)


@bp.put("/school-plan")
@operation(
    summary="Write the school's annual plan for a year while it is a draft or returned (school admin)",
    tag="district",
    body=PLAN_BODY,
    responses={200: json_response("The plan", PLAN)},
    errors=(403, 409),
)
def school_plan_put() -> Response:
    from portal.services import school_plans

    ctx = school_context()
    data = parsing.json_body(PLAN_BODY)
    ctx.allow(policy.may_submit_year, caller().user.id, "school_admin")
    plan = school_plans.save_plan(ctx.school, data["year"], data.get("aims", ""), data.get("target_hours", 0),
                           data["lines"], by=ctx.actor(caller().user.id))
    return _plan_json(plan, ctx.school.code)


@bp.post("/school-plan/submit")
@operation(
    summary="Send the school's annual plan to the district (marked late after the district's deadline)",
    tag="district",
    body=PLAN_YEAR,
    responses={200: json_response("The plan", PLAN)},
    errors=(403, 409),
)
def school_plan_submit() -> Response:
    from portal.services import school_plans

    ctx = school_context()
    data = parsing.json_body(PLAN_YEAR)
    ctx.allow(policy.may_submit_year, caller().user.id, "school_admin")
    return _plan_json(school_plans.submit_plan(ctx.school, data["year"], by=ctx.actor(caller().user.id)), ctx.school.code)


@bp.post("/school-plans/<int:plan_id>/decision")
@operation(
    summary="Accept a school's annual plan or return it with a comment (district staff)",
    tag="district",
    school=False,
    body=PLAN_DECISION,
    responses={200: json_response("The plan", PLAN)},
    errors=(403, 409),
)
def district_plan_decide(plan_id: int) -> Response:
    from portal.extensions import db
    from portal.models import School
    from portal.services import school_plans

    seat = _seat()
    data = parsing.json_body(PLAN_DECISION)
    if plan_id > MAX_ID:
        raise NotFound(msg("school_plan.not_found"))
    plan = school_plans.decide_plan(plan_id, data["decision"] == "accept", data.get("comment", ""), by=_actor(seat),
                             district_id=seat.district_id)
    return _plan_json(plan, db.session.get_one(School, plan.school_id).code)


for _schema in (DECISION, REOPEN, SUBMIT, SETTINGS, NEW_SCHOOL, TYPE_SWITCH, PLAN_LINE, PLAN_BODY, PLAN_YEAR,
                PLAN_DECISION):
    storable(_schema)  # no NUL in any text (the input guard refuses it before the view)
