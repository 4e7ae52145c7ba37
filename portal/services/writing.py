"""A teacher's own writing, attached to no activity: reading notes, a paper or teaching essay,
a reflection — typed in, or a UTF-8 ``.txt`` or Word ``.docx`` file (its words are kept as the
piece's text) — counted for the writing quotas.

Its author may correct or delete a piece. Deleting is for good (a real DELETE, not a flag):
the writing is the teacher's own material, not a record the school keeps — nothing refers to
it, the quotas are counted from the rows there are (a flag would have every reader filter it),
and once the district accepts a year (:mod:`portal.services.locks`) nothing in it changes.
Every change stores the teacher-year row again in the same transaction (an unmet quota may
make a year short)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import file_text, policy
from portal.database import write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.messages import Joined, LostQuotas, Msg, msg
from portal.models import OwnWriting, School, User
from portal.security import MAX_ID, reorders
from portal.services import access, credits, locks, quotas, teacher_years
from portal.services.activities import TEXT_MAX
from portal.services.forecast import period_over
from portal.services.quotas import WRITTEN_KINDS
from portal.textcount import chinese_count
from portal.timeutil import school_year_of, semester_of, to_local, utcnow

TITLE_MAX = 200

#: Each kind of one's own writing (:data:`WRITTEN_KINDS`) as a page names it: the form's choices
#: and a refusal of any other kind say these words, never the codes (the API's kinds are its own)
KIND_LABELS = {
    "reading_notes": _l("Reading notes"),
    "paper": _l("Paper or teaching essay"),
    "reflection": _l("Teaching reflection"),
}
assert tuple(KIND_LABELS) == WRITTEN_KINDS, "every kind of one's own writing is named"


def _checked(kind: Any, title: Any, text: Any, filename: str | None, data: bytes | None) -> tuple[str, str, str]:
    """The kind, title and text of a piece (typed in, or the words of a .txt or .docx file), or :class:`Invalid`
    with every field's error: nothing is written before all of it is right."""
    fields: dict[str, Any] = {}
    if kind not in WRITTEN_KINDS:
        fields["kind"] = msg("writing.kind", kinds=Joined([KIND_LABELS[k] for k in WRITTEN_KINDS], ", "))
    title = title.strip() if isinstance(title, str) else None
    if title is None or len(title) > TITLE_MAX or (not title and kind != "reflection"):
        fields["title"] = msg("writing.title", n=TITLE_MAX)
    if data is not None:
        if text not in (None, ""):
            fields["text"] = msg("writing.text_or_file")
        elif not file_text.readable(filename):
            fields["file"] = msg("writing.readable_only")
        elif len(data) > int(current_app.config["UPLOAD_MAX_BYTES"]):
            fields["file"] = msg("file.at_most_mb", n=int(current_app.config["UPLOAD_MAX_BYTES"]) // (1024 * 1024))
        else:
            try:
                text = file_text.words_of(filename, data)
            except file_text.Unreadable:
                is_txt = (filename or "").lower().endswith(file_text.TXT)
                fields["file"] = msg("file.not_utf8_field" if is_txt else "writing.file_unreadable")
    if "file" not in fields and "text" not in fields:
        where = "text" if data is None else "file"  # a file's words are told of on the file's field
        if not isinstance(text, str) or not text.strip():
            fields[where] = msg("evidence.text_or_file" if data is None else "writing.no_characters")
        elif len(text) > TEXT_MAX:
            fields[where] = msg("at_most_chars", n=TEXT_MAX)
        elif "\x00" in text:
            fields[where] = msg("text.nul")
        elif reorders(text):  # a file's words pass no request guard (input_guard)
            fields[where] = msg("guard.bidi")
        elif chinese_count(text) == 0:  # a reflection counts as a piece: it must have words
            fields[where] = msg("writing.no_characters")
    if fields:
        raise Invalid(msg("writing.refused"), fields)
    return kind, title or "", text


def _require_new_text(school: School, user_id: int, year: str, text: str, filename: str | None,
                      data: bytes | None, piece_id: int | None = None) -> None:
    """A piece already in the teacher's record of the year is refused (:func:`quotas.require_new_piece`):
    typed, on its text; from a file, on the file and its words."""
    if data is None:
        quotas.require_new_piece(school.id, user_id, year, "writing.refused", text=text, piece_id=piece_id)
    else:
        quotas.require_new_piece(school.id, user_id, year, "writing.refused", filename=filename, data=data,
                                 piece_id=piece_id)


def _filed_under(school: School) -> tuple[str, int]:
    """The school year and semester a piece added now is filed under (the school's time)."""
    today = to_local(utcnow(), school.timezone).date()
    return school_year_of(today), semester_of(today)


def takes_new_writing(school: School) -> bool:
    """Whether a piece added now could be filed: not when the district has accepted (locked) the
    year or semester it would go into (the page then offers no form; :func:`add_writing`
    refuses it all the same)."""
    return not locks.is_locked(school.id, *_filed_under(school))


def add_writing(school: School, user: User, kind: Any, title: Any, text: Any = None,
                filename: str | None = None, data: bytes | None = None) -> OwnWriting:
    """Add a piece to the teacher's own record (this school year and semester, in the school's
    time). All input is checked before anything is written; a year the district accepted
    (locked) takes no more."""
    by = access.actor(user.id, school.id)
    policy.require(policy.may_add_own_writing(by), "policy.own_writing")
    kind, title, text = _checked(kind, title, text, filename, data)
    year, semester = _filed_under(school)
    with write_transaction() as s:
        access.require_still(s, by, policy.may_add_own_writing, "policy.own_writing", school_id=school.id)
        locks.require_unlocked(school.id, year, semester)  # in the write: an acceptance cannot pass it
        access.one_at_a_time(user.id)  # a piece sent twice at once is compared with the first
        _require_new_text(school, user.id, year, text, filename, data)
        piece = OwnWriting(
            school_id=school.id, user_id=user.id, school_year=year, semester=semester,
            kind=kind, title=title, text=text, char_count=chinese_count(text), created_at=utcnow(),
        )
        s.add(piece)
        s.flush()
        teacher_years.refresh(school, year, [user.id])  # the verdict may count the quotas
    return piece


def own_piece(school: School, piece_id: object, by: policy.Actor) -> OwnWriting:
    """The caller's own piece ``piece_id``; anyone else's (or none) is not found: a teacher's
    writing is theirs alone, and its existence is not told to others."""
    piece = None
    if isinstance(piece_id, int) and not isinstance(piece_id, bool) and 1 <= piece_id <= MAX_ID:
        piece = db.session.get(OwnWriting, piece_id)
    if piece is None or piece.school_id != school.id or not policy.may_change_own_writing(by, piece):
        raise NotFound(msg("writing.not_found"))
    return piece


def edit_writing(school: School, piece: OwnWriting, kind: Any, title: Any, text: Any = None,
                 filename: str | None = None, data: bytes | None = None, *, by: policy.Actor) -> OwnWriting:
    """Correct a piece's kind, title and text (or replace the text by a file); it keeps its
    school year and semester. Only its author, and not in a locked year."""
    policy.require(policy.may_change_own_writing(by, piece), "policy.own_writing_change")
    kind, title, text = _checked(kind, title, text, filename, data)
    with write_transaction() as s:
        _still_changes(s, school, piece, by)
        locks.require_unlocked(school.id, piece.school_year, piece.semester)
        _require_no_more_once_over(school, piece, kind, text, "text" if data is None else "file")
        _require_no_month_filled_once_over(school, piece, kind, text, "text" if data is None else "file")
        access.one_at_a_time(piece.user_id)
        _require_new_text(school, piece.user_id, piece.school_year, text, filename, data, piece.id)
        held = _held_once_over(school, piece)
        was = piece.kind, piece.char_count
        piece.kind, piece.title, piece.text = kind, title, text
        piece.char_count, piece.updated_at = chinese_count(text), utcnow()
        if held:
            s.flush()
            _require_still_held(school, piece, held, was, "text" if data is None else "file")
        teacher_years.refresh(school, piece.school_year, [piece.user_id])
    return piece


def _require_no_more_once_over(school: School, piece: OwnWriting, kind: str, text: str, where: str) -> None:
    """A piece of a semester that is over (the school's time) counts no more by a correction:
    its kind is kept and its characters do not grow — what is written now is filed under now
    (:func:`add_writing`), never into a period over. Words may be mended, the piece deleted."""
    today = to_local(utcnow(), school.timezone).date()
    if not period_over(piece.semester, piece.school_year, today, ()):
        return
    fields: dict[str, Any] = {}
    if kind != piece.kind:
        fields["kind"] = msg("writing.over_kind")
    if chinese_count(text) > piece.char_count:
        fields[where] = msg("writing.over_more", n=piece.char_count)
    if fields:
        raise Invalid(msg("writing.refused"), fields)


def _require_no_month_filled_once_over(school: School, piece: OwnWriting, kind: str, text: str, where: str) -> None:
    """A month whose reading notes the school asks (``reading_notes_per_month``) is a period of
    its own: once it is over (:func:`quotas.months_asked`), a correction does not make a piece
    written in it that month's note — a note too short to count grown past the least, another
    kind turned into a note: what is written now counts for now (:func:`add_writing`). Words may
    be mended, and a note that counted already may grow while its semester is open."""
    least = quotas.note_least(school.rule)
    if (not quotas.per_month(school.rule) or quotas.fills_a_month(least, piece.kind, piece.char_count)
            or not quotas.fills_a_month(least, kind, chinese_count(text))):
        return
    today = to_local(utcnow(), school.timezone).date()
    written = to_local(piece.created_at, school.timezone)
    if written.month in dict(quotas.months_asked(piece.school_year, today)):
        raise Invalid(msg("writing.refused"), {"kind" if kind != piece.kind else where: msg("writing.over_month")})


#: A writing quota of a period that is over, met: (its key, its semester, the month "2026-10" of
#: a monthly one, else ""), as :func:`year_texts.lost_text` names it.
Held = tuple[str, int, str]


def _one_over(school: School, piece: OwnWriting, today: date) -> bool:
    """Whether a period the piece belongs to is over: its month (the school asks notes each
    month, :func:`quotas.months_asked`), its semester, its year (:func:`period_over`)."""
    written = to_local(piece.created_at, school.timezone)
    month_over = bool(quotas.per_month(school.rule)) and written.month in dict(quotas.months_asked(piece.school_year,
                                                                                                    today))
    return month_over or period_over(piece.semester, piece.school_year, today, ())


def _held(school: School, user: User, year: str, today: date, leave_out: int | None = None) -> frozenset[Held]:
    """The teacher's writing quotas of ``year`` met today whose period is over — each month
    asked done, a semester's or the year's quota met — (``leave_out``: as they would be without
    that piece of theirs)."""
    held: set[Held] = set()
    for q in credits.teacher_year(user, school, year, leave_out).facts.quotas:
        if q.unit == "months":  # every month it asks is over: each one done
            asked = quotas.months_asked(year, today)
            held.update((q.key, 0, name) for _m, name in asked if name not in q.short)
        elif q.met and period_over(q.semester, year, today, ()):
            held.add((q.key, q.semester, ""))
    return frozenset(held)


def _held_once_over(school: School, piece: OwnWriting) -> frozenset[Held]:
    """The writing quotas of the piece's teacher and year met today whose period is over
    (:func:`_held`), when one the piece belongs to is (:func:`_one_over`); none when no such
    period is over (nothing of it is read)."""
    today = to_local(utcnow(), school.timezone).date()
    if not _one_over(school, piece, today):
        return frozenset()
    return _held(school, db.session.get_one(User, piece.user_id), piece.school_year, today)


def deletion_loses(school: School, piece: OwnWriting) -> frozenset[Held]:
    """The quotas of periods over that deleting the piece would leave short for good (nothing
    written now can make them up): those met now (:func:`_held_once_over`) and not without it.
    Deleting stays allowed; the page says this before, and the API's answer after."""
    held = _held_once_over(school, piece)
    if not held:
        return frozenset()
    today = to_local(utcnow(), school.timezone).date()
    return held - _held(school, db.session.get_one(User, piece.user_id), piece.school_year, today, piece.id)


def loss_said(lost: frozenset[Held], code: str = "writing.deletion_loses") -> Msg:
    """What deleting leaves short for good, as the catalogue says it: before (``writing.deletion_loses``)
    or after (``writing.deleted_lost``) the delete."""
    return msg(code, lost=LostQuotas(tuple(sorted(lost))))


def deletion_losses(school: School, user: User, year: str, pieces: list[OwnWriting]) -> dict[int, frozenset[Held]]:
    """:func:`deletion_loses` of each of the teacher's ``pieces`` of ``year`` that would lose
    something (the writing page, beside each delete): what is met is read once."""
    today = to_local(utcnow(), school.timezone).date()
    out: dict[int, frozenset[Held]] = {}
    held: frozenset[Held] | None = None
    for p in pieces:
        if not _one_over(school, p, today):
            continue
        if held is None:
            held = _held(school, user, year, today)
        if not held:
            break
        if lost := held - _held(school, user, year, today, p.id):
            out[p.id] = lost
    return out


def _require_still_held(school: School, piece: OwnWriting, held: frozenset[tuple[str, int, str]],
                        was: tuple[str, int], where: str) -> None:
    """A correction leaves met every quota of a period over that was met (``held``:
    :func:`_held_once_over`, before it): nothing written now can make such a quota up (what is
    written now counts for now), so a note of a month over shortened below the school's least,
    or a piece turned into another kind, would leave the teacher short for good, with no
    correction back (:func:`_require_no_more_once_over`, :func:`_require_no_month_filled_once_over`).
    Refused on the field that moved, saying what to keep; deleting the piece stays."""
    lost = held - _held_once_over(school, piece)
    if lost:
        kind, chars = was
        raise Invalid(msg("writing.refused"), {"kind" if piece.kind != kind else where: msg(
            "writing.over_less", n=chars, lost=LostQuotas(tuple(sorted(lost))))})


def _still_changes(s: Session, school: School, piece: OwnWriting, by: policy.Actor) -> None:
    """Inside the write: ``by`` is still the piece's author and a teacher (:func:`access.require_still`)."""
    access.require_still(s, by, lambda now: policy.may_change_own_writing(now, piece), "policy.own_writing_change",
                         school_id=school.id)


def delete_writing(school: School, piece: OwnWriting, *, by: policy.Actor) -> frozenset[Held]:
    """Delete a piece for good (see ``docs``: own writing is the teacher's material, not a
    record of the school; what the district accepted is locked and cannot be deleted). Returns
    the quotas of periods over it left short for good (:func:`deletion_loses`, read in the
    write): allowed, and said."""
    policy.require(policy.may_change_own_writing(by, piece), "policy.own_writing_change")
    year, user_id = piece.school_year, piece.user_id
    with write_transaction() as s:
        _still_changes(s, school, piece, by)
        locks.require_unlocked(school.id, year, piece.semester)
        lost = deletion_loses(school, piece)
        s.delete(piece)
        s.flush()
        teacher_years.refresh(school, year, [user_id])
    return lost


def writing_list(school: School, user_id: int, year: str) -> list[OwnWriting]:
    return list(
        db.session.execute(
            select(OwnWriting)
            .where(OwnWriting.school_id == school.id, OwnWriting.user_id == user_id, OwnWriting.school_year == year)
            .order_by(OwnWriting.created_at.desc(), OwnWriting.id.desc())
        ).scalars()
    )
