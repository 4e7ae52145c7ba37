"""``flask credits export`` and ``flask credits export-district``."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import School
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import credited
from tests.support import factories as f
from tests.support.prepared import prepared_for

YEAR = "2026-2027"


def _build_credited_lecture() -> dict[str, Any]:
    """S1, its staff and one lecture credited: t1 speaker 6 hours, t2 attendee 3."""
    facts = build_school_and_staff()
    s1, staff = db.session.get(School, facts["s1"]), f.people_of(facts["staff"])
    credited(s1, staff, "lecture", [(staff["t1"], "speaker"), (staff["t2"], "attendee")], hours="3")
    return facts


prepared = prepared_for("runner", _build_credited_lecture)


@pytest.fixture
def runner(app, s1, staff):
    """The app's CLI runner on :func:`_build_credited_lecture`'s data (prepared: built once per test process)."""
    return app.test_cli_runner()


@pytest.fixture
def outdir(tmp_path):
    """An empty folder for the exported files (tmp_path also holds the test database)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


def test_export_csv_and_xlsx(runner, outdir):
    out = outdir / "s1.csv"
    r = runner.invoke(args=["credits", "export", "--school", "S1", "--year", YEAR, "--format", "csv", "--output", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    totals = {row[0]: row[rows[0].index("合计学时")] for row in rows[1:]}
    assert (totals["t1"], totals["t2"]) == ("6", "3")
    out = outdir / "s1.xlsx"
    r = runner.invoke(args=["credits", "export", "--school", "S1", "--year", YEAR, "--format", "xlsx", "--output", str(out)])
    assert r.exit_code == 0, r.output
    ws = load_workbook(out).worksheets[0]
    assert ws.cell(1, 1).value == "账号" and ws.max_row == 7
    assert sorted(p.name for p in outdir.iterdir()) == ["s1.csv", "s1.xlsx"]


def test_export_district(runner, outdir):
    out = outdir / "d.xlsx"
    r = runner.invoke(args=["credits", "export-district", "--year", YEAR, "--format", "xlsx", "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert load_workbook(out).worksheets[0].cell(2, 1).value == "S1"
    out = outdir / "d.csv"
    r = runner.invoke(args=["credits", "export-district", "--year", YEAR, "--format", "csv", "--output", str(out),
                            "--ledger"])
    assert r.exit_code == 0, r.output
    assert len(out.read_bytes().decode("utf-8-sig").splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--school", "NOPE", "--year", YEAR, "--format", "csv"], "no school with code 'NOPE'"),
        (["--school", "S1", "--year", "2026-2028", "--format", "csv"], "not a school year"),
        # activities are dated 2000–2099: the API's school years are 1999-2000 … 2099-2100
        (["--school", "S1", "--year", "1990-1991", "--format", "csv"], "1999-2000 to 2099-2100"),
        (["--school", "S1", "--year", "2100-2101", "--format", "csv"], "1999-2000 to 2099-2100"),
        (["--school", "S1", "--year", YEAR, "--format", "pdf"], "unknown format 'pdf'"),
        # headings in a language the exports do not have: refused, not Chinese under another name
        (["--school", "S1", "--year", YEAR, "--format", "csv", "--lang", "fr"], "Invalid value for '--lang'"),
    ],
)
def test_bad_arguments_fail_and_leave_no_file(runner, outdir, args, message):
    out = outdir / "out.file"
    r = runner.invoke(args=["credits", "export", *args, "--output", str(out)])
    assert r.exit_code != 0
    assert message in r.output
    assert list(outdir.iterdir()) == []


def test_export_district_refuses_an_unknown_language(runner, outdir):
    out = outdir / "d.csv"
    r = runner.invoke(args=["credits", "export-district", "--year", YEAR, "--format", "csv", "--lang", "de",
                            "--output", str(out)])
    assert r.exit_code != 0
    assert "Invalid value for '--lang'" in r.output
    assert list(outdir.iterdir()) == []


def test_unwritable_path_fails(runner, outdir):
    missing = outdir / "no-such-folder" / "out.csv"
    r = runner.invoke(args=["credits", "export", "--school", "S1", "--year", YEAR, "--format", "csv",
                            "--output", str(missing)])
    assert r.exit_code != 0 and "does not exist" in r.output
    r = runner.invoke(args=["credits", "export-district", "--year", YEAR, "--format", "csv", "--output", str(outdir)])
    assert r.exit_code != 0 and "is a directory" in r.output
    locked = outdir / "locked"
    locked.mkdir(mode=0o500)
    try:
        r = runner.invoke(args=["credits", "export-district", "--year", YEAR, "--format", "xlsx",
                                "--output", str(locked / "d.xlsx")])
        import os

        if os.access(locked, os.W_OK):  # running as root: the folder is writable after all
            assert r.exit_code == 0
        else:
            assert r.exit_code != 0 and "not writable" in r.output
            assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_a_failing_export_leaves_no_partial_file(runner, outdir, monkeypatch):
    from portal.reports import exports

    def broken(*_a, **_k):
        yield b"\xef\xbb\xbfheader\r\n"
        raise RuntimeError("database went away")

    monkeypatch.setattr(exports, "stream_district_csv", broken)
    out = outdir / "d.csv"
    r = runner.invoke(args=["credits", "export-district", "--year", YEAR, "--format", "csv", "--output", str(out)])
    assert r.exit_code != 0
    assert list(outdir.iterdir()) == []


def test_a_school_year_outside_the_activities_years_is_not_submitted(runner, staff):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import YearSubmission as Submission

    before = db.session.scalar(select(func.count(Submission.id)))
    r = runner.invoke(args=["district", "submit", "S1", "--year", "1990-1991", "--as", staff["admin"].username])
    assert r.exit_code != 0 and "1999-2000 to 2099-2100" in r.output, r.output
    assert db.session.scalar(select(func.count(Submission.id))) == before


def test_a_semester_that_is_none_is_refused_as_such(runner, staff):
    """S1's district collects whole years: --semester 3 is no semester at all, and saying the
    district collects semesters sent the operator on to --semester 1, refused in turn."""
    r = runner.invoke(args=["district", "submit", "S1", "--year", YEAR, "--semester", "3", "--as", staff["admin"].username])
    assert r.exit_code != 0
    assert "collects semesters" not in r.output and "not a semester" in r.output, r.output


@pytest.mark.parametrize("command", [["export", "--school", "S1"], ["export-district"]])
def test_an_existing_output_file_is_refused_and_kept(runner, outdir, command):
    """An export never writes over a file: ``--output instance/yanxiu.db`` (a slip of the hand)
    replaced the live database with a spreadsheet, and an earlier export was lost unsaid."""
    out = outdir / "kept.db"
    out.write_bytes(b"SQLite format 3\x00 the database")
    r = runner.invoke(args=["credits", *command, "--year", YEAR, "--format", "csv", "--output", str(out)])
    assert r.exit_code == 1 and "already exists" in r.output, r.output
    assert "Traceback" not in r.output
    assert out.read_bytes() == b"SQLite format 3\x00 the database"
    assert [p.name for p in outdir.iterdir()] == ["kept.db"]  # no temporary file left either


def test_an_output_taken_while_the_export_runs_is_kept(runner, outdir, monkeypatch):
    """The name checked free at the start and taken by someone else before the end: the other
    file stays, the export is refused, nothing of it is left."""
    from portal.reports import exports

    out = outdir / "d.csv"

    def racing(*_a, **_k):
        out.write_text("someone else's")
        yield b"\xef\xbb\xbfheader\r\n"

    monkeypatch.setattr(exports, "stream_district_csv", racing)
    r = runner.invoke(args=["credits", "export-district", "--year", YEAR, "--format", "csv", "--output", str(out)])
    assert r.exit_code == 1 and "already exists" in r.output, r.output
    assert out.read_text() == "someone else's"
    assert [p.name for p in outdir.iterdir()] == ["d.csv"]


@pytest.mark.parametrize(
    "command",
    [
        ["credits", "export", "--school", "S1", "--format", "csv"],
        ["credits", "export-district", "--format", "csv"],
        ["credits", "rebuild-year-rows"],
    ],
)
def test_an_empty_year_is_refused_not_read_as_the_current_one(runner, outdir, command):
    """``--year "$YEAR"`` with YEAR unset: a page's empty year field means the current year, a
    required option left empty is a mistake (it exported, rebuilt or submitted the current year)."""
    extra = [] if command[1] == "rebuild-year-rows" else ["--output", str(outdir / "out.csv")]
    r = runner.invoke(args=[*command, "--year", "", *extra])
    assert r.exit_code == 1 and "not a school year: ''" in r.output, r.output
    assert list(outdir.iterdir()) == []


def test_an_empty_year_submits_nothing(runner, staff):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import YearSubmission as Submission

    before = db.session.scalar(select(func.count(Submission.id)))
    r = runner.invoke(args=["district", "submit", "S1", "--year", "", "--as", staff["admin"].username])
    assert r.exit_code == 1 and "not a school year: ''" in r.output, r.output
    assert db.session.scalar(select(func.count(Submission.id))) == before
