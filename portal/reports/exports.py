"""Exports of the credit ledger: school summary, district summary and ledger lines, and the
certification form of one activity, as CSV (UTF-8 with BOM, for Excel) and XLSX.

Everything is a row generator (header first) fed to one CSV writer and one XLSX writer, so
memory stays flat: district rows are produced school by school, ledger lines come from a
streamed Core query per school (``yield_per``; schools and teachers by pinyin, as every list),
and XLSX uses XlsxWriter's constant-memory mode (data rows
written as whole rows of XML: :mod:`portal.reports.xlsx_rows`), moving on to a new sheet when one
reaches Excel's 1,048,576 rows.

A day (a ledger line's, a 学分认定表's) is a date cell shown ``yyyy-mm-dd`` in XLSX, so that it
sorts and filters as a date, and ``2026-10-15`` in CSV.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — also after
leading whitespace, which spreadsheets trim — is always text, never a formula (CSV: prefixed
with ``'``; XLSX: the cell's type is set to string).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from typing import IO, Any

import xlsxwriter
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Numeric, case, select, type_coerce

from portal.assessment import EXEMPT, Assessment, QuotaFact, period_status
from portal.extensions import db
from portal.hours import fmt
from portal.messages import (
    KINDS,
    LEFT_SCHOOL,
    NOTE_JOIN,
    _pl,
    heading,
    label,
    norm_lang,
    reason_label,
    school_year_text,
    semester_text,
    status_label,
)
from portal.models import Activity, CreditEntry, School, User
from portal.registry import registry
from portal.reports.xlsx_rows import SheetRows
from portal.services import credits, forecast
from portal.sorting import pinyin_key
from portal.timeutil import to_local, utcnow
from portal.year_texts import as_fact, quota_amount, quota_cell, quota_label, quota_short, warnings_text

XLSX_MAX_ROWS = 1_048_576
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula
CSV_CHUNK_ROWS = 500
LEDGER_BATCH = 2000
BOM = "\ufeff"
DAY_FORMAT = "yyyy-mm-dd"  # how a date cell shows

Row = list[Any]


# -- cell safety -----------------------------------------------------------------------------


_FORMULA_FIRST = frozenset(FORMULA_START)


def is_formula_like(value: object) -> bool:
    """Text a spreadsheet may run as a formula: it starts with one of :data:`FORMULA_START`, also
    behind leading whitespace (spreadsheets trim it on import: ``" =HYPERLINK(…)"``, ``"\\n=1+1"``)."""
    if not isinstance(value, str):
        return False
    first = value[:1]
    return first in _FORMULA_FIRST or (first.isspace() and value.lstrip()[:1] in _FORMULA_FIRST)


def csv_cell(value: object) -> str:
    """A CSV field: hours as '12.5', text that a spreadsheet would run prefixed with '.

    Called for every cell of million-row exports, so the common types go first."""
    if type(value) is str:
        return "'" + value if is_formula_like(value) else value
    kind = type(value)
    if value is None:
        return ""
    if kind is int:
        return str(value)
    if kind is Decimal or kind is float:
        return _fmt_hours(value)
    text = str(value)
    return "'" + text if is_formula_like(text) else text


@lru_cache(maxsize=4096)
def _fmt_hours(value: Decimal | float) -> str:
    return fmt(value)


# Ledger hours read as the driver's floats (exact for half hours), skipping the per-row
# Decimal conversion of the model's column type in million-row exports.
RAW_HOURS = Numeric(8, 1, asdecimal=False)


def _xlsx_value(ws: Worksheet, value: object) -> object:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if is_formula_like(value):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"  # openpyxl would store '=…' as a formula
            return cell
    return value


# -- writers ---------------------------------------------------------------------------------


def stream_csv(rows: Iterable[Row]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM; the header goes out at once, then chunks of rows."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write(BOM)
    rows = iter(rows)
    writer.writerows([list(map(csv_cell, row)) for row in islice(rows, 1)])  # the header at once
    while True:
        yield buf.getvalue().encode("utf-8")
        buf.seek(0)
        buf.truncate()
        batch = [list(map(csv_cell, row)) for row in islice(rows, CSV_CHUNK_ROWS)]
        if not batch:
            return
        writer.writerows(batch)


def write_xlsx(
    rows: Iterable[Row], out: str | IO[bytes], sheet_title: str, max_rows: int = XLSX_MAX_ROWS,
    widths: dict[str, float] | None = None, engine: str | None = None,
) -> int:
    """Write rows (header first); past ``max_rows`` a sheet is continued on a new one headed
    ``<title> (2)`` with the header repeated. Returns the data rows written.

    ``engine`` (default :data:`XLSX_ENGINE`): ``xlsxwriter`` (constant-memory mode: each row
    goes to a temporary file as it is written; data rows as whole rows of XML, see
    :mod:`portal.reports.xlsx_rows`), ``xlsxwriter-cells`` (the same, every cell through
    XlsxWriter's own path: the benchmark's "before") or ``openpyxl`` (write-only mode). All keep
    memory flat; the first is the fastest by far (BENCHMARKS.md)."""
    engine = engine or XLSX_ENGINE
    if engine == "openpyxl":
        return _write_xlsx_openpyxl(rows, out, sheet_title, max_rows, widths)
    return _write_xlsx_xlsxwriter(rows, out, sheet_title, max_rows, widths, whole_rows=engine != "xlsxwriter-cells")


XLSX_ENGINE = "xlsxwriter"


#: The most characters Excel lets a sheet's name have.
SHEET_NAME_MAX = 31


def sheet_title(key: str, year: str, lang: str = "zh") -> str:
    """A workbook sheet's name: its heading (``key``) and the school year in words, as every
    page and printed form says it (学时汇总 2026—2027学年), never the year's code."""
    return f"{heading(key, lang)} {school_year_text(year, None, lang)}"[:SHEET_NAME_MAX]


