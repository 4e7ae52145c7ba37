"""School admin pages: activity types and their settings, the school's rules, staff
(add, deactivate, import a roster) and the installed plugins."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import BooleanField, SelectChoice, StringField

from portal import jobs, policy
from portal.activity_types import Setting
from portal.current import allowed, current_actor, require_school
from portal.errors import Forbidden, Invalid
from portal.extensions import db
from portal.i18n import lang_code
from portal.messages import ROLE_NAMES, tr
from portal.models import SCHOOL_ROLES, TEACHER
from portal.plugin_loader import DEFAULT_POLICY
from portal.registry import registry
from portal.school_rules import QUOTA_RULES, SCHOOL_RULES, rules_read_otherwise
from portal.services import groups, handover, schools, staff, stranded_states
from portal.timeutil import BIRTH_YEARS, parse_day, utcnow
from portal.web.forms import ConfirmForm, RosterForm, RulesForm, StaffForm
from portal.web.helpers import flash_at

bp = Blueprint("admin", __name__, url_prefix="/admin")


# -- activity types ---------------------------------------------------------------------------

def _setting_value(spec: Setting, raw: str | None) -> tuple[Any, str | None]:
    """Form text → the JSON value a setting holds (its declared type), or an error. The range
    is checked afterwards by the one validator, ``ActivityType.validate_settings``."""
    if isinstance(spec.default, bool):
        return raw is not None, None
    if spec.is_number:
        text = (raw or "").strip()
        try:
            number = float(text)
        except ValueError:
            return text, _("Enter a number.")
        if number.is_integer() and (spec.integer or isinstance(spec.default, int)) and abs(number) < 2**53:
            return int(number), None
        return number, None
    return (raw or ""), None


def _types_page(
    errors: dict[str, dict[str, Any]] | None = None, typed: dict[str, dict[str, Any]] | None = None, status: int = 200
):
    school = require_school()
    rows = []
    # an hours setting saved off the half-hour grid reads down to the half hour: said by it
    otherwise = schools.settings_read_otherwise(school.id)
    for key, reg in registry().types.items():
        row = schools.type_row(school.id, key)
        settings = schools.type_settings(school.id, key)
        if typed and key in typed:
            settings = {**settings, **typed[key]}
        rows.append((reg, bool(row and row.enabled), settings, otherwise.get(key, {})))
    return render_template("admin/types.html", rows=rows, errors=errors or {}, form=ConfirmForm()), status


@bp.route("/types")
@allowed(policy.may_administer)
def types():
    return _types_page()


@bp.route("/types/<key>", methods=["POST"])
@allowed(policy.may_administer)
def set_type(key: str):
    school = require_school()
    reg = registry().get(key)
    if reg is None:
        abort(404)
    settings: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, spec in reg.decl.settings.items():
        value, error = _setting_value(spec, request.form.get(f"setting-{name}"))
        settings[name] = value
        if error:
            errors[name] = error
    if errors:
        return _types_page({key: errors}, {key: settings}, 422)
    try:
        schools.set_type(school, key, enabled="enabled" in request.form, settings=settings, by=current_actor())
    except Invalid as exc:
        db.session.rollback()
        field_errors = {k.removeprefix("settings."): tr(v) for k, v in exc.fields.items()}
        # a refusal of no one setting (a plugin's check of two together, a role past the record
        # under another setting): said above the type's Save, never left unsaid
        unplaced = [m for k, m in field_errors.items() if k not in reg.decl.settings] or (
            [] if field_errors else [tr(exc.msg)])
        placed: dict[str, Any] = {k: m for k, m in field_errors.items() if k in reg.decl.settings}
        if unplaced:
            placed[""] = list(dict.fromkeys(unplaced))  # each reason once
        return _types_page({key: placed}, {key: settings}, 422)
    flash(_("Saved: %(type)s.", type=reg.decl.name("en" if _is_en() else "zh")), "success")
    return redirect(url_for("admin.types") + f"#type-{key}")


def _is_en() -> bool:
    from portal.i18n import is_english

    return is_english()


# -- rules ----------------------------------------------------------------------------------

def rules_form() -> RulesForm:
    """The rules form: its two hour fields, then every other declared school rule
    (``portal.school_rules``), a number as text, a switch as a checkbox."""

    class Form(RulesForm):
        pass

    for key, spec in SCHOOL_RULES.items():
        if key in RulesForm.__dict__:
            continue
        if spec.is_number:
            setattr(Form, key, StringField(spec.label, render_kw={"inputmode": "numeric" if spec.integer else "decimal"}))
        else:
            setattr(Form, key, BooleanField(spec.label))
    return Form()


@bp.route("/rules", methods=["GET", "POST"])
@allowed(policy.may_administer)
def rules():
    school = require_school()
    form = rules_form()
    status = 200
    numbers = [f for f in form if f.name in SCHOOL_RULES and SCHOOL_RULES[f.name].is_number]
    switches = [f for f in form if f.name in SCHOOL_RULES and not SCHOOL_RULES[f.name].is_number]
    if request.method == "GET":
        for f in numbers:
            f.data = str(school.rule(f.name))
        for f in switches:
            f.data = bool(school.rule(f.name))
    else:
        values: dict[str, Any] = {f.name: bool(f.data) for f in switches}
        for field in numbers:
            if field.name not in request.form:  # a form without the field leaves the rule as it is
                continue
            if field.name not in RulesForm.__dict__ and not (field.data or "").strip():
                continue  # a rule left empty keeps its value
            try:
                number = float((field.data or "").strip())
                values[field.name] = int(number) if number.is_integer() else number
            except (ValueError, OverflowError):
                field.errors = [_("Enter a number.")]
        if not any(f.errors for f in numbers):
            try:
                schools.update_rules(school, values, by=current_actor())
            except Invalid as exc:
                db.session.rollback()
                for name, msg in exc.fields.items():
                    if name in form._fields:
                        form[name].errors = [tr(msg)]
            else:
                flash(_("The school's rules have been saved."), "success")
                return redirect(url_for("admin.rules"))
        status = 422
    return render_template("admin/rules.html", form=form, school=school, quota_rules=QUOTA_RULES,
                           otherwise=rules_read_otherwise(school)), status


# -- staff ----------------------------------------------------------------------------------

def _role_choices() -> list[tuple[str, str]]:
    return [(r, str(ROLE_NAMES[r])) for r in SCHOOL_ROLES]


def _roles_of_an_added_account() -> tuple[list[str], list[str]]:
    """The roles an account the admin adds or imports may hold — its password is the admin's to
    know (:func:`policy.may_give_role`) — and the others, for the add form and the roster to
    offer the first and name the second."""
    given = [r for r in SCHOOL_ROLES if policy.may_give_role(r, password_known_to_another=True)]
    return given, [r for r in SCHOOL_ROLES if r not in given]


def _staff_page(form: StaffForm, status: int = 200):
    school = require_school()
    found = staff.staff_page(school.id, request.args.get("after"), request.args.get("before"))
    school_groups, member_groups = groups.staff_groups(school.id, [m.user.id for m in found.items])
    actor = current_actor()
    return render_template(
        "admin/staff.html", staff_page=found,
        staff=found.items, form=form, confirm=ConfirmForm(),
        role_labels=dict(_role_choices()), groups=school_groups, member_groups=member_groups,
        roles_not_added=[str(ROLE_NAMES[r]) for r in _roles_of_an_added_account()[1]],
        may_reset=lambda m: m.active and policy.may_reset_password(actor, m.user.id, m.roles, m.elsewhere),
        not_given=_roles_not_given,
    ), status


def _roles_not_given(m: staff.StaffMember) -> list[str]:
    """The roles a row of the staff page does not offer the person: those they do not hold that
    their account may not be given (:func:`policy.may_give_role`; the service refuses them all
    the same). A role they hold stays offered, to be taken off."""
    known = m.user.password_known_to is not None
    return [r for r in SCHOOL_ROLES
            if r not in m.roles and not policy.may_give_role(r, password_known_to_another=known)]


@bp.route("/staff", methods=["GET", "POST"])
@allowed(policy.may_administer)
def staff_list():
    school = require_school()
    form = StaffForm()
    # a role the account may not hold is not offered (the service refuses it all the same)
    form.roles.choices = [SelectChoice(r, str(ROLE_NAMES[r])) for r in _roles_of_an_added_account()[0]]
    if request.method == "GET":
        form.roles.data = [TEACHER]
        return _staff_page(form)
    born = None
    text = (form.birth_date.data or "").strip()
    if text:
        born = parse_day(text, BIRTH_YEARS)
        if born is None:
            form.birth_date.errors = [_("Write a date such as 2026-12-04 or 2026年12月4日.")]
            return _staff_page(form, 422)
    try:
        staff.add_person(
            school,
            form.username.data or "",
            form.password.data or "",
            form.name.data or "",
            form.roles.data or [],
            form.gender.data or None,
            born,
            by=current_actor(),
        )
    except Invalid as exc:
        db.session.rollback()
        for name, msg in exc.fields.items():
            target = {"role": "roles", "school": "roles"}.get(name, name)
            if target in form._fields:
                form[target].errors = [tr(msg)]
        return _staff_page(form, 422)
    flash(_("%(name)s has been added.", name=form.name.data or form.username.data), "success")
    return redirect(url_for("admin.staff_list"))


@bp.route("/staff/<int:user_id>/deactivate", methods=["POST"])
@allowed(policy.may_administer)
def deactivate(user_id: int):
    school = require_school()
    try:
        ended = staff.deactivate(school, user_id, by=current_actor())
    except Invalid as exc:
        db.session.rollback()
        flash(tr(exc.fields.get("user_id", exc.msg)), "danger")
    else:
        if ended:
            flash(_("The person has been deactivated in this school."), "success")
            _left_behind(school.id, user_id, [])
        else:  # ended already: deactivated, or moved to another school, since the page was read
            flash(_("This person holds no role in this school any more: nothing was changed."), "info")
    return redirect(url_for("admin.staff_list"))


def _left_behind(school_id: int, user_id: int, roles: list[str]) -> None:
    """Tell the admin how many activities, not yet credited or closed, the person organises and
    may run no more with ``roles``: each is handed over on its page."""
    n = handover.left_behind(school_id, user_id, roles)
    if n:
        flash_at(f"staff-row-{user_id}", _(
            "This person still organizes %(n)s activities not yet credited or closed, and may no longer run them: "
            "hand each over to another organizer on its page (the activity list filters by organizer).", n=n),
            "warning")


@bp.route("/staff/<int:user_id>/password", methods=["POST"])
@allowed(policy.may_administer)
def reset_password(user_id: int):
    """A new password for a person who forgot theirs: shown once on the answer (no redirect, not
    cached, never in the session cookie a flash message would travel in); a refusal is shown
    beside the person's row."""
    school = require_school()
    try:
        person, password = staff.reset_password(school, user_id, by=current_actor())
    except (Invalid, Forbidden) as exc:
        db.session.rollback()
        refusal = exc.fields.get("user_id", exc.msg) if isinstance(exc, Invalid) else exc.msg
        flash_at(f"staff-row-{user_id}", tr(refusal), "danger")
        return redirect(url_for("admin.staff_list", _anchor=f"staff-row-{user_id}"))
    body = render_template("admin/password_reset.html", person=person, password=password)
    return body, 200, {"Cache-Control": "no-store"}


