"""Pages of the teacher's year: teaching groups (admin), sign-up on the activity page, and
personal development plans (the teacher's own, the sign-off list and a plan's page)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import policy
from portal.current import allowed, current_actor, current_school, require_school
from portal.errors import DomainError, Invalid
from portal.extensions import db
from portal.messages import tr
from portal.models import Activity, DevelopmentPlan, School, User
from portal.security import is_digits
from portal.services import access, credits, groups, overview, plans, schools, signup
from portal.timeutil import current_school_year, school_year_after
from portal.web import clashes, picker
from portal.web.activities import SignupRefused
from portal.web.activities import _page as activity_page
from portal.web.forms import ConfirmForm
from portal.web.helpers import refused_with

bp = Blueprint("year", __name__)


def _field_errors(exc: Invalid) -> dict[str, str]:
    return {name: tr(value) for name, value in exc.fields.items()}


def _ids(values: list[str]) -> list[Any]:
    """Checkbox values → ints (anything else is passed on for the service to refuse)."""
    return [int(v) if is_digits(v) and len(v) <= 12 else v for v in values]


# -- teaching groups ----------------------------------------------------------------------


def _groups_page(school, form_values=None, errors=None, editing=None, status=200):
    members = overview.members(school.id)
    organizers = [u for u in members if policy.may_lead_group(policy.Actor.of(u.id, access.school_roles(u.id, school.id)))]
    return render_template(
        "year/groups.html",
        views=groups.school_groups(school.id),
        people=picker.options(school.id, members),
        organizers=organizers,
        values=form_values or {},
        errors=errors or {},
        editing=editing,
        confirm=ConfirmForm(),
    ), status


@bp.route("/admin/groups", methods=["GET", "POST"])
@allowed(policy.may_manage_groups)
def group_list():
    school = require_school()
    if request.method == "GET":
        return _groups_page(school)
    return _save_group(school, None)


@bp.route("/admin/groups/<int:group_id>", methods=["GET", "POST"])
@allowed(policy.may_manage_groups)
def group_edit(group_id: int):
    school = require_school()
    group = groups.get_group(group_id, school.id)
    if request.method == "GET":
        view = next(v for v in groups.school_groups(school.id) if v.group.id == group.id)
        values = {"name": group.name, "leader_id": str(group.leader_id or ""),
                  "members": [f"u:{u.id}" for u in view.members]}
        return _groups_page(school, values, editing=group)
    return _save_group(school, group)


def _save_group(school, group):
    ConfirmForm().validate_on_submit()  # CSRF is checked globally; nothing else to read
    name = request.form.get("name", "")
    leader = request.form.get("leader_id", "")
    chosen = request.form.getlist("members")
    member_ids = _ids([v.removeprefix("u:") for v in chosen])
    values = {"name": name, "leader_id": leader, "members": chosen}
    try:
        saved = groups.save_group(
            school, name, _ids([leader])[0] if leader else None, member_ids, by=current_actor(), group=group
        )
    except Invalid as exc:
        db.session.rollback()
        return _groups_page(school, values, _field_errors(exc), editing=group, status=422)
    flash(_("Saved: %(name)s.", name=saved.name), "success")
    return redirect(url_for("year.group_list"))


@bp.route("/admin/groups/<int:group_id>/delete", methods=["POST"])
@allowed(policy.may_manage_groups)
def group_delete(group_id: int):
    school = require_school()
    group = groups.get_group(group_id, school.id)
    name = group.name
    groups.delete_group(group, by=current_actor())
    flash(_("Deleted: %(name)s.", name=name), "success")
    return redirect(url_for("year.group_list"))


# -- sign-up --------------------------------------------------------------------------------


def _activity(activity_id: int) -> tuple[Any, Activity]:
    school = require_school()
    return school, access.get_activity(activity_id, school.id)


def _back(act: Activity):
    return redirect(url_for("activities.show", activity_id=act.id) + "#signup")


@bp.route("/activities/<int:activity_id>/signup", methods=["POST"])
@login_required
def signup_open(activity_id: int):
    school, act = _activity(activity_id)
    try:
        signup.open_signup(
            act, request.form.get("capacity", ""), request.form.get("closes_at", ""), by=current_actor(),
            tz=school.timezone,
        )
    except Invalid as exc:  # the page again, in place: what was typed kept, each reason beside its field
        db.session.rollback()
        typed = {name: request.form.get(name, "") for name in ("capacity", "closes_at")}
        return activity_page(act, school, status=422,
                             signup_refused=SignupRefused(tr(exc), typed, _field_errors(exc)))
    except DomainError as exc:
        db.session.rollback()
        flash(tr(exc), "danger")
        return _back(act), 303
    flash(_("Sign-up is open."), "success")
    return _back(act)


def _signup_step(activity_id: int, step: str):
    school, act = _activity(activity_id)
    me = current_user._get_current_object()
    try:
        if step == "join":
            row = signup.sign_up(act, me, by=current_actor())
            done = _("You have a seat.") if row.status == signup.SEAT else _("You are on the waiting list.")
        elif step == "withdraw":
            signup.withdraw(act, me, by=current_actor())
            done = _("You have withdrawn.")
        else:
            n = signup.confirm(act, by=current_actor())
            done = _("The list is confirmed: %(n)s participants added.", n=n)
    except DomainError as exc:
        db.session.rollback()
        flash(tr(exc), "danger")
        return _back(act)
    flash(done, "success")
    if step == "confirm":  # the new participants may be on another activity's list at the time
        clashes.warn(act, school)
    return _back(act)


@bp.route("/activities/<int:activity_id>/signup/join", methods=["POST"])
@login_required
def signup_join(activity_id: int):
    return _signup_step(activity_id, "join")


@bp.route("/activities/<int:activity_id>/signup/withdraw", methods=["POST"])
@login_required
def signup_withdraw(activity_id: int):
    return _signup_step(activity_id, "withdraw")


@bp.route("/activities/<int:activity_id>/signup/confirm", methods=["POST"])
@login_required
def signup_confirm(activity_id: int):
    return _signup_step(activity_id, "confirm")


@bp.route("/signups", methods=["GET"])
@allowed(policy.may_sign_up)
def my_signups():
    """The teacher's own sign-ups of a school year: seats, waiting, and withdrawn (when)."""
    school = require_school()
    year = _year_arg(school)
    rows = signup.signups_of(current_user.id, school.id, year)
    # what they can still sign up for, on the page they open to sign up (this year's page only)
    can = year == current_school_year(school.timezone) and policy.may_sign_up(current_actor())
    return render_template("year/my_signups.html", year=year, rows=rows,
                           open_now=signup.open_to(current_actor(), school.id) if can else [])


