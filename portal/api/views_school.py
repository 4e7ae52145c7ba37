"""The school's activity types, a teacher's credits and the school's credit report."""

from __future__ import annotations

from flask import Response, jsonify, stream_with_context

from portal import policy
from portal.api.blueprint import bp
from portal.api.context import caller, parsed, school_context
from portal.api.errors import content_lang
from portal.api.models import (
    ActivityType,
    ActivityTypes,
    ActivityTypeUpdate,
    CreditLine,
    EarlierSchoolHours,
    OutlookWarning,
    Quota,
    ReportQuery,
    SchoolSummary,
    TeacherRow,
    UserCredits,
    YearQuery,
    teacher_year,
)
from portal.api.models_exports import ExportJobOut
from portal.api.models_school_rules import SchoolRules, SchoolRulesUpdate
from portal.api.openapi import operation
from portal.downloads import attachment
from portal.errors import NotFound
from portal.messages import msg, shown
from portal.registry import registry
from portal.security import MAX_ID
from portal.services import credits, forecast, schools
from portal.timeutil import current_school_year, to_local, utcnow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_CONTENT = {
    "application/json": {"schema": {"$ref": "#/components/schemas/SchoolSummary"}},
    "text/csv": {"schema": {"type": "string"}},
    XLSX: {"schema": {"type": "string", "format": "binary"}},
}


def _year(value: str | None, tz: str) -> str:
    return credits.parse_year(value, current_school_year(tz))


@bp.get("/activity-types")
@operation(200, ActivityTypes, "Enabled types", tag="school")
def list_activity_types() -> ActivityTypes:
    """The activity types enabled in the school"""
    ctx = school_context()
    locale = content_lang()
    otherwise = schools.settings_read_otherwise(ctx.school.id)
    return ActivityTypes([
        ActivityType.of(reg.decl.key, True, schools.type_settings(ctx.school.id, reg.decl.key), locale,
                        otherwise.get(reg.decl.key))
        for reg in schools.enabled_types(ctx.school.id)
    ])


def _installed(key: str) -> None:
    if registry().get(key) is None:
        raise NotFound(msg("type.not_installed_api", key=shown(key)))


@bp.put("/activity-types/<key>")
@operation(200, ActivityType, "The type as the school now has it", json=ActivityTypeUpdate, tag="school",
           errors=(403,), finds=_installed, may=policy.may_administer)
def update_activity_type(key: str) -> ActivityType:
    """Enable or disable a type for the school and/or change its settings (school admin)

    Settings the type does not declare, values of another JSON type, numbers that are not finite or outside the
    declared range are refused (422); the document lists one path per installed type with its settings, their types and
    ranges."""
    ctx = school_context()
    data = parsed(ActivityTypeUpdate)
    ctx.allow(policy.may_administer, caller().user.id)
    row = schools.set_type(ctx.school, key, data.enabled, data.settings, by=ctx.actor(caller().user.id))
    return ActivityType.of(key, row.enabled, schools.type_settings(ctx.school.id, key), content_lang(),
                           schools.settings_read_otherwise(ctx.school.id).get(key))


@bp.get("/school/rules")
@operation(200, SchoolRules, "Every rule with its value, bounds and label", tag="school", errors=(403,))
def school_rules() -> SchoolRules:
    """The school's rules: required hours, absence limits, quiet hours, check-in, writing quotas (the school's people)

    Each rule with the value in effect, its type, the least and most the school may set (the district's floor
    or limit included), its step, and its label in the language `Accept-Language` asks for."""
    ctx = school_context()
    ctx.allow(policy.may_read_school_rules, caller().user.id)
    return SchoolRules.of(ctx.school, content_lang())


@bp.put("/school/rules")
@operation(200, SchoolRules, "The rules as the school now has them", json=SchoolRulesUpdate, tag="school",
           errors=(403,), may=policy.may_administer)
def update_school_rules() -> SchoolRules:
    """Change some of the school's rules (school admin), as the rules page does

    Only the rules sent change. A rule not declared, a value of another JSON type (`null` too), outside its range
    or between half hours for a rule of hours is refused (422), and so is a value the district's floor or limit
    does not allow, or an absence warning not below the absence limit: one refused rule and nothing changes."""
    ctx = school_context()
    data = parsed(SchoolRulesUpdate).model_dump(exclude_unset=True)
    schools.update_rules(ctx.school, data, by=ctx.actor(caller().user.id))
    return SchoolRules.of(ctx.school, content_lang())


