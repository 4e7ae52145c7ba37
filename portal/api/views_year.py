"""The teacher's year: teaching groups, sign-up (报名) for an activity, personal development
plans. Thin views over ``portal.services.groups``, ``signup`` and ``plans`` — the same rules
as the pages; their request and response schemas are declared here, next to the routes."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from portal import policy
from portal.api import parsing, serialize, typed_schemas
from portal.api.blueprint import bp
from portal.api.context import SchoolContext, caller, school_context
from portal.api.schemas import ID, SCHOOL_YEAR
from portal.api.spec import MAX_ID, Param, json_response, operation
from portal.api.typed_schemas import DATETIME_EXACT, text
from portal.errors import NotFound
from portal.messages import msg
from portal.models import Activity, DevelopmentPlan, User
from portal.services import access, credits, groups, plans, signup
from portal.timeutil import current_school_year

TEXT_HOURS = {"type": "number", "minimum": 0, "maximum": 300, "multipleOf": 0.5, "description": "Hours in steps of 0.5"}
USER_BRIEF: dict[str, Any] = {
    "type": "object",
    "properties": {"id": ID, "username": {"type": "string"}, "name": {"type": "string"}},
    "required": ["id", "username", "name"],
}
GROUP = {
    "type": "object",
    "properties": {
        "id": ID,
        "name": {"type": "string"},
        "leader_id": {"type": ["integer", "null"]},
        "members": {"type": "array", "items": USER_BRIEF},
    },
    "required": ["id", "name", "leader_id", "members"],
}
GROUP_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": text(groups.NAME_MAX, nonblank=True),
        "leader_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID,
                      "description": "A member holding the organizer role (教研组长); joins the group"},
        "member_ids": {"type": "array", "maxItems": 2000, "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                       "description": "The whole list of members (replaces the old one)"},
    },
    "required": ["name"],
}
SIGNUP_ENTRY = {
    "type": "object",
    "properties": {**USER_BRIEF["properties"], "status": {"type": "string", "enum": ["seat", "waiting"]},
                   "signed_at": {"type": "string", "format": "date-time"}},
    "required": ["id", "username", "name", "status", "signed_at"],
}
SIGNUP = {
    "type": "object",
    "properties": {
        "activity_id": ID,
        "capacity": {"type": "integer", "minimum": 1, "maximum": signup.MAX_CAPACITY},
        "closes_at": {"type": "string", "format": "date-time"},
        "closed": {"type": "boolean"},
        "confirmed_at": {"type": ["string", "null"], "format": "date-time"},
        "free": {"type": "integer", "minimum": 0},
        "seats": {"type": "array", "items": SIGNUP_ENTRY},
        "waiting": {"type": "array", "items": SIGNUP_ENTRY, "description": "In order: the first moves up first"},
        "mine": {"type": ["string", "null"], "enum": ["seat", "waiting", "withdrawn", None]},
        "position": {"type": ["integer", "null"], "description": "The caller's place on the waiting list"},
    },
    "required": ["activity_id", "capacity", "closes_at", "closed", "confirmed_at", "free", "seats", "waiting", "mine",
                 "position"],
}
SIGNUP_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "capacity": {"type": "integer", "minimum": 1, "maximum": signup.MAX_CAPACITY},
        "closes_at": {**DATETIME_EXACT, "description": "Before the activity starts and not past; school time without an offset"},
    },
    "required": ["capacity", "closes_at"],
}
PLAN = {
    "type": "object",
    "properties": {
        "id": ID,
        "user": USER_BRIEF,
        "school_year": {"type": "string"},
        "goals": {"type": "string"},
        "studies": {"type": "array", "items": {"type": "string"}},
        "target_hours": {"type": "number"},
        "type_targets": {"type": "object", "additionalProperties": {"type": "number"}},
        "status": {"type": "string", "enum": [plans.DRAFT, plans.SUBMITTED, plans.APPROVED, plans.RETURNED]},
        "comment": {"type": "string"},
        "decided_by": {"type": ["integer", "null"]},
        "deadline": {"type": "string", "format": "date"},
        "progress": {
            "type": "array",
            "description": "Planned against done (done: the ledger's hours, as on every page); type null is the total",
            "items": {"type": "object", "properties": {"type": {"type": ["string", "null"]}, "planned": {"type": "number"},
                                                       "done": {"type": "number"}}},
        },
    },
    "required": ["id", "user", "school_year", "goals", "studies", "target_hours", "type_targets", "status", "progress"],
}
PLAN_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "goals": text(plans.GOALS_MAX, nonblank=True),
        "studies": {"type": "array", "maxItems": plans.STUDIES_LINES,
                    "items": text(plans.STUDIES_LINE_MAX)},
        "target_hours": {**TEXT_HOURS, "description": "At least the school's requirement (the default)"},
        "type_targets": {"type": "object", "maxProperties": 64, "additionalProperties": TEXT_HOURS,
                         "description": "Activity type key → hours; together at most target_hours"},
        "submit": {"type": "boolean", "description": "Hand the plan in for sign-off (default: keep it a draft)"},
    },
    "required": ["goals"],
}
DECISION_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "decision": {"type": "string", "enum": ["approve", "return"]},
        "comment": {**text(plans.COMMENT_MAX), "description": "Required to return"},
    },
    "required": ["decision"],
}
DEADLINE_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"deadline": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                                "description": "A date within the school year", "examples": ["2026-10-31"]}},
    "required": ["deadline"],
}
_GROUP_RULES = [
    {"field": "name", "message": "^the school already has a group named ", "rule": "group names are unique in the school"},
    {"field": "name", "message": "^a name of 1", "rule": "the name is not blank"},
    {"field": "leader_id", "message": "^the leader must hold the organizer role", "rule": "the leader is an organizer"},
    {"field": "member_ids", "message": r"^user \d+ is not a member of this school$",
     "rule": "every member is an active member of the school"},
]
_HOURS_RULES = [
    {"field": "target_hours", "message": "^at least the school's requirement", "rule": "the target is at least the "
     "school's required hours"},
    {"field": "type_targets", "message": "^the hours per type add up to", "rule": "the types' hours add up to at most "
     "the target"},
    {"field": "type_targets", "message": "is not an activity type of this school$", "rule": "each key is a type "
     "enabled for the school"},
    {"field": "goals", "message": "^goals of 1", "rule": "the goals are not blank"},
    {"field": "studies", "message": "^at most \\d+ lines", "rule": "at most 30 lines once the items are split into "
     "lines"},
]
#: Refusals the schemas cannot express, declared in the document (``x-data-rules``).
typed_schemas.DATA_RULES.update({
    "create_group": _GROUP_RULES,
    "update_group": _GROUP_RULES,
    "put_signup": [
        {"field": "closes_at", "message": "^sign-up must close before the activity starts", "rule": "`closes_at` is "
         "before the activity starts"},
        {"field": "closes_at", "message": "^the closing time has already passed$", "rule": "`closes_at` is not past"},
        {"field": "capacity", "message": "people already hold a seat; the capacity cannot be lower$",
         "rule": "the capacity is not below the seats already given"},
    ],
    "put_my_plan": _HOURS_RULES,
    "decide_plan": [{"field": "comment", "message": "^say why the plan is returned$", "rule": "a return has a comment"}],
    "put_deadline": [
        {"field": "deadline", "message": "^a date within the school year", "rule": "the deadline is within the year"},
        {"field": "deadline", "message": "^a date such as", "rule": "the deadline is a real date (YYYY-MM-DD)"},
    ],
})
YEAR = Param("year", SCHOOL_YEAR, "School year, e.g. 2026-2027 (default: the current one)")
STATUS = Param("status", {"type": "string", "enum": list(plans.STATUS_LABELS)}, "Only plans in this status")


def _who() -> tuple[SchoolContext, User, policy.Actor]:
    ctx = school_context()
    user = caller().user
    return ctx, user, ctx.actor(user.id)


def _user(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "name": u.display_name}


# -- groups -------------------------------------------------------------------------------------


def _group_json(view: groups.GroupView) -> dict[str, Any]:
    return {"id": view.group.id, "name": view.group.name, "leader_id": view.group.leader_id,
            "members": [_user(u) for u in view.members]}


def _one_group(group_id: int, school_id: int) -> dict[str, Any]:
    return _group_json(next(v for v in groups.school_groups(school_id) if v.group.id == group_id))


@bp.get("/groups")
@operation(summary="The school's teaching groups (教研组), with leaders and members, by pinyin", tag="year",
           responses={200: json_response("The groups", {"type": "array", "items": GROUP})})
def list_groups() -> Response:
    ctx = school_context()
    return jsonify([_group_json(v) for v in groups.school_groups(ctx.school.id)])


@bp.post("/groups")
@operation(summary="Create a teaching group (school admin)", tag="year", body=GROUP_BODY,
           responses={201: json_response("The group", GROUP)}, errors=(403,))
def create_group() -> tuple[Response, int]:
    ctx, _user_, who = _who()
    data = parsing.json_body(GROUP_BODY)
    row = groups.save_group(ctx.school, data["name"], data.get("leader_id"), data.get("member_ids"), by=who)
    return jsonify(_one_group(row.id, ctx.school.id)), 201


@bp.put("/groups/<int:group_id>")
@operation(summary="Rename a group, set its leader and its whole member list (school admin)", tag="year",
           body=GROUP_BODY, responses={200: json_response("The group", GROUP)}, errors=(403,))
def update_group(group_id: int) -> Response:
    ctx, _user_, who = _who()
    group = groups.get_group(group_id, ctx.school.id)  # another school's group: 404 before the body
    data = parsing.json_body(GROUP_BODY)
    groups.save_group(ctx.school, data["name"], data.get("leader_id"), data.get("member_ids"), by=who, group=group)
    return jsonify(_one_group(group.id, ctx.school.id))


@bp.delete("/groups/<int:group_id>")
@operation(summary="Delete a group (school admin); activities keep their participants", tag="year",
           responses={204: None}, errors=(403,))
def delete_group(group_id: int) -> Response:
    ctx, _user_, who = _who()
    policy.require(policy.may_manage_groups(who), "policy.groups")
    groups.delete_group(groups.get_group(group_id, ctx.school.id), by=who)
    return Response(status=204)


# -- sign-up ------------------------------------------------------------------------------------


def _activity(activity_id: int, ctx: SchoolContext) -> Activity:
    if activity_id > MAX_ID:
        raise NotFound(msg("activity.not_found"))
    return access.get_activity(activity_id, ctx.school.id)


def _signup_json(act: Activity, ctx: SchoolContext, user_id: int) -> dict[str, Any]:
    view = signup.view(act, user_id)
    if view is None:
        raise NotFound(msg("signup.not_open"))

    def entry(row, u: User) -> dict[str, Any]:
        return {**_user(u), "status": row.status, "signed_at": serialize.local_time(row.signed_at, ctx.school)}

    w = view.window
    return {
        "activity_id": act.id,
        "capacity": w.capacity,
        "closes_at": serialize.local_time(w.closes_at, ctx.school),
        "closed": view.is_closed,
        "confirmed_at": serialize.local_time(w.confirmed_at, ctx.school) if w.confirmed_at else None,
        "free": view.free,
        "seats": [entry(r, u) for r, u in view.seats],
        "waiting": [entry(r, u) for r, u in view.waiting],
        "mine": view.mine.status if view.mine else None,
        "position": view.position,
    }


SIGNUP_RESPONSE = json_response("The sign-up: seats, the waiting list in order, the caller's place", SIGNUP)


@bp.get("/activities/<int:activity_id>/signup")
@operation(summary="An activity's sign-up (404 when it is not open for sign-up)", tag="year",
           responses={200: SIGNUP_RESPONSE})
def get_signup(activity_id: int) -> Response:
    ctx, user, _who_ = _who()
    return jsonify(_signup_json(_activity(activity_id, ctx), ctx, user.id))


@bp.put("/activities/<int:activity_id>/signup")
@operation(summary="Open an activity for sign-up, or change its capacity and closing time (its organizer)",
           description="The capacity is 1–1000 and never below the seats already given (more seats move the "
           "waiting list up); sign-up closes before the activity starts.", tag="year", body=SIGNUP_BODY,
           responses={200: SIGNUP_RESPONSE}, errors=(403, 409))
def put_signup(activity_id: int) -> Response:
    ctx, user, who = _who()
    act = _activity(activity_id, ctx)  # another school's activity: 404 before the body
    data = parsing.json_body(SIGNUP_BODY)
    signup.open_signup(act, data["capacity"], data["closes_at"], by=who, tz=ctx.school.timezone)
    return jsonify(_signup_json(act, ctx, user.id))


@bp.post("/activities/<int:activity_id>/signup/me")
@operation(summary="Sign up: a seat while there is one, else the end of the waiting list", tag="year",
           description="Refused (409) when signed up already, after closing, after the organizer confirmed the "
           "list, or for a participant.", responses={201: SIGNUP_RESPONSE}, errors=(403, 409))
def sign_up(activity_id: int) -> tuple[Response, int]:
    ctx, user, who = _who()
    act = _activity(activity_id, ctx)
    signup.sign_up(act, user, by=who)
    return jsonify(_signup_json(act, ctx, user.id)), 201


@bp.delete("/activities/<int:activity_id>/signup/me")
@operation(summary="Withdraw; a freed seat goes to the first on the waiting list at once", tag="year",
           responses={204: None}, errors=(403, 409))
def withdraw(activity_id: int) -> Response:
    ctx, user, who = _who()
    signup.withdraw(_activity(activity_id, ctx), user, by=who)
    return Response(status=204)


@bp.post("/activities/<int:activity_id>/signup/confirm")
@operation(summary="Confirm the list (its organizer): seat holders become participants, sign-up closes", tag="year",
           responses={200: SIGNUP_RESPONSE}, errors=(403, 409))
def confirm_signup(activity_id: int) -> Response:
    ctx, user, who = _who()
    act = _activity(activity_id, ctx)
    signup.confirm(act, by=who)
    return jsonify(_signup_json(act, ctx, user.id))


# -- personal development plans ---------------------------------------------------------------


def _year(value: str | None, ctx: SchoolContext) -> str:
    return credits.parse_year(value, current_school_year(ctx.school.timezone))


def _plan_json(plan: DevelopmentPlan, ctx: SchoolContext, teacher: User) -> dict[str, Any]:
    record = credits.teacher_year(teacher, ctx.school, plan.school_year)
    return {
        "id": plan.id,
        "user": _user(teacher),
        "school_year": plan.school_year,
        "goals": plan.goals,
        "studies": [line for line in (plan.studies or "").splitlines() if line],
        "target_hours": serialize.hours(plan.target_hours),
        "type_targets": {k: float(v) for k, v in (plan.type_targets or {}).items()},
        "status": plan.status,
        "comment": plan.comment or "",
        "decided_by": plan.decided_by,
        "deadline": plans.deadline(ctx.school, plan.school_year).isoformat(),
        "progress": [{"type": line.key, "planned": float(line.planned), "done": float(line.done)}
                     for line in plans.against(plan, record)],
    }


PLAN_RESPONSE = json_response("The plan, with planned against done", PLAN)


@bp.get("/plans")
@operation(summary="The school's plans of a year, awaiting sign-off first (school admin, reviewer)", tag="year",
           query=(YEAR, STATUS), responses={200: json_response("Plans", {"type": "array", "items": PLAN})},
           errors=(403,))
def list_plans() -> Response:
    ctx, _user_, who = _who()
    q = parsing.query((YEAR, STATUS))
    policy.require(policy.may_review_plans(who), "policy.decide_plan")
    year = _year(q.get("year"), ctx)
    rows = plans.school_plans(ctx.school.id, year)
    return jsonify([_plan_json(p, ctx, u) for p, u in rows if q.get("status") in (None, p.status)])


@bp.get("/plans/me")
@operation(summary="The caller's own plan of a year (404 when not written yet)", tag="year", query=(YEAR,),
           responses={200: PLAN_RESPONSE})
def my_plan() -> Response:
    ctx, user, _who_ = _who()
    q = parsing.query((YEAR,))
    plan = plans.plan_of(ctx.school.id, user.id, _year(q.get("year"), ctx))
    if plan is None:
        raise NotFound(msg("plan.not_found"))
    return jsonify(_plan_json(plan, ctx, user))


@bp.put("/plans/me")
@operation(summary="Write the caller's own plan of a year (a draft, or handed in with `submit`)", tag="year",
           description="Before the school's deadline (a returned plan may be revised after it); a plan awaiting "
           "sign-off or signed off cannot change (409).", query=(YEAR,), body=PLAN_BODY,
           responses={200: PLAN_RESPONSE}, errors=(403, 409))
def put_my_plan() -> Response:
    ctx, user, who = _who()
    q = parsing.query((YEAR,))
    data = parsing.json_body(PLAN_BODY)
    plan = plans.save(
        ctx.school, user, _year(q.get("year"), ctx), data["goals"], "\n".join(data.get("studies") or []),
        data.get("target_hours"), data.get("type_targets"), by=who, submit=bool(data.get("submit")),
    )
    return jsonify(_plan_json(plan, ctx, user))


@bp.get("/plans/<int:plan_id>")
@operation(summary="A plan (the teacher, a reviewer, a school admin or the district)", tag="year",
           responses={200: PLAN_RESPONSE}, errors=(403,))
def get_plan(plan_id: int) -> Response:
    ctx, _user_, who = _who()
    plan = plans.readable_plan(plan_id, ctx.school.id, who)
    return jsonify(_plan_json(plan, ctx, access.get_member(plan.user_id, ctx.school.id)))


@bp.post("/plans/<int:plan_id>/decision")
@operation(summary="Sign off (approve, 同意) or return (退回, with a comment) a submitted plan", tag="year",
           description="A school admin or a reviewer, never the plan's own teacher.", body=DECISION_BODY,
           responses={200: PLAN_RESPONSE}, errors=(403, 409))
def decide_plan(plan_id: int) -> Response:
    ctx, _user_, who = _who()
    plan = plans.get_plan(plan_id, ctx.school.id)  # another school's plan: 404 before the body
    data = parsing.json_body(DECISION_BODY)
    plan = plans.decide(plan, data["decision"], data.get("comment", ""), by=who)
    return jsonify(_plan_json(plan, ctx, access.get_member(plan.user_id, ctx.school.id)))


@bp.put("/plans/deadline")
@operation(summary="Set the deadline of a year's plans: a date within the school year (school admin)", tag="year",
           query=(YEAR,), body=DEADLINE_BODY,
           responses={200: json_response("The deadline", {"type": "object", "properties": {
               "school_year": {"type": "string"}, "deadline": {"type": "string", "format": "date"}}})},
           errors=(403,))
def put_deadline() -> Response:
    ctx, _user_, who = _who()
    q = parsing.query((YEAR,))
    data = parsing.json_body(DEADLINE_BODY)
    year = _year(q.get("year"), ctx)
    day = plans.set_deadline(ctx.school, year, data["deadline"], by=who)
    return jsonify({"school_year": year, "deadline": day.isoformat()})
