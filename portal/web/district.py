"""The district admin's table of schools."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from portal import policy
from portal.current import allowed
from portal.services import credits
from portal.services import overview as overview_service

bp = Blueprint("district", __name__)


@bp.route("/district")
@allowed(policy.may_view_district)
def overview():
    year = credits.parse_year(request.args.get("year"))  # a bad year: 422 with the reason
    found = overview_service.district_page(year, request.args.get("after"), request.args.get("before"))
    return render_template("district/overview.html", rows=found.items, found=found, year=year)
