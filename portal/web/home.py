"""The teacher's home page: this year's hours against the requirement, by type, what is
waiting on them, and their credited entries."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import policy
from portal.current import current_actor, current_roles, current_school
from portal.page_cache import cached_part
from portal.services import announcements, credits, forecast, overview, schools
from portal.timeutil import current_school_year, to_local, utcnow
from portal.web.home_rows import entry_rows, pending_rows, waiting_rows

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    school = current_school()
    if school is None:
        if policy.may_view_district(current_actor()):
            return redirect(url_for("district.overview"))
        return render_template("home/no_school.html")
    this_year = current_school_year(school.timezone)
    year = credits.parse_year(request.args.get("year"), this_year)
    # a year the teacher may no longer plan for is history: read only, in its own words (no
    # outlook, no plan to write, nothing to declare into it)
    history = not policy.may_plan_for_year(year, this_year)
    user = current_user._get_current_object()

    today = to_local(utcnow(), school.timezone).date()

    def render_body() -> str:
        actor = current_actor()
        # the year and the school's types (their settings, which are on) in one statement
        record, types = credits.teacher_year_and_types(user, school, year)
        rows = overview.participations(user.id, school.id, forecast.OUTLOOK_PHASES, year)
        settings, enabled = schools.settings_and_enabled_of(types)
        # what is ahead first: the page shows five and folds the rest
        pending = forecast.coming_first(forecast.pending_activities(rows, settings, year), today, school.timezone)
        # the district accepted the year before they joined, or it was over: no assessment, nothing behind
        joined_after = record.not_theirs
        accepted = record.accepted_periods  # what the district accepted is over
        status = record.assessment.status
        return render_template(
            "home/_body.html",
            behind=[] if joined_after else forecast.behind(record.facts, today, status=status, accepted=accepted),
            warnings=[] if joined_after else forecast.warnings(record.facts, today, status=status, accepted=accepted),
            outlook=forecast.forecast(record.facts, status, pending, today, accepted=accepted),
            declare_types=[] if history else [r for r in enabled if r.decl.self_declared and policy.may_declare(actor)],
            record=record,
            entries=credits.entry_lines(user.id, school.id, year),
            # what the viewed year's activities wait for (last year's page: not this year's)
            waiting=overview.waiting_on(user.id, school.id, rows, settings),
            year=year,
            history=history,
            viewer_id=user.id,
            deadlines=announcements.for_school_member(school, current_roles()),
            pending_rows=pending_rows,
            entry_rows=entry_rows,
            waiting_rows=waiting_rows,
        )

    # keyed on the day too: what is behind schedule, and what of the outlook is ahead, change with the date
    body = cached_part("home", school, (user.id, year, today.isoformat(), request.script_root), render_body)
    return render_template("home/index.html", body=body)
