"""The district admin's deadlines page: announce a deadline to the district's schools, change or
withdraw it; district staff read the list (it is on the dashboard too)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from portal import policy
from portal.current import allowed, current_actor
from portal.errors import DomainError
from portal.messages import tr
from portal.services import announcements
from portal.web.district import _district_id

bp = Blueprint("deadlines", __name__)


def _form() -> dict[str, str]:
    return {k: request.form.get(k, "") for k in ("title", "due_on", "note", "audience")}


def _page(status: int = 200, form: dict[str, str] | None = None, error: DomainError | None = None,
          editing: int | None = None) -> ResponseReturnValue:
    district_id = _district_id()
    fields = (getattr(error, "fields", None) or {}) if error is not None else {}
    return render_template(
        "district/deadlines.html", rows=announcements.of_district(district_id, announcements.district_today()),
        form=form or {"audience": announcements.ALL_STAFF}, editing=editing,
        error=tr(error) if error is not None else "", field_errors={k: tr(v) for k, v in fields.items()},
        audiences=announcements.AUDIENCES, today=announcements.district_today(),
    ), status


@bp.route("/district/deadlines", methods=["GET", "POST"])
@allowed(policy.may_view_district)
def index() -> ResponseReturnValue:
    if request.method == "GET":
        return _page()
    if not policy.may_announce_deadlines(current_actor()):
        abort(403)
    form = _form()
    try:
        announcements.announce(_district_id(), form["title"], form["due_on"], form["note"], form["audience"],
                               by=current_actor())
    except DomainError as exc:
        return _page(422, form, exc)
    flash(_("The deadline was announced."), "success")
    return redirect(url_for("deadlines.index"), 303)


@bp.route("/district/deadlines/<int:announcement_id>", methods=["GET", "POST"])
@allowed(policy.may_announce_deadlines)
def edit(announcement_id: int) -> ResponseReturnValue:
    row = announcements.get(announcement_id, _district_id())
    if request.method == "GET":
        return _page(form={"title": row.title, "due_on": row.due_on.isoformat(), "note": row.note,
                           "audience": row.audience}, editing=row.id)
    form = _form()
    try:
        announcements.update(row.id, form["title"], form["due_on"], form["note"], form["audience"],
                             by=current_actor(), district_id=_district_id())
    except DomainError as exc:
        return _page(422, form, exc, editing=row.id)
    flash(_("Saved."), "success")
    return redirect(url_for("deadlines.index"), 303)


@bp.route("/district/deadlines/<int:announcement_id>/delete", methods=["POST"])
@allowed(policy.may_announce_deadlines)
def delete(announcement_id: int) -> ResponseReturnValue:
    announcements.remove(announcement_id, by=current_actor(), district_id=_district_id())
    flash(_("The deadline was withdrawn."), "success")
    return redirect(url_for("deadlines.index"), 303)
