"""Login, logout, password change, the school switcher and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.current import current_school, switch_school, user_schools
from portal.errors import Invalid, Unauthenticated
from portal.i18n import supported_locale
from portal.messages import tr
from portal.services import access, login_guard, notifications, users
from portal.web.forms import ConfirmForm, LoginForm, PasswordForm
from portal.web.helpers import local_path

bp = Blueprint("auth", __name__)


def home_for(user) -> str:
    """The person's home page: district staff without a school go to the district table."""
    if access.district_seat(user.id) is not None and not access.schools_of(user.id):
        return url_for("district.overview")
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_for(current_user))
    status = 200
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        try:
            user = login_guard.authenticate(form.username.data, form.password.data, address)
        except login_guard.LoginLocked:
            minutes = current_app.config["LOGIN_LOCK_MINUTES"]
            form.password.errors = [
                _("Too many failed logins. Try again in %(minutes)s minutes.", minutes=minutes)
            ]
            return render_template("auth/login.html", form=form), 429
        except Unauthenticated as refused:  # the right password of one who may sign in no more
            form.password.errors = [tr(refused)]
            return render_template("auth/login.html", form=form), 403
        if user is None:
            form.password.errors = [_("Wrong username or password.")]
            status = 401
        else:
            kept = {k: session[k] for k in ("lang", "checkin_scan") if k in session}  # a QR scan survives login
            session.clear()
            session.update(kept)
            login_user(user)
            return redirect(local_path(request.args.get("next")) or home_for(user))
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    users.bump_session_version(current_user._get_current_object())
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Every error of the form at once, each beside its field (the service's, an empty field's
    own), the password unchanged."""
    form = PasswordForm()
    status = 200
    if request.method == "POST":
        form.validate()  # each field's own errors (an empty one is required) and the CSRF token's
        if "csrf_token" in form.errors:
            return render_template("auth/password.html", form=form), 422
        user = current_user._get_current_object()
        had_address = bool(notifications.setting(user.id).email)
        try:
            users.change_password(user, form.current.data or "", form.password.data or "",
                                  request.remote_addr or "unknown", confirm=form.confirm.data or "")
        except login_guard.LoginLocked:
            minutes = current_app.config["LOGIN_LOCK_MINUTES"]
            form.current.errors = [_("Too many failed logins. Try again in %(minutes)s minutes.", minutes=minutes)]
            return render_template("auth/password.html", form=form), 429
        except Invalid as exc:
            for name, message in exc.fields.items():
                if name in form and not form[name].errors:  # an empty field says so, once
                    form[name].errors = [tr(message)]
            status = 422
        else:
            login_user(user)  # this session carries the new version; every other one ends
            flash(_("Your password has been changed. Other sessions have been logged out."), "success")
            if had_address:
                flash(_("Your notification email address was removed with the old password: "
                        "enter it again under Notifications if it is yours."), "info")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form), status


@bp.route("/school/<int:school_id>", methods=["POST"])
@login_required
def school(school_id: int):
    """The school switcher; ``next`` (a path of this site): where to go in the school chosen
    (the button of :func:`open_in_school`'s page), else the home page."""
    if not switch_school(school_id):
        abort(404)
    return redirect(local_path(request.form.get("next")) or url_for("home.index"))


@bp.route("/school/<int:school_id>/open")
@login_required
def open_in_school(school_id: int):
    """A link about one school (a notice in the notification centre or an email, a deadline in
    a calendar feed) that names no school in its own path — ``/plan``, ``/school-plan``,
    ``/submission`` — goes through here: in that school already, straight on; in another of
    the person's schools, a page that says so and offers to switch (a POST: a link alone
    changes nothing); not one of theirs, 404 like any school that is not."""
    target = local_path(request.args.get("next")) or url_for("home.index")
    theirs = next((s for s, _roles in user_schools() if s.id == school_id), None)
    if theirs is None:
        abort(404)
    here = current_school()
    if here is not None and here.id == school_id:
        return redirect(target)
    return render_template("auth/other_school.html", school=theirs, current=here, target=target, form=ConfirmForm())


def _back() -> str:
    ref = request.referrer or ""
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.host:
        return url_for("home.index")
    path = parts.path + (f"?{parts.query}" if parts.query and "lang=" not in parts.query else "")
    return local_path(path) or url_for("home.index")  # a page at //evil.example is not a way out


@bp.route("/lang/<code>")
def lang(code: str):
    locale = supported_locale(code)
    if locale is None:
        abort(404)
    session["lang"] = locale
    return redirect(_back())
