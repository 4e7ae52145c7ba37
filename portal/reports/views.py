"""Pages and downloads of blueprint ``reports``. Views parse, call a service, render."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from portal import policy
from portal.current import allowed, current_actor, current_district, current_school, require_school
from portal.downloads import attachment
from portal.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from portal.hours import fmt
from portal.i18n import lang_code, supported_locale
from portal.messages import LEFT_SCHOOL, heading, label, msg, school_year_text, shown, tr
from portal.models import School
from portal.page_cache import cached_part, fill_csrf_slots
from portal.registry import registry
from portal.reports import exports, summary_table
from portal.services import access, credits, districts, exemptions, locks, schools, stints, teacher_years
from portal.timeutil import current_school_year, to_local, utcnow
from portal.web.helpers import id_url, messages_at

bp = Blueprint("reports", __name__, static_folder="static", static_url_path="/reports/static")

#: where the summary body (cached for everyone) takes the per-session form of all 学分认定表
CERTIFICATES_SLOT = "<!-- certificates-job -->"
CERTIFICATES_FORMS = "yanxiu.certificates-forms"  # the form without its token, by language, root and year
FORMS_KEPT = 64
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


@bp.app_template_filter("report_hours")
def _hours_filter(value) -> str:
    return fmt(value)


@bp.app_template_global("report_day")
def _report_day(value, tz: str) -> str:
    """A stored UTC time as the school's local date (YYYY-MM-DD)."""
    return exports.local_day(value, tz)


@bp.app_template_global("report_days")
def _report_days(start, end, tz: str) -> str:
    """An activity's local dates: its day, or its first and last day when it runs over several
    (a 学分认定表 of a two-week course gave only its first day)."""
    first, last = exports.local_day(start, tz), exports.local_day(end, tz)
    return first if last in ("", first) else _("%(first)s to %(last)s", first=first, last=last)



def _year(school_tz: str) -> str:
    return credits.parse_year(request.args.get("year"), current_school_year(school_tz))


#: the query arguments naming an export's headings language: ``headings`` first, ``lang`` (the
#: interface's switch, which the district's submitted figures once read) kept as its alias
HEADINGS_ARGS = ("headings", "lang")


def headings_lang() -> str:
    """The language of a CSV/XLSX export's headings and labels: Chinese unless ``?headings=en``
    (or its alias ``?lang=en``), whatever the interface's language. A value the portal does not
    speak, or the two arguments asking for different languages, is refused (400) before
    anything is made or queued."""
    asked = {name: request.args[name] for name in HEADINGS_ARGS if name in request.args}
    langs = set()
    for name, value in asked.items():
        locale = supported_locale(value)
        if locale is None:
            raise DomainError(msg("export.headings_invalid", name=name, value=repr(value)[:40]))
        langs.add("en" if locale == "en" else "zh")
    if len(langs) > 1:
        raise DomainError(msg("export.headings_conflict", **{k: repr(v)[:40] for k, v in asked.items()}))
    return langs.pop() if langs else "zh"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": attachment(name), "Cache-Control": "no-store"}


def _long(kind: str, year: str, fmt: str, lang: str, **target: Any) -> Any:
    """The progress page of this export queued as a job, if it is long (else None)."""
    from portal.web.export_jobs import long_export  # that module reads this one's helpers

    return long_export(kind, year, fmt, lang, **target)


def _type_names() -> Mapping[str, str]:
    return registry().names()


# -- 学时汇总表 -------------------------------------------------------------------------------


def _seat_district() -> int:
    """The viewer's district (the views asking are for district staff only)."""
    seat = current_district()
    if seat is None:
        abort(403)
    return seat.district_id


