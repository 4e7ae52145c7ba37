"""The district's API: its schools, the queue of submitted school years, a submission's frozen
figures, accept / return / reopen, the district's settings, dashboard and export; the school
admin's submission of the year and the school's annual plan.

District operations act in the caller's own district (no ``X-School``): the caller's district
seat is checked (403) and a submission, plan or school of another district is 'not found' (404),
both before the body is read. The wire format is ``portal.api.models_district``."""

from __future__ import annotations

import io

from flask import Response, g, stream_with_context

from portal import policy
from portal.api.blueprint import bp
from portal.api.context import caller, caller_seat, parsed, school_context
from portal.api.errors import content_lang
from portal.api.models import Activity, YearQuery
from portal.api.models_district import (
    CreatedSchool,
    DashboardQuery,
    DistrictDashboard,
    DistrictOut,
    DistrictSchools,
    DistrictSettings,
    DistrictYearQuery,
    JudgedRule,
    NewSchool,
    QueueQuery,
    Reopen,
    SchoolFigures,
    SchoolPlanBody,
    SchoolPlanDecision,
    SchoolPlanOut,
    SchoolPlanYear,
    Submission,
    SubmissionDecision,
    SubmissionPage,
    Submissions,
    SubmittedQuery,
    TypeSwitch,
    YearSubmit,
)
from portal.api.models_exports import ExportJobOut
from portal.api.openapi import operation
from portal.downloads import attachment, evidence_response
from portal.errors import Forbidden, NotFound
from portal.extensions import db
from portal.messages import msg, shown
from portal.models import School, YearSubmission
from portal.registry import registry
from portal.security import MAX_ID
from portal.services import access, activities, credits, dashboard, districts, school_plans, submissions
from portal.services import overview as overview_service
from portal.timeutil import current_school_year

TAG = "district"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVIDENCE_CONTENT = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                    "text/plain": {"schema": {"type": "string"}}}
EXPORT_CONTENT = {"text/csv": {"schema": {"type": "string"}}, XLSX: {"schema": {"type": "string", "format": "binary"}}}
SUBMISSION = "The submission with every teacher's frozen figures"
PLAN = "The plan, with planned against held by type and month"


# -- what every district operation looks up first (before the body is read) -------------------------


def _seat(**_path: object) -> access.DistrictSeat:
    """The caller's district seat (403 without one)."""
    seat = caller_seat()
    if seat is None:
        raise Forbidden(msg("policy.district_only"))
    return seat


def _viewer(**_path: object) -> access.DistrictSeat:
    """The caller's seat, for the pages every district person may read."""
    seat = _seat()
    policy.require(policy.may_view_district(_actor(seat)), "policy.district_only")
    return seat


def _actor(seat: access.DistrictSeat) -> policy.Actor:
    return policy.Actor.of(caller().user.id, seat.roles)


def _submission(submission_id: int) -> YearSubmission:
    """The path's submission, of the caller's district (another district's: 404)."""
    seat = _seat()
    if submission_id > MAX_ID:
        raise NotFound(msg("submission.not_found"))
    return submissions.get(submission_id, seat.district_id)


def _seen_submission(submission_id: int) -> YearSubmission:
    """The path's submission as the caller's district reads it (``policy.sees_submission``): sent
    to it, or of a school in it now (the year another district accepted, which it may reopen)."""
    seat = _seat()
    if submission_id > MAX_ID:
        raise NotFound(msg("submission.not_found"))
    return submissions.get_seen(submission_id, seat.district_id)


def _viewed_submission(submission_id: int) -> YearSubmission:
    _viewer()
    return _seen_submission(submission_id)


def _read_submission(submission_id: int) -> None:
    """A round's own page: read as it is shown (``submissions.read_round``), once — the handler
    takes it from here."""
    g.api_round = submissions.read_round(submission_id, _viewer().district_id)


def _plan_of_district(plan_id: int) -> None:
    seat = _seat()
    if plan_id > MAX_ID:
        raise NotFound(msg("school_plan.not_found"))
    school_plans.get_for_district(plan_id, seat.district_id)


def _installed(key: str) -> None:
    _seat()
    if registry().get(key) is None:
        raise NotFound(msg("type.not_installed_api", key=shown(key)))


def _one(submission_id: int, district_id: int | None = None,
         found: tuple[YearSubmission, bool, School] | None = None) -> Submission:
    """The round with its teachers' rows, as it is read: whether it judges the year and its school
    read with it (``submissions.read_round``: one statement, as the lists read it; ``found``: read so
    already, by the route's ``finds``)."""
    sub, judges, school = found or submissions.read_round(submission_id, district_id)
    out = Submission.of(sub, school.code, school.name, rows=True, judging={sub.id} if judges else set())
    judged = submissions.judged_by(sub, school)
    out.rules = None if judged is None else [JudgedRule.of(r) for r in judged]  # null said: rules not kept
    return out


