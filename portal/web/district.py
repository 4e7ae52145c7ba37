"""The district admin's table of schools."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from portal import policy
from portal.current import allowed
from portal.services import overview as overview_service
from portal.timeutil import current_school_year, valid_school_year

bp = Blueprint("district", __name__)


@bp.route("/district")
@allowed(policy.may_view_district)
def overview():
    year = request.args.get("year", "")
    if not valid_school_year(year):
        year = current_school_year()
    rows = overview_service.district_overview(year)
    return render_template("district/overview.html", rows=rows, year=year)
