"""Downloads of the printed forms (PDF, ZIP) and the public verification page ``/verify``.

Routes of blueprint ``reports`` (registered by :func:`portal.reports.init_app`)."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import policy
from portal.current import allowed, current_actor, require_school
from portal.extensions import db
from portal.i18n import lang_code
from portal.messages import heading, msg, school_year_text, tr
from portal.models import School, User
from portal.reports import exports, paper
from portal.reports.views import _attachment, _summary_school, _year, bp
from portal.services import credits, export_jobs, verification

PDF = "application/pdf"


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, mimetype=PDF, headers=_attachment(name))


@bp.get("/activities/<int:activity_id>/certificate.pdf")
@allowed(policy.may_read_certificate)
def certificate_pdf(activity_id: int):
    school = require_school()
    data = paper.certificate_pdf(activity_id, school, current_actor().user_id)
    return _pdf(data, f"certificate-{activity_id}.pdf")


@bp.get("/reports/certificates.zip")
@allowed(policy.may_export)
def certificates_zip():
    """All 学分认定表 of the year as one ZIP: made here for a few forms, by the worker (303 to
    its progress page) for more than ``CERTIFICATE_JOB_THRESHOLD``."""
    school = require_school()
    year = _year(school.timezone)
    if len(paper.credited_activities(school, year)) > export_jobs.threshold("CERTIFICATE_JOB_THRESHOLD"):
        row = export_jobs.request_certificates(current_user.id, current_actor(), school, year, "zip", lang_code())
        return redirect(url_for("export_jobs.show", job_id=row.id), 303)
    data = paper.certificates_zip(school, year, current_actor().user_id)
    return Response(data, mimetype="application/zip", headers=_attachment(f"certificates-{school.code}-{year}.zip"))


@bp.get("/reports/summary.pdf")
@allowed(policy.may_export)
def summary_pdf():
    school = _summary_school() or require_school()
    year = _year(school.timezone)
    return _pdf(paper.summary_pdf(school, year, current_actor().user_id), f"summary-{school.code}-{year}.pdf")


@bp.get("/teachers/<int:user_id>/record.pdf")
@login_required
def record_pdf(user_id: int):
    school = _summary_school() or require_school()
    teacher = credits.viewable_teacher(current_actor(), user_id, school)
    year = _year(school.timezone)
    data = paper.record_pdf(teacher, school, year, current_actor().user_id)
    return _pdf(data, f"record-{teacher.username}-{year}.pdf")


# -- verification (no login) -------------------------------------------------------------------


@bp.get("/verify")
def verify_form():
    """A code typed in by hand: on to its page. What is no code at all is answered here: sent
    on as it was, ``../../x`` led to ``/verify/../../x``, which a browser reads as ``/x``."""
    typed = (request.args.get("code") or "").strip()
    if not typed:
        return render_template("reports/verify_form.html")
    code = verification.normalise(typed)
    if code is None:
        return _unknown()
    return redirect(url_for("reports.verify", code=code))


def _unknown() -> tuple[str, int, dict[str, str]]:
    """The answer to a code that leads to no document of the portal."""
    body = render_template("reports/verify_unknown.html", message=tr(msg("paper.verify_unknown")))
    return body, 404, {"Cache-Control": "no-store"}


@bp.get("/verify/<code>")
def verify(code: str):
    doc = verification.find(code)
    if doc is None:
        return _unknown()
    school = db.session.get_one(School, doc.school_id)
    issuer = db.session.get(User, doc.issued_by)
    semester = doc.content.get("semester") if doc.kind == "certificate" else None
    body = render_template(
        "reports/verify.html", doc=doc, school=school, issuer=issuer,
        document_name=paper.DOCUMENT_NAMES[doc.kind](), term=school_year_text(doc.school_year, semester),
        check=verification.check(doc), tz=school.timezone, taken_at=verification.taken_at(doc),
        heading=heading, kind_label=paper.kind_label, line_remark=verification.line_remark,
        absence_remark=verification.absence_remark, figures_key=verification.FIGURES,
        note=lambda line: exports.note_text(line[verification.FIGURES].get("reason"), bool(line.get("left")), lang_code()),
    )
    return body, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