def nth_sheet(title: str, n: int) -> str:
    """The name of the ``n``-th sheet of rows under ``title`` (the first: the title), kept to
    :data:`SHEET_NAME_MAX` characters with its number: where both do not fit, the title's first
    word (its heading, :func:`sheet_title`) gives way, never the year it names."""
    if n == 1:
        return title[:SHEET_NAME_MAX]
    suffix = f" ({n})"
    if len(title) + len(suffix) > SHEET_NAME_MAX:
        title = title.partition(" ")[2] or title
    return title[:SHEET_NAME_MAX - len(suffix)] + suffix


def _write_xlsx_xlsxwriter(
    rows: Iterable[Row], out: str | IO[bytes], sheet_title: str, max_rows: int, widths: dict[str, float] | None,
    whole_rows: bool = True,
) -> int:
    # constant_memory: rows are written out in order and forgotten; strings are inline.
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False,
                                   "default_date_format": DAY_FORMAT})
    it = iter(rows)
    header = [ILLEGAL_CHARACTERS_RE.sub("", str(v)) for v in next(it)]
    bold = wb.add_format({"bold": True})

    sheets: list[SheetRows] = []

    def new_sheet(n: int) -> SheetRows:
        ws = wb.add_worksheet(nth_sheet(sheet_title, n))
        for col, width in (widths or {}).items():
            ws.set_column(f"{col}:{col}", width)
        ws.freeze_panes(1, 0)
        for c, v in enumerate(header):
            ws.write_string(0, c, v, bold)
        sheets.append(SheetRows(ws, put_cells, _clean_text))
        return sheets[-1]

    def put_cells(ws: Any, r: int, row: Row) -> None:
        """XlsxWriter's own path, cell by cell (rows the fast path does not take)."""
        put_string, put_number = ws.write_string, ws.write_number
        for c, v in enumerate(row):
            kind = type(v)
            if kind is str:  # always text, never a formula or a link
                put_string(r, c, _clean_text(v))
            elif kind is int or kind is float or kind is Decimal:
                put_number(r, c, v)
            elif kind is date:  # the workbook's default date format
                ws.write_datetime(r, c, v)
            elif v is not None:
                ws.write(r, c, v if kind is bool else str(v))

    put = (lambda sheet, r, row: sheet.put(r, row)) if whole_rows else (lambda sheet, r, row: sheet._slow(r, row))
    written = _into_sheets(it, max_rows, new_sheet, put)
    for sheet in sheets:
        sheet.finish()
    wb.close()
    return written


def _into_sheets(it: Iterator[Row], max_rows: int, new_sheet: Any, put: Any) -> int:
    """Rows into sheets of at most ``max_rows`` (header included), a new sheet after each."""
    sheet_no, ws, in_sheet, written = 1, new_sheet(1), 1, 0
    for row in it:
        if in_sheet >= max_rows:
            sheet_no += 1
            ws, in_sheet = new_sheet(sheet_no), 1
        put(ws, in_sheet, row)
        in_sheet += 1
        written += 1
    return written