# -- personal development plans -------------------------------------------------------------


def _year_arg(school) -> str:
    try:
        return credits.parse_year(request.args.get("year"), current_school_year(school.timezone))
    except Invalid:
        abort(404)


def _enabled(school) -> list:
    return [r.decl for r in schools.enabled_types(school.id)]


@bp.route("/plan", methods=["GET", "POST"])
@login_required
def my_plan():
    school = require_school()
    year = _year_arg(school)
    me = current_user._get_current_object()
    plan = plans.plan_of(school.id, me.id, year)
    can_write = policy.may_write_plan(current_actor(), me.id)
    errors: dict[str, str] = {}
    general = None
    status = 200
    values: dict[str, Any] = {}
    if plan is not None:
        values = {"goals": plan.goals, "studies": plan.studies, "target_hours": plans.fmt(plan.target_hours),
                  "types": dict(plan.type_targets or {})}
    else:
        values = {"goals": "", "studies": "", "target_hours": str(school.rule("required_hours")), "types": {}}
    if request.method == "POST":
        if not can_write:
            abort(403)
        types = {t.key: request.form.get(f"type-{t.key}", "").strip() for t in _enabled(school)}
        values = {"goals": request.form.get("goals", ""), "studies": request.form.get("studies", ""),
                  "target_hours": request.form.get("target_hours", ""), "types": types}
        try:
            plan = plans.save(
                school, me, year, values["goals"], values["studies"], values["target_hours"], types,
                by=current_actor(), submit=request.form.get("action") == "submit",
            )
        except Invalid as exc:
            db.session.rollback()
            status, general, errors = 422, tr(exc), _plan_errors(exc)
        except DomainError as exc:
            db.session.rollback()
            status, general = exc.status, tr(exc)
        else:
            flash(_("Your plan has been handed in.") if plan.status == plans.SUBMITTED else _("Your plan has been saved."),
                  "success")
            return redirect(url_for("year.my_plan", year=year))
    record = credits.teacher_year(me, school, year)
    due = plans.deadline_for(school, year, me.id)
    this_year = current_school_year(school.timezone)
    return render_template(
        "year/my_plan.html", school=school, year=year, plan=plan, values=values, errors=errors, general=general,
        types=_enabled(school), deadline=due, closed=plans.closed_by_deadline(school, plan, due), can_write=can_write,
        lines=plans.against(plan, record) if plan else [], decider=_decider(plan), form=ConfirmForm(),
        year_open=plans.year_open(school.id, year),
        # a past year is history: its plan shown as it was, no form (the service refuses a write too)
        plannable=policy.may_plan_for_year(year, this_year), past=policy.is_past_year(year, this_year),
        this_year=this_year, next_year=school_year_after(this_year),
    ), status


