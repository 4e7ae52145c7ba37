"""A teacher's own writing (读书笔记, 论文/教学心得, 教学反思) that belongs to no activity: the
list for this school year, the form to add a piece, and its author's corrections and deletion;
counted for the writing quotas."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import FileField, SelectChoice, SelectField, StringField, TextAreaField

from portal import policy
from portal.current import allowed, current_actor, require_school
from portal.errors import Conflict, Invalid
from portal.extensions import db
from portal.messages import tr
from portal.services import credits, locks, quotas, writing
from portal.timeutil import current_school_year
from portal.web.forms import ConfirmForm, apply_errors
from portal.web.helpers import refused_with

bp = Blueprint("writing", __name__)

KIND_LABELS = writing.KIND_LABELS


class WritingForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    title = StringField(_l("Title (the book, for reading notes)"))
    text = TextAreaField(_l("Text"), render_kw={"rows": 8})
    file = FileField(_l("Or a file: Word .docx or .txt"), render_kw={"accept": ".docx,.txt"})


def _upload() -> tuple[str | None, bytes | None]:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.filename, upload.read()
    return None, None


def _refused(form: WritingForm, exc: Invalid) -> str:
    """The service's field errors beside the fields; the rest in the alert."""
    db.session.rollback()
    leftover = apply_errors(form, Invalid(exc.msg, {k: tr(v) for k, v in exc.fields.items()}))
    return refused_with(tr(exc), leftover)


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
        filename, data = _upload()
        try:
            writing.add_writing(school, user, form.kind.data, form.title.data or "", form.text.data or None,
                                filename, data)
        except Invalid as exc:
            error, status = _refused(form, exc), 422
        except Conflict as exc:  # the year is locked
            db.session.rollback()
            error, status = tr(exc), 409
        else:
            flash(_("Your writing has been saved."), "success")
            return redirect(url_for("writing.index"))
    ty = credits.teacher_year(user, school, year)
    pieces = writing.writing_list(school, user.id, year)
    # why a piece counts nothing (a reading note shorter than the school asks), beside it
    uncounted = {p.id: tr(why) for p in pieces if (why := quotas.uncounted(ty.note_least, p.kind, p.char_count))}
    locked = locks.is_locked(school.id, year)
    # what deleting a piece of a period over would leave short for good, said before the delete
    loses = {} if locked else {pid: tr(writing.loss_said(lost))
                               for pid, lost in writing.deletion_losses(school, user, year, pieces).items()}
    return render_template(
        "home/writing.html", form=form, error=error, year=year, facts=ty.facts, status=ty.assessment.status,
        pieces=pieces, uncounted=uncounted, loses=loses, kind_labels=KIND_LABELS, per_month=ty.note_per_month,
        note_least=ty.note_least,
        locked=locked, takes_new=writing.takes_new_writing(school),
        joined_after_acceptance=ty.joined_after_acceptance, joined_after_year=ty.joined_after_year,
        confirm_form=ConfirmForm(),
    ), status


@bp.route("/writing/<int:piece_id>", methods=["GET", "POST"])
@allowed(policy.may_add_own_writing)
def edit(piece_id: int):
    """Correct a piece: its author only (anyone else's is not found), not in a locked year."""
    school = require_school()
    who = current_actor()
    piece = writing.own_piece(school, piece_id, who)
    form = WritingForm(obj=piece if request.method == "GET" else None)
    error, status = None, 200
    if request.method == "POST":
        filename, data = _upload()
        try:
            writing.edit_writing(school, piece, form.kind.data, form.title.data or "", form.text.data or None,
                                 filename, data, by=who)
        except Invalid as exc:
            error, status = _refused(form, exc), 422
        except Conflict as exc:
            db.session.rollback()
            error, status = tr(exc), 409
        else:
            flash(_("Your corrections have been saved."), "success")
            return redirect(url_for("writing.index", year=piece.school_year))
    return render_template(
        "home/writing_edit.html", form=form, piece=piece, error=error, kind_labels=KIND_LABELS,
        locked=locks.is_locked(school.id, piece.school_year, piece.semester),
    ), status


@bp.route("/writing/<int:piece_id>/delete", methods=["POST"])
@allowed(policy.may_add_own_writing)
def delete(piece_id: int):
    school = require_school()
    who = current_actor()
    piece = writing.own_piece(school, piece_id, who)
    year = piece.school_year
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        lost = writing.delete_writing(school, piece, by=who)
    except Conflict as exc:
        db.session.rollback()
        flash(tr(exc), "danger")
    else:
        flash(_("The writing was deleted."), "success")
        if lost:  # allowed, and said (the page said it before, beside the delete)
            flash(tr(writing.loss_said(lost, "writing.deleted_lost")), "warning")
    return redirect(url_for("writing.index", year=year))
