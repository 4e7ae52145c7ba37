"""The district's export of the figures its schools submitted: one workbook (a summary sheet,
then a sheet per school with every teacher's frozen row) and one CSV (a row per teacher), each
row saying which period the school's latest round covers (the whole year, or a semester when the
district collects semesters) and whether it is accepted and locked. Read from the submissions (what
the district reviewed), a school at a time."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select

from portal.extensions import db
from portal.messages import _pl, heading, label, record_status, semester_text, status_label
from portal.models import School, YearSubmission
from portal.models.district import WHOLE_YEAR
from portal.reports.exports import QUOTA_HEAD, _xlsx_value, note_text, quota_text, sheet_title, stream_csv
from portal.services import locks, submissions
from portal.services.dashboard import latest_rounds, schools_of_year

_HEAD = {
    "state": _pl("export", "State"),
    "locked": _pl("export", "Locked"),
    "teachers": _pl("export", "Teachers"),
    "met": _pl("status", "Met"),
    "short": _pl("status", "Short"),
    "not_recognised": _pl("status", "Not recognised"),
    "exempt": _pl("status", "Exempt"),
    "round": _pl("export", "Round"),
    "period": _pl("export", "Period submitted"),
}
#: the part of the year a row's submission covers (a district that collects semesters has a
#: round for each): the state, lock and figures beside it are that period's
WHOLE_YEAR_TEXT = _pl("export", "Whole year")
YES_NO = {True: _pl("export", "yes"), False: _pl("export", "no")}


def _schools(district_id: int, year: str) -> Iterator[tuple[School, YearSubmission | None, bool, bool]]:
    """Each school of the district's year (``dashboard.schools_of_year``) with its latest
    submission of the year, whether its year is closed (``locks.closed_clause``: of a school
    that sent this district nothing, closed by the district it was in before), and whether that
    submission judges the year (``submissions.judges_year``, a column of the rounds' statement:
    not a first semester's): three queries, whatever the rounds."""
    schools = list(db.session.execute(schools_of_year(district_id, year)).scalars())
    latest: dict[int, YearSubmission] = {}
    judging: set[int] = set()
    for s, judges in db.session.execute(select(YearSubmission, submissions.judges_year())
                                        .where(YearSubmission.id.in_(latest_rounds(district_id, year)))):
        latest[s.school_id] = s
        if judges:
            judging.add(s.id)
    closed = set(db.session.execute(select(School.id).where(
        School.id.in_([s.id for s in schools if s.id not in latest]), locks.closed_clause(School.id, year))).scalars())
    for school in schools:
        sub = latest.get(school.id)
        yield school, sub, school.id in closed, sub is not None and sub.id in judging


def _state(sub: YearSubmission | None, lang: str, closed: bool = False) -> tuple[str, str, str]:
    """The period the submission covers, its state and whether it is locked, in words (a school
    that sent nothing: locked when its year is ``closed``, by the district it was in before)."""
    status = sub.status if sub else "none"
    period = "" if sub is None else label(WHOLE_YEAR_TEXT, lang) if sub.semester == WHOLE_YEAR \
        else semester_text(sub.semester, lang, first=True)  # First semester, as every page writes it
    locked = status == submissions.ACCEPTED or (sub is None and closed)
    return period, record_status("submission_export", status, lang), label(YES_NO[locked], lang)


def summary_rows(district_id: int, year: str, lang: str = "zh") -> Iterator[list[Any]]:
    yield [heading("school_code", lang), heading("school", lang), heading("year", lang), label(_HEAD["period"], lang),
           label(_HEAD["state"], lang), label(_HEAD["locked"], lang), label(_HEAD["round"], lang),
           label(_HEAD["teachers"], lang),
           *(label(_HEAD[k], lang) for k in ("met", "short", "not_recognised", "exempt")), heading("total", lang)]
    for school, sub, closed, judges in _schools(district_id, year):
        period, state, locked = _state(sub, lang, closed)
        if sub is None:
            yield [school.code, school.name, year, period, state, locked, "", "", "", "", "", "", ""]
            continue
        # a first semester's round judges nobody met or short of the year's hours: left blank,
        # as its rows say 进行中 (submissions.counts_as_read)
        counts = submissions.counts_as_read(sub, judges)
        yield [school.code, school.name, year, period, state, locked, sub.round, sub.teachers,
               *(counts.get(st, "") for st in ("met", "short", "not_recognised", "exempt")), sub.total_hours]


def _teacher_header(lang: str) -> list[str]:
    return [heading("username", lang), heading("name", lang), heading("total", lang), heading("required", lang),
            heading("absent_1", lang), heading("absent_2", lang), heading("status", lang), heading("note", lang),
            label(QUOTA_HEAD, lang)]


def _teacher_line(row: dict[str, Any], lang: str, judges: bool = True) -> list[Any]:
    """A frozen row's cells as the round is read (``submissions.row_as_read``: a first
    semester's round says 进行中, and leaves the second semester's absence blank); its hours
    (kept as text, exact half hours) as numbers, as the school's 学时汇总表 has them: a
    spreadsheet sums them (the CSV writes them the same)."""
    row = submissions.row_as_read(row, judges)
    absent = row.get("absent", {})
    hours = [Decimal(v) for v in (row["total"], row["required"])]
    absence = [Decimal(absent.get(sem, "0")) for sem in submissions.absence_semesters(judges)]
    return [row["username"], row["name"], *hours, *absence, *[""] * (2 - len(absence)), status_label(row["status"], lang),
            # 说明, as the school's summary sent with it gives it (已离校: a round sent since it was kept)
            note_text(row.get("reason"), bool(row.get("left_school")), lang),
            quota_text(row.get("quotas") or [], lang, row["status"])]


def teacher_rows(district_id: int, year: str, lang: str = "zh") -> Iterator[list[Any]]:
    """A row per teacher of every submitted school, with the school's state and lock."""
    yield [heading("school_code", lang), heading("school", lang), label(_HEAD["period"], lang),
           label(_HEAD["state"], lang), label(_HEAD["locked"], lang), *_teacher_header(lang)]
    for school, sub, _closed, judges in _schools(district_id, year):
        if sub is None:
            continue
        period, state, locked = _state(sub, lang)
        for row in sub.rows:
            yield [school.code, school.name, period, state, locked, *_teacher_line(row, lang, judges)]


def stream_csv_rows(district_id: int, year: str, lang: str = "zh") -> Iterator[bytes]:
    return stream_csv(teacher_rows(district_id, year, lang))


def write_workbook(district_id: int, year: str, out: str | IO[bytes], lang: str = "zh") -> int:
    """A summary sheet, then one sheet per school (its code) with its teachers as submitted;
    returns the number of school sheets."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, rows: Iterator[list[Any]]) -> None:
        ws = wb.create_sheet(title[:31])
        ws.freeze_panes = "A2"
        header = next(rows)
        cells = []
        for v in header:
            c = WriteOnlyCell(ws, value=str(v))
            c.data_type, c.font = "s", bold
            cells.append(c)
        ws.append(cells)
        for row in rows:
            ws.append([_xlsx_value(ws, v) for v in row])

    sheet(sheet_title("summary", year, lang), summary_rows(district_id, year, lang))
    n = 0
    for school, sub, _closed, judges in _schools(district_id, year):
        if sub is None:
            continue
        period, state, locked = _state(sub, lang)
        head = [*_teacher_header(lang), label(_HEAD["period"], lang), label(_HEAD["state"], lang),
                label(_HEAD["locked"], lang)]
        sheet(school.code, iter([head, *([*_teacher_line(r, lang, judges), period, state, locked] for r in sub.rows)]))
        n += 1
    wb.save(out)
    return n
