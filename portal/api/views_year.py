"""The teacher's year: their own writing and the writing quotas, and the outlook (forecast and
warnings) the teacher home shows. Self-declared hours (学时申报) need no route of
their own: ``POST /api/v1/activities`` with a self-declared type plans one for the caller."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from portal.api import parsing
from portal.api.blueprint import bp
from portal.api.context import caller, school_context
from portal.api.schemas import SCHOOL_YEAR
from portal.api.spec import Param, json_response, operation
from portal.api.typed_schemas import text
from portal.assessment import QuotaFact
from portal.models import OwnWriting
from portal.services import credits, forecast, overview, schools, writing
from portal.services.activities import TEXT_MAX
from portal.services.quotas import WRITTEN_KINDS
from portal.timeutil import current_school_year, to_local, utcnow

YEAR_PARAM = Param("year", SCHOOL_YEAR, "School year, e.g. 2026-2027 (default: the current one)")

QUOTA = {
    "type": "object",
    "required": ["key", "semester", "done", "target", "unit", "met"],
    "properties": {
        "key": {"type": "string", "description": "reading_notes, paper, reflections or books"},
        "semester": {"type": "integer", "description": "0 for a quota of the whole year"},
        "done": {"type": "integer"},
        "target": {"type": "integer"},
        "unit": {"type": "string", "enum": ["chars", "pieces"]},
        "met": {"type": "boolean"},
    },
}
PIECE = {
    "type": "object",
    "required": ["id", "kind", "title", "char_count", "school_year", "semester", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": list(WRITTEN_KINDS)},
        "title": {"type": "string"},
        "char_count": {"type": "integer", "description": "characters as Chinese readers count them"},
        "school_year": {"type": "string"},
        "semester": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
WRITING_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "text"],
    "properties": {
        "kind": {"type": "string", "enum": list(WRITTEN_KINDS)},
        "title": {**text(writing.TITLE_MAX), "description": "the book, for reading notes"},
        "text": text(TEXT_MAX, nonblank=True),
    },
}
YEAR_ANSWER = {
    "type": "object",
    "required": ["year", "quotas", "writing"],
    "properties": {
        "year": {"type": "string"},
        "quotas": {"type": "array", "items": QUOTA},
        "writing": {"type": "array", "items": PIECE},
    },
}


def quota_json(q: QuotaFact) -> dict[str, Any]:
    return {"key": q.key, "semester": q.semester, "done": q.done, "target": q.target, "unit": q.unit, "met": q.met}


def piece_json(p: OwnWriting) -> dict[str, Any]:
    return {
        "id": p.id, "kind": p.kind, "title": p.title, "char_count": p.char_count, "school_year": p.school_year,
        "semester": p.semester, "created_at": p.created_at.isoformat() + "Z",
    }


@bp.get("/me/writing")
@operation(
    summary="The caller's writing quotas and own writing for a school year",
    tag="year",
    query=(YEAR_PARAM,),
    responses={200: json_response("Quotas and writing", YEAR_ANSWER)},
)
def my_writing() -> Response:
    ctx = school_context()
    q = parsing.query((YEAR_PARAM,))
    user = caller().user
    year = credits.parse_year(q.get("year"), current_school_year(ctx.school.timezone))
    ty = credits.teacher_year(user, ctx.school, year)
    return jsonify(
        {
            "year": year,
            "quotas": [quota_json(x) for x in ty.facts.quotas],
            "writing": [piece_json(p) for p in writing.writing_list(ctx.school, user.id, year)],
        }
    )


@bp.post("/me/writing")
@operation(
    summary="Add reading notes, a paper or a reflection to the caller's own record (a teacher)",
    tag="year",
    body=WRITING_BODY,
    responses={201: json_response("The piece, counted", PIECE)},
    errors=(403,),
)
def add_my_writing() -> Response:
    ctx = school_context()
    data = parsing.json_body(WRITING_BODY)
    piece = writing.add_writing(ctx.school, caller().user, data["kind"], data.get("title", ""), data["text"])
    response = jsonify(piece_json(piece))
    response.status_code = 201
    return response


WARNING = {
    "type": "object",
    "required": ["kind", "semester", "severe"],
    "properties": {
        "kind": {"type": "string", "enum": ["absence", "quota"]},
        "semester": {"type": "integer"},
        "hours": {"type": "number", "description": "unexcused absence in the semester (absence)"},
        "limit": {"type": "number", "description": "the school's absence limit (absence)"},
        "severe": {"type": "boolean", "description": "the limit is reached: the year is not recognised"},
        "quota": QUOTA,
    },
}
OUTLOOK = {
    "type": "object",
    "required": ["year", "needed", "pending_hours", "beyond_planned", "outlook", "pending", "warnings"],
    "properties": {
        "year": {"type": "string"},
        "needed": {"type": "number", "description": "hours still needed for the requirement"},
        "pending_hours": {"type": "number", "description": "what the caller's open activities would bring"},
        "beyond_planned": {"type": "number", "description": "hours to find in activities not planned yet"},
        "outlook": {"type": "string", "enum": ["met", "on_track", "needs_more", "unreachable", "not_assessed"]},
        "pending": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["activity_id", "title", "type", "state", "hours"],
                "properties": {
                    "activity_id": {"type": "integer"}, "title": {"type": "string"}, "type": {"type": "string"},
                    "state": {"type": "string"}, "hours": {"type": "number"},
                },
            },
        },
        "warnings": {"type": "array", "items": WARNING},
    },
}


def warning_json(w: forecast.YearWarning) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": w.kind, "semester": w.semester, "severe": w.severe}
    if w.kind == "absence":
        out.update(hours=float(w.hours), limit=float(w.limit))
    if w.quota is not None:
        out["quota"] = quota_json(w.quota)
    return out


@bp.get("/me/outlook")
@operation(
    summary="The caller's outlook for a school year: hours still needed, what their open activities would "
    "bring, whether the target is reachable, and warnings (absence at the school's threshold, quotas behind)",
    tag="year",
    query=(YEAR_PARAM,),
    responses={200: json_response("The outlook", OUTLOOK)},
)
def my_outlook() -> Response:
    ctx = school_context()
    q = parsing.query((YEAR_PARAM,))
    user = caller().user
    year = credits.parse_year(q.get("year"), current_school_year(ctx.school.timezone))
    today = to_local(utcnow(), ctx.school.timezone).date()
    ty = credits.teacher_year(user, ctx.school, year)
    rows = overview.participations(user.id, ctx.school.id, forecast.PENDING_PHASES)
    pending = forecast.pending_activities(rows, schools.all_type_settings(ctx.school.id), year)
    fc = forecast.forecast(ty.facts, ty.assessment.status, pending, today)
    return jsonify(
        {
            "year": year,
            "needed": float(fc.needed),
            "pending_hours": float(fc.pending_hours),
            "beyond_planned": float(fc.beyond_planned),
            "outlook": fc.outlook,
            "pending": [
                {"activity_id": p.activity.id, "title": p.activity.title, "type": p.activity.type_key,
                 "state": p.activity.state, "hours": float(p.hours)}
                for p in fc.pending
            ],
            "warnings": [warning_json(w) for w in forecast.warnings(ty.facts, today)],
        }
    )
