"""The teacher's year: teaching groups, sign-up (报名) for an activity, personal development
plans. Thin views over ``portal.services.groups``, ``signup`` and ``plans`` — the same rules
as the pages; their models are in ``portal.api.models_year``."""

from __future__ import annotations

from flask import Response

from portal import policy
from portal.api import typed_schemas
from portal.api.blueprint import bp
from portal.api.context import SchoolContext, caller, parsed, school_context
from portal.api.models import YearQuery
from portal.api.models_year import (
    DeadlineBody,
    DeadlineOut,
    DecisionBody,
    GroupBody,
    GroupOut,
    Groups,
    MySignupRow,
    MySignups,
    OpenSignupRow,
    OpenSignups,
    PersonGroupsBody,
    PersonGroupsOut,
    PlanBody,
    PlanListQuery,
    PlanOut,
    Plans,
    SignupBody,
    SignupOut,
)
from portal.api.openapi import operation
from portal.api.views_activities import _activity
from portal.errors import NotFound
from portal.messages import msg
from portal.models import Activity, DevelopmentPlan, User
from portal.services import access, credits, groups, plans, signup
from portal.timeutil import current_school_year

_GROUP_RULES = [
    {"field": "name", "message": "^the school already has a group named ", "rule": "group names are unique in the school"},
    {"field": "name", "message": "^a name of 1", "rule": "the name is not blank"},
    {"field": "leader_id", "message": "^the leader must hold the organizer role", "rule": "the leader is an organizer"},
    {"field": "member_ids", "message": r"^(#\d+: not|.+ is no longer) a member of this school$",
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
    "put_person_groups": [
        {"field": "group_ids", "message": r"^teaching group \d+ is not a group of this school$",
         "rule": "every group is one of the school's"},
        {"field": "group_ids", "message": " leads .*; choose another leader on that group's page first$",
         "rule": "a group's leader stays in it"},
        {"field": "user_id", "message": " is deactivated in this school; ", "rule": "the person is active in the school"},
    ],
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
        {"field": "deadline", "message": r"^a date within the \S+ school year ", "rule": "the deadline is within the year"},
        {"field": "deadline", "message": "^a date such as", "rule": "the deadline is a real date (YYYY-MM-DD)"},
    ],
})


def _who() -> tuple[SchoolContext, User, policy.Actor]:
    ctx = school_context()
    user = caller().user
    return ctx, user, ctx.actor(user.id)


# -- groups -------------------------------------------------------------------------------------


def _group(group_id: int) -> None:
    groups.get_group(group_id, school_context().school.id)  # another school's group: 404 before the body


@bp.get("/groups")
@operation(200, Groups, "The groups", tag="year")
def list_groups() -> Groups:
    """The school's teaching groups (教研组), with leaders and members, by pinyin"""
    ctx = school_context()
    return Groups([GroupOut.of(v) for v in groups.school_groups(ctx.school.id)])


@bp.post("/groups")
@operation(201, GroupOut, "The group", json=GroupBody, tag="year", errors=(403,), may=policy.may_manage_groups)
def create_group() -> tuple[GroupOut, int]:
    """Create a teaching group (school admin)"""
    ctx, _user_, who = _who()
    data = parsed(GroupBody)
    row = groups.save_group(ctx.school, data.name, data.leader_id, data.member_ids, by=who)
    return GroupOut.one(row.id, ctx.school.id), 201


@bp.put("/groups/<int:group_id>")
@operation(200, GroupOut, "The group", json=GroupBody, tag="year", errors=(403,), finds=_group, may=policy.may_manage_groups)
def update_group(group_id: int) -> GroupOut:
    """Rename a group, set its leader and its whole member list (school admin)"""
    ctx, _user_, who = _who()
    group = groups.get_group(group_id, ctx.school.id)
    data = parsed(GroupBody)
    groups.save_group(ctx.school, data.name, data.leader_id, data.member_ids, by=who, group=group)
    return GroupOut.one(group.id, ctx.school.id)


@bp.delete("/groups/<int:group_id>")
@operation(204, None, "No content", tag="year", errors=(403,))
def delete_group(group_id: int) -> Response:
    """Delete a group (school admin); activities keep their participants"""
    ctx, _user_, who = _who()
    policy.require(policy.may_manage_groups(who), "policy.groups")
    groups.delete_group(groups.get_group(group_id, ctx.school.id), by=who)
    return Response(status=204)


def _person(user_id: int) -> None:
    groups.school_person(school_context().school.id, user_id)  # another school's person: 404 before the body