# -- the district's schools and queue ---------------------------------------------------------------


@bp.get("/district/schools")
@operation(200, DistrictSchools, "One row per school", query=DistrictYearQuery, tag=TAG, school=False,
           errors=(403,), finds=_viewer)
def district_schools() -> DistrictSchools:
    """The schools of the caller's district with their figures for a year (district staff)"""
    seat = _viewer()
    year = credits.parse_year(parsed(DistrictYearQuery, "query").year)
    return DistrictSchools([SchoolFigures.of(r) for r in overview_service.district_overview(
        year, district_id=seat.district_id)])


@bp.get("/district/submissions")
@operation(200, SubmissionPage, "A page of submissions", query=QueueQuery, tag=TAG, school=False,
           errors=(403,), finds=_viewer)
def district_queue() -> SubmissionPage:
    """The district's queue of submitted school years, oldest first, one page at a time (district staff)"""
    seat = _viewer()
    q = parsed(QueueQuery, "query")
    page = submissions.queue(seat.district_id, q.status or submissions.SUBMITTED, q.page, q.per_page, year=q.year)
    judging = page.judging
    return SubmissionPage(
        items=[Submission.of(r.submission, r.school.code, r.school.name, judging=judging) for r in page.rows],
        page=page.page, pages=page.pages, total=page.total, counts=dict(page.counts),
    )


@bp.get("/district/submissions/<int:submission_id>")
@operation(200, Submission, SUBMISSION, tag=TAG, school=False, errors=(403,), finds=_read_submission)
def district_submission(submission_id: int) -> Submission:
    """A submission with every teacher's frozen figures (district staff)"""
    return _one(submission_id, found=g.api_round)


def _submitted_activity(submission_id: int, activity_id: int) -> None:
    submissions.activity_of(_viewed_submission(submission_id), activity_id)


def _submitted_evidence(submission_id: int, evidence_id: int) -> None:
    submissions.evidence_of(_viewed_submission(submission_id), evidence_id)


@bp.get("/district/submissions/<int:submission_id>/activities/<int:activity_id>")
@operation(200, Activity, "The activity, its attendance and evidence (no triggers: read-only)", tag=TAG,
           school=False, errors=(403,), finds=_submitted_activity)
def district_submitted_activity(submission_id: int, activity_id: int) -> Activity:
    """An activity of the submitted school year, read-only (district staff)

    Another district's submission, another school's activity or another year's: 404. Each
    piece of evidence downloads from `/district/submissions/{submission_id}/evidence/{id}`."""
    sub = _viewed_submission(submission_id)
    act = submissions.activity_of(sub, activity_id)
    school = db.session.get_one(School, sub.school_id)
    people = activities.participants_with_users(act.id)
    return Activity.detail(act, school, people, activities.evidence_of(act.id), [])


@bp.get("/district/submissions/<int:submission_id>/evidence/<int:evidence_id>")
@operation(200, None, "The file (or a written piece as text)", tag=TAG, school=False, errors=(403,),
           finds=_submitted_evidence, other_content=EVIDENCE_CONTENT)
def district_submitted_evidence(submission_id: int, evidence_id: int) -> Response:
    """A piece of evidence of the submitted school year, as uploaded (district staff, read-only)

    Another district's submission, another school's or another year's evidence: 404."""
    ev, _act = submissions.evidence_of(_viewed_submission(submission_id), evidence_id)
    return evidence_response(ev)


@bp.post("/district/submissions/<int:submission_id>/decision")
@operation(200, Submission, "The submission as decided", json=SubmissionDecision, tag=TAG, school=False,
           errors=(403, 409), finds=_submission, may=policy.may_decide_submission)
def district_decide(submission_id: int) -> Submission:
    """Accept (locks the school year) or return a submission with comments (district reviewer)

    A return needs a comment for the school or for at least one teacher. A submission already decided is refused
    with 409, and so is accepting one whose figures changed since the school submitted them (return it)."""
    seat = _seat()
    data = parsed(SubmissionDecision)
    submissions.decide(submission_id, data.decision == "accept", data.comment, data.teacher_comments,
                       by=_actor(seat), district_id=seat.district_id)
    return _one(submission_id)  # read again as decided (its id from the path: no refresh of the round first)


@bp.post("/district/submissions/<int:submission_id>/reopen")
@operation(200, Submission, "The submission, reopened", json=Reopen, tag=TAG, school=False,
           errors=(403, 409), finds=_seen_submission, may=policy.may_reopen_year)
