"""Every export the portal makes, built from the demo in Chinese (the default), says in words
what its page says in words: no state, action, type, role, entry or change code, no English
word, no ``None``/``True``/``False`` in a cell meant to be read. Columns a script reads by
design (a login, a school code, an id, an ISO time or date, a school year) are left out by
their heading."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.messages import KINDS, SUBMISSION_EVENTS, SUBMISSION_STATUSES
from portal.models import Activity, User, YearSubmission
from portal.registry import registry
from workflows.definition import Phase

#: Headings of the columns that are machine values on purpose (zh).
MACHINE = {"时间", "日期", "账号", "登录名", "学校代码", "活动编号", "学年", "记录人", "操作人"}
ENGLISH = re.compile(r"[A-Za-z][A-Za-z0-9_.]{2,}")

EXPORTS = {
    "audit_transitions": ("admin", "/admin/audit.csv"),
    "audit_ledger": ("admin", "/admin/audit.csv?view=ledger"),
    "audit_staff": ("admin", "/admin/audit.csv?view=staff"),
    "summary_csv": ("admin", "/reports/summary.csv"),
    "summary_xlsx": ("admin", "/reports/summary.xlsx"),
    "summary_pdf": ("admin", "/reports/summary.pdf"),
    "certificates_zip": ("admin", "/reports/certificates.zip"),
    "certificate_pdf": ("admin", "/activities/{credited}/certificate.pdf"),
    "certificate_xlsx": ("admin", "/activities/{credited}/certificate.xlsx"),
    "record_pdf": ("teacher1", "/teachers/{me}/record.pdf"),
    "district_csv": ("district", "/district/export.csv"),
    "district_ledger_csv": ("district", "/district/export.csv?ledger=1"),
    "district_xlsx": ("district", "/district/export.xlsx"),
    "district_ledger_xlsx": ("district", "/district/export.xlsx?ledger=1"),
    "submitted_csv": ("district", "/district/submitted.csv"),
    "submitted_xlsx": ("district", "/district/submitted.xlsx"),
    "submission_xlsx": ("district", "/district/submissions/{submission}/summary.xlsx"),
    "calendar_ics": ("admin", "/calendar"),
}


def _codes() -> set[str]:
    """Every code a cell could leak: states, triggers, types, roles, ledger and submission keys."""
    codes = {"None", "True", "False", "roles", "groups", "password"} | set(KINDS) | set(SUBMISSION_STATUSES)
    codes |= set(SUBMISSION_EVENTS) | {f"submission.{step}" for step in SUBMISSION_EVENTS}
    for key in registry().keys():
        definition, reg = registry().definition(key), registry().get(key)
        codes |= {key} | {s.name for s in definition.states} | {t.trigger for t in definition.transitions}
        codes |= set(reg.type.roles) if reg else set()
    return codes


def _table_cells(rows: list[list[object]]) -> list[str]:
    """The cells meant to be words: every row under the heading row, less the machine columns."""
    heading = [str(h or "") for h in rows[0]]
    keep = [i for i, h in enumerate(heading) if h not in MACHINE]
    return [str(row[i]) for row in rows[1:] for i in keep if i < len(row) and row[i] not in (None, "")]


def _pdf_words(data: bytes) -> list[str]:
    """A PDF's text, less its verification lines (a code and an address, on purpose)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return [line for line in text.splitlines() if "验证码" not in line and "http" not in line]


def _cells(response) -> list[str]:
    data, kind = response.get_data(), response.headers["Content-Type"]
    if "text/csv" in kind:
        return _table_cells(list(csv.reader(io.StringIO(data.decode("utf-8-sig")))))
    if "spreadsheet" in kind:
        cells: list[str] = []
        for sheet in load_workbook(io.BytesIO(data)).worksheets:
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            if sheet.title == "学分认定表":  # a form, not a table: its texts, less the machine ones
                cells += [str(v) for r in rows for v in r if isinstance(v, str)]
            else:
                cells += _table_cells(rows)
        return cells
    if "zip" in kind:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [w for name in archive.namelist() for w in _pdf_words(archive.read(name))]
    if "pdf" in kind:
        return _pdf_words(data)
    assert "text/calendar" in kind, kind
    events = Calendar.from_ical(data).walk()
    return [str(e.get(field)) for e in events for field in ("summary", "description", "location", "x-wr-calname")
            if e.get(field) is not None and "http" not in str(e.get(field))]


def _demo(site, username: str) -> tuple[dict[str, int], set[str], set[str]]:
    """The ids an export's address needs, the demo's usernames and every code."""
    with site.app_context():
        me = db.session.execute(select(User).where(User.username == username)).scalar_one()
        credited = db.session.execute(select(func.min(Activity.id)).where(
            Activity.state.in_(registry().states_in(Phase.CREDITED)))).scalar_one()
        usernames = set(db.session.execute(select(User.username)).scalars())
        credited_school = db.session.get_one(Activity, credited).school_id
        submission = db.session.execute(select(func.min(YearSubmission.id))).scalar_one()
        return {"me": me.id, "credited": credited, "school": credited_school,
                "submission": submission}, usernames, _codes()


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_a_chinese_export_has_no_codes_or_english(site, as_user, name):
    username, url = EXPORTS[name]
    ids, usernames, codes = _demo(site, username)
    client = as_user(username)
    if url == "/calendar":
        page = client.post(url, data={"scope": f"school:{ids['school']}"}).get_data(as_text=True)
        url = urlsplit(re.search(r'value="([^"]+)" data-testid="feed-url"', page).group(1)).path
        client = site.test_client()  # a calendar app has no session
    response = client.get(url.format(**ids))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    cells = _cells(response)
    assert cells, "the export is empty: nothing was checked"
    leaks = {c for c in cells if c in codes} | {w for c in cells for w in ENGLISH.findall(c) if w not in usernames}
    assert not leaks, f"{name}: {sorted(leaks)}"