@bp.route("/staff/<int:user_id>/roles", methods=["POST"])
@allowed(policy.may_administer)
def set_roles(user_id: int):
    """Change an existing person's roles; a refusal is shown beside that person's row."""
    school = require_school()
    try:
        now = staff.set_roles(school, user_id, request.form.getlist("roles"), by=current_actor())
    except Invalid as exc:
        db.session.rollback()
        flash_at(f"staff-row-{user_id}", tr(exc.fields.get("roles", exc.msg)), "danger")
    else:
        flash_at(f"staff-row-{user_id}", _("The roles have been changed."), "success")
        _left_behind(school.id, user_id, now)
    return redirect(url_for("admin.staff_list", _anchor=f"staff-row-{user_id}"))


@bp.route("/staff/<int:user_id>/groups", methods=["POST"])
@allowed(policy.may_manage_groups)
def set_groups(user_id: int):
    """Put an existing person in the school's teaching groups chosen; a refusal is shown
    beside that person's row."""
    school = require_school()
    chosen = [int(v) if v.isascii() and v.isdigit() and len(v) <= 12 else v for v in request.form.getlist("group_ids")]
    try:
        groups.set_person_groups(school, user_id, chosen, by=current_actor())
    except Invalid as exc:
        db.session.rollback()
        problem = exc.fields.get("group_ids") or exc.fields.get("user_id") or exc.msg
        problems = problem if isinstance(problem, list) else [problem]
        flash_at(f"staff-row-{user_id}", _("; ").join(tr(p) for p in problems), "danger")
    else:
        flash_at(f"staff-row-{user_id}", _("The groups have been changed."), "success")
    return redirect(url_for("admin.staff_list", _anchor=f"staff-row-{user_id}"))