def _summary_school() -> School | None:
    """The school whose summary is asked for: the current school, or for a district admin
    the one named by ``?school=CODE`` (None: the district admin has still to pick one). Anyone
    else naming a school other than their own is answered 404, as for a school not there."""
    code = request.args.get("school")
    seat = current_district()
    if seat is not None and policy.may_view_district(current_actor()) and (code or current_school() is None):
        return districts.school_by_code(seat.district_id, code) if code else None
    school = require_school()
    if code and code != school.code:  # a school's own people name no other school: not found, not ignored
        raise NotFound(msg("school.no_code", code=shown(code)))
    return school


def _summary_args(school: School, year: str) -> dict[str, str]:
    args = {"year": year}
    if request.args.get("school"):
        args["school"] = school.code
    return args


@bp.get("/reports/summary")
@allowed(policy.may_export)
def summary():
    school = _summary_school()
    if school is None:
        return render_template(
            "reports/pick_school.html", district_schools=schools.all_schools(_seat_district()),
            year=credits.parse_year(request.args.get("year")),
        )
    year = _year(school.timezone)
    link_args = _summary_args(school, year)

    today = to_local(utcnow(), school.timezone).date()

    def render_table() -> str:
        if not credits.year_on_record(school, year):  # said so, not a table of zeros (as the record says it)
            return render_template("reports/_summary_body.html", school=school, year=year, link_args=link_args,
                                   not_on_record=True, not_begun=not credits.year_begun(school, year))
        stored = teacher_years.summary_rows(school, year)  # the stored rows, else computed now
        rows: list[credits.SummaryRow] = [*credits.school_summary(school, year)] if stored is None else [*stored]
        keys = credits.type_keys_for_year(year, school.id, rows)
        type_names = _type_names()
        teaching, accepted = credits.teaching_now_and_accepted(school.id, year)
        return render_template(
            "reports/_summary_body.html",
            school=school,
            year=year,
            link_args=link_args,
            keys=keys,
            type_names=type_names,
            lines=summary_table.summary_lines(
                rows, keys, type_names, today,
                # the record of the summary's year (the whole record is a link away on it)
                record_url=id_url("reports.teacher_record", "user_id", year=year, school=link_args.get("school")),
                status_badge=get_template_attribute("reports/_macros.html", "status_badge"),
                teaching=teaching,
                accepted=accepted,  # what the district accepted is over
            ),
            quota_heads=summary_table.quota_heads(rows),
        ) + _render_groups(school.id, year, rows)

    parts = (year, sorted(link_args.items()), today.isoformat(), request.script_root)  # warnings move with the date
    body = cached_part("summary", school, parts, render_table)
    halves = body.split(CERTIFICATES_SLOT)
    if halves is None:
        return render_template("reports/summary.html", school=school, year=year, body=body)
    # the form goes where the slot is (per session: its CSRF token and the refusals beside it),
    # written by the page's template between the body's two parts
    head, tail = halves
    return render_template(
        "reports/summary.html", school=school, year=year, head=head, form=_certificates_form(year), tail=tail
    )


def _certificates_form(year: str) -> Markup:
    """The form asking for all 学分认定表 of ``year``, with this session's CSRF token and the
    refusals shown beside it. Without refusals (nearly always) the form is the same for every
    viewer of a language and URL root: rendered once per app and year, and its token filled in
    on each request (:func:`portal.page_cache.fill_csrf_slots`, as for the navigation bar)."""
    messages = messages_at("certificates-job")
    if messages or current_app.jinja_env.auto_reload:
        return fill_csrf_slots(render_template("reports/_certificates_job.html", year=year, messages=messages))
    kept: dict[tuple[str, str, str], str] = current_app.extensions.setdefault(CERTIFICATES_FORMS, {})
    key = (lang_code(), request.script_root, year)
    form = kept.get(key)
    if form is None:
        if len(kept) >= FORMS_KEPT:  # years typed by hand are many: start again
            kept.clear()
        kept[key] = form = render_template("reports/_certificates_job.html", year=year, messages=())
    return fill_csrf_slots(form)


