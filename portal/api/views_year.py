"""The teacher's year: their own writing and the writing quotas (and, in the same answer, the
forecast and warnings the teacher home shows). Self-declared hours (学时申报) need no route of
their own: ``POST /api/v1/activities`` with a self-declared type plans one for the caller."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from portal.api import parsing
from portal.api.blueprint import bp
from portal.api.context import caller, school_context
from portal.api.schemas import SCHOOL_YEAR
from portal.api.spec import Param, json_response, operation
from portal.assessment import QuotaFact
from portal.models import OwnWriting
from portal.services import credits, writing
from portal.services.quotas import WRITTEN_KINDS
from portal.timeutil import current_school_year

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
        "title": {"type": "string", "maxLength": writing.TITLE_MAX, "description": "the book, for reading notes"},
        "text": {"type": "string", "minLength": 1, "maxLength": 100_000},
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
