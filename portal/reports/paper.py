"""The printed forms as PDF: 学分认定表 (one activity), 学时汇总表 (a school's year) and a
teacher's 学时证明 (one teacher's year), and all 学分认定表 of a year as one ZIP or one
merged PDF (as a background job: :mod:`portal.services.export_jobs`).

Each PDF is issued: a verification code is drawn and stored (its digest, with a snapshot of
the hours printed) before the document is rendered, so ``/verify/<code>`` can later say the
paper is genuine, what it certified, and whether the ledger has changed since.
Every figure comes from :mod:`portal.services.credits`; nothing is computed here.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal import year_texts
from portal.errors import Conflict
from portal.extensions import db
from portal.hours import fmt
from portal.i18n import lang_code
from portal.messages import (
    KINDS,
    SchoolYear,
    heading,
    in_lang,
    label,
    msg,
    reason_label,
    school_year_text,
    status_label,
    status_short_label,
)
from portal.models import Activity, School, User
from portal.registry import registry
from portal.reports import exports
from portal.reports.pdf import merged_pdf, render_document, render_pdf, verification_block
from portal.services import credits, verification
from workflows.definition import Phase

if TYPE_CHECKING:
    from weasyprint.document import Document


def _type_names(lang: str) -> Mapping[str, str]:
    return registry().names(lang)


def kind_label(kind: str) -> str:
    """A ledger line's kind (a credit, a reversal) as a form and ``/verify`` name it."""
    return label(KINDS[kind]) if kind in KINDS else kind


def _common(code: str, lang: str) -> dict[str, Any]:
    v = verification_block(code)
    return {
        "v": v, "lang": lang, "heading": heading, "status_label": status_label, "reason_label": reason_label,
        "status_short_label": status_short_label,
        "kind_label": kind_label,
        "verify_hint": in_lang(msg("paper.verify_hint", url=v["url"]), lang),
    }


@dataclass(frozen=True)
class Printed:
    """A form as printed: its laid-out pages and its verification code, whose only copy this
    is (the database keeps its digest): what the print routes send, what the demo tells."""

    code: str
    document: Document


def _line(user: User, hours: Any, status: str | None = None) -> dict[str, Any]:
    """A teacher's line of what a form certifies (``/verify`` compares it with today's), with the
    assessment the form prints beside the hours, if it prints one on the line."""
    line = {"user_id": user.id, "name": user.display_name, "hours": fmt(hours) or "0"}
    return line if status is None else {**line, "status": status}


def _year_line(ty: credits.TeacherYear, type_keys: list[str], status: str | None = None, record: bool = False,
               **more: Any) -> dict[str, Any]:
    """A teacher's year as a 学时证明 or a 学时汇总表's line prints it: its total (and ``status``,
    printed on the line), and every other figure it prints (:func:`verification.year_figures`;
    ``record``: a 学时证明's quotas short in some month and why the year is not met), from the very
    year the form is rendered from."""
    return {**_line(ty.user, ty.facts.total_hours, status),
            verification.FIGURES: verification.year_figures(ty.facts, ty.assessment, type_keys, record), **more}


# -- 学分认定表 ---------------------------------------------------------------------------------


def certificate_printed(activity_id: int, school: School, issued_by: int) -> Printed:
    """学分认定表 of one credited activity, issued and laid out (refused with Conflict before it
    is credited)."""
    taken_at = verification.now()
    cert = credits.certificate(activity_id, school.id)
    act = cert.activity
    lang = lang_code()
    type_name = registry().name(act.type_key, lang)
    organizer = db.session.get(User, act.organizer_id)
    content = {
        "title": act.title, "type": type_name, "total": fmt(cert.total_hours) or "0",
        "lines": [verification.certificate_line(line) for line in cert.lines],
        "organizer_name": organizer.display_name if organizer else "",
        **verification.certificate_facts(cert, school.timezone),
    }
    code = verification.issue("certificate", school, act.school_year, issued_by, content, activity_id=act.id,
                              taken_at=taken_at)
    return Printed(code, render_document(
        "paper/certificate.html", cert=cert, type_name=type_name, tz=school.timezone,
        term=school_year_text(act.school_year, act.semester, lang),
        organizer_name=organizer.display_name if organizer else "",
        role_label=lambda role: registry().role_name(act.type_key, role, lang),
        **_common(code, lang),
    ))


def certificate_document(activity_id: int, school: School, issued_by: int) -> Document:
    return certificate_printed(activity_id, school, issued_by).document


def certificate_pdf(activity_id: int, school: School, issued_by: int) -> bytes:
    return certificate_document(activity_id, school, issued_by).write_pdf()


