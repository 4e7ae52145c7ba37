"""Whole rows of plain cells written as XML straight into an XlsxWriter constant-memory sheet.

XlsxWriter spends most of a million-row export on its per-cell path (a cell tuple per value,
dimension checks, attribute lists, three regular expressions per string). A ledger line is
14 plain cells whose strings repeat (school, teacher, activity, labels, day), so this writer
escapes each distinct string once, with XlsxWriter's own escaping functions, and appends one
string per row to the sheet's row file: the same XML XlsxWriter would write
(``tests/credits/test_xlsx_rows.py`` compares the two byte for byte).

It relies on the constant-memory worksheet's row file (``fh``), ``previous_row``, the
``dim_*`` bounds and ``_write_single_row``: kept in one place, tested against the installed
XlsxWriter. A row holding anything else than text, numbers or blanks (``None``) goes through
XlsxWriter's own path. A date (not a datetime) is written as XlsxWriter writes it with the
worksheet's default date format.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from math import isfinite
from typing import Any

from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

MEMO_LIMIT = 200_000  # distinct strings kept escaped; the memo starts again past this
WRITE_ROWS = 500  # rows joined into one write to the row file
XLSX_COLS = 16_384


class SheetRows:
    """Data rows of one constant-memory worksheet whose header row is already written."""

    def __init__(
        self, ws: Worksheet, slow_put: Callable[[Worksheet, int, list[Any]], None], clean: Callable[[str], str]
    ) -> None:
        """``slow_put`` writes a row cell by cell through XlsxWriter; ``clean`` is what it does
        to a text before writing it (both paths must write the same cells)."""
        ws._write_single_row(ws.previous_row + 1)  # the header goes out; the row file is ours
        self.ws, self.slow_put, self.clean = ws, slow_put, clean
        self.cols: list[str] = []
        self.memo: dict[str, str] = {}
        self.buf: list[str] = []  # rows not yet in the row file
        self.next_row = ws.previous_row
        self.first_cells = self.last_cells = -1  # rows with cells
        day = ws.default_date_format
        self.day_style = None if day is None else f'" s="{day._get_xf_index()}"><v>'
        self.min_col, self.max_col = XLSX_COLS, -1

    def put(self, r: int, row: list[Any]) -> None:
        """Row ``r`` (0-based, after the rows already put)."""
        n = str(r + 1)
        cols, memo, ws_date = self.cols, self.memo, self.ws._convert_date_time
        if len(cols) < len(row):
            cols += ['<c r="' + xl_col_to_name(c) for c in range(len(cols), len(row))]
        parts = ['<row r="', n, '">']
        first = last = -1
        for c, v in enumerate(row):
            kind = type(v)
            if kind is str:
                tail = memo.get(v) or self._string_tail(v)
            elif kind is int:
                tail = f'"><v>{v:.16G}</v></c>'
            elif kind is float or kind is Decimal:
                if not isfinite(v):  # NaN, ±inf: XlsxWriter's own rules (an error or #NUM!)
                    return self._slow(r, row)
                tail = f'"><v>{v:.16G}</v></c>'
            elif kind is date and self.day_style is not None:
                tail = f"{self.day_style}{ws_date(v):.16G}</v></c>"
            elif v is None:
                continue
            else:
                return self._slow(r, row)
            parts += (cols[c], n, tail)
            if first < 0:
                first = c
            last = c
        self.next_row = r + 1
        if first < 0:
            return  # XlsxWriter writes no row element for a row without cells
        parts.append("</row>")
        buf = self.buf
        buf.append("".join(parts))
        if len(buf) >= WRITE_ROWS:
            self._flush()
        if self.first_cells < 0:
            self.first_cells = r
        self.last_cells = r
        if first < self.min_col:
            self.min_col = first
        if last > self.max_col:
            self.max_col = last

    def _flush(self) -> None:
        self.ws.fh.write("".join(self.buf))
        self.buf.clear()

    def _string_tail(self, v: str) -> str:
        ws = self.ws
        s = self.clean(v)
        if len(s) > ws.xls_strmax // 2 and _utf16_len(s) > ws.xls_strmax:
            s = _utf16_truncate(s, ws.xls_strmax)
        s = ws._escape_control_characters(s)
        if s.startswith("<r>") and s.endswith("</r>"):
            tail = f'" t="inlineStr"><is>{s}</is></c>'  # what XlsxWriter does with such a text
        else:
            space = ' xml:space="preserve"' if _preserve_whitespace(s) else ""
            tail = f'" t="inlineStr"><is><t{space}>{ws._escape_data(s)}</t></is></c>'
        if len(self.memo) >= MEMO_LIMIT:
            self.memo.clear()
        self.memo[v] = tail
        return tail

    def _slow(self, r: int, row: list[Any]) -> None:
        """Row ``r`` cell by cell through XlsxWriter, written out at once."""
        self._flush()
        ws = self.ws
        ws.previous_row = r
        self.slow_put(ws, r, row)
        ws._write_single_row(r + 1)
        self.next_row = r + 1

    def finish(self) -> None:
        """Write what is left and tell the worksheet what was written (its dimension, the next row)."""
        self._flush()
        ws = self.ws
        ws.previous_row = max(ws.previous_row, self.next_row)
        if self.last_cells < 0:
            return
        ws.dim_rowmin = self.first_cells if ws.dim_rowmin is None else min(ws.dim_rowmin, self.first_cells)
        ws.dim_rowmax = self.last_cells if ws.dim_rowmax is None else max(ws.dim_rowmax, self.last_cells)
        ws.dim_colmin = self.min_col if ws.dim_colmin is None else min(ws.dim_colmin, self.min_col)
        ws.dim_colmax = self.max_col if ws.dim_colmax is None else max(ws.dim_colmax, self.max_col)
