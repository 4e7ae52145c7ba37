"""Correction requests on the web (:mod:`portal.services.corrections`): asked from an activity's
page, where it says someone else records one's row or cancels it; listed to the school's admins
(their to-do list links here) and to each requester; closed by an admin who did not ask it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import policy
from portal.current import current_actor, require_school
from portal.errors import DomainError, Invalid
from portal.extensions import db
from portal.messages import tr
from portal.models import Activity, User
from portal.services import access, corrections
from portal.web.forms import ConfirmForm
from portal.web.helpers import refused_with

bp = Blueprint("corrections", __name__)


def _error(exc: DomainError) -> str:
    db.session.rollback()
    text = tr(exc)
    if isinstance(exc, Invalid):
        text = refused_with(text, [tr(v) for v in exc.fields.values()])
    return text


@bp.route("/activities/<int:activity_id>/corrections/new", methods=["GET", "POST"])
@login_required
def ask(activity_id: int) -> Any:
    school = require_school()
    act = access.get_activity(activity_id, school.id)
    kind = request.values.get("kind", "")
    wanted, reason, error, status = request.form.get("wanted", ""), request.form.get("reason", ""), None, 200
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        try:
            corrections.ask(act, current_actor(), kind, wanted, reason)
        except DomainError as exc:
            error, status = _error(exc), exc.status
        else:
            flash(_("Your request has been sent to the school's admins."), "success")
            return redirect(url_for("activities.show", activity_id=act.id))
    elif request.method == "POST":
        error, status = _("The form expired: send it again."), 400
    else:  # refused as sending it would be (the error page), not a form that cannot be sent
        kind = corrections.form_kind(act, current_actor(), kind)
    return render_template("corrections/ask.html", act=act, kind=kind, wanted=wanted, reason=reason, error=error,
                           form=ConfirmForm(), kinds=corrections.KINDS, reason_max=corrections.REASON_MAX,
                           wanted_max=corrections.WANTED_MAX), status


@bp.get("/corrections")
@login_required
def index() -> Any:
    school = require_school()
    actor = current_actor()
    # every open one, page by page: the to-do list counts them all and names the day of the oldest
    waiting = (corrections.page(school.id, status=corrections.OPEN, after=request.args.get("wafter"),
                                before=request.args.get("wbefore"))
               if policy.may_see_corrections(actor) else None)
    mine = corrections.page(school.id, requester_id=current_user.id, after=request.args.get("after"),
                            before=request.args.get("before"))
    return render_template("corrections/index.html", school=school, actor=actor, waiting=waiting, mine=mine)


@bp.route("/corrections/<int:request_id>", methods=["GET", "POST"])
@login_required
def show(request_id: int) -> Any:
    school = require_school()
    actor = current_actor()
    req = corrections.get(school.id, request_id)
    if req.requester_id != actor.user_id and not policy.may_see_corrections(actor):
        policy.require(False, "policy.admin_only")
    reason, error, status = request.form.get("reason", ""), None, 200
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        try:
            corrections.close(req, actor, request.form.get("outcome", ""), reason)
        except DomainError as exc:
            error, status = _error(exc), exc.status
            req = corrections.get(school.id, request_id)
        else:
            flash(_("The request has been closed and its sender told."), "success")
            return redirect(url_for("corrections.index"))
    elif request.method == "POST":
        error, status = _("The form expired: send it again."), 400
    act = db.session.get_one(Activity, req.activity_id)
    closes_as = corrections.closes_as(act)
    people = {u.id: u for u in db.session.query(User).filter(User.id.in_({req.requester_id, req.closed_by or 0}))}
    return render_template(
        "corrections/show.html", req=req, act=act, reads_as=corrections.reads_as(req, closes_as),
        asker=people.get(req.requester_id),
        closer=people.get(req.closed_by or 0), closes_as=closes_as, error=error, reason=reason,
        form=ConfirmForm(), may_close=req.status == corrections.OPEN and policy.may_close_correction(
            actor, req.requester_id), own=req.requester_id == actor.user_id, reason_max=corrections.REASON_MAX,
    ), status
