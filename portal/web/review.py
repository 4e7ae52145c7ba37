"""The reviewer's queue: held activities oldest first with evidence and hours side by side;
approve (optionally adjusting hours), return with a comment, approve several at once, and
post credits for reviewed activities."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.current import require_school, roles_required
from portal.errors import DomainError, GuardFailedError
from portal.extensions import db
from portal.hours import BadHours, parse_hours
from portal.services import access, overview, transitions
from portal.web.forms import ConfirmForm
from portal.web.messages import tr

bp = Blueprint("review", __name__)


@bp.route("/review")
@roles_required("reviewer")
def queue():
    school = require_school()
    items = overview.review_queue(school.id, ("held", "reviewed"))
    return render_template(
        "review/queue.html",
        held=[i for i in items if i.activity.state == "held"],
        reviewed=[i for i in items if i.activity.state == "reviewed"],
        form=ConfirmForm(),
    )


def _fire(activity_id: int, trigger: str, comment: str = "", hours: dict | None = None) -> str | None:
    """Fire one trigger; return None on success or the reason it was refused."""
    school = require_school()
    try:
        transitions.fire(activity_id, school.id, current_user._get_current_object(), trigger, comment, hours or None)
    except GuardFailedError as exc:
        db.session.rollback()
        return "; ".join(tr(m) for m in exc.extra.get("missing", [])) or tr(exc.message)
    except DomainError as exc:
        db.session.rollback()
        if "comment" in getattr(exc, "fields", {}):
            return tr(exc.fields["comment"])
        return tr(exc.message)
    return None


def _adjustments() -> dict[str, str]:
    """Hours the reviewer changed: ``hours-<user id>`` differing from ``would-<user id>``.

    Unchanged rows are left out, so approving without edits adjusts nothing; the service
    checks the changed values (and asks for a reason).
    """
    out: dict[str, str] = {}
    for key, value in request.form.items():
        if not key.startswith("hours-"):
            continue
        uid = key[len("hours-"):]
        before = request.form.get(f"would-{uid}", "")
        value = value.strip()
        if value == before.strip():
            continue
        try:
            if parse_hours(value) == parse_hours(before):
                continue
        except BadHours:
            pass
        out[uid] = value
    return out


@bp.route("/review/<int:activity_id>", methods=["POST"])
@roles_required("reviewer")
def decide(activity_id: int):
    access.get_activity(activity_id, require_school().id)  # another school's activity: 404
    action = request.form.get("action", "")
    comment = request.form.get("comment", "")
    if action not in ("approve", "return", "credit"):
        flash(_("Choose approve, return or post credits."), "danger")
        return redirect(url_for("review.queue"))
    hours = _adjustments() if action == "approve" else {}
    error = _fire(activity_id, action, comment, hours)
    if error:
        flash(_("Activity %(id)s: %(error)s", id=activity_id, error=error), "danger")
    else:
        flash(_("Activity %(id)s: done.", id=activity_id), "success")
    return redirect(url_for("review.queue") + (f"#activity-{activity_id}" if error else ""))


@bp.route("/review/bulk", methods=["POST"])
@roles_required("reviewer")
def bulk():
    action = request.form.get("action", "")
    if action not in ("approve", "credit"):
        flash(_("Choose approve or post credits."), "danger")
        return redirect(url_for("review.queue"))
    ids = []
    for raw in request.form.getlist("ids"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    if not ids:
        flash(_("Select at least one activity."), "warning")
        return redirect(url_for("review.queue"))
    done = 0
    for activity_id in dict.fromkeys(ids):
        error = _fire(activity_id, action)
        if error:
            flash(_("Activity %(id)s: %(error)s", id=activity_id, error=error), "danger")
        else:
            done += 1
            flash(_("Activity %(id)s: done.", id=activity_id), "success")
    flash(_("%(done)s of %(total)s activities done.", done=done, total=len(set(ids))), "info")
    return redirect(url_for("review.queue"))