def district_reopen(submission_id: int) -> Submission:
    """Reopen an accepted (locked) school year, with a reason for the audit log (district staff)"""
    seat = _seat()
    submissions.reopen(submission_id, parsed(Reopen).reason, by=_actor(seat), district_id=seat.district_id)
    return _one(submission_id)


# -- the school submits its year ------------------------------------------------------------------------


@bp.get("/submissions")
@operation(200, Submissions, "The rounds", query=YearQuery, tag=TAG, errors=(403,))
def school_submissions() -> Submissions:
    """The school's submissions of a year to the district, newest round first (school admin)

    Each round also says how many activities of its year (or semester) are, now, neither credited nor closed
    (``unfinished``, the oldest ids in ``unfinished_ids``): once the district accepts, they can no longer be
    credited."""
    ctx = school_context()
    ctx.allow(policy.may_submit_year, caller().user.id)
    year = credits.parse_year(parsed(YearQuery, "query").year, current_school_year(ctx.school.timezone))
    rounds, judging = submissions.rounds(ctx.school.id, year)
    found = {sem: submissions.unfinished(ctx.school.id, year, sem) for sem in {s.semester for s in rounds}}
    return Submissions([Submission.of(s, ctx.school.code, ctx.school.name, unfinished=found[s.semester],
                                      judging=judging) for s in rounds])


@bp.post("/submissions")
@operation(201, Submission, SUBMISSION, json=YearSubmit, tag=TAG, errors=(403, 409), may=policy.may_submit_year)
def school_submit() -> tuple[Submission, int]:
    """Submit the school year (or a semester, if the district collects semesters) to the district (school admin)

    Freezes every teacher's hours by type, absence and assessment with the credit summary, in one transaction.
    Refused with 409 while a submission waits, after the district accepted, or before the year (or semester)
    has begun by the school's calendar. ``unfinished`` counts the activities
    of the period submitted that are neither credited nor closed: once the district accepts, they can no longer be
    credited."""
    ctx = school_context()
    data = parsed(YearSubmit)
    ctx.allow(policy.may_submit_year, caller().user.id)
    sub, judges = submissions.submit_judging(ctx.school, data.year, data.semester, by=ctx.actor(caller().user.id))
    return Submission.of(sub, ctx.school.code, ctx.school.name, rows=True, judging={sub.id} if judges else set(),
                         unfinished=submissions.unfinished(ctx.school.id, sub.school_year, sub.semester)), 201


# -- the district admin -----------------------------------------------------------------------------------


@bp.put("/district/settings")
@operation(200, DistrictOut, "The district and its settings", json=DistrictSettings, tag=TAG, school=False,
           errors=(403,), finds=_seat, may=policy.may_administer_district)
def district_settings() -> DistrictOut:
    """The district's defaults: required hours, absence limit, submission period, plan deadline (district admin)"""
    seat = _seat()
    data = parsed(DistrictSettings).model_dump(exclude_unset=True)
    return DistrictOut.of(districts.update_settings(districts.get_district(seat.district_id), data, by=_actor(seat)))


@bp.post("/district/schools")
@operation(201, CreatedSchool, "The school", json=NewSchool, tag=TAG, school=False, errors=(403,), finds=_seat,
           may=policy.may_administer_district)
def district_create_school() -> tuple[CreatedSchool, int]:
    """Create a school of the district with its first school admin (district admin)"""
    seat = _seat()
    data = parsed(NewSchool)
    school, admin = districts.create_school_with_admin(
        districts.get_district(seat.district_id), data.code, data.name, data.admin_username, data.admin_name,
        data.admin_password, by=_actor(seat))
    return CreatedSchool(school=school.code, name=school.name, admin=admin.username), 201


@bp.put("/district/activity-types/<key>")
@operation(200, DistrictOut, "The district and its settings", json=TypeSwitch, tag=TAG, school=False,
           errors=(403,), finds=_installed, may=policy.may_administer_district)
def district_type(key: str) -> DistrictOut:
    """Enable or disable an activity type in every school of the district (district admin)"""
    seat = _seat()
    district = districts.get_district(seat.district_id)
    districts.enable_type(district, key, parsed(TypeSwitch).enabled, by=_actor(seat))
    return DistrictOut.of(district)


# -- dashboard and export ----------------------------------------------------------------------------------


@bp.get("/district/dashboard")
@operation(200, DistrictDashboard, "The figures", query=DashboardQuery, tag=TAG, school=False, errors=(403,),
           finds=_viewer)
