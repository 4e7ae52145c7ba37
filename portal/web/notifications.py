"""The notification centre: the person's notifications, marking them read, and their email
settings (address, which kinds by email). Everyone sees only their own."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField

from portal import policy
from portal.current import current_actor, current_school
from portal.errors import Invalid
from portal.extensions import csrf, db
from portal.messages import msg, person_locale, tr
from portal.services import notifications, unsubscribe
from portal.web.forms import ConfirmForm, MultiCheckboxField
from portal.web.helpers import local_path

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


class SettingsForm(FlaskForm):
    email = StringField(_l("Email address for notifications"), render_kw={"inputmode": "email", "type": "email"})
    email_kinds = MultiCheckboxField(_l("Send me an email when"))
    # each language named in itself, as the switch in the page's header names them
    language = SelectField(
        _l("Language of email and calendar feeds"),
        choices=[SelectChoice("zh_Hans_CN", "中文"), SelectChoice("en", "English")],
        validate_choice=False,  # the service refuses anything else, in the field
    )


@bp.route("")
@login_required
def index():
    items = notifications.for_user(current_user.id)
    return render_template(
        "notifications/index.html", items=[(n, notifications.text(n)) for n in items], form=ConfirmForm(),
        here=getattr(current_school(), "id", None),  # its notices' links as they are
        followed_link=notifications.followed_link,
    )


@bp.route("/read", methods=["POST"])
@login_required
def read():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("notifications.index"))
    raw = request.form.getlist("id")
    if raw:
        ids = [int(x) for x in raw if x.isascii() and x.isdigit() and len(x) < 10]
        notifications.mark_read(current_user.id, ids)
    elif request.form.get("all") == "1":  # the "mark all as read" button; an empty post changes nothing
        notifications.mark_read(current_user.id)
    return redirect(local_path(request.form.get("next")) or url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm()
    offered = [k for k in notifications.KINDS
               if k not in notifications.FOR_SCHOOL_ADMINS or policy.may_hear_for_the_school(current_actor())]
    form.email_kinds.choices = [SelectChoice(k, tr(notifications.kind_label(k))) for k in offered]
    row = notifications.setting(current_user.id)
    # kinds not offered here keep their setting (a school admin of another school keeps theirs)
    kept = [k for k in notifications.KINDS if k not in offered and k not in (row.email_off or [])]
    status = 200
    if request.method == "GET":
        form.email.data = row.email
        form.email_kinds.data = [k for k in offered if k not in (row.email_off or [])]
        form.language.data = person_locale(current_user)
    elif "email" not in request.form:  # not this form's post: nothing changes
        status = 422
    elif form.validate_on_submit():
        try:
            notifications.save_setting(current_user.id, form.email.data, request.form.getlist("email_kinds") + kept,
                                       request.form.get("language"))
        except Invalid as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                form[name].errors = [tr(message)]
            status = 422
        else:
            refresh()  # the language just chosen may be the next page's: say "saved" in it
            flash(_("Your notification settings have been saved."), "success")
            return redirect(url_for("notifications.settings"))
    else:
        status = 422
    return render_template("notifications/settings.html", form=form), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: a mail provider POSTs here with no session; the signed token is the authority
def unsubscribe_link(token: str):
    """The link of an email's ``List-Unsubscribe``: GET asks (mail scanners follow links, so it
    changes nothing), POST turns that kind of email off for the person the token names."""
    found = unsubscribe.parse(token)
    headers = {"X-Robots-Tag": "noindex"}
    if found is None:
        return render_template("notifications/unsubscribe.html", kind=None,
                               message=tr(msg("notify.unsubscribe_unknown"))), 404, headers
    user_id, kind = found
    done = request.method == "POST"
    if done:
        unsubscribe.turn_off(user_id, kind)
    return render_template("notifications/unsubscribe.html", kind=tr(notifications.kind_label(kind)), done=done), 200, headers
