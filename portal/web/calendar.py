"""Calendar feeds: the page where a person makes (or replaces) their secret feed URLs, and the
feeds themselves, opened by calendar apps without a login."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required

from portal import policy
from portal.current import current_actor, current_school
from portal.errors import Invalid
from portal.services import calendar_feeds as feeds
from portal.url_rules import public_url
from portal.web.forms import ConfirmForm

bp = Blueprint("calendar", __name__)


def _scopes() -> list[str]:
    school = current_school()
    out = [feeds.PERSONAL]
    if school is not None and policy.may_subscribe_school_calendar(current_actor()):
        out.append(feeds.school_scope(school.id))
    return out


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def page():
    form = ConfirmForm()
    made: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        scope = request.form.get("scope", "")
        if not form.validate_on_submit() or scope not in _scopes():
            status = 422
        else:
            try:
                token = feeds.regenerate(current_user._get_current_object(), scope)
            except Invalid:
                status = 422
            else:
                made[scope] = public_url("calendar.feed", token=token)
    return render_template(
        "calendar/feeds.html", form=form, scopes=_scopes(), existing=feeds.feeds_of(current_user.id), made=made,
        school=current_school(),
    ), status


@bp.route("/calendar/<token>.ics")
def feed(token: str):
    found = feeds.resolve(token)
    if found is None:
        abort(404)
    _feed, user, school = found
    body = feeds.build(user, school)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="yanxiu.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response
