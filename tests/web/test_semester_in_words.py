"""Every export, in both languages, writes a semester the one way the pages write it
(``messages.semester_text``): 第一学期 / "first semester", never "Semester 1" or a bare 1 in
a semester column (the district's and the school's CSV, XLSX and PDF, and the audit CSV)."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.web.test_exports_in_words import EXPORTS, _demo

#: "Semester 1", "semester 2", "semester 1 / 2": the old way, a number after the word (not a
#: count after a semester in words: "Teaching reflections, first semester 2 of 5")
NUMBERED = re.compile(r"(?<!first )(?<!second )semester\s*[12]\b(?!\s+of\b)|semester\s*1\s*/\s*2", re.IGNORECASE)
IN_WORDS = {"en": {"First semester", "Second semester"}, "zh": {"第一学期", "第二学期"}}
HEADING = {"en": "Semester", "zh": "学期"}


def _tables_and_text(response) -> tuple[list[list[list[str]]], str]:
    """An export's tables (rows of cells, the heading row first) and all its text."""
    data, kind = response.get_data(), response.headers["Content-Type"]
    if "text/csv" in kind:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        return [rows], "\n".join(" | ".join(r) for r in rows)
    if "spreadsheet" in kind:
        tables = [[["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
                  for sheet in load_workbook(io.BytesIO(data)).worksheets]
        return tables, "\n".join(" | ".join(r) for t in tables for r in t)
    pdfs = [data]
    if "zip" in kind:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            pdfs = [archive.read(name) for name in archive.namelist()]
    assert all(pdf.startswith(b"%PDF") for pdf in pdfs), kind
    return [], "\n".join(page.extract_text() for pdf in pdfs for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(n for n in EXPORTS if n != "calendar_ics"))
def test_an_export_writes_a_semester_in_words(site, as_user, name, lang):
    username, url = EXPORTS[name]
    ids, _usernames, _codes = _demo(site, username)
    url = url.format(**ids)
    response = as_user(username).get(f"{url}{'&' if '?' in url else '?'}headings={lang}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    tables, text = _tables_and_text(response)
    assert text.strip(), "the export is empty: nothing was checked"
    assert not NUMBERED.findall(text), f"{name}: {sorted(set(NUMBERED.findall(text)))}"
    for rows in tables:
        if rows and HEADING[lang] in rows[0]:
            at = rows[0].index(HEADING[lang])
            cells = {r[at] for r in rows[1:] if len(r) > at and r[at]}
            assert cells and cells <= IN_WORDS[lang], (name, cells)
