"""Activities: list, plan, read, move to another time, participants, attendance, evidence, transitions,
history."""

from __future__ import annotations

from flask import Response, g, request

from portal import policy
from portal.api.blueprint import bp
from portal.api.context import SchoolContext, caller, parsed, school_context
from portal.api.models import (
    Activity,
    ActivityCreate,
    ActivityListQuery,
    ActivityPage,
    ActivitySummary,
    Attendance,
    Evidence,
    EvidenceText,
    EvidenceUpload,
    History,
    HistoryEntry,
    OrganizerChange,
    ParticipantsChange,
    Reschedule,
    TransitionRequest,
)
from portal.api.openapi import operation
from portal.errors import Invalid, NotFound
from portal.messages import msg
from portal.models import Activity as ActivityRow
from portal.security import MAX_ID
from portal.services import access, activities, handover, overview, shared_certificates, transitions
from portal.timeutil import zone_of

ACTIVITY = "The activity, its participants, evidence and the caller's allowed triggers"


def _activity(activity_id: int, ctx: SchoolContext | None = None) -> ActivityRow:
    """The activity of the path, in the request's school (looked up once per request)."""
    if "api_activity" not in g:
        if activity_id > MAX_ID:
            raise NotFound(msg("activity.not_found"))
        g.api_activity = access.get_activity(activity_id, (ctx or school_context()).school.id)
    return g.api_activity


def _activity_of_person(activity_id: int, user_id: int) -> ActivityRow:
    """The activity of a path naming a person of it (the person is looked up by the view)."""
    return _activity(activity_id)


def _detail(act: ActivityRow, ctx: SchoolContext) -> Activity:
    people = activities.participants_with_users(act.id)
    allowed = transitions.allowed_triggers(act, caller().user.id, [p.user_id for p, _ in people])
    actor = ctx.actor(caller().user.id)
    clashes = activities.clashes_told_to(actor, act)
    personal = activities.is_declaration(act)
    refused = transitions.refusals_told_to(actor, act, zone_of(ctx.school))  # its reviewers and the admin
    shared = shared_certificates.told_to(actor, act, zone_of(ctx.school))  # as the page tells them
    return Activity.detail(act, ctx.school, people, activities.evidence_of(act.id), allowed, clashes,
                           opens=lambda owner: policy.may_open_evidence(actor, act, owner, personal), refused=refused,
                           shared=shared, details=activities.details_told_to(actor, act),
                           reasons=policy.may_read_private(actor, act, personal=personal))


@bp.get("/activities")
@operation(200, ActivityPage, "A page of activities", query=ActivityListQuery)
def list_activities() -> ActivityPage:
    """The school's activities, newest first, one page at a time"""
    ctx = school_context()
    actor = ctx.actor(caller().user.id)
    q = parsed(ActivityListQuery, "query")
    filters = overview.ActivityFilters(type_key=q.type or "", state=q.state or "", school_year=q.year or "")
    found = overview.list_activities(ctx.school.id, filters, q.page, q.per_page)
    total = found.total or 0
    return ActivityPage(
        items=[ActivitySummary.of(a, ctx.school, activities.details_told_to(actor, a)) for a in found.items],
        page=q.page, per_page=q.per_page,
        total=total, pages=(total + q.per_page - 1) // q.per_page,
    )


@bp.post("/activities")
@operation(201, Activity, "The planned activity", json=ActivityCreate, errors=(403, 404), may=policy.may_plan_or_declare)
def create_activity() -> tuple[Activity, int, dict[str, str]]:
    """Plan an activity (organizer or school admin); `details` are checked by the type's own form"""
    ctx = school_context()
    data = parsed(ActivityCreate)
    participants = None if data.participants is None else [p.model_dump(exclude_unset=True) for p in data.participants]
    act = activities.plan_activity(
        ctx.school, caller().user, data.type, data.title, data.starts_at, data.ends_at, data.hours,
        participants, data.details, location=data.location, plan_line_id=data.plan_line_id,
    )
    return _detail(act, ctx), 201, {"Location": f"/api/v1/activities/{act.id}"}


@bp.get("/activities/<int:activity_id>")
@operation(200, Activity, ACTIVITY, finds=_activity)
def get_activity(activity_id: int) -> Activity:
    """One activity"""
    ctx = school_context()
    return _detail(_activity(activity_id, ctx), ctx)


@bp.put("/activities/<int:activity_id>/attendance")
@operation(200, Activity, ACTIVITY, json=Attendance, errors=(403, 409), finds=_activity)
def put_attendance(activity_id: int) -> Activity:
    """Record attended, unexcused absent and excused hours (organizer or school admin), all or nothing

    The three hours of a row together are at most the activity's hours. One's own row is entered by the activity's
    organizer alone, once; otherwise someone else records or changes it (422 on `attendance`; sent as it stands, it
    passes)."""
    ctx = school_context()
    act = _activity(activity_id, ctx)
    rows = [row.model_dump(exclude_unset=True) for row in parsed(Attendance).root]
    activities.record_attendance(act, caller().user, rows)
    return _detail(act, ctx)


@bp.post("/activities/<int:activity_id>/reschedule")
@operation(200, Activity, ACTIVITY, json=Reschedule, errors=(403, 409), finds=_activity)
def reschedule(activity_id: int) -> Activity:
    """Move an activity not yet held to another time (organizer or school admin), keeping its participants

    The new times are checked as when planning (422 on `starts_at` or `ends_at`; a participant recorded attending
    something else that leaves no room for it at the new time is named on `starts_at`). Refused (409) once the
    activity is held, or anything is recorded for its time (attendance, evidence, a check-in). Its history records
    the old and new times; the people taking part are told."""
    ctx = school_context()
    act = _activity(activity_id, ctx)
    data = parsed(Reschedule)
    activities.reschedule(act, caller().user, data.starts_at, data.ends_at)
    return _detail(act, ctx)


