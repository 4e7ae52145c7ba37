"""The teacher's home page: this year's hours against the requirement, by type, what is
waiting on them, and their credited entries."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import policy
from portal.current import current_actor, current_school
from portal.page_cache import cached_part
from portal.services import credits, overview
from portal.timeutil import current_school_year

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    school = current_school()
    if school is None:
        if policy.may_view_district(current_actor()):
            return redirect(url_for("district.overview"))
        return render_template("home/no_school.html")
    year = credits.parse_year(request.args.get("year"), current_school_year(school.timezone))
    user = current_user._get_current_object()

    def render_body() -> str:
        return render_template(
            "home/_body.html",
            record=credits.teacher_year(user, school, year),
            entries=credits.entries_for(user.id, school.id, year),
            waiting=overview.waiting_on(user.id, school.id),
            year=year,
            viewer_id=user.id,
        )

    body = cached_part("home", school, (user.id, year, request.script_root), render_body)
    return render_template("home/index.html", body=body)
