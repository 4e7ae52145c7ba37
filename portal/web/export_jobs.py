"""Long exports as jobs: ask for one (the district workbook, all 学分认定表 of a school's year),
or be sent here by any export whose rows are above ``EXPORT_JOB_THRESHOLD`` (:func:`long_export`);
watch its progress bar, download the file while it is kept — only the person who asked, in the
school they asked in."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import jobs, policy
from portal.current import allowed, current_actor, current_district, current_school, require_school
from portal.errors import DomainError, Invalid
from portal.i18n import lang_code
from portal.messages import msg, school_year_text, tr
from portal.models import ExportJob, School
from portal.reports.views import headings_lang
from portal.services import credits, export_jobs
from portal.timeutil import current_school_year, utcnow
from portal.web.forms import ConfirmForm
from portal.web.helpers import flash_at

#: where the summary page offers all 学分认定表 of the year (refusals are shown there)
CERTIFICATES_ANCHOR = "certificates-job"

bp = Blueprint("export_jobs", __name__)


def _state(row: ExportJob) -> dict:
    """The export's state as its page shows it (and asks for it again, as JSON): why it failed in words."""
    ready = export_jobs.file_of(row, utcnow()) is not None
    failure = export_jobs.failure_code(row)
    return {"status": row.status, "done_rows": row.done_rows, "total_rows": row.total_rows,
            "percent": export_jobs.percent(row), "reason": tr(msg(failure)) if failure else "",
            "ready": ready, "url": url_for("export_jobs.download", job_id=row.id) if ready else "",
            "worker_down": export_jobs.waiting(row) and jobs.worker_down(utcnow())}


def _mine(job_id: int) -> ExportJob:
    school, seat = current_school(), current_district()
    try:
        return export_jobs.get_for(job_id, current_actor(), school.id if school else None,
                                   seat.district_id if seat else None)
    except DomainError:
        abort(404)


@bp.post("/district/export-job")
@allowed(policy.may_view_district)
def start():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    year = credits.parse_year(request.form.get("year"))
    kind = export_jobs.DISTRICT_LEDGER if request.form.get("ledger") == "1" else export_jobs.DISTRICT_SUMMARY
    seat = current_district()
    if seat is None:
        abort(403)
    row = export_jobs.request_export(current_user.id, current_actor(), kind, year, headings_lang(),
                                     district_id=seat.district_id)
    return redirect(url_for("export_jobs.show", job_id=row.id))


def long_export(kind: str, year: str, fmt: str, lang: str, *, district_id: int | None = None,
                school: School | None = None) -> ResponseReturnValue | None:
    """If the export has more rows than ``EXPORT_JOB_THRESHOLD``: queue it, headed in ``lang``
    (the view's :func:`headings_lang`), and answer with its progress page (303); else None and
    the view sends the file itself."""
    if not export_jobs.is_long(kind, year, school_id=school.id if school else None, district_id=district_id):
        return None
    asked_in = current_school()
    row = export_jobs.request_export(current_user.id, current_actor(), kind, year, lang, fmt=fmt,
                                     district_id=district_id, school=school,
                                     asked_in=asked_in.id if asked_in is not None else None)
    return redirect(url_for("export_jobs.show", job_id=row.id), 303)


@bp.post("/reports/certificates-job")
@allowed(policy.may_export)
def start_certificates():
    """All 学分认定表 of the year as a ZIP or one merged PDF, prepared by the worker."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    school = require_school()
    year = credits.parse_year(request.form.get("year"), current_school_year(school.timezone))
    try:
        row = export_jobs.request_certificates(current_user.id, current_actor(), school, year,
                                               request.form.get("format", ""), lang_code())
    except Invalid as exc:
        flash_at(CERTIFICATES_ANCHOR, tr(exc), "danger")
        return redirect(url_for("reports.summary", year=year, _anchor=CERTIFICATES_ANCHOR))
    return redirect(url_for("export_jobs.show", job_id=row.id))


@bp.get("/exports/<int:job_id>")
@login_required
def show(job_id: int):
    row = _mine(job_id)
    unit = _("forms") if row.kind in export_jobs.CERTIFICATE_KINDS.values() else _("rows")
    return render_template("exports/job.html", row=row, state=_state(row), unit=unit,
                           title=f"{_title(row)} · {school_year_text(row.year)}")


def _title(row: ExportJob) -> str:
    """What the export is, in words, with the format asked for (its file name is shown below it):
    every kind of :data:`export_jobs.KINDS` and of :data:`export_jobs.CERTIFICATE_KINDS`."""
    csv = export_jobs.format_of(row) == "csv"
    return {
        export_jobs.SCHOOL_SUMMARY: _("Hours summary (CSV)") if csv else _("Hours summary (XLSX)"),
        export_jobs.DISTRICT_SUMMARY: _("District summary (CSV)") if csv else _("District summary (XLSX)"),
        export_jobs.DISTRICT_LEDGER: _("Every ledger line (CSV)") if csv else _("Every ledger line (XLSX)"),
        export_jobs.DISTRICT_SUBMITTED: (_("Submitted figures of every school (CSV)") if csv
                                         else _("Submitted figures of every school (XLSX)")),
        export_jobs.CERTIFICATE_KINDS["pdf"]: _("All credit certification forms (one PDF)"),
        export_jobs.CERTIFICATE_KINDS["zip"]: _("All credit certification forms (ZIP)"),
    }.get(row.kind, _("Export"))


@bp.get("/exports/<int:job_id>.json")
@login_required
def state(job_id: int):
    return jsonify(_state(_mine(job_id)))


@bp.get("/exports/<int:job_id>/file")
@login_required
def download(job_id: int):
    row = _mine(job_id)
    path = export_jobs.file_of(row, utcnow())
    if path is None:
        abort(410 if row.status in ("done", "expired") else 404)
    return send_file(path, mimetype=export_jobs.mimetype(row), as_attachment=True, download_name=row.download_name, max_age=0)
