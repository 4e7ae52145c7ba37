"""The teacher's home page: this year's hours against the requirement, by type, what is
waiting on them, and their credited entries."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from portal import policy
from portal.current import current_actor, current_roles, current_school
from portal.page_cache import cached_part
from portal.services import (
    announcements,
    credits,
    forecast,
    overview,
    plans,
    school_todo,
    schools,
    transitions,
)
from portal.timeutil import current_school_year, to_local, utcnow
from portal.web.home_rows import entry_rows, pending_rows, waiting_rows

#: where the cached body of a teacher who left another school this year takes the hours it credited
#: them (read afresh on each visit: that school's data stamp does not key this school's body)
EARLIER_SLOT = "<!-- earlier-schools -->"

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
        # the year, the school's types (their settings, which are on) and the plan in one statement
        record, types, plan = credits.teacher_year_and_types(user, school, year)
        rows = overview.participations(user.id, school.id, forecast.OUTLOOK_PHASES, year)
        settings, enabled = schools.settings_and_enabled_of(types)
        # what is ahead first: the page shows five and folds the rest
        pending = forecast.coming_first(forecast.pending_activities(rows, settings, year), today, school.timezone)
        # the district accepted the year before they joined, or it was over: no assessment, nothing behind
        joined_after = record.not_theirs
        # a year on no record (over and held of nothing, or not begun): said so, no figures nor status
        off_record = not credits.year_on_record(school, year)
        joined_after = joined_after or off_record
        accepted = record.accepted_periods  # what the district accepted is over
        status = record.assessment.status
        return render_template(
            "home/_body.html",
            behind=[] if joined_after else forecast.behind(record.facts, today, status=status, accepted=accepted),
            warnings=[] if joined_after else forecast.warnings(record.facts, today, status=status, accepted=accepted),
            outlook=forecast.forecast(record.facts, status, pending, today, accepted=accepted,
                                      open_to_credits=transitions.may_credit_in(year, school)),
            declare_types=[] if history else [r for r in enabled if r.decl.self_declared and policy.may_declare(actor)],
            record=record,
            off_record=off_record,
            not_begun=not credits.year_begun(school, year),
            entries=credits.entry_lines(user.id, school.id, year),
            # what the viewed year's activities wait for (last year's page: not this year's)
            waiting=overview.waiting_on(user.id, school.id, rows, settings),
            year=year,
            history=history,
            viewer_id=user.id,
            deadlines=announcements.for_school_member(school, current_roles()),
            # the plan's deadline (theirs: joined late, later) and whether it has passed on the day
            # the body is keyed on: the home offers no plan to write then, and says why
            plan=plan,
            plan_due=(due := plans.deadline_from(school, year, record.facts.on_staff_since)),
            plan_closed=lambda plan: plans.closed_by_deadline(school, plan, due, today),
            pending_rows=pending_rows,
            entry_rows=entry_rows,
            waiting_rows=waiting_rows,
            earlier_slot=Markup(EARLIER_SLOT) if record.left_schools else "",
        )

    # keyed on the day too: what is behind schedule, what of the outlook is ahead and whether the
    # plan's deadline has passed change with the date
    body = cached_part("home", school, (user.id, year, today.isoformat(), request.script_root), render_body)
    # the school's work waiting on an admin (plans to sign off, a deadline near, a year sent that
    # changed since): asked of the policy, a part of its own (no statement for a teacher)
    todo = cached_part("todo", school, (user.id, today.isoformat(), request.script_root), lambda: render_template(
        "home/_todo.html", items=school_todo.for_actor(school, current_actor(), today),
    )) if policy.may_see_school_todo(current_actor()) else None
    halves = body.split(EARLIER_SLOT)
    if halves is None:  # never left a school this year: no statement more
        return render_template("home/index.html", body=body, todo=todo)
    head, tail = halves
    earlier = credits.earlier_schools(user.id, school, year)  # one statement
    return render_template("home/index.html", head=head, earlier=earlier, tail=tail, todo=todo)