def _clean_text(text: str) -> str:
    """The text without the control characters XLSX cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text) if _has_illegal(text) else text


def _has_illegal(text: str) -> bool:
    """Control characters XLSX cannot hold (rare: the regex runs only when one is there)."""
    return not text.isprintable() and ILLEGAL_CHARACTERS_RE.search(text) is not None


def _write_xlsx_openpyxl(
    rows: Iterable[Row], out: str | IO[bytes], sheet_title: str, max_rows: int, widths: dict[str, float] | None
) -> int:
    wb = Workbook(write_only=True)
    it = iter(rows)
    header = next(it)
    bold = Font(bold=True)

    def new_sheet(n: int) -> Worksheet:
        ws = wb.create_sheet(nth_sheet(sheet_title, n))
        for col, width in (widths or {}).items():
            ws.column_dimensions[col].width = width
        ws.freeze_panes = "A2"
        cells = []
        for v in header:
            c = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", str(v)))
            c.data_type, c.font = "s", bold
            cells.append(c)
        ws.append(cells)
        return ws

    written = _into_sheets(it, max_rows, new_sheet, lambda ws, _r, row: ws.append([_xlsx_value(ws, v) for v in row]))
    wb.save(out)
    return written


def _xlsx_bytes(rows: Iterable[Row], sheet_title: str, **kw: Any) -> bytes:
    out = io.BytesIO()
    write_xlsx(rows, out, sheet_title, **kw)
    return out.getvalue()


# -- summary rows ----------------------------------------------------------------------------


def _type_label(key: str, lang: str) -> str:
    return registry().name(key, lang)


def _summary_header(keys: list[str], lang: str) -> Row:
    return [
        heading("username", lang),
        heading("name", lang),
        *(_type_label(k, lang) for k in keys),
        heading("total", lang),
        heading("required", lang),
        heading("absent_1", lang),
        heading("absent_2", lang),
        heading("status", lang),
        heading("note", lang),
    ]


def summary_note(ty: credits.TeacherYear, lang: str, teaching: set[int] | None) -> str:
    """A summary row's note (its exports and its printed form): the assessment's reason, and that
    the teacher has left the school (not one of ``teaching``), as the page marks them beside the
    name."""
    return note_text(ty.shown.reason, teaching is not None and ty.user.id not in teaching, lang)


def note_text(reason: str | None, left_school: bool, lang: str) -> str:
    """The note (说明) of a teacher's year: its status's reason, then 已离校 if they left — a
    summary's line, and a submission's frozen row in the district's exports."""
    notes = [reason_label(reason, lang)] if reason else []
    if left_school:
        notes.append(label(LEFT_SCHOOL, lang))
    return label(NOTE_JOIN, lang).join(notes)


def _summary_line(ty: credits.TeacherYear, keys: list[str], lang: str, teaching: set[int] | None = None,
                  judges: bool = True) -> Row:
    """``judges``: false for a first semester's submission (``submissions.judging_rounds``): the
    status as the period reads it (``assessment.period_status``, ``ty`` given so), and the second
    semester's absence left blank."""
    f, a = ty.facts, ty.shown  # not short before the year is over
    return [
        ty.user.username,
        ty.user.display_name,
        *(f.by_type.get(k, credits.ZERO) for k in keys),
        f.total_hours,
        f.required_hours,
        f.absent_hours.get(1, credits.ZERO),
        f.absent_hours.get(2, credits.ZERO) if judges else "",
        status_label(a.status, lang),
        summary_note(ty, lang, teaching),
    ]


