"""QR check-in pages: the organizer's projector screen (a QR code that changes every 30 s, the
number checked in), the participant's scan and confirmation on their phone, and the printable
sign-in sheet (签到表) for schools that stay on paper."""

from __future__ import annotations

from datetime import UTC, datetime

import segno
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from portal import policy
from portal.current import activity_school, current_actor, require_school, user_schools
from portal.errors import DomainError, Invalid
from portal.extensions import db
from portal.messages import tr
from portal.models import Activity, School
from portal.services import access, activities
from portal.services import checkin as service
from portal.sorting import pinyin_key
from portal.timeutil import utcnow
from portal.url_rules import local_public_address, public_url
from portal.web.forms import ConfirmForm

bp = Blueprint("checkin", __name__)
SESSION_KEY = "checkin_scan"


def _organised(activity_id: int) -> tuple[School, Activity]:
    school = require_school()
    try:
        act = access.get_activity(activity_id, school.id)
    except DomainError:
        abort(404)
    if not policy.may_run_checkin(current_actor(), act, declared=activities.is_declaration(act)):
        abort(403)
    return school, act


def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG (drawn here: no outside service)."""
    return Markup(segno.make(url, error="m").svg_inline(border=2, dark="#000", light="#fff", omitsize=True))


def _screen_state(act: Activity, school: School) -> dict:
    now = utcnow()
    opens, closes = service.window_times(act, school)
    state = {"count": service.count(act.id), "total": len(activities.participants_with_users(act.id))}
    try:
        service.require_open(act, school, now)
    except DomainError as exc:
        return {**state, "open": False, "message": tr(exc), "svg": "", "seconds": service.seconds_left(now)}
    code = service.make_code(act.id, now)
    url = public_url("checkin.scan", activity_id=act.id, code=code)
    return {**state, "open": True, "message": "", "svg": str(qr_svg(url)), "url": url,
            "seconds": service.seconds_left(now)}


@bp.route("/activities/<int:activity_id>/checkin/screen")
@login_required
def screen(activity_id: int):
    school, act = _organised(activity_id)
    return render_template("checkin/screen.html", act=act, state=_screen_state(act, school),
                           local_address=local_public_address())  # phones cannot reach it


@bp.route("/activities/<int:activity_id>/checkin/screen.json")
@login_required
def screen_state(activity_id: int):
    school, act = _organised(activity_id)
    return jsonify(_screen_state(act, school))


@bp.route("/activities/<int:activity_id>/sign-in-sheet")
@login_required
def sheet(activity_id: int):
    """签到表: every participant (by pinyin), their role, QR check-in time, a signature column."""
    school, act = _organised(activity_id)
    people = sorted(activities.participants_with_users(act.id), key=lambda pu: (pinyin_key(pu[1].display_name), pu[1].id))
    return render_template("checkin/sheet.html", act=act, school=school, people=people,
                           checked=service.checked_in(act.id))


def _refusal(exc: DomainError, act: Activity | None = None, status: int | None = None):
    return render_template("checkin/refused.html", message=tr(exc), act=act), status or exc.status


@bp.route("/checkin/<int:activity_id>/<code>")
def scan(activity_id: int, code: str):
    """What the phone opens: the code is checked now (before any login) and the scan kept in
    this browser's session; then the person confirms as themselves."""
    act = db.session.get(Activity, activity_id) if access.id_in_range(activity_id) else None
    if act is None:
        abort(404)
    if current_user.is_authenticated and all(s.id != act.school_id for s, _roles in user_schools()):
        abort(404)  # another school's activity: not found, as everywhere
    now = utcnow()
    try:
        service.verify_code(act.id, code, now)
    except Invalid as exc:  # forged or garbled: no such code
        return _refusal(exc, status=404)
    except DomainError as exc:
        return _refusal(exc)
    session[SESSION_KEY] = {"a": act.id, "t": int(now.replace(tzinfo=UTC).timestamp())}
    if not current_user.is_authenticated:  # the scan is kept: say so, not "sign in to see this page"
        flash(_("The code is good: sign in and you can check in."), "info")
        return redirect(url_for("auth.login", next=url_for("checkin.confirm", activity_id=act.id)))
    return redirect(url_for("checkin.confirm", activity_id=act.id))


def _scanned_at(activity_id: int) -> datetime | None:
    scan_ = session.get(SESSION_KEY)
    if not isinstance(scan_, dict) or scan_.get("a") != activity_id or not isinstance(scan_.get("t"), int):
        return None
    return datetime.fromtimestamp(scan_["t"], UTC).replace(tzinfo=None)


@bp.route("/checkin/<int:activity_id>", methods=["GET", "POST"])
@login_required
def confirm(activity_id: int):
    # in the activity's school if it is one of theirs, whichever school is chosen: a person in
    # two schools scans the code at one while the other is chosen (or logs in after the scan
    # and lands in their first) — the scan said the code was good, confirming must not 404
    school = activity_school(activity_id)
    if school is None:
        abort(404)
    try:
        act = access.get_activity(activity_id, school.id)
    except DomainError:
        abort(404)
    done = service.existing(act.id, current_user.id)
    form = ConfirmForm()
    scanned = _scanned_at(act.id)
    if done is None and scanned is None:
        return render_template("checkin/confirm.html", act=act, done=None, form=form, need_scan=True)
    if request.method == "POST" and done is None and form.validate_on_submit():
        assert scanned is not None
        try:
            done = service.check_in(act, current_user._get_current_object(), scanned, utcnow(),
                                    request.remote_addr or "")
        except DomainError as exc:
            db.session.rollback()
            return _refusal(exc, act)
        session.pop(SESSION_KEY, None)
        return render_template("checkin/confirm.html", act=act, done=done, form=form, just=True)
    if done is None:
        assert scanned is not None
        try:  # say now, not after the tap, if it cannot work
            service.ensure_can(act, current_user._get_current_object(), scanned, utcnow())
        except DomainError as exc:
            return _refusal(exc, act)
    return render_template("checkin/confirm.html", act=act, done=done, form=form)