@bp.put("/users/<int:user_id>/groups")
@operation(200, PersonGroupsOut, "The person's groups", json=PersonGroupsBody, tag="year", errors=(403,),
           finds=_person, may=policy.may_manage_groups)
def put_person_groups(user_id: int) -> PersonGroupsOut:
    """Put a person of the school in exactly these teaching groups (school admin)

    The same rule as the staff page: only the school's own groups, only an active person, and
    a group's leader stays in it; the change is written to the staff audit log."""
    ctx, _user_, who = _who()
    data = parsed(PersonGroupsBody)
    now = groups.set_person_groups(ctx.school, user_id, data.group_ids, by=who)
    return PersonGroupsOut.of(user_id, now, ctx.school.id)


# -- sign-up ------------------------------------------------------------------------------------


def _signup(act: Activity, ctx: SchoolContext, user_id: int) -> SignupOut:
    view = signup.view(act, user_id)
    if view is None:
        raise NotFound(msg("signup.not_open"))
    show = policy.may_see_signup_withdrawals(ctx.actor(user_id), act)
    return SignupOut.of(act, view, ctx.school, show_withdrawn=show)


SIGNUP = "The sign-up: seats, the waiting list in order, who withdrew (its organizer), the caller's place"


@bp.get("/activities/<int:activity_id>/signup")
@operation(200, SignupOut, SIGNUP, tag="year", finds=_activity)
def get_signup(activity_id: int) -> SignupOut:
    """An activity's sign-up (404 when it is not open for sign-up)"""
    ctx, user, _who_ = _who()
    return _signup(_activity(activity_id, ctx), ctx, user.id)


@bp.put("/activities/<int:activity_id>/signup")
@operation(200, SignupOut, SIGNUP, json=SignupBody, tag="year", errors=(403, 409), finds=_activity)
def put_signup(activity_id: int) -> SignupOut:
    """Open an activity for sign-up, or change its capacity and closing time (its organizer)

    The capacity is 1–1000 and never below the seats already given (more seats move the waiting list up); sign-up
    closes before the activity starts."""
    ctx, user, who = _who()
    act = _activity(activity_id, ctx)
    data = parsed(SignupBody)
    signup.open_signup(act, data.capacity, data.closes_at, by=who, tz=ctx.school.timezone)
    return _signup(act, ctx, user.id)


@bp.post("/activities/<int:activity_id>/signup/me")
@operation(201, SignupOut, SIGNUP, tag="year", errors=(403, 409), finds=_activity)
def sign_up(activity_id: int) -> tuple[SignupOut, int]:
    """Sign up: a seat while there is one, else the end of the waiting list

    Refused (409) when signed up already, after closing, after the organizer confirmed the list, or for a
    participant."""
    ctx, user, who = _who()
    act = _activity(activity_id, ctx)
    signup.sign_up(act, user, by=who)
    return _signup(act, ctx, user.id), 201


@bp.delete("/activities/<int:activity_id>/signup/me")
@operation(204, None, "No content", tag="year", errors=(403, 409), finds=_activity)
def withdraw(activity_id: int) -> Response:
    """Withdraw; a freed seat goes to the first on the waiting list at once"""
    ctx, user, who = _who()
    signup.withdraw(_activity(activity_id, ctx), user, by=who)
    return Response(status=204)


@bp.post("/activities/<int:activity_id>/signup/confirm")
@operation(200, SignupOut, SIGNUP, tag="year", errors=(403, 409), finds=_activity)
def confirm_signup(activity_id: int) -> SignupOut:
    """Confirm the list (its organizer): seat holders become participants, sign-up closes"""
    ctx, user, who = _who()
    act = _activity(activity_id, ctx)
    signup.confirm(act, by=who)
    return _signup(act, ctx, user.id)


@bp.get("/me/signups")
@operation(200, MySignups, "The caller's sign-ups, the latest change first", query=YearQuery, tag="year")
def my_signups() -> MySignups:
    """The caller's own sign-ups of a school year: seats, waiting, and withdrawn (with when)"""
    ctx, user, _who_ = _who()
    year = _year(parsed(YearQuery, "query").year, ctx)
    return MySignups([MySignupRow.of(r, a, ctx.school) for r, a in signup.signups_of(user.id, ctx.school.id, year)])


@bp.get("/signups/open")
@operation(200, OpenSignups, "The activities open to the caller's sign-up, the one closing first first", tag="year",
           errors=(403,))
def open_signups() -> OpenSignups:
    """What the caller may sign up for now: open for sign-up, neither closed, confirmed nor started, and the caller
    neither holds a seat, waits for one nor takes part already (a teacher of the school; 403 for others)"""
    ctx, _user_, who = _who()
    return OpenSignups([OpenSignupRow.of(a, w, ctx.school) for a, w in signup.open_to(who, ctx.school.id)])


