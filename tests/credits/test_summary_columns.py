"""The 学时汇总表 exports carry the summary page's writing-quota and warning columns: the page,
the CSV, the XLSX and the API say the same for a teacher with partial quotas and a warning."""

from __future__ import annotations

import csv
import html
import io
import re

from openpyxl import load_workbook

from portal.reports import exports
from portal.services import credits, forecast, writing
from portal.timeutil import to_local, utcnow
from portal.year_texts import quota_amount, quota_label, warning_text
from tests.credits.helpers import credited
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.support.texts import prose

YEAR = "2026-2027"
QUOTA_HEADS_ZH = ["读书笔记", "论文或教学心得", "第一学期教学反思", "第一学期读书", "第二学期教学反思", "第二学期读书"]


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _row(rows: list[list], username: str) -> dict[str, object]:
    return next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == username)


def _setup(s1, staff):
    """t1: 6,200 characters of reading notes (of 10,000), 3 unexcused hours in semester 1 (the
    warning threshold); t2: nothing written, no absence."""
    t1, t2 = staff["t1"], staff["t2"]
    credited(s1, staff, "lecture", [(t1, "attendee"), (t2, "attendee")], hours="4",
             attended={t1.id: "1", t2.id: "4"}, absent={t1.id: "3"})
    writing.add_writing(s1, t1, "reading_notes", "《给教师的建议》", prose(6200, "读"))
    return t1


def test_page_csv_xlsx_and_api_agree(app, client, s1, staff):
    t1 = _setup(s1, staff)
    ty = next(t for t in credits.school_summary(s1, YEAR) if t.user.id == t1.id)
    today = to_local(utcnow(), s1.timezone).date()
    ws = forecast.warnings(ty.facts, today, status=ty.assessment.status, accepted=())  # none accepted
    assert [w.kind for w in ws][:1] == ["absence"]  # the threshold (3 of 5 hours) is reached

    rows = _csv(b"".join(exports.stream_summary_csv(s1, YEAR)))
    assert rows[0][-7:] == [*QUOTA_HEADS_ZH, "提醒"]
    line = _row(rows, "t1")
    assert line["读书笔记"] == "6,200 / 10,000 字" and line["论文或教学心得"] == "0 / 1 篇"
    assert line["提醒"].split("\n")[0] == "第一学期：未请假缺席已达 3 学时；累计达到 5 学时，本学年学时将全部不予认定。"
    assert line["提醒"] == "\n".join(warning_text(w, "zh") for w in ws)
    assert _row(rows, "t2")["读书笔记"] == "0 / 10,000 字"

    sheet = load_workbook(io.BytesIO(exports.summary_xlsx(s1, YEAR))).worksheets[0]
    values = [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]
    assert values[0] == rows[0]
    xlsx_line = _row(values, "t1")
    assert all(xlsx_line[h] == line[h] for h in [*QUOTA_HEADS_ZH, "提醒"])

    en = _csv(b"".join(exports.stream_summary_csv(s1, YEAR, lang="en")))
    assert en[0][-7:-5] == ["Reading notes", "Paper or teaching essay"] and en[0][-1] == "Warnings"
    en_line = _row(en, "t1")
    assert en_line["Reading notes"] == "6,200 of 10,000 characters"
    assert en_line["Warnings"].startswith("First semester: 3 hours of unexcused absence; at 5 hours")

    log_in(client, staff["admin"], s1.id)
    page = client.get(f"/reports/summary?year={YEAR}").text
    t1_row = page.split('data-user="t1"')[1].split("</tr>")[0]
    cells = dict(re.findall(r'data-quota="([a-z_]+-\d)">([^<]*)</td>', t1_row))
    assert html.unescape(cells["reading_notes-0"]) == line["读书笔记"]
    assert [html.unescape(cells[f"{q.key}-{q.semester}"]) for q in ty.facts.quotas] == [
        line[quota_label(q, "zh")] for q in ty.facts.quotas]
    badges = re.findall(r'data-warning="[a-z]+">([^<]*)</span>', t1_row)
    assert "\n".join(html.unescape(b) for b in badges) == line["提醒"]

    token = client.post("/api/v1/auth/token", json={"username": "adm", "password": f.PASSWORD}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}", "X-School": s1.code}
    body = client.get(f"/api/v1/reports/credits?year={YEAR}", headers=auth).get_json()
    api_t1 = next(t for t in body["teachers"] if t["username"] == "t1")
    assert [(q["key"], q["semester"], q["done"], q["target"]) for q in api_t1["quotas"]] == [
        (q.key, q.semester, q.done, q.target) for q in ty.facts.quotas]
    assert next(q for q in api_t1["quotas"] if q["key"] == "reading_notes")["done"] == 6200
    assert [(w["kind"], w["semester"]) for w in api_t1["warnings"]] == [(w.kind, w.semester) for w in ws]
    assert api_t1["warnings"][0] == {"kind": "absence", "semester": 1, "hours": 3.0, "limit": 5.0, "severe": False}
    api_csv = client.get(f"/api/v1/reports/credits?year={YEAR}&format=csv",
                         headers={**auth, "Accept-Language": "zh"})
    assert _row(_csv(api_csv.data), "t1") == line
    assert quota_amount(ty.facts.quotas[0], "en") == "6,200 of 10,000 characters"
