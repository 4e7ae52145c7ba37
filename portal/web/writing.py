"""A teacher's own writing (读书笔记, 论文/教学心得, 教学反思) that belongs to no activity: the
list for this school year and the form to add a piece; counted for the writing quotas."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FileField, SelectChoice, SelectField, StringField, TextAreaField

from portal import policy
from portal.current import allowed, require_school
from portal.errors import Invalid
from portal.extensions import db
from portal.messages import tr
from portal.services import credits, writing
from portal.timeutil import current_school_year
from portal.web.forms import apply_errors

bp = Blueprint("writing", __name__)

KIND_LABELS = {
    "reading_notes": _l("Reading notes"),
    "paper": _l("Paper or teaching essay"),
    "reflection": _l("Teaching reflection"),
}


class WritingForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    title = StringField(_l("Title (the book, for reading notes)"))
    text = TextAreaField(_l("Text"), render_kw={"rows": 8})
    file = FileField(_l("Or a UTF-8 .txt file"))


@bp.route("/writing", methods=["GET", "POST"])
@allowed(policy.may_add_own_writing)
def index():
    school = require_school()
    year = credits.parse_year(request.args.get("year"), current_school_year(school.timezone))
    user = current_user._get_current_object()
    form = WritingForm()
    if request.method == "GET" and request.args.get("kind") in KIND_LABELS:
        form.kind.data = request.args["kind"]
    status = 200
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        data = filename = None
        if upload is not None and upload.filename:
            filename, data = upload.filename, upload.read()
        try:
            writing.add_writing(school, user, form.kind.data, form.title.data or "", form.text.data or None,
                                filename, data)
        except Invalid as exc:
            db.session.rollback()
            leftover = apply_errors(form, Invalid(exc.msg, {k: tr(v) for k, v in exc.fields.items()}))
            error = tr(exc) + (": " + "; ".join(leftover) if leftover else "")
            status = 422
        else:
            flash(_("Your writing has been saved."), "success")
            return redirect(url_for("writing.index"))
    ty = credits.teacher_year(user, school, year)
    return render_template(
        "home/writing.html", form=form, error=error, year=year, facts=ty.facts,
        pieces=writing.writing_list(school, user.id, year), kind_labels=KIND_LABELS,
    ), status
