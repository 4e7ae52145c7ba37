"""Writing quotas (seed 000: reading notes 10,000 characters a year, a paper or teaching essay
of 3,000 characters a year; the training plans: 5 reflections and a book a semester), counted
from the written evidence of activities and from the teacher's own writing.

Characters are counted as Chinese readers count them (:mod:`portal.textcount`). A paper counts
once per title (its longest version); a book read is a distinct title of reading notes in the
semester. A school may ask each reading note to reach a length (``reading_note_chars``, seed 004:
每篇不少于300字): a shorter note counts neither its characters nor its book — left out in the
quota SQL itself (:func:`_pieces_statement`), so every page, export and API answer reads the
same figure. Titles are told apart as a reader tells them (:func:`same_title`): 《红楼梦》 and 红楼梦
are one book. A quota whose target the school set to 0 is off.

A school may ask a number of reading notes every month (``reading_notes_per_month``, seed 004:
每月必须记2—3篇读书笔记): a note belongs to the month it was written in as the school reads its
calendar (a piece of the teacher's own writing: when it was first saved, a correction moves it
not; written evidence: when it was handed in), put in its month in the quota SQL itself
(:func:`_pieces_statement`'s ``month``); only whole months that are over are asked, none of the
summer holiday (:data:`portal.timeutil.HOLIDAY_MONTHS`) and none before the teacher was on the
staff (:func:`months_asked`). A note too short to count (``reading_note_chars``) fills no month.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    select,
    union_all,
)

from portal import file_text
from portal.assessment import QuotaFact
from portal.database import constant, in_constants, read_rows
from portal.errors import Invalid
from portal.extensions import db
from portal.messages import Msg, msg
from portal.models import Activity, Evidence, OwnWriting
from portal.registry import registry
from portal.services.stints import Span, away_clause
from portal.textcount import chinese_count, counted_text, counted_units
from portal.timeutil import HOLIDAY_MONTHS, SCHOOL_YEAR_MONTHS, first_day, month_starts, school_year_after
from workflows.definition import Phase

READING_NOTES, PAPER, REFLECTION = "reading_notes", "paper", "reflection"
WRITTEN_KINDS = (READING_NOTES, PAPER, REFLECTION)
SEMESTERS = (1, 2)


def counting_states() -> list[str]:
    """The states, of any installed type, whose activity's written evidence counts (bound as
    ``writing_counts`` in :func:`counts_towards_quotas`): asked of the phases
    (``Phase.counts_writing``: not a cancelled activity, which never took place)."""
    return registry().states_in(*(p for p in Phase if p.counts_writing))


def counts_towards_quotas(counting: tuple[str, ...] | None = None) -> ColumnElement[bool]:
    """SQL, of written evidence joined to its activity: it counts towards its author's quotas —
    its activity's state is one of the bound ``writing_counts`` (:func:`counting_states`), and
    the activity was not held while the author was away from the school's teaching staff
    (``stints``: nothing of it is theirs, as its absence is not; the ``evidence.away`` refusal
    keeps such writing out now, and writing stored before it counts no more). The one rule of
    the quotas (:func:`writing_of`, :func:`teacher_year`'s writing), of who belongs to a year by
    their writing (``credits._counted_statement``) and of which pieces a new one repeats
    (:func:`require_new_piece`). ``counting`` (the states of :func:`counting_states`): written
    into the statement as constants (``database.in_constants``), instead of the bound list."""
    states = (Activity.state.in_(bindparam("writing_counts", expanding=True)) if counting is None
              else in_constants(Activity.state, counting))  # a statement built once per set: in it
    return and_(states, ~away_clause(Evidence.user_id, Activity.school_id, Activity.starts_at))


@dataclass(frozen=True)
class Piece:
    """Writing of one kind, semester and title by one teacher: how many pieces, their total and
    longest length in characters. ``chars`` and ``counted`` leave out reading notes shorter than
    the school's ``reading_note_chars`` (:func:`_pieces_statement`): the characters and number
    of the pieces that count."""

    kind: str
    semester: int
    title: str
    pieces: int
    chars: int
    longest: int
    counted: int
    #: the month of the school year a reading note was written in (:func:`_pieces_statement`),
    #: None for the other kinds
    month: int | None = None


def _pieces_statement(counting: tuple[str, ...] | None = None, leave_out: bool = False) -> Select:
    """Writing pieces grouped by school, teacher, kind, semester and title. Of the schools
    ``school_ids`` (expanding), ``year`` and the bound ``writing_counts``
    (:func:`counts_towards_quotas`); with ``counting`` (:func:`pieces_of_one`), of one teacher
    (``user_id``) in one school (``school_id``), the states written in. Built once, because
    building it cost more than running it (the teacher home and the summary ask on every visit).

    ``note_least`` (bound): the school's ``reading_note_chars`` (:func:`note_least`); a reading
    note shorter than it adds nothing to ``chars`` nor to ``counted`` (0: every note counts).
    ``leave_out``: without the teacher's own piece ``leave_out`` (bound; :func:`pieces_but_one`)."""
    year: BindParameter[str] = bindparam("year")
    school: Callable[[Any], ColumnElement[bool]]
    if counting is None:
        school_ids: BindParameter[list[int]] = bindparam("school_ids", expanding=True)
        school = lambda column: column.in_(school_ids)  # noqa: E731
    else:
        school = lambda column: column == bindparam("school_id")  # noqa: E731
    evidence = (
        select(
            Activity.school_id.label("sid"),
            Evidence.user_id.label("uid"),
            Evidence.kind.label("kind"),
            Activity.semester.label("semester"),
            Evidence.title.label("title"),
            Evidence.char_count.label("chars"),
            Evidence.uploaded_at.label("at"),
        )
        .join(Activity, Activity.id == Evidence.activity_id)
        .where(
            school(Activity.school_id), Activity.school_year == year, in_constants(Evidence.kind, WRITTEN_KINDS),
            counts_towards_quotas(counting),
        )
    )
    own = select(
        OwnWriting.school_id,
        OwnWriting.user_id,
        OwnWriting.kind,
        OwnWriting.semester,
        OwnWriting.title,
        OwnWriting.char_count,
        OwnWriting.created_at,
    ).where(school(OwnWriting.school_id), OwnWriting.school_year == year)
    if counting is not None:
        evidence = evidence.where(Evidence.user_id == bindparam("user_id"))
        own = own.where(OwnWriting.user_id == bindparam("user_id"))
    if leave_out:
        own = own.where(OwnWriting.id != bindparam("leave_out"))
    u = union_all(evidence, own).subquery()
    least: BindParameter[int] = bindparam("note_least", type_=Integer)
    note = u.c.kind == constant(READING_NOTES)
    short = and_(note, u.c.chars < least)
    # the month of the school year a reading note was written in, as the school reads its
    # calendar: before the bound instant the next month begins (``month_9`` …, :func:`month_params`)
    ends = [*SCHOOL_YEAR_MONTHS[1:], 0]
    month = case(
        (~note, null()),
        *((u.c.at < bindparam(f"month_{after}"), constant(m)) for m, after in zip(SCHOOL_YEAR_MONTHS, ends, strict=True)),
        else_=null(),
    ).label("month")
    return select(
        u.c.sid,
        u.c.uid,
        u.c.kind,
        u.c.semester,
        u.c.title,
        func.count().label("pieces"),
        func.sum(case((short, constant(0)), else_=u.c.chars)).label("chars"),
        func.max(u.c.chars).label("longest"),
        func.sum(case((short, constant(0)), else_=constant(1))).label("counted"),
        month,
    ).group_by(u.c.sid, u.c.uid, u.c.kind, u.c.semester, u.c.title, "month")  # its label: the CASE and its bounds once


_PIECES = _pieces_statement()


@functools.cache
def pieces_of_one(counting: tuple[str, ...]) -> Select:
    """One teacher's (``user_id``) writing in one school (``school_id``) and ``year``, the
    states whose writing counts (:func:`counting_states`) written in: the teacher's year
    (``credits.teacher_year``) reads it with the rest of the year, on every home page. Built
    once per set of states (they come from the installed types' code)."""
    return _pieces_statement(counting)


@functools.cache
def _pieces_but_one(counting: tuple[str, ...]) -> Select:
    return _pieces_statement(counting, leave_out=True)


def pieces_but_one(school_id: int, user_id: int, year: str, least: int, zone: str, piece_id: int) -> list[Piece]:
    """One teacher's writing in one school and ``year`` as :func:`pieces_of_one` reads it, less
    their own piece ``piece_id``: what the quotas would count were it deleted (``least``: the
    characters a reading note needs, :func:`note_least`; ``zone``: the school's time zone)."""
    params = {"school_id": school_id, "user_id": user_id, "year": year, "note_least": least, "leave_out": piece_id,
              **month_params(year, zone)}
    return [piece_of(rest) for _sid, _uid, *rest in read_rows(_pieces_but_one(tuple(counting_states())), params)]


@functools.lru_cache(maxsize=256)
def month_params(year: str, zone: str) -> dict[str, Any]:
    """The bound instants of :func:`_pieces_statement`'s ``month``: ``month_M`` is when month M
    begins in the school's zone (``month_0``: when the next school year does)."""
    starts = dict(month_starts(year, zone))
    after = dict(month_starts(school_year_after(year), zone))
    return {**{f"month_{m}": at for m, at in starts.items() if m != SCHOOL_YEAR_MONTHS[0]},
            "month_0": after[SCHOOL_YEAR_MONTHS[0]]}


def month_turned(rule: Callable[[str], Any], year: str, zone: str, now: datetime) -> datetime | None:
    """The last instant, at or before ``now`` (naive UTC), at which the clock alone moved a verdict
    of ``year`` judged by these rules (``rule``: a school's :meth:`School.rule`): the end of a month
    whose reading notes :func:`months_asked` asks (the next month's first midnight in the school's
    ``zone``, when ``today`` reaches that month's end) — when the school asks notes each month and
    its quotas decide the year. None: no such month has ended yet, or the rules ask none. A verdict
    stored before it (``TeacherYearRow.updated_at``) may no longer be the day's
    (``teacher_years.counts_by_school``); a figure cached before it is not reused
    (``overview.district_overview``)."""
    if not turns_by_clock(rule):
        return None
    begins = month_params(year, zone)  # month_M: when month M begins; month_0: the next year
    ends = (begins[f"month_{after}"] for m, after in zip(SCHOOL_YEAR_MONTHS, [*SCHOOL_YEAR_MONTHS[1:], 0], strict=True)
            if m not in HOLIDAY_MONTHS)
    return max((end for end in ends if end <= now), default=None)


def turns_by_clock(rule: Callable[[str], Any]) -> bool:
    """Whether a month's end alone moves verdicts under these rules (:func:`month_turned`): the
    school asks reading notes each month and its quotas decide the year."""
    return bool(per_month(rule) and rule("quotas_decide"))


def per_month(rule: Callable[[str], Any]) -> int:
    """The reading notes the school asks every month (``rule``: its :meth:`School.rule`, or the
    rules an accepted year was submitted with); 0: none asked."""
    return int(rule("reading_notes_per_month") or 0)


@functools.lru_cache(maxsize=4096)
def months_asked(year: str, today: date | None, since: date | None = None,
                 spans: tuple[Span, ...] | None = None) -> tuple[tuple[int, str], ...]:
    """The months of ``year`` whose reading notes are asked on ``today`` (None: the year is over,
    or was accepted): each whole month that is over, but not a month of the summer holiday
    (:data:`HOLIDAY_MONTHS`: wholly outside both semesters' teaching), nor one the teacher was
    not on the staff through, from its first day to its last: ``spans``, their stretches on the
    staff (:func:`portal.services.stints.spans_on_staff`: not a month before they joined, nor
    one they were away in, nor one after they left); without them, ``since``
    (``YearFacts.on_staff_since``) alone. Each as its number and its name in a list
    (:func:`month_name`)."""
    out = []
    for m in SCHOOL_YEAR_MONTHS:
        start = first_day(year, m)
        end = first_day(school_year_after(year), SCHOOL_YEAR_MONTHS[0]) if m == SCHOOL_YEAR_MONTHS[-1] else first_day(
            year, SCHOOL_YEAR_MONTHS[SCHOOL_YEAR_MONTHS.index(m) + 1])
        if m in HOLIDAY_MONTHS or (today is not None and today < end) or not _on_staff(start, end, since, spans):
            continue
        out.append((m, month_name(year, m)))
    return tuple(out)


def _on_staff(start: date, end: date, since: date | None, spans: tuple[Span, ...] | None) -> bool:
    """Whether the teacher was on the staff from ``start`` to the day before ``end`` (a month):
    within one stretch of ``spans`` (none known: always), or without them from ``since`` on."""
    if not spans:
        return since is None or since <= start
    return any((first is None or first <= start) and (ended is None or ended >= end) for first, ended in spans)


def month_name(year: str, month: int) -> str:
    """A month of ``year`` as data (the API's ``Quota.short``): 2026-10; pages write it in the
    viewer's words (:func:`portal.i18n.month_text`)."""
    day = first_day(year, month)
    return f"{day.year}-{day.month:02d}"


def note_least(rule: Callable[[str], Any]) -> int:
    """The characters a reading note needs to count (``rule``: a school's :meth:`School.rule`,
    or the rules an accepted year was submitted with); 0: every note counts."""
    return int(rule("reading_note_chars") or 0)


def uncounted(least: int, kind: str, chars: int) -> Msg | None:
    """Why a piece of ``kind`` and ``chars`` counts nothing towards the quotas, for its author
    beside it (the writing page), or None: a reading note shorter than ``least``, the year's
    ``reading_note_chars`` (:func:`note_least`; ``TeacherYear.note_least``), as the quota SQL
    leaves it out."""
    if kind == READING_NOTES and chars < least:
        return msg("writing.note_short", n=f"{least:,}")
    return None


def fills_a_month(least: int, kind: str, chars: int) -> bool:
    """Whether a piece of ``kind`` and ``chars`` counts towards the month it was written in
    (``reading_notes_per_month``): a reading note not shorter than ``least``
    (:func:`note_least`), as the quota SQL counts it."""
    return kind == READING_NOTES and uncounted(least, kind, chars) is None


def piece_of(row: Sequence[Any]) -> Piece:
    """A :class:`Piece` of a row of :func:`_pieces_statement` (kind, semester, title, pieces,
    chars, longest, counted), as :func:`writing_of` and the teacher's year read it."""
    kind, semester, title, n, chars, longest, counted, month = row
    return Piece(kind, semester, (title or "").strip(), int(n or 0), int(chars or 0), int(longest or 0),
                 int(counted or 0), None if month is None else int(month))


def writing_of(leasts: Mapping[int, tuple[int, str]], year: str) -> dict[tuple[int, int], list[Piece]]:
    """Each teacher's writing in the schools and year, by (school id, user id). ``leasts``: each
    school's id, the characters its reading notes need (:func:`note_least`) and its time zone
    (the month a note was written in). One query per distinct length and zone (schools mostly
    share theirs: one query)."""
    out: dict[tuple[int, int], list[Piece]] = defaultdict(list)
    by_least: dict[tuple[int, str], list[int]] = defaultdict(list)
    for sid, (least, zone) in leasts.items():
        by_least[(int(least), zone)].append(sid)
    for (least, zone), school_ids in by_least.items():
        params: dict[str, object] = {"school_ids": school_ids, "year": year, "writing_counts": counting_states(),
                                     "note_least": least, **month_params(year, zone)}
        for sid, uid, *rest in read_rows(_PIECES, params):
            out[(sid, uid)].append(piece_of(rest))
    return out


def same_title(title: str) -> str:
    """The one spelling of a title that every spelling of it shares: the characters that count
    (:func:`portal.textcount.counted_text`), so book-title marks (《》「」), spacing, invisible
    characters, full-width letters and case make no other book or paper; "" for a title of
    nothing that counts."""
    return counted_text(title)


def quota_facts(rule: Callable[[str], Any], pieces: Sequence[Piece],
                asked: tuple[tuple[int, str], ...] = ()) -> tuple[QuotaFact, ...]:
    """The school's quotas (``rule``: its :meth:`School.rule`) against one teacher's writing
    (quotas with a target of 0 are off). ``asked``: the months whose reading notes are asked
    (:func:`months_asked`), for ``reading_notes_per_month``: done, the months holding enough
    notes that count; its ``short``, the others."""
    out: list[QuotaFact] = []
    if n := per_month(rule):
        notes: dict[int, int] = defaultdict(int)
        for p in pieces:
            if p.kind == READING_NOTES and p.month is not None:
                notes[p.month] += p.counted
        short = tuple(name for m, name in asked if notes[m] < n)
        out.append(QuotaFact("notes_monthly", 0, len(asked) - len(short), len(asked), "months", short))
    if rule("reading_notes_chars"):
        done = sum(p.chars for p in pieces if p.kind == READING_NOTES)
        out.append(QuotaFact("reading_notes", 0, done, int(rule("reading_notes_chars")), "chars"))
    if rule("papers_per_year"):
        least = int(rule("paper_chars"))
        papers = {same_title(p.title) for p in pieces if p.kind == PAPER and p.longest >= least}
        out.append(QuotaFact("paper", 0, len(papers), int(rule("papers_per_year"))))
    for semester in SEMESTERS:
        if rule("reflections_per_semester"):
            done = sum(p.pieces for p in pieces if p.kind == REFLECTION and p.semester == semester)
            out.append(QuotaFact("reflections", semester, done, int(rule("reflections_per_semester"))))
        if rule("books_per_semester"):
            books = {  # a book whose every note falls short of the school's length is not read
                same_title(p.title) for p in pieces
                if p.kind == READING_NOTES and p.semester == semester and p.counted
            } - {""}
            out.append(QuotaFact("books", semester, len(books), int(rule("books_per_semester"))))
    return tuple(out)


def piece_count(text: str | None, filename: str | None, data: bytes | None) -> int:
    """The characters a piece of written evidence counts, as Chinese readers count them
    (:mod:`portal.textcount`): its typed text, else its file's words (:mod:`portal.file_text`:
    a ``.txt`` or a Word ``.docx``), so that the same file counts as much handed in at an
    activity as it does as the teacher's own writing."""
    return chinese_count(text if text else file_text.words_or_nothing(filename, data))


def _words_in_file(filename: str | None, data: bytes | None) -> str:
    """The characters that count of a file's words (:mod:`portal.file_text`: a ``.txt`` or a
    Word ``.docx``; the same piece as a typed text of the same words); "" for any other file."""
    return counted_text(file_text.words_or_nothing(filename, data))


def require_new_piece(school_id: int, user_id: int, year: str, refused: str, *, text: str | None = None,
                      filename: str | None = None, data: bytes | None = None,
                      piece_id: int | None = None) -> None:
    """Refuse a piece the teacher already has in their record of the school's year — a piece of
    their own writing (other than ``piece_id``) or written evidence handed in at any activity
    whose writing counts (:func:`counts_towards_quotas`; a reflection on an activity cancelled
    since may be kept as their own writing): one piece counts once towards the quotas, however
    often and wherever it is handed in.

    A typed ``text`` is compared by the characters that count
    (:func:`portal.textcount.counted_text`: spacing, punctuation, invisible characters and case
    make no new piece), refused with ``writing.duplicate`` on ``text``. A file (``filename``,
    ``data``) is refused on ``file``: byte for byte the same as a file in the record
    (``writing.duplicate_file``; only files of its size are read), or a ``.txt`` or ``.docx``
    file with the words of a piece in the record, typed or such a file (``writing.duplicate``).
    A file with other bytes whose words are not read (a PDF saved again, a photo taken again)
    is not compared. ``refused``: the refusal's code (the form's: ``writing.refused``,
    ``evidence.refused``). Asked inside the write, one piece of the teacher at a time
    (``access.one_at_a_time``). A teacher's pieces of a year are few: compared here, not in SQL."""
    written = file_text.words_or_nothing(filename, data)
    typed, in_file = counted_text(text), counted_text(written)
    for field, words in (("text", text), ("file", written)):  # nor a piece made long by repeating itself
        share = repeated_share(words)
        if share > REPEATED_SHARE:
            raise Invalid(msg(refused), {field: msg("writing.padded", share=f"{share:.0%}")})
    own = select(OwnWriting.title, OwnWriting.text, null(), literal(0)).where(
        OwnWriting.school_id == school_id, OwnWriting.user_id == user_id, OwnWriting.school_year == year,
    )
    if piece_id is not None:
        own = own.where(OwnWriting.id != piece_id)
    handed_in = (
        select(Evidence.title, Evidence.text, Evidence.stored_name, Evidence.size)
        .join(Activity, Activity.id == Evidence.activity_id)
        .where(
            Activity.school_id == school_id, Activity.school_year == year, Evidence.user_id == user_id,
            Evidence.kind.in_(WRITTEN_KINDS), counts_towards_quotas(),
        )
    )
    params = {"writing_counts": counting_states()}
    for query in (own, handed_in):
        for title, other, stored, size in db.session.execute(query, params):
            found = _repeats(typed, in_file, data, other, stored, size)
            if found is not None:
                raise Invalid(msg(refused), {found[0]: msg(found[1], title=title or "—")})


def same_piece(rows: Iterable[Sequence[Any]], *, text: str | None, filename: str | None,
               data: bytes | None) -> tuple[str, str] | None:
    """The field of a new piece (typed ``text``, or a file) and the title of the first of ``rows``
    (title, text, stored file, size) it is again: the same characters that count (:func:`counted_text`),
    a ``.txt`` or ``.docx`` file of the same words, or the same file byte for byte — only the piece
    itself again (:func:`_repeats`' exact answers), not one that repeats it in part: two meeting
    logs of one form share most of their words and are two meetings."""
    typed, in_file = counted_text(text), counted_text(file_text.words_or_nothing(filename, data))
    for title, other, stored, size in rows:
        found = _repeats(typed, in_file, data, other, stored, size)
        if found is not None and found[1] != "writing.repeats":
            return found[0], title or "—"
    return None


def _repeats(typed: str, in_file: str, data: bytes | None, text: str | None, stored: str | None,
             size: int) -> tuple[str, str] | None:
    """Whether a new piece (its typed words, its file's words, its file) repeats one in the
    record (its text, its stored file of ``size`` bytes): the field and message code to refuse
    it with, or None. A stored file is read only when it may be the same: of the new file's
    size, or a file whose words are read when there are words to compare."""
    from portal.services.activities import stored_bytes  # activities asks this rule

    same_size = data is not None and size == len(data)
    has_words = stored is not None and file_text.readable(stored)
    kept = stored_bytes(stored) if stored is not None and (same_size or (has_words and (typed or in_file))) else None
    words = {counted_text(text), _words_in_file(stored, kept)} - {""}
    if typed in words:
        return "text", "writing.duplicate"
    if in_file in words:
        return "file", "writing.duplicate"
    if same_size and kept == data:
        return "file", "writing.duplicate_file"
    for field, new in (("text", typed), ("file", in_file)):
        if new and any(_holds(new, old) or _mostly_the_same(new, old) for old in words):
            return field, "writing.repeats"
    return None


#: Counted characters a piece needs before one that holds it whole (or is held in it) is taken
#: for the same piece again: "前言" + a piece already in the record is not a new piece, nor is a
#: stretch of it handed in alone.
HELD_AT_LEAST = 10
#: Runs of this many counted characters are compared between two pieces (:func:`_mostly_the_same`).
RUN = 5
#: The share of the shorter piece's runs found in the other that makes it the same piece again.
SAME_SHARE = 0.8


#: A passage of this many counted characters (words of other letters one each, as
#: :func:`portal.textcount.chinese_count` counts them) met again further on in a piece is repeated.
#: 8: a phrase pasted over and over with one character changed every 11 (or 9) is still caught;
#: the source documents (1,700–16,000 characters) repeat 0–13 % in passages of 8.
REPEATED_RUN = 8
#: The share of a piece's counted characters in repeated passages beyond which it is refused:
#: "学习" pasted 2,500 times counted 5,000 characters towards a 10,000-character quota. A text
#: pasted twice repeats 50 %.
REPEATED_SHARE = 0.3


def repeated_share(text: str | None) -> float:
    """The share of ``text``'s counted characters (:func:`portal.textcount.counted_units`: a
    CJK character, or a word of other letters or digits, each one, as the quota counts them)
    in passages of :data:`REPEATED_RUN` met earlier in it. Measured in what counts: a word of
    20,000 letters added to "学习" pasted 2,500 times is one more character, not four fifths of
    the piece, and English is not read letter by letter ("of the students" is no passage)."""
    units = counted_units(text)
    if len(units) < 2 * REPEATED_RUN:
        return 0.0
    seen: set[tuple[str, ...]] = set()
    repeated = bytearray(len(units))
    for i in range(len(units) - REPEATED_RUN + 1):
        run = tuple(units[i:i + REPEATED_RUN])
        if run in seen:
            repeated[i:i + REPEATED_RUN] = b"\x01" * REPEATED_RUN
        else:
            seen.add(run)
    return sum(repeated) / len(units)


def _holds(new: str, old: str) -> bool:
    """Whether one of two pieces (counted text) holds the other whole, the shorter long enough
    to be a piece of its own (:data:`HELD_AT_LEAST`)."""
    shorter, longer = (new, old) if len(new) <= len(old) else (old, new)
    return len(shorter) >= HELD_AT_LEAST and shorter in longer


def _runs(text: str) -> set[str]:
    return {text[i:i + RUN] for i in range(len(text) - RUN + 1)}


def _mostly_the_same(new: str, old: str) -> bool:
    """Whether most of the shorter piece's runs of :data:`RUN` characters are in the other (a
    character changed here and there, parts moved round): the same piece again. Two pieces
    quoting one sentence share a few runs, not most."""
    shorter, longer = (new, old) if len(new) <= len(old) else (old, new)
    if len(shorter) < 2 * RUN:
        return False
    mine = _runs(shorter)
    return len(mine & _runs(longer)) >= SAME_SHARE * len(mine)