def _roster_page(**context: Any) -> str:
    """The roster page, naming the roles as the staff page does (their one label each): those a
    roster can give (:func:`_roles_of_an_added_account`) and the others."""
    labels = dict(_role_choices())
    given, others = _roles_of_an_added_account()
    return render_template("admin/roster.html", role_labels=labels, tr=tr, roles_given=[labels[r] for r in given],
                           roles_not_added=[labels[r] for r in others], **context)


@bp.route("/staff/import", methods=["GET", "POST"])
@allowed(policy.may_administer)
def roster():
    school = require_school()
    form = RosterForm()
    if request.method == "GET":
        return _roster_page(form=form, preview=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.file.errors = [_("Choose a CSV or XLSX file.")]
        return _roster_page(form=form, preview=None), 422
    data = upload.read()
    try:
        preview = staff.parse_roster(school, upload.filename, data)
    except Invalid as exc:
        form.file.errors = [tr(exc.fields.get("file", exc.msg))]
        return _roster_page(form=form, preview=None), 422
    return _roster_page(form=form, preview=preview, confirm=ConfirmForm(),
                        payload=base64.b64encode(data).decode("ascii"), filename=upload.filename)


@bp.route("/staff/import/confirm", methods=["POST"])
@allowed(policy.may_administer)
def roster_confirm():
    """Write the previewed roster; the file travels in the form, so no server state is kept."""
    school = require_school()
    filename = request.form.get("filename", "")
    try:
        data = base64.b64decode(request.form.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    try:
        created, preview = staff.import_roster(school, filename, data, skip_bad=True, by=current_actor())
    except Invalid as exc:
        db.session.rollback()
        flash(tr(exc.fields.get("file", exc.msg)), "danger")
        return redirect(url_for("admin.roster"))
    flash(_("%(n)s people imported.", n=len(created)), "success")
    if preview.bad:
        flash(_("%(n)s rows were skipped.", n=len(preview.bad)), "warning")
    generated = [r for r in preview.good if r.generated]
    if generated:  # shown once, never stored in clear: no redirect, and not cached
        body = _roster_page(form=RosterForm(), preview=None, generated=generated)
        return body, 200, {"Cache-Control": "no-store"}
    return redirect(url_for("admin.staff_list"))


# -- plugins --------------------------------------------------------------------------------

def _plugin_labels() -> dict[str, str]:
    """Each plugin named in the viewer's language by the activity types it provides (a plugin
    declares no name of its own; its entry-point name is a code). A plugin without a loaded
    type is missing here: the page names it by its entry-point name, the one thing that tells
    it apart (what ``PLUGINS_ALLOWLIST`` takes)."""
    names: dict[str, list[str]] = {}
    for reg in registry().types.values():
        names.setdefault(reg.plugin, []).append(reg.decl.name(lang_code()))
    labels = {plugin: _(", ").join(each) for plugin, each in names.items()}
    labels[DEFAULT_POLICY] = _("The portal's own year assessment")
    return labels


@bp.route("/plugins")
@allowed(policy.may_administer)
def plugins():
    reg = registry()
    return render_template(
        "admin/plugins.html", types=list(reg.types.values()), info=reg.plugins.info, failures=reg.plugins.failures,
        plugin_labels=_plugin_labels(),
        slow=list(reg.plugins.slow.values()), budget=f"{reg.plugins.budget_ms:g}",
        stranded=stranded_states.stranded(require_school().id),
        worker_seen=jobs.worker_seen(), worker_late=jobs.worker_down(utcnow()),
    )
