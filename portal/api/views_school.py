"""The school's activity types, a teacher's credits and the school's credit report."""

from __future__ import annotations

from flask import Response, jsonify, request, stream_with_context

from portal import policy
from portal.api import parsing, serialize
from portal.api.blueprint import bp
from portal.api.context import caller, school_context
from portal.api.schemas import SCHOOL_YEAR, ref
from portal.api.spec import MAX_ID, Param, json_response, operation
from portal.errors import NotFound
from portal.messages import msg
from portal.registry import registry
from portal.services import credits, schools
from portal.timeutil import current_school_year

YEAR_PARAM = Param("year", SCHOOL_YEAR, "School year, e.g. 2026-2027 (default: the current one)")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _locale() -> str:
    return request.accept_languages.best_match(["zh", "en"]) or "zh"


def _year(value: str | None, tz: str) -> str:
    return credits.parse_year(value, current_school_year(tz))


@bp.get("/activity-types")
@operation(
    summary="The activity types enabled in the school",
    tag="school",
    responses={200: json_response("Enabled types", {"type": "array", "items": ref("ActivityType")})},
)
def list_activity_types() -> Response:
    ctx = school_context()
    locale = _locale()
    return jsonify(
        [
            serialize.activity_type(reg.type.key, True, schools.type_settings(ctx.school.id, reg.type.key), locale)
            for reg in schools.enabled_types(ctx.school.id)
        ]
    )


@bp.put("/activity-types/<key>")
@operation(
    summary="Enable or disable a type for the school and/or change its settings (school admin)",
    tag="school",
    description="Settings the type does not declare, values of another JSON type, numbers that are not "
    "finite or outside the declared range are refused (422); the document lists one path per installed "
    "type with its settings, their types and ranges.",
    body=ref("ActivityTypeUpdate"),
    per_type_body="ActivityTypeUpdate",
    responses={200: json_response("The type as the school now has it", ref("ActivityType"))},
    errors=(403,),
)
def update_activity_type(key: str) -> Response:
    ctx = school_context()
    if registry().get(key) is None:
        raise NotFound(msg("type.not_installed_api", key=repr(key)))
    data = parsing.json_body(ref("ActivityTypeUpdate"))
    ctx.allow(policy.may_administer, caller().user.id, "school_admin")
    row = schools.set_type(ctx.school, key, data.get("enabled"), data.get("settings"), by=ctx.actor(caller().user.id))
    return jsonify(serialize.activity_type(key, row.enabled, schools.type_settings(ctx.school.id, key), _locale()))


@bp.get("/users/<int:user_id>/credits")
@operation(
    summary="A teacher's hours for a school year: total, by type, absences, status and ledger lines",
    description="The teacher themself, a reviewer, a school admin or a district admin may read it.",
    tag="credits",
    query=(YEAR_PARAM,),
    responses={200: json_response("The teacher's year", ref("UserCredits"))},
    errors=(403,),
)
def user_credits(user_id: int) -> Response:
    ctx = school_context()
    q = parsing.query((YEAR_PARAM,))
    if user_id > MAX_ID:
        raise NotFound(msg("user.not_found"))
    user = credits.viewable_teacher(ctx.actor(caller().user.id), user_id, ctx.school)
    year = _year(q.get("year"), ctx.school.timezone)
    ty = credits.teacher_year(user, ctx.school, year)
    entries = [
        serialize.credit_line(e, act, ctx.school) for e, act in credits.entries_for(user.id, ctx.school.id, year)
    ]
    return jsonify({**serialize.teacher_year(ty), "entries": entries})


FORMAT_PARAM = Param("format", {"type": "string", "enum": ["json", "csv", "xlsx"]}, "json (default), csv or xlsx")


@bp.get("/reports/credits")
@operation(
    summary="The school's credit summary for a year (reviewer, school admin, district admin)",
    tag="credits",
    query=(YEAR_PARAM, FORMAT_PARAM),
    responses={
        200: {
            "description": "One row per teacher",
            "content": {
                "application/json": {"schema": ref("SchoolSummary")},
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    errors=(403,),
)
def credit_report() -> Response:
    ctx = school_context()
    q = parsing.query((YEAR_PARAM, FORMAT_PARAM))
    ctx.allow(policy.may_export, caller().user.id, "reviewer", "school_admin", "district_admin")
    year = _year(q.get("year"), ctx.school.timezone)
    fmt = q.get("format", "json")
    if fmt != "json":
        from portal.reports import exports  # the same files as the report pages

        name = f"summary-{ctx.school.code}-{year}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
        if fmt == "csv":
            body = stream_with_context(exports.stream_summary_csv(ctx.school, year, _locale()))
            return Response(body, mimetype="text/csv", headers=headers)
        return Response(exports.summary_xlsx(ctx.school, year, _locale()), mimetype=XLSX, headers=headers)
    rows = credits.school_summary(ctx.school, year)
    return jsonify(
        {
            "school": ctx.school.code,
            "year": year,
            "required_hours": float(ctx.school.rule("required_hours")),
            "teachers": [
                {"username": ty.user.username, "name": ty.user.display_name, **serialize.teacher_year(ty)}
                for ty in rows
            ],
        }
    )