def _plan_errors(exc: Invalid) -> dict[str, Any]:
    """The plan form's errors by field; a refused hours-per-type figure under its own type's box
    (``types``: key → text): flattened, the page read 「lecture：'x' 不是数字」, the type's key for its name."""
    errors: dict[str, Any] = _field_errors(exc)
    per_type = exc.fields.get("type_targets")
    if isinstance(per_type, dict):
        del errors["type_targets"]
        errors["types"] = {key: tr(value) for key, value in per_type.items()}
    return errors


def _decider(plan: DevelopmentPlan | None) -> User | None:
    return db.session.get(User, plan.decided_by) if plan is not None and plan.decided_by else None


@bp.route("/plans", methods=["GET"])
@allowed(policy.may_review_plans)
def plan_list():
    school = require_school()
    year = _year_arg(school)
    return _plan_list(school, year)


def _plan_list(school, year, deadline_value=None, deadline_error=None, status=200):
    teachers = credits.school_teachers(school.id)
    rows = plans.school_plans(school.id, year)
    missing = [u for u in teachers if u.id not in {p.user_id for p, _u in rows}]
    return render_template(
        "year/plan_list.html", school=school, year=year, rows=rows, missing=missing,
        deadline=plans.deadline(school, year), deadline_value=deadline_value, deadline_error=deadline_error,
        form=ConfirmForm(),
    ), status


@bp.route("/plans/deadline", methods=["POST"])
@allowed(policy.may_set_plan_deadline)
def plan_deadline():
    school = require_school()
    year = _year_arg(school)
    value = request.form.get("deadline", "")
    try:
        plans.set_deadline(school, year, value, by=current_actor())
    except Invalid as exc:
        db.session.rollback()
        return _plan_list(school, year, value, _("; ").join(_field_errors(exc).values()), 422)
    flash(_("The deadline has been saved."), "success")
    return redirect(url_for("year.plan_list", year=year))


@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
@login_required
def plan_show(plan_id: int):
    school = require_school()
    plan = plans.readable_plan(plan_id, school.id, current_actor())
    teacher = db.session.get(User, plan.user_id)
    error = None
    comment = ""
    status = 200
    if request.method == "POST":
        comment = request.form.get("comment", "")
        try:
            plans.decide(plan, request.form.get("decision", ""), comment, by=current_actor())
        except DomainError as exc:
            db.session.rollback()
            error, status = tr(exc), exc.status
            if isinstance(exc, Invalid):
                error = refused_with(error, _field_errors(exc).values())
        else:
            flash(_("Your decision has been saved."), "success")
            return redirect(url_for("year.plan_list", year=plan.school_year))
    assert teacher is not None
    record = credits.teacher_year(teacher, school, plan.school_year)
    return render_template(
        "year/plan_show.html", school=school, plan=plan, teacher=teacher, lines=plans.against(plan, record),
        decider=_decider(plan), error=error, comment=comment, form=ConfirmForm(),
        may_decide=policy.may_decide_plan(current_actor(), plan.user_id) and plan.status == plans.SUBMITTED,
        year_open=plans.year_open(school.id, plan.school_year),
    ), status


# -- what other pages include ------------------------------------------------------------------


def signup_of(act: Activity) -> signup.SignupView | None:
    """The sign-up panel's data on the activity page (``activities/_signup.html``)."""
    if not current_user.is_authenticated:
        return None
    return signup.view(act, current_user.id)


def plan_for(user_id: int, year: str, school: School | None = None) -> Any:
    """The plan a page shows (read-only: :data:`portal.services.plans.PlanRow`) in ``school``,
    by default the current one (the 成长档案 names the record's school: district staff read it
    from none of their own)."""
    school = school or current_school()
    return plans.plan_row_of(school.id, user_id, year) if school is not None else None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(signup_of, "signup_of")
    app.add_template_global(plan_for, "plan_for")
    app.add_template_global(plans.against, "plan_against")
