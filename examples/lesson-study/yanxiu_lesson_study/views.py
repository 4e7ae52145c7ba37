"""The plugin's own page, mounted by the portal at ``/x/lesson_study``:
``/x/lesson_study/activities/<id>/notes`` shows the observation notes of one lesson study, and
a participant adds one with the form on it (POST, with the portal's CSRF token).

Everything comes through the :class:`portal.facade.Portal` the hook was given: the activity of
the viewer's school (404 for another school's), its participants, the viewer (``actor()``),
the policy, the phase of the activity's state and the session.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from portal.activity_types import Text
from yanxiu_lesson_study.notes import InvalidNote, YearLocked, add_note, notes_of

KEY = "lesson_study"
T_NOT_PARTICIPANT = Text("只有本活动的参与教师可以记录观课笔记", "only the activity's participants may write notes")
T_CLOSED = Text("本活动已结束审核，不能再记录观课笔记", "the activity's review is over: no more notes")
T_SAVED = Text("观课笔记已保存", "Note saved")
T_INVALID = Text("请填写 1–5000 字的观课笔记", "write a note of 1–5000 characters")
T_LOCKED = Text("区县已验收本学年（学期），不能再记录观课笔记",
                "the district has accepted this school year (semester): no more notes")


def make_blueprint(portal) -> Blueprint:
    bp = Blueprint("notes", __name__, template_folder="templates")

    def load(activity_id: int):
        act = portal.activity(activity_id)  # of the viewer's school, or 404
        if act.type_key != KEY:
            portal.not_found()
        people = portal.participants(act.id)
        actor = portal.actor()
        is_participant = any(p.user_id == actor.user_id for p in people)
        may_read = (is_participant or portal.policy.may_organise(actor, act) or portal.policy.may_review(actor))
        if not may_read:
            portal.not_found()
        return act, people, actor, is_participant

    def open_for_notes(act) -> bool:
        return portal.phase(act.type_key, act.state) in (portal.Phase.OPEN, portal.Phase.AWAITING_REVIEW)

    def locked(act) -> bool:
        """The district has accepted the activity's year or semester: nothing more is written in it."""
        return portal.year_locked(act.school_year, act.semester)

    @bp.get("/activities/<int:activity_id>/notes")
    def notes(activity_id: int):
        act, people, actor, is_participant = load(activity_id)
        names = {p.user_id: p.name for p in people}
        year_locked = locked(act)
        return render_template(
            "lesson_study/notes.html",
            act=act,
            notes=notes_of(portal, act.id),
            names=names,
            may_write=is_participant and open_for_notes(act) and not year_locked,
            locked=year_locked,
            labels={
                "title": portal.tr(Text("观课笔记", "Observation notes")),
                "lesson": portal.tr(Text("课题", "Lesson")),
                "none": portal.tr(Text("还没有观课笔记", "No notes yet")),
                "add": portal.tr(Text("记录观课笔记", "Add a note")),
                "back": portal.tr(Text("返回活动", "Back to the activity")),
                "locked": portal.tr(T_LOCKED),
            },
        )

    @bp.post("/activities/<int:activity_id>/notes")
    def add(activity_id: int):
        act, _people, actor, is_participant = load(activity_id)
        if not is_participant:
            return render_template("errors/error.html", status=403, title="403",
                                   message=portal.tr(T_NOT_PARTICIPANT)), 403
        if not open_for_notes(act):
            return render_template("errors/error.html", status=409, title="409", message=portal.tr(T_CLOSED)), 409
        try:
            add_note(portal, act.id, actor.user_id, request.form.get("body", ""))
        except YearLocked:
            return render_template("errors/error.html", status=409, title="409", message=portal.tr(T_LOCKED)), 409
        except InvalidNote:
            flash(portal.tr(T_INVALID), "danger")
            return redirect(url_for(".notes", activity_id=act.id))
        flash(portal.tr(T_SAVED), "success")
        return redirect(url_for(".notes", activity_id=act.id))

    return bp
