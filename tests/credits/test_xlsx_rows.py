"""The whole-row XLSX path writes exactly the XML of XlsxWriter's own cell-by-cell path."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
import xlsxwriter
from openpyxl import load_workbook

from portal.reports import exports
from portal.reports.xlsx_rows import SheetRows
from tests.support.spies import calls_of

TRICKY = [
    ["学校", "=SUM(A1:A2)", "+86 138", "-3", "@x", "a & b <c> \"d\"", " lead", "trail ", "", None, 2, 2.5,
     Decimal("1.5"), Decimal("2.0")],
    ["_x0041_ stays", "bell\x07gone", "tab\there", "line\nbreak", "<r>rich?</r>", "x" * 40_000, 0, -1.25, 10**6,
     None, "", "末", "😀" * 20_000, 3],
    [None, None, None],
    ["only first"],
    ["short", "row", 1],
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28],
    ["a bool", True, False],
    ["a date", date(2026, 12, 1), float("nan"), float("inf")],
    ["after the odd rows", "again", 1],
]


def _sheets(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")}


def _cell_by_cell(rows: list[list], max_rows: int) -> bytes:
    """The same export with every data row through XlsxWriter's own path."""
    out = io.BytesIO()
    orig = SheetRows.put

    def slow(self: SheetRows, r: int, row: list) -> None:
        self._slow(r, row)

    SheetRows.put = slow  # type: ignore[method-assign]
    try:
        exports.write_xlsx(rows, out, "表", max_rows=max_rows, widths={"B": 20})
    finally:
        SheetRows.put = orig  # type: ignore[method-assign]
    return out.getvalue()


def _whole_rows(rows: list[list], max_rows: int) -> bytes:
    out = io.BytesIO()
    exports.write_xlsx(rows, out, "表", max_rows=max_rows, widths={"B": 20})
    return out.getvalue()


@pytest.fixture
def nan_ok(monkeypatch):
    # XlsxWriter refuses NaN without this option; both paths must then agree on the refusal or the #NUM!
    real = xlsxwriter.Workbook.__init__

    def init(self, filename=None, options=None):
        real(self, filename, {**(options or {}), "nan_inf_to_errors": True})

    monkeypatch.setattr(xlsxwriter.Workbook, "__init__", init)


@pytest.mark.parametrize("max_rows", [1_048_576, 4])
def test_whole_rows_write_the_same_sheet_xml(max_rows, nan_ok):
    rows = [["h1", "h2", "h3"], *TRICKY]
    fast, slow = _sheets(_whole_rows(rows, max_rows)), _sheets(_cell_by_cell(rows, max_rows))
    assert fast.keys() == slow.keys()
    assert len(fast) == (1 if max_rows > 100 else 3)  # 9 data rows, 3 a sheet
    for name in fast:
        assert fast[name] == slow[name], name


def test_whole_rows_read_back():
    rows = [["h1", "h2", "h3", "h4"], ["=1+1", "a & b", 2.5, ""], ["x\x01y", None, Decimal("3.0"), 7]]
    wb = load_workbook(io.BytesIO(_whole_rows(rows, 1_048_576)))
    ws = wb.active
    got = [[c.value for c in r] for r in ws.iter_rows()]
    assert got == [["h1", "h2", "h3", "h4"], ["=1+1", "a & b", 2.5, ""], ["xy", None, 3, 7]]
    assert ws["A2"].data_type == "s"  # text, not a formula
    assert ws.freeze_panes == "A2"


def test_repeated_strings_are_escaped_once(monkeypatch):
    calls = calls_of(monkeypatch, SheetRows, "_string_tail")
    rows = [["school", "teacher"], *(["一中", f"t{i % 3}"] for i in range(300))]
    _whole_rows(rows, 1_048_576)
    assert sorted(v for _self, v in calls) == ["t0", "t1", "t2", "一中"]