def summary_rows(
    school: School, year: str, lang: str = "zh", teacher_years: list[credits.TeacherYear] | None = None,
    judges: bool = True,
) -> Iterator[Row]:
    """学时汇总表 of one school and year: header, then one row per teacher (of
    ``teacher_years`` when the caller has them already, as a submission to the district does;
    without ``judges``, a first semester's submission: each as that round reads it, ``_summary_line``).

    After the hours, the columns of the summary page: each writing quota's progress and the
    teacher's warnings today (school time), in the words of :mod:`portal.year_texts`."""
    keys = credits.type_keys_for_year(year, school.id)
    rows = credits.school_summary(school, year) if teacher_years is None else teacher_years
    quota_heads = rows[0].facts.quotas if rows else ()  # the school's quotas: the same for every teacher
    today = to_local(utcnow(), school.timezone).date()
    teaching, accepted = credits.teaching_now_and_accepted(school.id, year)  # accepted: over
    yield [*_summary_header(keys, lang), *(quota_label(q, lang) for q in quota_heads), heading("warnings", lang)]
    for ty in rows:
        if teacher_years is not None:  # a round sent to the district: read as the round reads it, its verdict
            ty = replace(ty, under_way=False)
        if not judges:
            ty = replace(ty, assessment=Assessment(*period_status(ty.assessment.status, ty.assessment.reason, False)))
        yield [
            *_summary_line(ty, keys, lang, teaching, judges),
            *(quota_cell(q, lang, ty.assessment.status) for q in ty.facts.quotas),
            warnings_text(forecast.warnings(ty.facts, today, status=ty.assessment.status, accepted=accepted), lang),
        ]


def stream_summary_csv(school: School, year: str, lang: str = "zh") -> Iterator[bytes]:
    return stream_csv(summary_rows(school, year, lang))


def summary_xlsx(
    school: School, year: str, lang: str = "zh", teacher_years: list[credits.TeacherYear] | None = None,
    judges: bool = True,
) -> bytes:
    return _xlsx_bytes(summary_rows(school, year, lang, teacher_years, judges), sheet_title("summary", year, lang),
                       widths={"A": 14, "B": 12})


# -- district --------------------------------------------------------------------------------


def _all_schools(district_id: int | None = None) -> list[School]:
    q = select(School).order_by(School.name_key, School.code)
    if district_id is not None:
        q = q.where(School.district_id == district_id)
    return list(db.session.execute(q).scalars())


QUOTA_HEAD = _pl("export", "Writing quotas (done/target)")


def quota_text(quotas: Iterable[QuotaFact | Mapping[str, Any]], lang: str, status: str | None = None) -> str:
    """A teacher's writing quotas in one cell, in the words of the summary (``portal.year_texts``):
    "读书笔记 8,000 / 10,000 字；…" (an unmet one marked, unless the teacher's year, ``status``, is
    exempt: nothing was asked of them, as the summary's plain cells say; the months short of notes
    named, but not in an exempt year: ``year_texts.names_months_short``). Of a
    teacher-year row's quota results, or of those a submission froze (JSON objects of the same
    fields): the district's exports, live and submitted, say them alike."""
    facts = [as_fact(q) for q in quotas]
    exempt = status == EXEMPT
    parts = [f"{quota_label(q, lang)} {quota_amount(q, lang)}{'' if q.met or exempt else ' ✗'}"
             + (f" {short}" if (short := quota_short(q, lang, status)) else "") for q in facts]
    return ("; " if lang == "en" else "；").join(parts)


def district_rows(year: str, lang: str = "zh", district_id: int | None = None) -> Iterator[Row]:
    """Every school's summary (of one district, or of all at the command line), one school at a
    time (memory bounded by the largest school); each teacher's writing quotas in one cell
    (:func:`quota_text`, as the district's export of the submitted figures has them: schools
    ask for different quotas, a column each would not line up)."""
    keys = credits.type_keys_for_year(year)
    yield [heading("school_code", lang), heading("school", lang), *_summary_header(keys, lang), label(QUOTA_HEAD, lang)]
    for school in _all_schools(district_id):
        teaching = credits.teaching_now(school.id)
        for ty in credits.school_summary(school, year):
            yield [school.code, school.name, *_summary_line(ty, keys, lang, teaching),
                   quota_text(ty.facts.quotas, lang, ty.assessment.status)]
        db.session.expunge_all()  # drop the school's objects before the next one


def _teachers_in_order(school_id: int, year: str) -> dict[int, int]:
    """The place of each teacher with ledger lines of ``year`` at the school, in the order of
    every list of people (:func:`portal.sorting.pinyin_key` of the name, then the id): what the
    ledger export orders a school's lines by in SQL (users keep no pinyin column). One query."""
    people = db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(
            select(CreditEntry.user_id).where(CreditEntry.school_id == school_id, CreditEntry.school_year == year)))
    ).all()
    ordered = sorted(people, key=lambda p: (pinyin_key(p.display_name), p.id))
    return {uid: n for n, (uid, _name) in enumerate(ordered)}


