"""``/admin/audit`` (page) and ``/admin/audit.csv`` (export): school admins only."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from portal import paging, policy
from portal.audit import csv_export, service
from portal.current import allowed, require_school
from portal.errors import Invalid
from portal.web.helpers import link_args

bp = Blueprint("audit", __name__)




@bp.get("/admin/audit")
@allowed(policy.may_administer)
def log():
    school = require_school()
    errors: dict[str, str] = {}
    try:
        flt = service.parse_filter(request.args)
    except Invalid as exc:
        errors = {k: str(v) for k, v in exc.fields.items()}
        flt = service.AuditFilter()
    found = paging.Page([], None, None) if errors else service.page(school, flt)
    body = render_template(
        "audit/index.html",
        school=school,
        flt=flt,
        args=link_args(),  # the query, less names that would break url_for
        errors=errors,
        rows=found.items,
        found=found,
        columns=csv_export.columns_for(flt.view),
        triggers=service.triggers_used(school),
        kinds=service.LEDGER_KINDS,
    )
    return body, (422 if errors else 200)


@bp.get("/admin/audit.csv")
@allowed(policy.may_administer)
def export():
    school = require_school()
    try:
        flt = service.parse_filter(request.args)
    except Invalid as exc:
        lines = [f"{k}: {v}" for k, v in exc.fields.items()]
        return Response(_("Invalid audit filter") + "\n" + "\n".join(lines) + "\n", 422, mimetype="text/plain")
    filename = secure_filename(f"audit-{flt.view}-{school.code}.csv") or "audit.csv"
    response = Response(
        stream_with_context(csv_export.csv_lines(flt.view, service.all_rows(school, flt))),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
