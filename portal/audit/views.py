"""``/admin/audit`` (page) and ``/admin/audit.csv`` (export): school admins only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import force_locale
from flask_babel import gettext as _

from portal import paging, policy
from portal.audit import csv_export, service
from portal.current import allowed, require_school
from portal.downloads import attachment
from portal.errors import Invalid
from portal.messages import (
    KINDS,
    SUBMISSION_EVENTS,
    SUBMISSION_STATUSES,
    label,
    locale_of,
    school_year_text,
    semester_text,
)
from portal.reports.views import headings_lang
from portal.web import helpers
from portal.web.helpers import link_args

bp = Blueprint("audit", __name__)


def shown(row: dict[str, Any], key: str) -> Any:
    """A cell as the page and its CSV export show it: types, actions, states, roles, entry kinds
    and what changed in words (the filters keep the codes)."""
    value = row[key]
    if row.get("event"):
        return _event_cell(row, key)
    type_key = row.get("type_key", "")
    if key == "request":  # a correction request: what was asked, in words
        return helpers.correction_asked(*value)
    if key == "outcome":
        return helpers.correction_status(value)
    if key == "type_key":
        return helpers.type_name(value)
    if key == "trigger":
        return helpers.trigger_label(value, type_key)
    if key in ("from_state", "to_state"):
        return helpers.state_label(value, type_key)
    if key == "role":
        return helpers.role_label(value, type_key)
    if key == "kind":
        return kind_label(value)
    if key == "semester":  # First semester, as every page and export writes it
        return semester_text(value, first=True)
    if key == "comment" and "hours" in row:  # recorded attendance: whose hours, old → new
        lines = _("; ").join(helpers.hours_change_text(change, name) for name, change in row["hours"])
        return _("%(name)s: %(message)s", name=helpers.hours_changed(len(row["hours"])), message=lines)
    if key == "comment" and "list" in row:  # the list of participants changed: who, with their role
        change, names = row["list"]  # each kind once, then whom: 「移出 1 人：甲（听讲教师）」
        return _("; ").join(helpers.list_change_groups(change, names, type_key))
    if key == "what" and "subject" in row:  # the school's settings
        return _("The school's rules") if value == "rule" else _("Activity types")
    if key == "what":
        return ({"roles": _("Roles"), "group_lead": _("Teaching group led"), "password": _("Password"),
                 "exemption": _("Exemption from assessment"),
                 "char_count": _("Characters counted (written evidence)"),
                 "writing_count": _("Characters counted (own writing)")}.get(value) or _("Teaching groups"))
    return value


def kind_label(kind: str) -> str:
    return label(KINDS[kind]) if kind in KINDS else kind


def _event_cell(row: dict[str, Any], key: str) -> Any:
    """A submission event's cell in words: the step, the submission's statuses, the year."""
    value = row[key]
    if key == "trigger":
        return trigger_text(value)
    if key in ("from_state", "to_state"):
        return label(SUBMISSION_STATUSES[value]) if value in SUBMISSION_STATUSES else value
    if key == "activity_title":
        e = row["event"]
        year = school_year_text(e["year"], e["semester"])  # 2026—2027学年 第一学期, as every page writes it
        return _("Submission of %(year)s, round %(round)s", year=year, round=e["round"])
    return value


def trigger_text(trigger: str) -> str:
    """An action of the filter or a row: a submission step or a workflow trigger, in words."""
    step = trigger.removeprefix(service.EVENT_PREFIX)
    if trigger.startswith(service.EVENT_PREFIX) and step in SUBMISSION_EVENTS:
        return label(SUBMISSION_EVENTS[step])
    return helpers.trigger_label(trigger)




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
        shown=shown,
        field_labels={"from": _("From"), "to": _("To"), "activity": _("Activity ID"), "person": _("Login"),
                      "trigger": _("Action"), "kind": _("Entry"), "view": _("View"), "page": _("Page")},
        kind_label=kind_label,
        trigger_label=trigger_text,
    )
    return body, (422 if errors else 200)


def _in(locale: str, lines: Iterator[bytes]) -> Iterator[bytes]:
    """The CSV's lines written in ``locale``: its labels and words are the page's, which speak
    the current language."""
    with force_locale(locale):
        yield from lines


@bp.get("/admin/audit.csv")
@allowed(policy.may_administer)
def export():
    school = require_school()
    try:
        flt = service.parse_filter(request.args)
    except Invalid as exc:
        lines = [f"{k}: {v}" for k, v in exc.fields.items()]
        return Response(_("Invalid audit filter") + "\n" + "\n".join(lines) + "\n", 422, mimetype="text/plain")
    lang = headings_lang()  # as every CSV/XLSX export: Chinese unless ?headings=en; a bad one is a 400
    filename = f"audit-{flt.view}-{school.code}.csv"
    response = Response(
        stream_with_context(_in(locale_of(lang), csv_export.csv_lines(flt.view, service.all_rows(school, flt), shown))),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = attachment(filename)
    response.headers["Cache-Control"] = "no-store"
    return response