def ledger_rows(
    year: str, lang: str = "zh", school_id: int | None = None, district_id: int | None = None
) -> Iterator[Row]:
    """Every ledger line of the year (credits and reversals), streamed from the database: the day
    it was written (日期) and, last, the day its activity was held (an auditor reads a line against
    the activity it credits: never written before it took place).

    In the order of every list: schools by the pinyin of their name (``School.name_key``, then the
    code, as the district's summary), a school's teachers by theirs (:func:`_teachers_in_order`),
    then each one's lines by type and as written. One school's lines at a time: one query for its
    teachers, one streamed for its lines (``yield_per``), the database sorting a school's lines
    only; memory holds a school's teachers' places, never its lines."""
    lang = norm_lang(lang)
    yield [heading(k, lang) for k in (
        "school_code", "school", "year", "semester", "username", "name", "activity_id", "activity",
        "type", "role", "hours", "kind", "remark", "date", "activity_date",
    )]
    lines = (
        select(
            CreditEntry.school_year, CreditEntry.semester,
            User.username, User.display_name, CreditEntry.activity_id, Activity.title, CreditEntry.type_key,
            CreditEntry.role, type_coerce(CreditEntry.hours, RAW_HOURS), CreditEntry.kind, CreditEntry.reason,
            CreditEntry.created_at, Activity.starts_at,
        )
        .join(User, User.id == CreditEntry.user_id)
        .join(Activity, Activity.id == CreditEntry.activity_id)
        .where(CreditEntry.school_year == year)
        .execution_options(yield_per=LEDGER_BATCH)
    )
    schools = [s for s in _all_schools(district_id) if school_id is None or s.id == school_id]
    types: dict[str, str] = {}
    kinds = {k: label(v, lang) for k, v in KINDS.items()}
    semesters = {n: semester_text(n, lang, first=True) for n in (1, 2)}  # First semester, as pages write it
    roles: dict[tuple[str, str], str] = {}
    for school in schools:
        code, name, tz = school.code, school.name, school.timezone
        places = _teachers_in_order(school.id, year)
        if not places:
            continue
        q = lines.where(CreditEntry.school_id == school.id).order_by(
            # a teacher whose first line came after their places were read goes last
            case(places, value=CreditEntry.user_id, else_=len(places)), CreditEntry.type_key, CreditEntry.id)
        held_on: dict[int, date | None] = {}  # each activity's day, once (a hundred lines share it)
        for (sy, sem, username, display, act_id, title, key, role, hours, kind, reason,
             created, held) in db.session.connection().execute(q):  # Core rows, streamed
            if key not in types:
                types[key] = registry().name(key, lang)
            type_label = types[key]
            role_key = (key, role)
            if role_key not in roles:
                roles[role_key] = registry().role_name(key, role, lang)
            yield [
                code, name, sy, semesters.get(sem, sem), username, display, act_id, title, type_label,
                roles[role_key],
                hours, kinds.get(kind, kind), reason,
                local_date(created, tz),
                held_on[act_id] if act_id in held_on else held_on.setdefault(act_id, local_date(held, tz)),
            ]


def local_day(value: datetime | None, tz: str) -> str:
    """A stored UTC time as the school's local day, written ``2026-10-15`` ("" for none)."""
    return "" if value is None else _local_date(value, tz).isoformat()


def local_date(value: datetime | None, tz: str) -> date | None:
    """A stored UTC time as the school's local day: a date cell in XLSX, its ISO text in CSV."""
    return None if value is None else _local_date(value, tz)


@lru_cache(maxsize=4096)
def _local_date(value: datetime, tz: str) -> date:
    # ledger rows of one credit share their timestamp: cached, a million rows convert few times
    return to_local(value, tz).date()


def stream_district_csv(
    year: str, lang: str = "zh", *, ledger: bool = False, district_id: int | None = None
) -> Iterator[bytes]:
    """The district summary (or, with ``ledger``, every ledger line) as streamed CSV."""
    rows = ledger_rows(year, lang, district_id=district_id) if ledger else district_rows(year, lang, district_id)
    return stream_csv(rows)