# -- personal development plans ---------------------------------------------------------------


def _year(value: str | None, ctx: SchoolContext) -> str:
    return credits.parse_year(value, current_school_year(ctx.school.timezone))


def _plan(plan_id: int) -> None:
    plans.get_plan(plan_id, school_context().school.id)  # another school's plan: 404 before the body


PLAN = "The plan, with planned against done"


def _author(plan: DevelopmentPlan) -> User:
    """The plan's teacher, also one who has left the school (the plan stays its record, as the
    list of plans and the plan page show it)."""
    return access.get_past_or_present_member(plan.user_id, plan.school_id)


@bp.get("/plans")
@operation(200, Plans, "Plans", query=PlanListQuery, tag="year", errors=(403,))
def list_plans() -> Plans:
    """The school's plans of a year, awaiting sign-off first (school admin, reviewer)"""
    ctx, _user_, who = _who()
    q = parsed(PlanListQuery, "query")
    policy.require(policy.may_review_plans(who), "policy.decide_plan")
    rows = plans.school_plans(ctx.school.id, _year(q.year, ctx))
    return Plans([PlanOut.of(p, u, ctx.school) for p, u in rows if q.status in (None, p.status)])


@bp.get("/plans/me")
@operation(200, PlanOut, PLAN, query=YearQuery, tag="year")
def my_plan() -> PlanOut:
    """The caller's own plan of a year (404 when not written yet)"""
    ctx, user, _who_ = _who()
    q = parsed(YearQuery, "query")
    plan = plans.plan_of(ctx.school.id, user.id, _year(q.year, ctx))
    if plan is None:
        raise NotFound(msg("plan.not_found"))
    return PlanOut.of(plan, user, ctx.school)


@bp.put("/plans/me")
@operation(200, PlanOut, PLAN, json=PlanBody, query=YearQuery, tag="year", errors=(403, 409))
def put_my_plan() -> PlanOut:
    """Write the caller's own plan of a year (a draft, or handed in with `submit`)

    Before the school's deadline (a returned plan may be revised after it); a plan awaiting sign-off or signed off
    cannot change, nor any plan of a year the district has accepted (409, `year.locked`) or of a past year
    (409, `plan.past_year`)."""
    ctx, user, who = _who()
    q = parsed(YearQuery, "query")
    data = parsed(PlanBody)
    plan = plans.save(
        ctx.school, user, _year(q.year, ctx), data.goals, "\n".join(data.studies or []),
        data.target_hours, data.type_targets, by=who, submit=data.submit,
    )
    return PlanOut.of(plan, user, ctx.school)


@bp.get("/plans/<int:plan_id>")
@operation(200, PlanOut, PLAN, tag="year", errors=(403,))
def get_plan(plan_id: int) -> PlanOut:
    """A plan (the teacher, a reviewer, a school admin or the district)"""
    ctx, _user_, who = _who()
    plan = plans.readable_plan(plan_id, ctx.school.id, who)
    return PlanOut.of(plan, _author(plan), ctx.school)


@bp.post("/plans/<int:plan_id>/decision")
@operation(200, PlanOut, PLAN, json=DecisionBody, tag="year", errors=(403, 409), finds=_plan, may=policy.may_review_plans)
def decide_plan(plan_id: int) -> PlanOut:
    """Sign off (approve, 同意) or return (退回, with a comment) a submitted plan

    A school admin or a reviewer, never the plan's own teacher; not in a year the district has accepted (409,
    `year.locked`)."""
    ctx, _user_, who = _who()
    plan = plans.get_plan(plan_id, ctx.school.id)
    data = parsed(DecisionBody)
    plan = plans.decide(plan, data.decision, data.comment, by=who)
    return PlanOut.of(plan, _author(plan), ctx.school)


@bp.put("/plans/deadline")
@operation(200, DeadlineOut, "The deadline", json=DeadlineBody, query=YearQuery, tag="year", errors=(403,),
           may=policy.may_set_plan_deadline)
def put_deadline() -> DeadlineOut:
    """Set the deadline of a year's plans: a date within the school year (school admin)"""
    ctx, _user_, who = _who()
    q = parsed(YearQuery, "query")
    data = parsed(DeadlineBody)
    year = _year(q.year, ctx)
    day = plans.set_deadline(ctx.school, year, data.deadline, by=who)
    return DeadlineOut(school_year=year, deadline=day.isoformat())
