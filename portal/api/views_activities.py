"""Activities: list, plan, read, attendance, evidence, transitions, history."""

from __future__ import annotations

from flask import Response, jsonify, request

from portal.api import parsing, serialize
from portal.api.blueprint import bp
from portal.api.context import SchoolContext, caller, school_context
from portal.api.schemas import COMPONENTS, SCHOOL_YEAR, ref
from portal.api.spec import MAX_ID, Param, json_response, operation
from portal.errors import NotFound
from portal.messages import msg
from portal.models import Activity
from portal.services import access, activities, overview, transitions

ACTIVITY = json_response("The activity, its participants, evidence and the caller's allowed triggers", ref("Activity"))
LIST_PARAMS = (
    Param("state", {"type": "string", "pattern": "^[a-z_]{1,32}$"}, "Only activities in this state"),
    Param("type", {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"}, "Only activities of this type"),
    Param("year", SCHOOL_YEAR, "Only activities of this school year"),
    Param("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}, "Page number, from 1"),
    Param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Items per page (default 20)"),
)


def _activity(activity_id: int, ctx: SchoolContext) -> Activity:
    if activity_id > MAX_ID:
        raise NotFound(msg("activity.not_found"))
    return access.get_activity(activity_id, ctx.school.id)


def _detail(act: Activity, ctx: SchoolContext) -> dict:
    people = activities.participants_with_users(act.id)
    allowed = transitions.allowed_triggers(act, caller().user.id, [p.user_id for p, _ in people])
    return serialize.activity_detail(act, ctx.school, people, activities.evidence_of(act.id), allowed)


@bp.get("/activities")
@operation(
    summary="The school's activities, newest first, one page at a time",
    query=LIST_PARAMS,
    responses={200: json_response("A page of activities", ref("ActivityPage"))},
)
def list_activities() -> Response:
    ctx = school_context()
    q = parsing.query(LIST_PARAMS)
    page, per_page = q.get("page", 1), q.get("per_page", 20)
    filters = overview.ActivityFilters(
        type_key=q.get("type") or "", state=q.get("state") or "", school_year=q.get("year") or ""
    )
    found = overview.list_activities(ctx.school.id, filters, page, per_page)
    rows, total = found.items, found.total or 0
    return jsonify(
        {
            "items": [serialize.activity_summary(a, ctx.school) for a in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": (total + per_page - 1) // per_page,
        }
    )


@bp.post("/activities")
@operation(
    summary="Plan an activity (organizer or school admin); `details` are checked by the type's own form",
    body=ref("ActivityCreate"),
    responses={201: json_response("The planned activity", ref("Activity"))},
    errors=(403,),
)
def create_activity() -> Response:
    ctx = school_context()
    data = parsing.json_body(ref("ActivityCreate"))
    act = activities.plan_activity(
        ctx.school,
        caller().user,
        data["type"],
        data["title"],
        data["starts_at"],
        data["ends_at"],
        data["hours"],
        data.get("participants"),
        data.get("details", {}),
        location=data.get("location", ""),
    )
    response = jsonify(_detail(act, ctx))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/activities/{act.id}"
    return response


@bp.get("/activities/<int:activity_id>")
@operation(summary="One activity", responses={200: ACTIVITY})
def get_activity(activity_id: int) -> Response:
    ctx = school_context()
    return jsonify(_detail(_activity(activity_id, ctx), ctx))


@bp.put("/activities/<int:activity_id>/attendance")
@operation(
    summary="Record attended, unexcused absent and excused hours (organizer or school admin), all or nothing",
    description="The three hours of a row together are at most the activity's hours.",
    body=ref("Attendance"),
    responses={200: ACTIVITY},
    errors=(403, 409),
)
def put_attendance(activity_id: int) -> Response:
    ctx = school_context()
    act = _activity(activity_id, ctx)
    rows = parsing.json_body(ref("Attendance"))
    activities.record_attendance(act, caller().user, rows)
    return jsonify(_detail(act, ctx))


@bp.post("/activities/<int:activity_id>/evidence")
@operation(
    summary="Add evidence: a file (multipart) or a written piece (JSON)",
    description="A participant adds their own; the organizer or a school admin may add for anyone "
    "(`user_id`, default the caller).",
    body=ref("EvidenceText"),
    multipart=ref("EvidenceUpload"),
    responses={201: json_response("The evidence", ref("Evidence"))},
    errors=(403, 409),
)
def add_evidence(activity_id: int) -> Response:
    ctx = school_context()
    act = _activity(activity_id, ctx)
    if request.mimetype == "multipart/form-data":
        form, upload = parsing.multipart_form(COMPONENTS["EvidenceUpload"])
        ev = activities.add_evidence(
            act, caller().user, form.get("user_id"), form["kind"], form.get("title", ""),
            filename=upload.filename, data=upload.read(),
        )
    else:
        data = parsing.json_body(ref("EvidenceText"))
        ev = activities.add_evidence(
            act, caller().user, data.get("user_id"), data["kind"], data.get("title", ""), text=data["text"]
        )
    response = jsonify(serialize.evidence(ev, ctx.school))
    response.status_code = 201
    return response


@bp.post("/activities/<int:activity_id>/transitions")
@operation(
    summary="Fire a workflow trigger (hold, cancel, approve, return, credit, revoke, or a type's own)",
    description="An illegal trigger for the current state is 409 `illegal_transition` with the `allowed` "
    "triggers, whoever sends it; then the caller's roles are checked (403), the comment (422), and the "
    "type's guards (422 `guard_failed` with `missing`). `hours` adjusts a participant's credited hours "
    "when approving, with the reason in `comment`.",
    body=ref("TransitionRequest"),
    responses={200: ACTIVITY},
    errors=(403, 409),
)
def fire_transition(activity_id: int) -> Response:
    ctx = school_context()
    _activity(activity_id, ctx)
    data = parsing.json_body(ref("TransitionRequest"))
    act = transitions.fire(
        activity_id, ctx.school.id, caller().user, data["trigger"], data.get("comment", ""), data.get("hours")
    )
    return jsonify(_detail(act, ctx))


@bp.get("/activities/<int:activity_id>/history")
@operation(
    summary="The activity's transition log, oldest first",
    responses={200: json_response("Transition log", {"type": "array", "items": ref("HistoryEntry")})},
)
def get_history(activity_id: int) -> Response:
    ctx = school_context()
    act = _activity(activity_id, ctx)
    return jsonify([serialize.history_entry(row, actor, ctx.school) for row, actor in transitions.history(act.id)])