def district_xlsx(
    year: str, path_or_stream: str | IO[bytes], lang: str = "zh", *, ledger: bool = False,
    max_rows: int = XLSX_MAX_ROWS, district_id: int | None = None, engine: str | None = None,
) -> int:
    """Write the district summary (or ledger lines) to an XLSX file; returns data rows."""
    rows = ledger_rows(year, lang, district_id=district_id) if ledger else district_rows(year, lang, district_id)
    title = sheet_title("ledger" if ledger else "summary", year, lang)
    return write_xlsx(rows, path_or_stream, title, max_rows=max_rows, widths={"B": 20}, engine=engine)


# -- the certification form ------------------------------------------------------------------


def certificate_table(cert: credits.Certificate, lang: str = "zh") -> Iterator[Row]:
    """Header, then one row per participant (no., name, username, role, attended, credited,
    remark, and an empty cell for the signature)."""
    key = cert.activity.type_key
    yield [heading(k, lang) for k in ("no", "name", "username", "role", "attended", "credited", "remark", "signature")]
    for n, line in enumerate(cert.lines, 1):
        role = registry().role_name(key, line.role, norm_lang(lang))
        yield [n, line.user.display_name, line.user.username, role, line.attended_hours, line.hours,
               line.remarks(lang), ""]


def certificate_xlsx(activity: Activity, lang: str = "zh") -> bytes:
    """学分认定表 of a credited activity as a printable (A4) XLSX workbook."""
    cert = credits.certificate(activity.id, activity.school_id)
    tz = cert.school.timezone
    wb = Workbook()
    ws = wb.active
    ws.title = heading("certificate", lang)[:31]
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages as the rows take (unsaid, Excel fits them on one)
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for col, width in zip("ABCDEFGH", (6, 12, 12, 12, 9, 9, 26, 14), strict=True):
        ws.column_dimensions[col].width = width
    bold = Font(bold=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    line_below = Border(bottom=thin)

    def put(row: int, col: int, value: object, font: Font | None = None) -> None:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = ws.cell(row=row, column=col, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        elif isinstance(value, date):
            cell.number_format = DAY_FORMAT
        if font is not None:
            cell.font = font

    put(1, 1, f"{cert.school.name} {heading('certificate', lang)}", Font(bold=True, size=14))
    act = cert.activity
    block: list[tuple[str, object]] = [
        ("activity", act.title),
        ("type", _type_label(act.type_key, lang)),
        ("term", school_year_text(act.school_year, act.semester, lang)),
        ("activity_date", local_date(act.starts_at, tz)),
        ("planned_hours", act.hours),
    ]
    r = 3
    for key, value in block:
        put(r, 1, heading(key, lang), bold)
        put(r, 3, value)
        r += 1
    r += 1
    ws.print_title_rows = f"{r}:{r}"  # the table's heading on every printed page
    for i, row in enumerate(certificate_table(cert, lang)):
        for c, value in enumerate(row, 1):
            put(r, c, value, bold if i == 0 else None)
            ws.cell(row=r, column=c).border = box
            ws.cell(row=r, column=c).alignment = Alignment(vertical="center", wrap_text=c == 7)
        if i:
            ws.row_dimensions[r].height = 26  # room for a signature
        r += 1
    r += 1
    put(r, 1, heading("total_credited", lang), bold)
    put(r, 3, cert.total_hours)
    r += 2
    # the people who sign, as the PDF's (and the page's): each named once, a line to sign on and the
    # day of their step; then the school's seal and the day it is signed
    signers = [
        ("reviewer", cert.reviewer, "approved_at", cert.approved_at),
        ("posted_by", cert.posted_by, "credited_at", cert.credited_at),
    ]
    for key, person, day_key, day in signers:
        put(r, 1, heading(key, lang), bold)
        put(r, 2, person.display_name if person else "")
        put(r, 4, heading("signature", lang), bold)
        put(r, 7, heading(day_key, lang), bold)
        put(r, 8, local_date(day, tz))
        for c in (2, 3, 5, 6):
            ws.cell(row=r, column=c).border = line_below
        ws.row_dimensions[r].height = 30
        r += 1
    put(r, 1, heading("school_seal", lang), bold)
    put(r, 7, heading("sign_date", lang), bold)
    for c in (2, 3, 4, 5, 6, 8):
        ws.cell(row=r, column=c).border = line_below
    ws.row_dimensions[r].height = 48
    r += 1
    ws.print_area = f"A1:H{r}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
