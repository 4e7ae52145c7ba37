"""The district's pages: its schools, the queue of submitted school years, a submission with
every teacher's frozen figures (read-only drill into a teacher's record and an activity's
evidence), accept / return / reopen; and the school admin's page to submit the year."""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from portal import policy
from portal.current import allowed, current_actor, current_district, require_school
from portal.downloads import attachment, evidence_response
from portal.errors import DomainError, Invalid
from portal.extensions import db
from portal.hours import fmt
from portal.messages import heading, msg, shown, tr
from portal.models import Evidence, School, YearSubmission
from portal.models.district import WHOLE_YEAR
from portal.models.school import DISTRICT_QUOTAS
from portal.registry import registry
from portal.reports import district_exports
from portal.reports.views import headings_lang
from portal.school_rules import HOUR_RULES, SCHOOL_RULES
from portal.security import is_digits
from portal.services import announcements, credits, districts, moves, school_plans, schools, submissions
from portal.services import dashboard as dashboard_service
from portal.services import overview as overview_service
from portal.services.activities import participants_with_users
from portal.timeutil import current_school_year, default_zone, utcnow
from portal.web.export_jobs import long_export
from portal.web.helpers import type_name
from workflows import submission as submission_steps

bp = Blueprint("district", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _district_id() -> int:
    seat = current_district()
    if seat is None:
        abort(403)
    return seat.district_id


def _page_arg() -> int:
    """``?page=``: a page number from 1 (absent: 1); anything else is refused (422) with the
    paging's own message, as the API refuses it, rather than shown as the first page."""
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or int(raw) < 1:
        raise Invalid(msg("paging.bad_cursor"), {"page": msg("paging.bad_cursor_field")})
    return int(raw)


def _type_names() -> Mapping[str, str]:
    return registry().names()


@bp.route("/district")
@allowed(policy.may_view_district)
def overview():
    year = credits.parse_year(request.args.get("year"))  # a bad year: 422 with the reason
    found = overview_service.district_page(year, request.args.get("after"), request.args.get("before"),
                                          district_id=_district_id())
    return render_template("district/overview.html", rows=found.items, found=found, year=year)


# -- the district's queue of submissions ---------------------------------------------------------


@bp.route("/district/submissions")
@allowed(policy.may_view_district)
def queue():
    status = request.args.get("status") or submissions.SUBMITTED  # another: refused by the queue (422)
    year = credits.parse_year(request.args.get("year"), "") if request.args.get("year") else None
    page = submissions.queue(_district_id(), status, _page_arg(), year=year)
    return render_template("district/queue.html", page=page, status=status, year=year or "",
                           judging=page.judging)


@bp.route("/district/submissions/<int:submission_id>")
@allowed(policy.may_view_district)
def submission(submission_id: int):
    return _submission_page(submission_id)


def _submission_page(submission_id: int, typed: Mapping[str, str] | None = None,
                     errors: Mapping[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    """A submission's page; ``typed``: what the reviewer wrote in a step's boxes (the decision's
    ``comment`` and ``teacher-<id>``, the reopen's ``reason``), kept when the step was refused
    (422), each box's reason beside it (``errors``)."""
    district_id = _district_id()
    sub, judges = submissions.read_seen(submission_id, district_id)
    school = db.session.get_one(School, sub.school_id)
    return render_template(
        "district/submission.html", sub=sub, school=school, events=(events := submissions.events(sub)),
        teacher_names=submissions.commented_teachers(events),
        # the district the school is in decides its year (policy.decides_for_school): the forms it may use
        decides_here=policy.decides_submission_for(sub.district_id, school.district_id, district_id),
        reopens_here=policy.decides_for_school(school.district_id, district_id),
        type_names=_type_names(), type_keys=registry().in_order(sub.by_type), district_view=True,
        involved=submissions.involved(sub), changed=_changed(sub),
        judged_by=submissions.judged_by(sub, school), rule_specs=SCHOOL_RULES, hour_rules=HOUR_RULES,
        judges=judges, read=_as_read(sub, judges),
        # the steps that ask a comment say so beside the box before anything is sent (portal.js),
        # in the words the service refuses them with
        needs_comment={s.trigger: tr(submissions.comment_missing(s)) for s in submission_steps.STEPS
                       if s.comment_required},
        typed=typed or {}, errors=errors or {},
    ), status


def _as_read(sub: YearSubmission, judges: bool) -> tuple[list[dict], tuple[str, ...]]:
    """The round's rows as every surface shows them and the semesters of absence it shows
    (``submissions.rows_as_read``): a first semester's round does not judge the year
    (``judges``: ``submissions.judges_year``, read with the round)."""
    return submissions.rows_as_read(sub, judges), submissions.absence_semesters(judges)


def _changed(sub: YearSubmission) -> list[submissions.Change]:
    """The teachers whose figures moved since a submission waiting for the district was made
    (``submissions.changes_since``, its count the pages say): said before anyone acts (accepting
    it is refused, ``submission.changed``)."""
    return submissions.changes_since(sub) if sub.status == submissions.SUBMITTED else []


def _reasons(submission_id: int, fields: dict) -> list[str]:
    """Each field's reason in words; a per-teacher comment's reason (keyed by the teacher's id)
    names the teacher as the round lists them."""
    out: list[str] = []
    names: dict[str, str] | None = None
    for value in fields.values():
        if not isinstance(value, dict):
            out.append(tr(value))
            continue
        if names is None:
            rows = submissions.get_seen(submission_id, _district_id()).rows or []
            names = {str(r["user_id"]): r["name"] for r in rows}
        out.extend(_("%(name)s: %(message)s", name=names.get(k) or shown(k, 20), message=tr(m)) for k, m in value.items())
    return out


def _refusal(submission_id: int, exc: DomainError) -> str:
    """Why a decision was refused, in words: its message and each field's reason."""
    fields = getattr(exc, "fields", {}) or {}
    detail = _("; ").join(_reasons(submission_id, fields))
    return _("%(message)s (%(detail)s)", message=tr(exc), detail=detail) if detail and detail != tr(exc) else tr(exc)


def _decided(submission_id: int, action, done: str, typed: Mapping[str, str] | None = None) -> ResponseReturnValue:
    """Run the district's step ``action``; say ``done`` (what happened, not a bare 已保存) or why not.
    With ``typed`` (the step form's boxes), what the reviewer wrote is refused (``Invalid``: a
    return with no comment, a reopen with no reason, one too long) on the page again, as typed,
    each box's reason beside it (422)."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(_refusal(submission_id, exc), "danger")
        if typed is not None and isinstance(exc, Invalid):
            errors = {box: tr(why) for box, why in exc.fields.items() if box in typed and not isinstance(why, dict)}
            return _submission_page(submission_id, typed, errors, 422)
        return redirect(url_for("district.submission", submission_id=submission_id), 303)
    flash(done, "success")
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
    done = (_("The school's year is accepted and locked.") if decision == "accept"
            else _("The school's year is returned to the school with your comments."))
    typed = {"comment": request.form.get("comment", ""),
             **{key: value for key, value in request.form.items() if key.startswith("teacher-")}}
    return _decided(submission_id, lambda: submissions.decide(
        submission_id, decision == "accept", request.form.get("comment", ""), per_teacher,
        by=current_actor(), district_id=_district_id(),
    ), done, typed)


@bp.route("/district/submissions/<int:submission_id>/reopen", methods=["POST"])
@allowed(policy.may_view_district)
def reopen(submission_id: int):
    return _decided(submission_id, lambda: submissions.reopen(
        submission_id, request.form.get("reason", ""), by=current_actor(), district_id=_district_id()
    ), _("The school's year is reopened: the school may correct it and submit it again."),
        {"reason": request.form.get("reason", "")})


@bp.route("/district/submissions/<int:submission_id>/summary.xlsx")
@allowed(policy.may_view_district)
def frozen_summary(submission_id: int):
    sub = submissions.get_seen(submission_id, _district_id())
    return _xlsx(sub)


def _xlsx(sub) -> Response:
    school = db.session.get_one(School, sub.school_id)
    name = f"submitted-{school.code}-{sub.school_year}-r{sub.round}.xlsx"
    return Response(sub.summary_xlsx, mimetype=XLSX, headers={
        "Content-Disposition": attachment(name), "Cache-Control": "no-store"})


@bp.route("/district/submissions/<int:submission_id>/teachers/<int:user_id>")
@allowed(policy.may_view_district)
def teacher(submission_id: int, user_id: int):
    """A teacher's frozen figures and the ledger lines behind them (read-only)."""
    sub, judges = submissions.read_seen(submission_id, _district_id())
    submissions.frozen_row(sub, user_id)  # not one of its teachers: not found
    rows, semesters = _as_read(sub, judges)
    row = next(r for r in rows if r.get("user_id") == user_id)
    entries = credits.entries_for(user_id, sub.school_id, sub.school_year, until=sub.submitted_at)  # behind the total
    absences = submissions.absences_as_read(sub, user_id, judges)  # behind the absence shown
    school = db.session.get_one(School, sub.school_id)
    return render_template("district/teacher.html", sub=sub, row=row, entries=entries, absences=absences,
                           school=school, semesters=semesters, type_names=_type_names(), changed=_changed(sub))


@bp.route("/district/submissions/<int:submission_id>/activities/<int:activity_id>")
@allowed(policy.may_view_district)
def activity(submission_id: int, activity_id: int):
    """An activity of the submitting school with its attendance and evidence (read-only)."""
    sub = submissions.get_seen(submission_id, _district_id())
    act = submissions.activity_of(sub, activity_id)  # of the submitted year only
    people = participants_with_users(act.id)
    evidence = list(db.session.execute(
        db.select(Evidence).where(Evidence.activity_id == act.id).order_by(Evidence.id)).scalars())
    names = {u.id: u.display_name for _p, u in people}
    # each one's hours of it as the submitted year counted them (the ledger until it was sent):
    # a speaker's twice the length is read beside their role, as the 学分认定表 prints both
    credited = credits.activity_net_hours(act.id, until=sub.submitted_at)
    return render_template("district/activity.html", sub=sub, act=act, people=people, evidence=evidence,
                           names=names, type_name=type_name(act.type_key), credited=credited, heading=heading,
                           school=db.session.get_one(School, sub.school_id))


@bp.route("/district/submissions/<int:submission_id>/evidence/<int:evidence_id>")
@allowed(policy.may_view_district)
def evidence(submission_id: int, evidence_id: int) -> Response:
    """A piece of evidence of the submitted year, as the school holds it (read-only): the file,
    or a written piece as text. Another district's, another school's or another year's: 404."""
    sub = submissions.get_seen(submission_id, _district_id())
    ev, _act = submissions.evidence_of(sub, evidence_id)
    return evidence_response(ev)


# -- the school admin submits the year -------------------------------------------------------


def _said(refused: DomainError | None) -> str | None:
    return tr(refused) if refused is not None else None


@bp.route("/submission", methods=["GET", "POST"])
@allowed(policy.may_submit_year)
def school_submission():
    school = require_school()
    year = credits.parse_year(request.values.get("year"), current_school_year(school.timezone))
    district = districts.get_district(school.district_id)
    if request.method == "POST":
        try:  # the year is named on the form: a post without it submits nothing
            year = credits.parse_year(request.form.get("year") or "-")
            submissions.submit(school, year, request.form.get("semester") or None, by=current_actor())
        except DomainError as exc:
            db.session.rollback()
            flash(tr(exc), "danger")
        else:
            flash(_("Submitted to the district."), "success")
        return redirect(url_for("district.school_submission", year=year), 303)
    rounds, judging = submissions.rounds(school.id, year)
    by_semester = district.setting("submission_period") == "semester"
    # each period's newest round (a district that collects semesters: each semester's), with its
    # history and how many teachers' figures moved since it was sent
    latest = list(submissions.latest_of_each_period(rounds).values())
    periods = [(sub, submissions.events(sub), _changed(sub), _as_read(sub, sub.id in judging)) for sub in latest]
    return render_template(
        "district/school_submission.html", school=school, year=year, periods=periods, district=district,
        teacher_names=submissions.commented_teachers([step for _sub, steps, _c, _r in periods for step in steps]),
        type_names=_type_names(),
        by_semester=by_semester, refused=_said(submissions.refused_whole_year(school, year)),
        unfinished=submissions.unfinished_before_submitting(
            school.id, year, (1, 2) if by_semester else (WHOLE_YEAR,), rounds),
    )


@bp.route("/submission/<int:submission_id>/summary.xlsx")
@allowed(policy.may_submit_year)
def school_frozen_summary(submission_id: int):
    return _xlsx(submissions.get_for_school(submission_id, require_school().id))


# -- the district admin: defaults, schools and their admins, types district-wide -------------------


def _refused(exc: DomainError, beside: Collection[str] = ()) -> dict[str, str]:
    """Nothing was changed: say why. The reasons of the fields in ``beside`` are returned, for
    the page to show each beside its field; those of any other field are said with the why (in
    the reader's words: a field's code means nothing to them), a reason the why says already not
    again (a forged type key: 未知的活动类型 once)."""
    db.session.rollback()
    fields = getattr(exc, "fields", {}) or {}
    shown = {k: tr(v) for k, v in fields.items() if k in beside}
    said = dict.fromkeys([tr(exc), *(tr(v) for k, v in fields.items() if k not in beside)])  # each once
    flash(_("; ").join(said), "danger")
    return shown


def _number(raw: str | None) -> float | str | None:
    """A form's number (empty: None, the district sets none); text that is no number is passed on
    for the service to refuse with its message."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return raw


def _whole(raw: str | None) -> int | str | None:
    """A form's whole number (empty: None, the district sets none); other text is passed on
    for the service to refuse with its message."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else raw


#: The inputs of each form of the district's settings page, each shown with its own reason.
SETTINGS_FIELDS = {
    "defaults": ("required_hours", "absence_limit_hours", "submission_period", "plan_deadline", *DISTRICT_QUOTAS),
    "school": ("code", "name", "admin_username", "admin_name", "admin_password"),
}


@bp.route("/district/settings", methods=["GET", "POST"])
@allowed(policy.may_administer_district)
def settings():
    district = districts.get_district(_district_id())
    status = 200
    errors: dict[str, str] = {}
    form = ""
    if request.method == "POST":
        form = request.form.get("form", "")
        try:
            if form == "defaults":
                districts.update_settings(district, {
                    "required_hours": _number(request.form.get("required_hours")),
                    "absence_limit_hours": _number(request.form.get("absence_limit_hours")),
                    "submission_period": request.form.get("submission_period", ""),
                    "plan_deadline": request.form.get("plan_deadline", ""),
                    **{key: _whole(request.form.get(key)) for key in DISTRICT_QUOTAS},
                }, by=current_actor())
            elif form == "school":
                districts.create_school_with_admin(
                    district, request.form.get("code", ""), request.form.get("name", ""),
                    request.form.get("admin_username", ""), request.form.get("admin_name", ""),
                    request.form.get("admin_password", ""), by=current_actor())
            elif form == "type":
                districts.enable_type(district, request.form.get("type_key", ""),
                                      request.form.get("enabled") == "1", by=current_actor())
            else:
                abort(400)
        except DomainError as exc:
            errors = _refused(exc, SETTINGS_FIELDS.get(form, ()))
            status = 422
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("district.settings"), 303)
    enabled = set((district.settings or {}).get("enabled_types", []))
    # a refused form shows what was typed in it (a password is typed again)
    typed = {k: v for k, v in request.form.items() if k != "admin_password"} if status == 422 else {}
    return render_template(
        "district/settings.html", district=district, enabled=enabled, types=list(registry().types.values()),
        form=form, errors=errors, typed=typed,
        quotas=[(key, SCHOOL_RULES[key]) for key in DISTRICT_QUOTAS],
        schools=schools.all_schools(district.id),
    ), status


# -- a teacher's move to another school of the district --------------------------------------------


@bp.route("/district/move", methods=["GET", "POST"])
@allowed(policy.may_move_teacher)
def move():
    """Move a teacher to another school of the district from a day: the form (the teacher, the
    school they join, the day), then a confirmation saying what the move does to their years and
    activities (``moves.check_move``), then the move (``moves.move_teacher``). A refusal keeps
    what was typed, says why beside each field, and writes nothing."""
    district_id = _district_id()
    typed = {key: request.form.get(key, "") for key in ("teacher", "school", "day")}
    errors: dict[str, str] = {}
    checked = None
    status = 200
    if request.method == "POST":
        leaves, _sep, person = typed["teacher"].partition(":")  # "<school id>:<user id>"
        confirmed = request.form.get("confirm") == "1"
        step = moves.move_teacher if confirmed else moves.check_move
        try:
            checked = step(person, typed["school"], typed["day"], by=current_actor(), district_id=district_id,
                           from_school_id=leaves)
        except Invalid as exc:
            db.session.rollback()
            errors = {key: tr(value) for key, value in exc.fields.items()}
            flash(tr(exc), "danger")
            status = 422
        except DomainError as exc:
            _refused(exc)
            status = exc.status
        else:
            if confirmed:
                flash(_("%(name)s teaches at %(school)s from %(day)s.", name=checked.person.display_name,
                        school=checked.joins.name, day=checked.day.isoformat()), "success")
                return redirect(url_for("district.move"), 303)
    return render_template("district/move.html", typed=typed, errors=errors, move=checked,
                           teachers=moves.teachers_of(district_id), schools=schools.all_schools(district_id),
                           ahead=moves.MOVE_AHEAD_DAYS, future=checked is not None and checked.at > utcnow()), status


# -- the dashboard and the export of what the schools submitted -----------------------------------


@bp.route("/district/dashboard")
@allowed(policy.may_view_district)
def dashboard():
    year = credits.parse_year(request.args.get("year"))
    d = dashboard_service.dashboard(_district_id(), year, _page_arg())
    names = _type_names()
    hours_items = [(names.get(k, k), float(h), fmt(h)) for k, h in d.hours_by_type]
    return render_template("district/dashboard.html", d=d, hours_items=hours_items,
                           deadlines=announcements.upcoming(_district_id()))


@bp.route("/district/submitted.xlsx")
@allowed(policy.may_view_district)
def accepted_xlsx():
    lang = headings_lang()
    year = credits.parse_year(request.args.get("year"))
    if (queued := long_export("district_submitted", year, "xlsx", lang, district_id=_district_id())) is not None:
        return queued
    spool = tempfile.TemporaryFile()  # one sheet per school: assembled on disk, not in memory
    district_exports.write_workbook(_district_id(), year, spool, lang)
    spool.seek(0)
    return send_file(spool, mimetype=XLSX, as_attachment=True, download_name=f"district-submitted-{year}.xlsx",
                     max_age=0)


@bp.route("/district/submitted.csv")
@allowed(policy.may_view_district)
def accepted_csv():
    lang = headings_lang()
    year = credits.parse_year(request.args.get("year"))
    if (queued := long_export("district_submitted", year, "csv", lang, district_id=_district_id())) is not None:
        return queued
    body = stream_with_context(district_exports.stream_csv_rows(_district_id(), year, lang))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": attachment(f"district-submitted-{year}.csv"), "Cache-Control": "no-store"})


# -- the school's annual plan (年度校本研修计划) -------------------------------------------------

PLAN_ROWS = 12  # empty rows offered on the form beyond the plan's own


def _plan_lines_from_form() -> list[dict[str, str]]:
    """The form's rows (``type-N``, ``month-N``, ``title-N``, ``hours-N``, ``responsible-N``) in
    the order of N, every row posted: the page offers 12 empty rows beyond the plan's lines, so
    a plan of 199 lines has rows up to 210 (read up to 199 only, a line typed past them was
    dropped unsaid, and a 201st one not refused by the plan's limit); a row left empty is no line."""
    numbers = sorted({int(n) for key in request.form for name, _dash, n in [key.partition("-")]
                      if name in ("title", "hours") and is_digits(n) and len(n) <= 6})
    lines = []
    for n in numbers:
        row = {k: request.form.get(f"{k}-{n}", "").strip() for k in ("type", "month", "title", "hours", "responsible")}
        if not row["title"] and not row["hours"]:
            continue
        lines.append(row)
    return lines


@dataclass
class TypedLine:
    """A line of the plan as typed on a refused form, shown again as a saved line is."""

    type_key: str
    month: int | str
    title: str
    planned_text: str
    responsible: str

    @classmethod
    def of(cls, row: Mapping[str, str]) -> TypedLine:
        month = row["month"]
        return cls(row["type"], int(month) if month.isascii() and month.isdigit() else month, row["title"],
                   row["hours"], row["responsible"])


@bp.route("/school-plan", methods=["GET", "POST"])
@allowed(policy.may_write_school_plan)
def school_plan() -> ResponseReturnValue:
    school = require_school()
    year = credits.parse_year(request.values.get("year"), school_plans.next_year(school.timezone))
    status = 200
    errors: dict[str, str] = {}
    line_errors: dict[int, dict[str, str]] = {}
    typed_lines: list[TypedLine] | None = None
    if request.method == "POST":
        lines_typed = _plan_lines_from_form()
        try:  # the year is named on the form: a post without it saves nothing
            year = credits.parse_year(request.form.get("year") or "-")
            school_plans.save_plan(school, year, request.form.get("aims", ""), request.form.get("target_hours", ""),
                            lines_typed, by=current_actor())
            if request.form.get("action") == "submit":
                school_plans.submit_plan(school, year, by=current_actor())
        except DomainError as exc:
            # what was typed stays on the form, each line's reason beside it (the rows the
            # service numbers are the form's rows that are not empty, shown in that order)
            faults: Any = (getattr(exc, "fields", {}) or {}).get("lines")
            per_line = isinstance(faults, dict)
            errors = _refused(exc, ("aims", "target_hours", "lines") if per_line else ("aims", "target_hours"))
            errors.pop("lines", None)
            if isinstance(faults, dict):
                line_errors = {int(i): {k: tr(v) for k, v in fault.items()} if isinstance(fault, dict)
                               else {"title": tr(fault)} for i, fault in faults.items() if str(i).isdigit()}
            typed_lines = [TypedLine.of(row) for row in lines_typed]
            status = 422
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("district.school_plan", year=year), 303)
    plan = school_plans.get_plan(school.id, year)
    lines = school_plans.lines_of(plan.id) if plan else []
    district = districts.get_district(school.district_id)
    return render_template(
        "school_plan/plan.html", school=school, year=year, plan=plan, blank=PLAN_ROWS,
        lines=lines, form_lines=lines if typed_lines is None else typed_lines, line_errors=line_errors, errors=errors,
        typed={k: request.form.get(k, "") for k in ("aims", "target_hours")} if status == 422 else None,
        types=list(registry().types), months=school_plans.MONTHS, due=school_plans.due(district, school, year),
        editable=plan is None or plan.status in school_plans.EDITABLE,
        grid=school_plans.planned_vs_held(plan) if plan else {}, district_view=False,
        from_lines=plan is not None and plan.status in school_plans.PLANNABLE
        and policy.may_plan_type(current_actor(), False),
        per_line=school_plans.activities_per_line(plan.id) if plan else {},
        enabled={r.decl.key for r in schools.enabled_types(school.id)},
    ), status


@bp.route("/district/plans")
@allowed(policy.may_view_district)
def school_plan_list():
    year = credits.parse_year(request.args.get("year"), school_plans.next_year(default_zone()))
    return render_template("school_plan/list.html", rows=school_plans.district_school_plans(_district_id(), year), year=year)


@bp.route("/district/plans/<int:plan_id>", methods=["GET", "POST"])
@allowed(policy.may_decide_school_plan)
def school_plan_review(plan_id: int):
    plan = school_plans.get_for_district(plan_id, _district_id())
    if request.method == "POST":
        decision = request.form.get("decision", "")
        try:
            if decision not in ("accept", "return"):
                raise Invalid(msg("submission.decision_invalid"), {"decision": msg("submission.decision_invalid")})
            school_plans.decide_plan(plan.id, decision == "accept", request.form.get("comment", ""),
                              by=current_actor(), district_id=_district_id())
        except DomainError as exc:
            db.session.rollback()
            flash(tr(exc), "danger")
        else:
            flash(_("Saved."), "success")
        return redirect(url_for("district.school_plan_review", plan_id=plan.id), 303)
    school = db.session.get_one(School, plan.school_id)
    district = districts.get_district(plan.district_id)
    return render_template(
        "school_plan/plan.html", school=school, year=plan.school_year, plan=plan, lines=school_plans.lines_of(plan.id),
        blank=0, types=list(registry().types), months=school_plans.MONTHS,
        due=school_plans.due(district, school, plan.school_year),
        editable=False, grid=school_plans.planned_vs_held(plan), district_view=True,
        involved=school_plans.involved(plan),
    )
