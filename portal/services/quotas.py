"""Writing quotas (seed 000: reading notes 10,000 characters a year, a paper or teaching essay
of 3,000 characters a year; the training plans: 5 reflections and a book a semester), counted
from the written evidence of activities and from the teacher's own writing.

Characters are counted as Chinese readers count them (:mod:`portal.textcount`). A paper counts
once per title (its longest version); a book read is a distinct title of reading notes in the
semester. A quota whose target the school set to 0 is off.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select, union_all

from portal.assessment import QuotaFact
from portal.database import read_rows
from portal.errors import Invalid
from portal.extensions import db
from portal.messages import msg
from portal.models import Activity, Evidence, OwnWriting
from portal.textcount import counted_text

READING_NOTES, PAPER, REFLECTION = "reading_notes", "paper", "reflection"
WRITTEN_KINDS = (READING_NOTES, PAPER, REFLECTION)
SEMESTERS = (1, 2)


@dataclass(frozen=True)
class Piece:
    """Writing of one kind, semester and title by one teacher: how many pieces, their total and
    longest length in characters."""

    kind: str
    semester: int
    title: str
    pieces: int
    chars: int
    longest: int


def _pieces_statement(one_teacher: bool) -> Select:
    """Writing pieces grouped by school, teacher, kind, semester and title, of the schools
    ``school_ids`` (expanding) and ``year`` (and ``user_id`` when ``one_teacher``), as bound
    parameters: built once, because building it cost more than running it (the teacher home
    and the summary ask on every visit)."""
    school_ids: BindParameter[list[int]] = bindparam("school_ids", expanding=True)
    year: BindParameter[str] = bindparam("year")
    evidence = (
        select(
            Activity.school_id.label("sid"),
            Evidence.user_id.label("uid"),
            Evidence.kind.label("kind"),
            Activity.semester.label("semester"),
            Evidence.title.label("title"),
            Evidence.char_count.label("chars"),
        )
        .join(Activity, Activity.id == Evidence.activity_id)
        .where(
            Activity.school_id.in_(school_ids), Activity.school_year == year, Evidence.kind.in_(WRITTEN_KINDS)
        )
    )
    own = select(
        OwnWriting.school_id,
        OwnWriting.user_id,
        OwnWriting.kind,
        OwnWriting.semester,
        OwnWriting.title,
        OwnWriting.char_count,
    ).where(OwnWriting.school_id.in_(school_ids), OwnWriting.school_year == year)
    if one_teacher:
        evidence = evidence.where(Evidence.user_id == bindparam("user_id"))
        own = own.where(OwnWriting.user_id == bindparam("user_id"))
    u = union_all(evidence, own).subquery()
    return select(
        u.c.sid,
        u.c.uid,
        u.c.kind,
        u.c.semester,
        u.c.title,
        func.count(),
        func.sum(u.c.chars),
        func.max(u.c.chars),
    ).group_by(u.c.sid, u.c.uid, u.c.kind, u.c.semester, u.c.title)


_PIECES = {False: _pieces_statement(False), True: _pieces_statement(True)}


def writing_of(
    school_ids: list[int], year: str, user_id: int | None = None
) -> dict[tuple[int, int], list[Piece]]:
    """Each teacher's writing in the schools and year, by (school id, user id): one query."""
    out: dict[tuple[int, int], list[Piece]] = defaultdict(list)
    if not school_ids:
        return out
    params: dict[str, object] = {"school_ids": list(school_ids), "year": year}
    if user_id is not None:
        params["user_id"] = user_id
    for sid, uid, kind, semester, title, n, chars, longest in read_rows(
        _PIECES[user_id is not None], params
    ):
        out[(sid, uid)].append(
            Piece(kind, semester, (title or "").strip(), n, int(chars or 0), int(longest or 0))
        )
    return out


def quota_facts(rule: Callable[[str], Any], pieces: Sequence[Piece]) -> tuple[QuotaFact, ...]:
    """The school's quotas (``rule``: its :meth:`School.rule`) against one teacher's writing
    (quotas with a target of 0 are off)."""
    out: list[QuotaFact] = []
    if rule("reading_notes_chars"):
        done = sum(p.chars for p in pieces if p.kind == READING_NOTES)
        out.append(QuotaFact("reading_notes", 0, done, int(rule("reading_notes_chars")), "chars"))
    if rule("papers_per_year"):
        least = int(rule("paper_chars"))
        papers = {p.title.casefold() for p in pieces if p.kind == PAPER and p.longest >= least}
        out.append(QuotaFact("paper", 0, len(papers), int(rule("papers_per_year"))))
    for semester in SEMESTERS:
        if rule("reflections_per_semester"):
            done = sum(p.pieces for p in pieces if p.kind == REFLECTION and p.semester == semester)
            out.append(QuotaFact("reflections", semester, done, int(rule("reflections_per_semester"))))
        if rule("books_per_semester"):
            books = {
                p.title.casefold()
                for p in pieces
                if p.kind == READING_NOTES and p.semester == semester and p.title
            }
            out.append(QuotaFact("books", semester, len(books), int(rule("books_per_semester"))))
    return tuple(out)


def require_new_text(school_id: int, user_id: int, year: str, text: str, refused: str,
                     piece_id: int | None = None) -> None:
    """Refuse a text the teacher already has in their record of the school's year — a piece of
    their own writing (other than ``piece_id``) or written evidence handed in at any activity —
    compared by the characters that count (:func:`portal.textcount.counted_text`): one piece
    counts once towards the quotas, however often it is sent, spaced, punctuated or padded with
    invisible characters, and wherever it is handed in. ``refused``: the refusal's code (the
    form's: ``writing.refused``, ``evidence.refused``); the field error is ``writing.duplicate``
    on ``text``. Asked inside the write, one piece of the teacher at a time
    (``access.one_at_a_time``). A teacher's pieces of a year are few: compared here, not in SQL."""
    same = counted_text(text)
    own = select(OwnWriting.title, OwnWriting.text).where(
        OwnWriting.school_id == school_id, OwnWriting.user_id == user_id, OwnWriting.school_year == year,
    )
    if piece_id is not None:
        own = own.where(OwnWriting.id != piece_id)
    handed_in = (
        select(Evidence.title, Evidence.text)
        .join(Activity, Activity.id == Evidence.activity_id)
        .where(
            Activity.school_id == school_id, Activity.school_year == year, Evidence.user_id == user_id,
            Evidence.kind.in_(WRITTEN_KINDS), Evidence.text.is_not(None),
        )
    )
    for query in (own, handed_in):
        for title, other in db.session.execute(query):
            if counted_text(other) == same:
                raise Invalid(msg(refused), {"text": msg("writing.duplicate", title=title or "—")})