def credited_activities(school: School, year: str) -> list[Activity]:
    """The school's activities of ``year`` whose credits are posted, by date."""
    states = registry().states_in(Phase.CREDITED)
    return list(db.session.execute(
        select(Activity)
        .where(Activity.school_id == school.id, Activity.school_year == year, Activity.state.in_(states))
        .order_by(Activity.starts_at, Activity.id)
    ).scalars())


def certificates_zip(school: School, year: str, issued_by: int, done: Callable[[int], None] | None = None) -> bytes:
    """Every 学分认定表 of the year, one PDF each (``<date>-<id>.pdf``), in one ZIP;
    ``done(n)`` is told after each form (a job's progress)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, act in enumerate(credited_activities(school, year), start=1):
            day = exports.local_day(act.starts_at, school.timezone)  # the date the form prints
            zf.writestr(f"{day}-{act.id}.pdf", certificate_pdf(act.id, school, issued_by))
            if done is not None:
                done(n)
    return out.getvalue()


def certificates_merged_pdf(
    school: School, year: str, issued_by: int, done: Callable[[int], None] | None = None
) -> bytes:
    """Every 学分认定表 of the year in one PDF, by date: each form starts on a new page and
    keeps its own page numbers, verification code and QR (each one is issued, as when printed alone)."""
    documents = []
    for n, act in enumerate(credited_activities(school, year), start=1):
        documents.append(certificate_document(act.id, school, issued_by))
        if done is not None:
            done(n)
    return merged_pdf(documents)


# -- 学时汇总表 ---------------------------------------------------------------------------------

#: The 学时汇总表's widths in mm (A4 landscape, 10 mm margins; paper.css sets the fixed columns):
#: the room between the margins, the columns always there (序号 9, 姓名 24, four hours
#: columns 15, 考核结果 16), the least the note (说明) keeps, and a type column's least width
#: (16 mm in English: "Observation" in 6.5 pt)
SUMMARY_ROOM_MM = 277
SUMMARY_FIXED_MM = 9 + 24 + 4 * 15 + 16
SUMMARY_NOTE_MM = 40
SUMMARY_TYPE_MM = {"zh": 15.0, "en": 16.0}
SUMMARY_TYPE_MAX_MM = 18.0  # in bands: wider would only take the note's room
#: a type heading's cell: 7.5 pt characters (paper.css), 1 mm padding each side, a 0.6 pt rule
_HEADING_PT, _PADDING_MM, _RULE_PT = 7.5, 2.0, 0.6


@dataclass(frozen=True)
class TypeBands:
    """How the 学时汇总表 lays out its type columns. As many as fit beside the note are one line
    of columns; more types (a school running twelve) go on two or more lines (bands): a heading
    row per band, each teacher's row as many lines, the other cells spanning them, so the
    note keeps its room and every type column its width."""

    bands: tuple[tuple[str, ...], ...]
    width_mm: float
    lang: str

    @property
    def columns(self) -> int:
        return len(self.bands[0])

    @property
    def heading_rows(self) -> int:
        """The heading's rows: one a band, and never fewer than two (absence over its semesters)."""
        return max(len(self.bands), 2)

    def heading_lines(self, name: str) -> list[str]:
        """A type's heading as lines: a Chinese name too long for one line is cut into lines of
        near equal length (教学观摩|与研讨, never 教学观摩与研|讨); English breaks between words."""
        if self.lang == "en":
            return [name]
        room_pt = (self.width_mm - _PADDING_MM) * 72 / 25.4 - _RULE_PT
        per_line = max(1, int(room_pt // _HEADING_PT))
        lines = -(-len(name) // per_line)
        size = -(-len(name) // lines)
        return [name[i:i + size] for i in range(0, len(name), size)]


def type_bands(keys: list[str], lang: str) -> TypeBands:
    """The type columns of a 学时汇总表 with ``keys`` (see :class:`TypeBands`)."""
    least = SUMMARY_TYPE_MM.get(lang, SUMMARY_TYPE_MM["en"])
    room = SUMMARY_ROOM_MM - SUMMARY_FIXED_MM - SUMMARY_NOTE_MM
    per_line = max(1, int(room // least))
    lines = max(1, -(-len(keys) // per_line))
    size = -(-len(keys) // lines)
    bands = tuple(tuple(keys[i:i + size]) for i in range(0, len(keys), size)) or ((),)
    width = least if lines == 1 else min(room / size, SUMMARY_TYPE_MAX_MM)
    return TypeBands(bands, round(width, 1), lang)


def summary_pdf(school: School, year: str, issued_by: int) -> bytes:
    """学时汇总表 of a school's year: A4 landscape, header on every page, signatures at the end."""
    if not credits.year_on_record(school, year):  # no form of zeros for a year on no record (the page says so)
        why = "year.school_not_on_record" if credits.year_begun(school, year) else "year.not_begun"
        raise Conflict(msg(why, year=SchoolYear.said(year)), school_year=year)
    lang = lang_code()
    taken_at = verification.now()
    rows = credits.school_summary(school, year)
    teaching = credits.teaching_now(school.id)
    keys = credits.type_keys_for_year(year, school.id)
    # every figure of each line (each type's hours, the absence, the assessment and its reason,
    # 已离校): /verify shows them, and says when one is no longer the year's
    content = {"title": school.name, "types": keys,
               "lines": [_year_line(ty, keys, ty.shown.status, left=ty.user.id not in teaching) for ty in rows]}
    code = verification.issue("summary", school, year, issued_by, content, taken_at=taken_at)
    return render_pdf(
        "paper/summary.html", school=school, rows=rows, layout=type_bands(keys, lang),
        type_names=_type_names(lang), term=school_year_text(year, None, lang), summary_title=_("Hours summary"),
        note=lambda ty: exports.summary_note(ty, lang, teaching), **_common(code, lang),
    )


# -- 学时证明 ------------------------------------------------------------------------------------


def record_printed(teacher: User, school: School, year: str, issued_by: int) -> Printed:
    """A teacher's 学时证明 for one year, issued and laid out: credited activities, totals, the
    assessment."""
    lang = lang_code()
    taken_at = verification.now()
    ty = credits.teacher_year(teacher, school, year)
    if ty.joined_after_acceptance:  # no certified 0 h of a year that was not theirs (the record page says so)
        raise Conflict(msg("year.joined_after_acceptance", year=SchoolYear.said(year)), school_year=year)
    if ty.joined_after_year:  # nor of a year they were not on the staff at its end (the record does not list it)
        raise Conflict(msg("year.joined_after_year", year=SchoolYear.said(year)), school_year=year)
    if not credits.on_record(teacher, school, ty, year):  # nor of a year their record does not hold (it says so)
        why = "year.not_on_record" if credits.year_begun(school, year) else "year.not_begun"
        raise Conflict(msg(why, year=SchoolYear.said(year)), school_year=year)
    entries = credits.entries_for(teacher.id, school.id, year)
    absences = credits.absences_for(teacher.id, school.id, year)
    # the note (说明) as the school's summary writes it: the reason, and 已离校 if they left
    left = not credits.teaches_at(school.id, teacher.id)
    content = {"title": teacher.display_name, "status": ty.shown.status,
               "lines": [_year_line(ty, [], record=True, left=left)],
               # the activities it lists, so that /verify shows them too: a line changed on the
               # paper (another activity, other hours) with the total kept is seen there
               "entries": [verification.entry_line(entry, act, school.timezone) for entry, act in entries],
               "absences": [verification.absence_line(part, act, school.timezone) for part, act in absences]}
    code = verification.issue("record", school, year, issued_by, content, user_id=teacher.id, taken_at=taken_at)
    return Printed(code, render_document(
        "paper/record.html", school=school, teacher=teacher, year=ty, entries=entries, tz=school.timezone,
        absences=absences, months_short=months_short(ty, lang), note=exports.note_text(ty.shown.reason, left, lang),
        why=year_texts.shortfall_texts(ty.facts, ty.assessment.status, lang),
        type_names=_type_names(lang), term=school_year_text(year, None, lang), **_common(code, lang),
    ))


def months_short(ty: credits.TeacherYear, lang: str) -> list[tuple[str, str, str]]:
    """The writing quotas of a teacher's year short in some month (:func:`verification.printed_quotas`), as a
    学时证明 prints them under the assessment: the quota's name, done against target and the
    months short, in the home's words (:func:`year_texts.quota_short`)."""
    return [(year_texts.quota_label(q, lang), year_texts.quota_amount(q, lang), year_texts.quota_short(q, lang))
            for q in verification.printed_quotas(ty.facts, ty.assessment.status)]


def record_pdf(teacher: User, school: School, year: str, issued_by: int) -> bytes:
    return record_printed(teacher, school, year, issued_by).document.write_pdf()


#: What each kind of document is called on the verification page.
DOCUMENT_NAMES: dict[str, Callable[[], str]] = {
    "certificate": lambda: heading("certificate"),
    "summary": lambda: _("Hours summary"),
    "record": lambda: heading("record"),
}