@bp.post("/activities/<int:activity_id>/participants")
@operation(200, Activity, ACTIVITY, json=ParticipantsChange, errors=(403, 409), finds=_activity)
def add_participants(activity_id: int) -> Activity:
    """Add people to the activity's list, or give someone on it another role (organizer or school admin)

    While the activity takes changes (409 after, or in a year the district accepted). Someone on the list keeps their
    attendance. Refused (422 on `participants`) for someone not a member of the school, or off its teaching staff when
    the activity is held, and for a new role of someone whose attendance is recorded (the role it was recorded with
    stays), and for one's own place or role unless one organizes the activity (its organizer or another school admin
    gives them). Nothing is written unless all of them can be."""
    ctx = school_context()
    act = _activity(activity_id, ctx)
    participants = [p.model_dump(exclude_unset=True) for p in parsed(ParticipantsChange).participants]
    activities.set_participants(act, caller().user, participants)
    return _detail(act, ctx)


@bp.delete("/activities/<int:activity_id>/participants/<int:user_id>")
@operation(204, None, "No content", errors=(403, 409), finds=_activity_of_person)
def remove_participant(activity_id: int, user_id: int) -> Response:
    """Take someone off the activity's list (organizer or school admin); they are told

    Refused (409) once they handed in evidence, checked in or their attendance is recorded (record their attendance or
    absence instead), after the activity takes changes, or in a year the district accepted; 404 for someone not on the
    list."""
    ctx = school_context()
    act = _activity(activity_id, ctx)
    if user_id > MAX_ID:
        raise NotFound(msg("participant.not_found"))
    activities.remove_participant(act, caller().user, user_id)
    return Response(status=204)


@bp.post("/activities/<int:activity_id>/evidence")
@operation(201, Evidence, "The evidence", json=EvidenceText, form=EvidenceUpload, errors=(403, 409),
           finds=_activity)
def add_evidence(activity_id: int) -> tuple[Evidence, int]:
    """Add evidence: a file (multipart) or a written piece (JSON)

    A participant adds their own; the organizer or a school admin may add for anyone (`user_id`, default the caller).
    A kind on what took place (the common `reflection` and `evaluation`, and a type's kinds declared so) is refused
    (422 on `kind`) before the activity's start. Nothing is added for a participant who was off the school's teaching
    staff when the activity was held (422 on `user_id`): it is not theirs."""
    ctx = school_context()
    act = _activity(activity_id, ctx)
    if request.mimetype == "multipart/form-data":
        form = parsed(EvidenceUpload, "form")
        upload = form.file
        if not getattr(upload, "filename", None) or not hasattr(upload, "read"):
            raise Invalid(msg("api.form_invalid"), {"file": msg("api.required")})
        ev = activities.add_evidence(act, caller().user, form.user_id, form.kind, form.title,
                                     filename=upload.filename, data=upload.read())
    else:
        data = parsed(EvidenceText)
        ev = activities.add_evidence(act, caller().user, data.user_id, data.kind, data.title, text=data.text)
    return Evidence.of(ev, ctx.school), 201


@bp.post("/activities/<int:activity_id>/transitions")
@operation(200, Activity, ACTIVITY, json=TransitionRequest, errors=(403, 409), finds=_activity)
def fire_transition(activity_id: int) -> Activity:
    """Fire a workflow trigger (hold, cancel, approve, return, credit, revoke, or a type's own)

    An illegal trigger for the current state is 409 `illegal_transition` with the `allowed` triggers, whoever sends
    it; then the caller's roles are checked (403), the comment (422: `return` and `revoke` always need one, `cancel`
    once anyone other than you takes part, signed up or organises it — they are told it as the reason), and the type's guards
    (422 `guard_failed` with `missing`). `hours` adjusts a participant's credited hours when approving, with the
    reason in `comment`."""
    ctx = school_context()
    _activity(activity_id, ctx)
    data = parsed(TransitionRequest)
    act = transitions.fire(activity_id, ctx.school.id, caller().user, data.trigger, data.comment, data.hours,
                           seen_version=data.version)
    return _detail(act, ctx)


@bp.put("/activities/<int:activity_id>/organizer")
@operation(200, Activity, ACTIVITY, json=OrganizerChange, errors=(403, 409), finds=_activity, may=policy.may_hand_over)
def put_organizer(activity_id: int) -> Activity:
    """Hand the activity over to another organizer (school admin)

    Not a teacher's own declaration, nor one credited or cancelled (409). The new organizer is a member of the
    school holding a role that lets them organize there (422 on `organizer_id`); they are notified, and the
    activity's history notes the change."""
    ctx = school_context()
    act = _activity(activity_id, ctx)
    handover.hand_over(act, caller().user, parsed(OrganizerChange).organizer_id)
    return _detail(act, ctx)


@bp.get("/activities/<int:activity_id>/history")
@operation(200, History, "Transition log", finds=_activity)
def get_history(activity_id: int) -> History:
    """The activity's transition log, oldest first"""
    ctx = school_context()
    act = _activity(activity_id, ctx)
    reasons = policy.may_read_private(ctx.actor(caller().user.id), act)
    return History([HistoryEntry.of(row, actor, ctx.school, reasons) for row, actor in transitions.history(act.id)])