def _render_groups(school_id: int, year: str, rows: list[credits.SummaryRow]) -> str:
    """Per teaching group (教研组): teachers, hours and statuses, from the same teacher-year rows."""
    from portal.services import groups

    stats = groups.group_stats(school_id, rows)
    return render_template("reports/_groups.html", stats=stats, year=year) if stats else ""


@bp.get("/reports/summary.csv")
@allowed(policy.may_export)
def summary_csv():
    lang = headings_lang()
    school = _summary_school() or require_school()
    year = _year(school.timezone)
    if (queued := _long("school_summary", year, "csv", lang, school=school)) is not None:
        return queued
    body = stream_with_context(exports.stream_summary_csv(school, year, lang))
    return Response(body, content_type=CSV, headers=_attachment(f"summary-{school.code}-{year}.csv"))


@bp.get("/reports/summary.xlsx")
@allowed(policy.may_export)
def summary_xlsx():
    lang = headings_lang()
    school = _summary_school() or require_school()
    year = _year(school.timezone)
    if (queued := _long("school_summary", year, "xlsx", lang, school=school)) is not None:
        return queued
    data = exports.summary_xlsx(school, year, lang)
    return Response(data, mimetype=XLSX, headers=_attachment(f"summary-{school.code}-{year}.xlsx"))


# -- 学分认定表 -------------------------------------------------------------------------------


@bp.get("/activities/<int:activity_id>/certificate")
@allowed(policy.may_read_certificate)
def certificate(activity_id: int):
    school = require_school()
    cert = credits.certificate(activity_id, school.id)
    key = cert.activity.type_key
    return render_template(
        "reports/certificate.html",
        cert=cert,
        type_name=registry().name(key),
        role_label=lambda role: registry().role_name(key, role),
        tz=school.timezone,
        term=school_year_text(cert.activity.school_year, cert.activity.semester),
        heading=heading,
    )


@bp.get("/activities/<int:activity_id>/certificate.xlsx")
@allowed(policy.may_read_certificate)
def certificate_xlsx(activity_id: int):
    lang = headings_lang()
    school = require_school()
    act = access.get_activity(activity_id, school.id)
    data = exports.certificate_xlsx(act, lang)
    return Response(data, mimetype=XLSX, headers=_attachment(f"certificate-{act.id}.xlsx"))


# -- 成长档案 ---------------------------------------------------------------------------------


@bp.get("/teachers/<int:user_id>/record")
@login_required
def teacher_record(user_id: int):
    school = _summary_school() or require_school()
    teacher = credits.viewable_teacher(current_actor(), user_id, school)
    # ``?year=``: that year of the record alone, as the 学时证明 (``record.pdf?year=``) takes it;
    # one that is not a year of theirs here is said so above the whole record, a value no
    # calendar holds refused as every year field refuses it (credits.parse_year)
    asked = request.args.get("year")
    year = None if asked in (None, "") else credits.parse_year(asked)
    years = credits.teacher_record(teacher, school, year)
    not_on_record = year is not None and not years
    if not_on_record:
        years = credits.teacher_record(teacher, school)
    # the schools they left this year and the hours those credited them: theirs alone to read, and
    # asked only when this year's figures found one (no statement more for a teacher who never moved)
    this_year = current_school_year(school.timezone)
    # why the year asked is not on it, said in its own words: over, still going on (they are off
    # the teaching staff, nothing of it theirs), or not begun
    if year is not None and not_on_record:
        why = "over" if year < this_year else "now" if year == this_year else "not_begun"
    else:
        why = None
    left = any(y.summary.left_schools for y in years if y.school_year == this_year)
    earlier = (credits.earlier_schools(teacher.id, school, this_year)
               if left and policy.may_see_earlier_schools(current_actor(), teacher.id) else [])
    return render_template(
        "reports/teacher_record.html",
        earlier=earlier,
        school=school,
        teacher=teacher,
        years=years,
        one_year=None if year is None or not_on_record else year,
        not_on_record=year if not_on_record else None,
        not_on_record_why=why,
        # as the school's summary marks them
        left_school=label(LEFT_SCHOOL) if teacher.id not in credits.teaching_now(school.id) else "",
        away=stints.periods_away(teacher.id, school.id),  # what was held then asks nothing of them
        type_names=_type_names(),
        tz=school.timezone,
        heading=heading,
    )


