"""The district's pages: its schools, the queue of submitted school years, a submission with
every teacher's frozen figures (read-only drill into a teacher's record and an activity's
evidence), accept / return / reopen; and the school admin's page to submit the year."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from portal import policy
from portal.current import allowed, current_actor, current_district, require_school
from portal.errors import DomainError
from portal.extensions import db
from portal.messages import tr
from portal.models import Evidence, School
from portal.registry import registry
from portal.services import access, credits, districts, submissions
from portal.services import overview as overview_service
from portal.services.activities import participants_with_users
from portal.timeutil import current_school_year
from portal.web.helpers import type_name

bp = Blueprint("district", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _district_id() -> int:
    seat = current_district()
    if seat is None:
        abort(403)
    return seat.district_id


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or int(raw) < 1:
        return 1
    return int(raw)


def _type_names() -> dict[str, str]:
    return {key: type_name(key) for key in registry().types}


@bp.route("/district")
@allowed(policy.may_view_district)
def overview():
    year = credits.parse_year(request.args.get("year"))  # a bad year: 422 with the reason
    rows = overview_service.district_overview(year, _district_id())
    return render_template("district/overview.html", rows=rows, year=year)


# -- the district's queue of submissions ---------------------------------------------------------


@bp.route("/district/submissions")
@allowed(policy.may_view_district)
def queue():
    status = request.args.get("status") or submissions.SUBMITTED
    if status not in submissions.STATUSES:
        status = submissions.SUBMITTED
    year = credits.parse_year(request.args.get("year"), "") if request.args.get("year") else None
    page = submissions.queue(_district_id(), status, _page_arg(), year=year)
    return render_template("district/queue.html", page=page, status=status, year=year or "")


@bp.route("/district/submissions/<int:submission_id>")
@allowed(policy.may_view_district)
def submission(submission_id: int):
    sub = submissions.get(submission_id, _district_id())
    school = db.session.get_one(School, sub.school_id)
    return render_template(
        "district/submission.html", sub=sub, school=school, events=submissions.events(sub),
        type_names=_type_names(), type_keys=sorted(sub.by_type), district_view=True,
    )


def _decided(submission_id: int, action) -> ResponseReturnValue:
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        fields = getattr(exc, "fields", {}) or {}
        detail = "; ".join(tr(v) for v in fields.values() if not isinstance(v, dict))
        flash(tr(exc) + (f" ({detail})" if detail and detail != tr(exc) else ""), "danger")
        return redirect(url_for("district.submission", submission_id=submission_id), 303)
    flash(_("Saved."), "success")
    return redirect(url_for("district.submission", submission_id=submission_id), 303)


@bp.route("/district/submissions/<int:submission_id>/decide", methods=["POST"])
@allowed(policy.may_view_district)
def decide(submission_id: int):
    decision = request.form.get("decision", "")
    if decision not in ("accept", "return"):
        flash(_("Choose accept or return."), "danger")
        return redirect(url_for("district.submission", submission_id=submission_id), 303)
    per_teacher = {
        key[len("teacher-"):]: value for key, value in request.form.items() if key.startswith("teacher-") and value.strip()
    }
    return _decided(submission_id, lambda: submissions.decide(
        submission_id, decision == "accept", request.form.get("comment", ""), per_teacher,
        by=current_actor(), district_id=_district_id(),
    ))


@bp.route("/district/submissions/<int:submission_id>/reopen", methods=["POST"])
@allowed(policy.may_view_district)
def reopen(submission_id: int):
    return _decided(submission_id, lambda: submissions.reopen(
        submission_id, request.form.get("reason", ""), by=current_actor(), district_id=_district_id()
    ))


@bp.route("/district/submissions/<int:submission_id>/summary.xlsx")
@allowed(policy.may_view_district)
def frozen_summary(submission_id: int):
    sub = submissions.get(submission_id, _district_id())
    return _xlsx(sub)


def _xlsx(sub) -> Response:
    school = db.session.get_one(School, sub.school_id)
    name = f"submitted-{school.code}-{sub.school_year}-r{sub.round}.xlsx"
    return Response(sub.summary_xlsx, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.route("/district/submissions/<int:submission_id>/teachers/<int:user_id>")
@allowed(policy.may_view_district)
def teacher(submission_id: int, user_id: int):
    """A teacher's frozen figures and the ledger lines behind them (read-only)."""
    sub = submissions.get(submission_id, _district_id())
    row = submissions.frozen_row(sub, user_id)
    entries = credits.entries_for(user_id, sub.school_id, sub.school_year)
    school = db.session.get_one(School, sub.school_id)
    return render_template("district/teacher.html", sub=sub, row=row, entries=entries, school=school,
                           type_names=_type_names())


@bp.route("/district/submissions/<int:submission_id>/activities/<int:activity_id>")
@allowed(policy.may_view_district)
def activity(submission_id: int, activity_id: int):
    """An activity of the submitting school with its attendance and evidence (read-only)."""
    sub = submissions.get(submission_id, _district_id())
    act = access.get_activity(activity_id, sub.school_id)
    people = participants_with_users(act.id)
    evidence = list(db.session.execute(
        db.select(Evidence).where(Evidence.activity_id == act.id).order_by(Evidence.id)).scalars())
    names = {u.id: u.display_name for _p, u in people}
    return render_template("district/activity.html", sub=sub, act=act, people=people, evidence=evidence,
                           names=names, type_name=type_name(act.type_key),
                           school=db.session.get_one(School, sub.school_id))


# -- the school admin submits the year -------------------------------------------------------


@bp.route("/submission", methods=["GET", "POST"])
@allowed(policy.may_submit_year)
def school_submission():
    school = require_school()
    year = credits.parse_year(request.values.get("year"), current_school_year(school.timezone))
    district = districts.get_district(school.district_id)
    if request.method == "POST":
        try:
            submissions.submit(school, year, request.form.get("semester") or None, by=current_actor())
        except DomainError as exc:
            db.session.rollback()
            flash(tr(exc), "danger")
        else:
            flash(_("Submitted to the district."), "success")
        return redirect(url_for("district.school_submission", year=year), 303)
    rounds = submissions.rounds(school.id, year)
    return render_template(
        "district/school_submission.html", school=school, year=year, rounds=rounds, district=district,
        events=submissions.events(rounds[0]) if rounds else [], type_names=_type_names(),
        by_semester=district.setting("submission_period") == "semester",
    )


@bp.route("/submission/<int:submission_id>/summary.xlsx")
@allowed(policy.may_submit_year)
def school_frozen_summary(submission_id: int):
    return _xlsx(submissions.get_for_school(submission_id, require_school().id))