@bp.get("/users/<int:user_id>/credits")
@operation(200, UserCredits, "The teacher's year", query=YearQuery, tag="credits", errors=(403,))
def user_credits(user_id: int) -> UserCredits:
    """A teacher's hours for a school year: total, by type, absences, status and ledger lines

    The teacher themself, a reviewer, a school admin or a district admin may read it."""
    ctx = school_context()
    q = parsed(YearQuery, "query")
    if user_id > MAX_ID:
        raise NotFound(msg("user.not_found"))
    actor = ctx.actor(caller().user.id)
    user = credits.viewable_teacher(actor, user_id, ctx.school)
    year = _year(q.year, ctx.school.timezone)
    ty = credits.teacher_year(user, ctx.school, year)
    entries = [CreditLine.of(e, act, ctx.school) for e, act in credits.entries_for(user.id, ctx.school.id, year)]
    left = not credits.teaches_at(ctx.school.id, user.id)  # as the record page marks them
    # the schools they left this year (known from the year's statement: none, no statement more), theirs alone
    earlier = [EarlierSchoolHours(school=e.name, first_day=e.first_day.isoformat(), last_day=e.last_day.isoformat(),
                                  hours=float(e.hours))
               for e in (credits.earlier_schools(user.id, ctx.school, year)
                         if ty.left_schools and policy.may_see_earlier_schools(actor, user.id) else [])]
    # no assessment of a year not theirs (as home and record say), nor of one their record does not hold
    off_record = not ty.not_theirs and not credits.on_record(user, ctx.school, ty, year)
    if ty.not_theirs or off_record:
        return UserCredits(**{**teacher_year(ty), "status": None, "reason": ""}, entries=entries, left_school=left,
                           joined_after_acceptance=ty.joined_after_acceptance, joined_after_year=ty.joined_after_year,
                           not_on_record=off_record, earlier_schools=earlier)
    return UserCredits(**teacher_year(ty), entries=entries, left_school=left, earlier_schools=earlier)


@bp.get("/reports/credits")
@operation(200, None, "One row per teacher", query=ReportQuery, tag="credits", errors=(403,),
           other_content=REPORT_CONTENT, queued=ExportJobOut)
def credit_report() -> Response | tuple[ExportJobOut, int]:
    """The school's credit summary for a year (reviewer, school admin, district admin)

    Each teacher's row carries the writing quotas and today's warnings of the summary page; the CSV and XLSX
    (``format``) have them as columns, headed in the language ``Accept-Language`` asks for. A CSV or XLSX of
    more teachers than ``EXPORT_JOB_THRESHOLD`` is queued as a job: 202 with its state."""
    ctx = school_context()
    q = parsed(ReportQuery, "query")
    ctx.allow(policy.may_export, caller().user.id)
    year = _year(q.year, ctx.school.timezone)
    if q.format != "json":
        from portal.reports import exports  # the same files as the report pages
        from portal.services import export_jobs

        if export_jobs.is_long(export_jobs.SCHOOL_SUMMARY, year, school_id=ctx.school.id):
            uid = caller().user.id
            job = export_jobs.request_export(uid, ctx.actor(uid), export_jobs.SCHOOL_SUMMARY, year, content_lang(),
                                             fmt=q.format, school=ctx.school, asked_in=ctx.school.id)
            return ExportJobOut.of(job), 202

        name = f"summary-{ctx.school.code}-{year}.{q.format}"
        headers = {"Content-Disposition": attachment(name), "Cache-Control": "no-store"}
        if q.format == "csv":
            body = stream_with_context(exports.stream_summary_csv(ctx.school, year, content_lang()))
            return Response(body, mimetype="text/csv", headers=headers)
        return Response(exports.summary_xlsx(ctx.school, year, content_lang()), mimetype=XLSX, headers=headers)
    today = to_local(utcnow(), ctx.school.timezone).date()  # the warnings of today, as the summary page
    rows = credits.school_summary(ctx.school, year)
    # the year's requirement as its rows were judged by (an accepted year keeps the rules it was accepted with)
    required = rows[0].facts.required_hours if rows else ctx.school.rule("required_hours")
    teaching, accepted = credits.teaching_now_and_accepted(ctx.school.id, year)  # accepted: over
    summary = SchoolSummary(
        school=ctx.school.code, year=year, required_hours=float(required),
        teachers=[TeacherRow(username=ty.user.username, name=ty.user.display_name,
                             left_school=ty.user.id not in teaching, **teacher_year(ty),
                             quotas=[Quota.of(q, ty.assessment.status) for q in ty.facts.quotas],
                             warnings=[OutlookWarning.of(w, ty.assessment.status) for w in
                                       forecast.warnings(ty.facts, today, status=ty.assessment.status,
                                                         accepted=accepted)])
                  for ty in rows],
    )
    return jsonify(summary.model_dump(exclude_unset=True))  # one of three formats: spectree leaves it as it is