# -- district -------------------------------------------------------------------------------


@bp.get("/district/export.csv")
@allowed(policy.may_view_district)
def district_export():
    lang = headings_lang()
    year = credits.parse_year(request.args.get("year"))
    ledger = request.args.get("ledger") == "1"
    kind = "district_ledger" if ledger else "district_summary"
    if (queued := _long(kind, year, "csv", lang, district_id=_seat_district())) is not None:
        return queued
    body = stream_with_context(
        exports.stream_district_csv(year, lang, ledger=ledger, district_id=_seat_district())
    )
    name = f"district-{'ledger' if ledger else 'summary'}-{year}.csv"
    return Response(body, content_type=CSV, headers=_attachment(name))


@bp.get("/district/export.xlsx")
@allowed(policy.may_view_district)
def district_export_xlsx():
    lang = headings_lang()
    year = credits.parse_year(request.args.get("year"))
    ledger = request.args.get("ledger") == "1"
    kind = "district_ledger" if ledger else "district_summary"
    if (queued := _long(kind, year, "xlsx", lang, district_id=_seat_district())) is not None:
        return queued
    spool = tempfile.TemporaryFile()  # write-only XLSX is assembled on disk, not in memory
    exports.district_xlsx(year, spool, lang, ledger=ledger, district_id=_seat_district())
    spool.seek(0)
    name = f"district-{'ledger' if ledger else 'summary'}-{year}.xlsx"
    return send_file(spool, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


# -- exemptions -----------------------------------------------------------------------------


@bp.route("/admin/exemptions", methods=["GET", "POST"])
@allowed(policy.may_administer)
def exemptions_page():
    school = require_school()
    errors: dict[str, str] = {}
    refused_year = ""  # a year the district accepted (locked): its page shown, the refusal beside it
    if request.method == "POST":
        form = request.form
        if form.get("action") not in ("set", "clear"):  # the form's two buttons; anything else saves nothing
            abort(400)
        year = form.get("year", "")
        try:
            user_id = int(form.get("user_id", ""))
        except ValueError:
            user_id = None
        try:
            if form.get("action") == "clear":
                exemptions.clear_exemption(school, current_actor(), user_id, year)
                flash(_("The exemption was removed."), "success")
            else:
                exemptions.set_exemption(school, current_actor(), user_id, year, form.get("reason"))
                flash(_("The exemption was saved."), "success")
            return redirect(url_for("reports.exemptions_page", year=year))
        except Invalid as exc:
            errors = {k: tr(v) for k, v in exc.fields.items()}
        except Forbidden as exc:  # e.g. one's own exemption: said beside the teacher field
            errors = {"user_id": tr(exc)}
        except Conflict as exc:  # a year the district accepted (locked): said beside the year
            errors, refused_year = {"year": tr(exc)}, str(exc.extra.get("school_year", ""))
        shown_year = refused_year or (year if not errors.get("year") else current_school_year(school.timezone))
    else:
        shown_year = _year(school.timezone)
    body = render_template(
        "reports/exemptions.html",
        school=school,
        year=shown_year,
        rows=exemptions.list_exemptions(school, shown_year),
        by_policy=exemptions.exempt_by_policy(school, shown_year),
        ahead=not credits.year_begun(school, shown_year),  # the policy's list is a forecast then
        teachers=[t for t in exemptions.exemptible(school, shown_year) if policy.may_exempt(current_actor(), t.id)],
        locked=locks.is_locked(school.id, shown_year),  # no exemption of it is set or removed
        errors=errors,
        form=request.form,
    )
    return body, (422 if errors else 200)