def district_dashboard() -> DistrictDashboard:
    """The district dashboard's figures: submissions by status, hours by type, shares per school (paged)"""
    seat = _viewer()
    q = parsed(DashboardQuery, "query")
    return DistrictDashboard.of(dashboard.dashboard(seat.district_id, credits.parse_year(q.year), q.page))


@bp.get("/district/submitted")
@operation(200, None, "The export", query=SubmittedQuery, tag=TAG, school=False, errors=(403,), finds=_viewer,
           other_content=EXPORT_CONTENT, queued=ExportJobOut)
def district_submitted() -> Response | tuple[ExportJobOut, int]:
    """The figures every school submitted for a year, with each row's accepted/locked state

    CSV (a row per teacher) or XLSX (a summary sheet and a sheet per school). More teachers than
    ``EXPORT_JOB_THRESHOLD``: queued as a job, 202 with its state."""
    from portal.reports import district_exports
    from portal.services import export_jobs

    seat = _viewer()
    q = parsed(SubmittedQuery, "query")
    year = credits.parse_year(q.year)
    lang = content_lang()
    if export_jobs.is_long(export_jobs.DISTRICT_SUBMITTED, year, district_id=seat.district_id):
        job = export_jobs.request_export(caller().user.id, _actor(seat), export_jobs.DISTRICT_SUBMITTED, year, lang,
                                         fmt=q.format, district_id=seat.district_id)
        return ExportJobOut.of(job), 202
    name = f"district-submitted-{year}.{q.format}"
    headers = {"Content-Disposition": attachment(name), "Cache-Control": "no-store"}
    if q.format == "xlsx":
        out = io.BytesIO()
        district_exports.write_workbook(seat.district_id, year, out, lang)
        return Response(out.getvalue(), headers=headers, mimetype=XLSX)
    body = stream_with_context(district_exports.stream_csv_rows(seat.district_id, year, lang))
    return Response(body, mimetype="text/csv", headers=headers)


# -- the school's annual plan (年度校本研修计划) ------------------------------------------------------------


@bp.get("/school-plan")
@operation(200, SchoolPlanOut, PLAN, query=YearQuery, tag=TAG, errors=(403,))
def school_plan_get() -> SchoolPlanOut:
    """The school's annual plan for a year, with planned against held by type and month (school admin)"""
    ctx = school_context()
    ctx.allow(policy.may_write_school_plan, caller().user.id)
    year = credits.parse_year(parsed(YearQuery, "query").year, current_school_year(ctx.school.timezone))
    plan = school_plans.get_plan(ctx.school.id, year)
    if plan is None:
        raise NotFound(msg("school_plan.not_found"))
    return SchoolPlanOut.of(plan, ctx.school.code)


@bp.put("/school-plan")
@operation(200, SchoolPlanOut, PLAN, json=SchoolPlanBody, tag=TAG, errors=(403, 409), may=policy.may_write_school_plan)
def school_plan_put() -> SchoolPlanOut:
    """Write the school's annual plan for a year while it is a draft or returned (school admin)"""
    ctx = school_context()
    data = parsed(SchoolPlanBody)
    ctx.allow(policy.may_write_school_plan, caller().user.id)
    lines = [line.model_dump(exclude_unset=True) for line in data.lines]
    plan = school_plans.save_plan(ctx.school, data.year, data.aims, data.target_hours, lines,
                                  by=ctx.actor(caller().user.id))
    return SchoolPlanOut.of(plan, ctx.school.code)


@bp.post("/school-plan/submit")
@operation(200, SchoolPlanOut, PLAN, json=SchoolPlanYear, tag=TAG, errors=(403, 409), may=policy.may_write_school_plan)
def school_plan_submit() -> SchoolPlanOut:
    """Send the school's annual plan to the district (marked late after the district's deadline)"""
    ctx = school_context()
    data = parsed(SchoolPlanYear)
    ctx.allow(policy.may_write_school_plan, caller().user.id)
    return SchoolPlanOut.of(school_plans.submit_plan(ctx.school, data.year, by=ctx.actor(caller().user.id)), ctx.school.code)


@bp.post("/school-plans/<int:plan_id>/decision")
@operation(200, SchoolPlanOut, PLAN, json=SchoolPlanDecision, tag=TAG, school=False, errors=(403, 409),
           finds=_plan_of_district, may=policy.may_decide_school_plan)
def school_plan_decide(plan_id: int) -> SchoolPlanOut:
    """Accept a school's annual plan or return it with a comment (district staff)"""
    seat = _seat()
    data = parsed(SchoolPlanDecision)
    plan = school_plans.decide_plan(plan_id, data.decision == "accept", data.comment, by=_actor(seat),
                                    district_id=seat.district_id)
    return SchoolPlanOut.of(plan, db.session.get_one(School, plan.school_id).code)
