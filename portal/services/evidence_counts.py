"""The operator's recount of stored written evidence and own writing (``flask evidence recount``).

Before the ``.txt`` fix a ``.txt`` file handed in as written evidence was stored counting 0
characters, while the same file as the teacher's own writing counted its words, and before Word
files were read (:mod:`portal.file_text`) a ``.docx`` counted 0 too; new pieces count both
alike (:func:`portal.services.quotas.piece_count`), the stored ones keep their 0
until counted again here. A piece is counted again only in a period the district has not
accepted (an accepted one's figures are frozen: listed as skipped); the teacher-year rows it
moves are built again by the builder the rebuild uses (:func:`teacher_years.refresh`), and each
change is a line of the person's staff log, by the command line. Idempotent: a piece already
counting what today's rule counts is left alone. A teacher's own writing (typed text, no
activity) is counted again too: a text stored before a fix of the counting rule
(:mod:`portal.textcount`) keeps its old count as the evidence does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import cast

from sqlalchemy import CursorResult, select, update

from portal import file_text
from portal.database import write_transaction
from portal.extensions import db
from portal.models import Activity, Evidence, OwnWriting, School, User
from portal.services import locks, quotas, staff_log, teacher_years
from portal.services.activities import stored_bytes
from portal.textcount import chinese_count

EVIDENCE, WRITING = "evidence", "own writing"  # what a piece is: written evidence, or own writing


@dataclass(frozen=True)
class Recount:
    """A piece of written evidence or own writing whose stored count is not today's (``counted``
    None: its ``.txt`` file is gone from the upload folder, it cannot be counted)."""

    piece_id: int
    school_id: int
    school_code: str
    year: str
    semester: int
    user_id: int
    username: str
    name: str
    stored: int
    counted: int | None
    source: str = EVIDENCE  # EVIDENCE or WRITING


@dataclass
class Recounted:
    changed: list[Recount] = field(default_factory=list)  # counted again (a dry run: would be)
    skipped: list[Recount] = field(default_factory=list)  # in a period the district accepted
    unreadable: list[Recount] = field(default_factory=list)  # its file (.txt, .docx) is not in the folder
    teachers: int = 0  # teacher-year rows built again (a dry run: 0)


def _words(text: str | None, filename: str | None, stored_name: str | None) -> str | None:
    """A stored piece's words as today's rule reads them: its typed text, else its file's (a
    ``.txt`` or ``.docx``, read from the upload folder; "" for a file whose words do not count);
    None when that file is gone from the folder."""
    if text or not stored_name or not file_text.readable(filename):
        return text or ""
    data = stored_bytes(stored_name)
    return None if data is None else file_text.words_or_nothing(filename, data)


def _stored_pieces() -> Iterator[tuple[Recount, str | None]]:
    """Every piece of written evidence, then of own writing, as stored (``counted`` not yet
    known), with its words (:func:`_words`; own writing is typed)."""
    handed_in = (
        select(Evidence.id, Evidence.text, Evidence.filename, Evidence.stored_name, Evidence.title,
               Evidence.char_count, Evidence.user_id, Activity.school_id, School.code, Activity.school_year,
               Activity.semester, User.username)
        .join(Activity, Activity.id == Evidence.activity_id)
        .join(School, School.id == Activity.school_id)
        .join(User, User.id == Evidence.user_id)
        .where(Evidence.kind.in_(quotas.WRITTEN_KINDS))
        .order_by(School.code, Activity.school_year, Evidence.id)
        .execution_options(yield_per=500)
    )
    for eid, text, filename, stored_name, title, stored, uid, sid, code, year, semester, username in (
            db.session.execute(handed_in)):
        yield (Recount(eid, sid, code, year, semester, uid, username, title or filename or "", stored, None),
               _words(text, filename, stored_name))
    own = (
        select(OwnWriting.id, OwnWriting.text, OwnWriting.title, OwnWriting.char_count, OwnWriting.user_id,
               OwnWriting.school_id, School.code, OwnWriting.school_year, OwnWriting.semester, User.username)
        .join(School, School.id == OwnWriting.school_id)
        .join(User, User.id == OwnWriting.user_id)
        .order_by(School.code, OwnWriting.school_year, OwnWriting.id)
        .execution_options(yield_per=500)
    )
    for wid, text, title, stored, uid, sid, code, year, semester, username in db.session.execute(own):
        yield Recount(wid, sid, code, year, semester, uid, username, title, stored, None, WRITING), text or ""


def disagreeing() -> list[Recount]:
    """Every piece of written evidence or own writing whose stored count differs from today's
    rule (as the services count it when it is handed in or written: :func:`quotas.piece_count`)."""
    found = []
    for piece, words in _stored_pieces():
        counted = None if words is None else chinese_count(words)
        if counted != piece.stored:
            found.append(replace(piece, counted=counted))
    return found


def padded() -> list[tuple[Recount, float]]:
    """Every stored piece today's rule would refuse as padded by repeating itself
    (:func:`quotas.repeated_share` above :data:`quotas.REPEATED_SHARE`), with its share: stored
    before the rule, it still counts. Nothing is changed: the school asks the teacher for the
    piece again (a reviewer's decision, not a count's)."""
    return [(piece, share) for piece, words in _stored_pieces()
            if words and (share := quotas.repeated_share(words)) > quotas.REPEATED_SHARE]


def recount(*, apply: bool) -> Recounted:
    """What a recount changes (``apply`` False: nothing is written) or changed. Each school
    year is written in its own transaction, its lock asked again inside it."""
    out = Recounted()
    by_year: dict[tuple[int, str], list[tuple[Recount, int]]] = defaultdict(list)
    for piece in disagreeing():
        if piece.counted is None:
            out.unreadable.append(piece)
        elif locks.is_locked(piece.school_id, piece.year, piece.semester):
            out.skipped.append(piece)
        else:
            by_year[piece.school_id, piece.year].append((piece, piece.counted))
    for (school_id, year), pieces in by_year.items():
        if not apply:
            out.changed.extend(piece for piece, _counted in pieces)
            continue
        with write_transaction() as s:
            locks.hold(school_id)  # an acceptance meanwhile is seen (services.locks)
            moved: set[int] = set()
            for piece, counted in pieces:
                if locks.is_locked(school_id, year, piece.semester):
                    out.skipped.append(piece)
                    continue
                model = OwnWriting if piece.source == WRITING else Evidence
                done = cast(CursorResult, s.execute(  # an UPDATE's result
                    update(model).where(model.id == piece.piece_id, model.char_count == piece.stored)
                    .values(char_count=counted))).rowcount
                if done:  # else deleted or counted meanwhile: nothing to do
                    staff_log.record_count(s, school_id, piece.user_id, piece.piece_id, piece.name,
                                           piece.stored, counted, own_writing=piece.source == WRITING)
                    moved.add(piece.user_id)
                    out.changed.append(piece)
            if moved:
                out.teachers += teacher_years.refresh(s.get_one(School, school_id), year, sorted(moved))
    return out

