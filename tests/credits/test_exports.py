"""Exports read back with csv and openpyxl and compared with the ledger."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import School
from portal.reports import exports
from portal.services import credits
from tests.credits.conftest import BUILTIN, build_school_and_staff
from tests.credits.helpers import D, credited, ledger_total
from tests.support import factories as f
from tests.support.prepared import prepared_for

YEAR = "2026-2027"
EVIL = "=cmd|' /C calc'!A0"


def _csv(chunks) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _build_ledger() -> dict[str, Any]:
    """S1, its staff and the ledger: t1: lecture speaker 6 + research leader 4.5 = 10.5; t2:
    attendee 3 + member 3 = 6; t3: attendee 3, then revoked (0) with 5 unexcused hours; t4 nothing."""
    facts = build_school_and_staff()
    s1, staff = db.session.get(School, facts["s1"]), f.people_of(facts["staff"])
    t1, t2, t3 = staff["t1"], staff["t2"], staff["t3"]
    credited(s1, staff, "lecture", [(t1, "speaker"), (t2, "attendee")], hours="3")
    credited(s1, staff, "research", [(t1, "leader"), (t2, "member")], hours="3")
    act = credited(s1, staff, "lecture", [(t3, "attendee"), (t2, "attendee")], hours="8",
                   attended={t3.id: "3", t2.id: "0"}, absent={t3.id: "5"}, excused={t2.id: "8"})
    f.fire(act, staff["reviewer"], "revoke", "出勤有误")
    return facts


prepared = prepared_for("ledger", _build_ledger)


@pytest.fixture
def ledger(s1, staff):
    """S1 with the ledger of :func:`_build_ledger` (prepared data: built once per test process)."""
    return s1


def _by_user(rows: list[list], key: int = 0) -> dict[str, dict[str, object]]:
    header = rows[0]
    return {r[key]: dict(zip(header, r, strict=True)) for r in rows[1:]}


def _type_headings() -> list[str]:
    from portal.registry import registry

    return [registry().get(k).type.name_zh for k in registry().keys() if k in BUILTIN]


def test_summary_csv_matches_the_ledger(ledger, staff):
    rows = _csv(exports.stream_summary_csv(ledger, YEAR))
    assert rows[0] == ["账号", "姓名", *_type_headings(), "合计学时", "应修学时",
                       "第一学期未请假缺席学时", "第二学期未请假缺席学时", "考核结果", "说明",
                       "读书笔记", "论文或教学心得", "第一学期教学反思", "第一学期读书", "第二学期教学反思", "第二学期读书",
                       "提醒"]
    assert sorted(_type_headings()) == sorted(["专题讲座", "教学观摩", "师徒结对", "课题研究", "参观考察"])
    by_user = _by_user(rows)
    t1 = by_user["t1"]
    assert (t1["专题讲座"], t1["课题研究"], t1["教学观摩"], t1["合计学时"], t1["应修学时"]) == ("6", "4.5", "0", "10.5", "50")
    assert (t1["考核结果"], t1["说明"]) == ("进行中（学年结束时评定）", "")  # short so far: the year is under way
    t2 = by_user["t2"]
    assert (t2["专题讲座"], t2["课题研究"], t2["合计学时"], t2["第一学期未请假缺席学时"]) == ("3", "3", "6", "0")
    t3 = by_user["t3"]
    assert (t3["专题讲座"], t3["合计学时"], t3["第一学期未请假缺席学时"], t3["第二学期未请假缺席学时"]) == ("0", "0", "5", "0")
    assert (t3["考核结果"], t3["说明"]) == ("不予认定", "第一学期未请假缺席累计达到不予认定标准")
    assert sorted(by_user) == ["org", "rev", "t1", "t2", "t3", "t4"]
    for username, user in (("t1", staff["t1"]), ("t2", staff["t2"]), ("t3", staff["t3"]), ("t4", staff["t4"])):
        assert Decimal(by_user[username]["合计学时"]) == ledger_total(user.id, ledger.id, YEAR)


def test_summary_csv_in_english(ledger):
    rows = _csv(exports.stream_summary_csv(ledger, YEAR, lang="en"))
    assert rows[0][:2] == ["Username", "Name"] and "Lecture" in rows[0] and "Research project" in rows[0]
    assert rows[0][-9:-7] == ["Status", "Note"] and rows[0][-1] == "Warnings"
    assert _by_user(rows)["t1"]["Status"] == "In progress (not judged before the year ends)"  # under way
    assert _by_user(rows)["t3"]["Note"] == "Unexcused absence limit reached in the first semester"


def test_summary_xlsx_matches_the_csv(ledger):
    wb = load_workbook(io.BytesIO(exports.summary_xlsx(ledger, YEAR)))
    ws = wb.worksheets[0]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    csv_rows = _csv(exports.stream_summary_csv(ledger, YEAR))
    assert values[0] == csv_rows[0]
    t1 = _by_user(values)["t1"]
    assert (t1["专题讲座"], t1["课题研究"], t1["教学观摩"], t1["合计学时"]) == (6, 4.5, 0, 10.5)
    assert len(values) == len(csv_rows)


def test_formula_like_names_stay_text(s1, staff):
    evil = f.person(s1, "evil", "teacher", name=EVIL)
    plus = f.person(s1, "plus", "teacher", name="+1 800 555")
    at = f.person(s1, "at", "teacher", name="@SUM(A1)")
    minus = f.person(s1, "minus", "teacher", name="-2+3")
    credited(s1, staff, "lecture", [(evil, "attendee"), (plus, "attendee"), (at, "attendee"), (minus, "attendee")],
             hours="2", title="=HYPERLINK(\"http://x\")")
    rows = _csv(exports.stream_summary_csv(s1, YEAR))
    names = {r[0]: r[1] for r in rows[1:]}
    assert names["evil"] == "'" + EVIL
    assert (names["plus"], names["at"], names["minus"]) == ("'+1 800 555", "'@SUM(A1)", "'-2+3")

    ws = load_workbook(io.BytesIO(exports.summary_xlsx(s1, YEAR))).worksheets[0]
    cells = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}
    assert cells["evil"].value == EVIL and cells["evil"].data_type == "s"
    assert cells["plus"].value == "+1 800 555" and cells["plus"].data_type == "s"
    assert cells["at"].value == "@SUM(A1)"
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)

    path = io.BytesIO()
    exports.district_xlsx(YEAR, path, ledger=True)
    ws = load_workbook(io.BytesIO(path.getvalue())).worksheets[0]
    titles = {c.value for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    assert "=HYPERLINK(\"http://x\")" in titles
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


#: a formula behind leading whitespace, which spreadsheets trim on import (OWASP, CSV injection)
SPACED = {"sp": ' =HYPERLINK("http://evil.example","点我")', "nl": "\n=1+1", "crlf": "\r\n@SUM(A1)",
          "ideo": "\u3000+1 800 555", "tabsp": "\t -2+3"}


@pytest.mark.parametrize(("value", "formula_like"), [
    *((v, True) for v in SPACED.values()), ("=1+1", True), ("\t", True), (" 张三", False), ("  ", False),
    ("", False), ("a =1+1", False),
])
def test_is_formula_like_looks_past_leading_whitespace(value, formula_like):
    assert exports.is_formula_like(value) is formula_like
    assert exports.csv_cell(value) == ("'" + value if formula_like else value)


def test_a_formula_behind_leading_whitespace_stays_text():
    rows = [["账号", "姓名"], *([k, v] for k, v in SPACED.items()), ["plain", " 张三"]]
    cells = {r[0]: r[1] for r in _csv(exports.stream_csv(rows))[1:]}
    assert cells == {**{k: "'" + v for k, v in SPACED.items()}, "plain": " 张三"}
    for engine in ("xlsxwriter", "xlsxwriter-cells", "openpyxl"):
        out = io.BytesIO()
        exports.write_xlsx(rows, out, "t", engine=engine)
        ws = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
        read = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}
        for key, text in SPACED.items():  # the text itself, in a string cell (XlsxWriter writes
            # a carriage return as Excel's escape _x000D_, which openpyxl reads back as it is)
            assert (read[key].value.replace("_x000D_", "\r"), read[key].data_type) == (text, "s"), (engine, key)
        assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row), engine


def test_a_spaced_formula_in_a_title_stays_text_in_the_district_ledger(s1, staff):
    act = credited(s1, staff, "lecture", [(staff["t1"], "attendee")], hours="2", title="讲座")
    act.title = SPACED["sp"]  # as a title may come from elsewhere (an import, a plugin): not trimmed
    db.session.commit()
    titles = {c for r in _csv(exports.stream_district_csv(YEAR, ledger=True))[1:] for c in r}
    assert "'" + SPACED["sp"] in titles and SPACED["sp"] not in titles
    out = io.BytesIO()
    exports.district_xlsx(YEAR, out, ledger=True)
    ws = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if c.value == SPACED["sp"]]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_district_export_every_school(ledger, staff):
    s2 = f.school("S2", types=("lecture",))  # its summary has a lecture column only
    staff2 = f.staff(s2, prefix="b")
    credited(s2, staff2, "lecture", [(staff2["t1"], "speaker")], hours="4")
    rows = _csv(exports.stream_district_csv(YEAR))
    assert rows[0][:4] == ["学校代码", "学校", "账号", "姓名"]
    header = rows[0]
    by_key = {(r[0], r[2]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert len(rows) - 1 == 12  # six teachers in each school
    assert by_key[("S1", "t1")]["合计学时"] == "10.5"
    assert by_key[("S2", "bt1")]["专题讲座"] == "8" and by_key[("S2", "bt1")]["合计学时"] == "8"
    assert by_key[("S2", "bt1")]["学校"] == "测试学校S2"
    assert [r[0] for r in rows[1:]] == ["S1"] * 6 + ["S2"] * 6

    out = io.BytesIO()
    assert exports.district_xlsx(YEAR, out) == 12
    values = [list(v) for v in load_workbook(io.BytesIO(out.getvalue())).worksheets[0].iter_rows(values_only=True)]
    assert values[0] == header
    cells = {(r[0], r[2]): dict(zip(header, r, strict=True)) for r in values[1:]}
    assert cells[("S1", "t1")]["合计学时"] == 10.5 and cells[("S2", "bt1")]["专题讲座"] == 8


def test_district_ledger_lines_match_the_ledger(ledger, staff):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import CreditEntry

    rows = _csv(exports.stream_district_csv(YEAR, ledger=True))
    assert rows[0] == ["学校代码", "学校", "学年", "学期", "账号", "姓名", "活动编号", "活动名称", "活动类型", "角色",
                       "学时", "类别", "备注", "日期", "活动时间"]
    assert len(rows) - 1 == db.session.scalar(select(func.count(CreditEntry.id))) == 6
    total = sum((Decimal(r[10]) for r in rows[1:]), Decimal(0))
    assert total == D("16.5")
    reversal = [r for r in rows[1:] if r[11] == "撤销"]
    assert [(r[4], r[10], r[12], r[9]) for r in reversal] == [("t3", "-3", "出勤有误", "听讲教师")]


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(ledger):
    out = io.BytesIO()
    written = exports.district_xlsx(YEAR, out, ledger=True, max_rows=4)  # header + 3 rows a sheet
    assert written == 6
    wb = load_workbook(io.BytesIO(out.getvalue()))
    assert wb.sheetnames == ["学时明细 2026—2027学年", "学时明细 2026—2027学年 (2)"]
    sheets = [list(ws.iter_rows(values_only=True)) for ws in wb.worksheets]
    assert [len(s) for s in sheets] == [4, 4]
    assert sheets[0][0] == sheets[1][0]
    assert exports.XLSX_MAX_ROWS == 1_048_576


@pytest.mark.parametrize("engine", ["xlsxwriter", "openpyxl"])
def test_a_workbooks_sheets_name_the_year_in_words(ledger, app, engine):
    """Audit (hDW): each sheet was named by the year's code (学时汇总 2026-2027) where every page,
    printed form and heading says the year in words. In English the name and its sheet number
    keep to the 31 characters Excel allows a sheet's name (a longer one is refused)."""
    wb = load_workbook(io.BytesIO(exports.summary_xlsx(ledger, YEAR)))
    assert wb.sheetnames == ["学时汇总 2026—2027学年"]
    out = io.BytesIO()
    exports.district_xlsx(YEAR, out, engine=engine)
    assert load_workbook(io.BytesIO(out.getvalue())).sheetnames == ["学时汇总 2026—2027学年"]
    with app.test_request_context("/?lang=en"):
        out = io.BytesIO()
        exports.district_xlsx(YEAR, out, "en", ledger=True, max_rows=4, engine=engine)
    names = load_workbook(io.BytesIO(out.getvalue())).sheetnames
    assert [len(n) <= 31 for n in names] == [True, True] and YEAR not in "".join(names)
    assert names == ["Ledger School year 2026–2027", "School year 2026–2027 (2)"]  # the year kept whole


def test_csv_is_streamed_in_chunks(ledger):
    chunks = list(exports.stream_district_csv(YEAR, ledger=True))
    assert chunks[0].startswith(b"\xef\xbb\xbf")
    assert chunks[0].decode("utf-8-sig").startswith("学校代码,")
    assert len(chunks) == 2  # header at once, then the rows


def test_certificate_xlsx(ledger, staff):
    from datetime import datetime

    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Activity

    act = db.session.execute(select(Activity).where(Activity.type_key == "research")).scalar_one()
    ws = load_workbook(io.BytesIO(exports.certificate_xlsx(act))).worksheets[0]
    values = [[c for c in r if c is not None] for r in ws.iter_rows(values_only=True)]
    values = [r for r in values if r]
    assert values[0] == ["测试学校S1 学分认定表"]
    assert ["序号", "姓名", "账号", "角色", "实到学时", "认定学时", "备注", "签名"] in values
    assert [1, "t1", "t1", "课题负责人", 3, 4.5] in values
    assert [2, "t2", "t2", "课题组成员", 3, 3] in values
    assert ["认定学时合计", 7.5] in values
    assert int(ws.page_setup.paperSize) == 9  # A4
    # the paper form's signers, as the PDF's: each named once, with a line to sign on and the day of
    # their step (the workbook said 审核人 and 认定人 twice each: a name row, then a signature row)
    # 签名 three times: the table's column and the two signers
    cells = [c for r in values for c in r]
    assert [cells.count(label) for label in ("审核人", "认定人", "学校盖章", "签名")] == [1, 1, 1, 3]
    reviewer = next(r for r in values if r[0] == "审核人")
    assert reviewer[:4] == ["审核人", "rev", "签名", "审核日期"] and isinstance(reviewer[4], datetime)
    assert next(r for r in values if r[0] == "认定人")[2:4] == ["签名", "认定日期"]
    assert next(r for r in values if r[0] == "学校盖章") == ["学校盖章", "日期"]
    english = [c for r in load_workbook(io.BytesIO(exports.certificate_xlsx(act, "en"))).worksheets[0].iter_rows(
        values_only=True) for c in r if c is not None]
    assert [english.count(label) for label in ("Reviewer", "Credits posted by", "School seal")] == [1, 1, 1]
    assert english.count("Signature") == 3 and english.count("Approved on") == 1


def test_certificate_of_an_uncredited_activity_is_refused(s1, staff):
    from portal.errors import Conflict

    act = credited(s1, staff, "lecture", [(staff["t1"], "attendee")], until="reviewed")
    with pytest.raises(Conflict):
        credits.certificate(act.id, s1.id)
    with pytest.raises(Conflict):
        exports.certificate_xlsx(act)


def test_another_schools_activity_is_not_found(ledger, staff):
    from portal.errors import NotFound

    s2 = f.school("S2")
    act = credited(s2, f.staff(s2, prefix="b"), "lecture", [(f.person(s2, "x1", "teacher"), "attendee")])
    with pytest.raises(NotFound):
        credits.certificate(act.id, ledger.id)


def test_surnames_with_their_own_reading_sort_where_a_chinese_reader_looks_for_them(app, s1, staff):
    """曾 (Zeng), 单 (Shan), 解 (Xie), 区 (Ou), 仇 (Qiu), 查 (Zha) are read differently as
    surnames: the 学时汇总表 (page rows, CSV, XLSX, PDF) listed 曾晓明 first under "ceng", before
    陈立, and 单丽 under "dan". Every list now files them under the surname's reading."""
    import re
    import subprocess
    import tempfile

    from portal.reports import paper
    from portal.sorting import pinyin_key
    from tests.credits.helpers import login

    names = ["曾晓明", "陈立", "单丽", "孙强", "解东", "区志强", "仇英", "查良"]
    people = [f.person(s1, f"n{i}", "teacher", name=name) for i, name in enumerate(names)]
    act = credited(s1, staff, "lecture", [(p, "attendee") for p in people], hours="0.5")
    expected = ["陈立", "区志强", "仇英", "单丽", "孙强", "解东", "曾晓明", "查良"]  # ou qiu shan … zeng zha
    assert sorted(names, key=pinyin_key) == expected
    ours = set(names)
    summary = [ty.user.display_name for ty in credits.school_summary(s1, YEAR) if ty.user.display_name in ours]
    assert summary == expected
    rows = _csv(exports.stream_summary_csv(s1, YEAR))
    assert [r[1] for r in rows[1:] if r[1] in ours] == expected
    client = app.test_client()
    login(client, staff["admin"], s1)
    page = client.get(f"/reports/summary?year={YEAR}").get_data(as_text=True)
    assert [n for n in re.findall(r">([\u4e00-\u9fff]{2,3})</a>", page) if n in ours] == expected
    with app.test_request_context():
        data = paper.summary_pdf(s1, YEAR, staff["admin"].id)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        text = subprocess.run(["pdftotext", "-layout", fh.name, "-"], capture_output=True, text=True, check=True).stdout
    assert [n for n in re.findall(r"[\u4e00-\u9fff]{2,3}", text) if n in ours] == expected
    # the activity's 签到表 (sign-in sheet) too: it filed 曾晓明 under "ceng" and 单丽 under "dan"
    login(client, staff["organizer"], s1)
    sheet = client.get(f"/activities/{act.id}/sign-in-sheet")
    assert sheet.status_code == 200
    assert [n for n in re.findall(r">([\u4e00-\u9fff]{2,3})<", sheet.get_data(as_text=True)) if n in ours] == expected


def test_dates_are_dates_in_the_workbooks(ledger):
    """A secretary sorts and filters the ledger by its 日期 column, and the 学分认定表's dates are
    dates to Excel/WPS: they were text ("2026-10-15"), which sorts as text and filters by the
    letter. Each is now a date cell shown as 2026-10-15 (every engine); the CSV keeps the text."""
    from datetime import date, datetime

    from sqlalchemy import select

    from portal.models import Activity

    lines = _csv(exports.stream_district_csv(YEAR, ledger=True))[1:]
    csv_days = {r[13] for r in lines}
    assert csv_days and all(len(d) == 10 and date.fromisoformat(d) for d in csv_days)
    # the day its activity was held, last (audit, hDW: the ledger gave only the day a line was
    # written, so no credit could be read against its activity): never after the line
    held = {(r[6], r[14]) for r in lines}
    acts = {str(a.id): a for a in db.session.execute(select(Activity)).scalars()}
    assert held == {(i, exports.local_date(acts[i].starts_at, ledger.timezone).isoformat()) for i, _d in held}
    assert all(r[14] <= r[13] for r in lines)
    for engine in ("xlsxwriter", "xlsxwriter-cells", "openpyxl"):
        out = io.BytesIO()
        exports.district_xlsx(YEAR, out, ledger=True, engine=engine)
        ws = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
        cells = [row[13] for row in ws.iter_rows(min_row=2)]
        assert len(cells) == 6, engine
        assert all(row[14].is_date for row in ws.iter_rows(min_row=2)), engine
        for cell in cells:
            assert cell.is_date and cell.number_format == "yyyy-mm-dd", (engine, cell.value, cell.number_format)
        assert {c.value.date().isoformat() for c in cells} == csv_days, engine

    act = db.session.execute(select(Activity).where(Activity.type_key == "research")).scalar_one()
    ws = load_workbook(io.BytesIO(exports.certificate_xlsx(act))).worksheets[0]
    by_label = {cell.value: row[i + (2 if i == 0 else 1)] for row in ws.iter_rows()  # a label, its value beside it
                for i, cell in enumerate(row[:-1]) if isinstance(cell.value, str)}
    for label in ("活动时间", "审核日期", "认定日期"):
        cell = by_label[label]
        assert isinstance(cell.value, datetime) and cell.number_format == "yyyy-mm-dd", (label, cell.value)


def test_a_long_certificate_xlsx_prints_on_as_many_pages_as_it_needs(s1, staff):
    """The 学分认定表 workbook fitted its width to the A4 page and, unsaid, its height too (Excel's
    default: one page tall): a whole-school lecture of 80 teachers printed on one page in
    print too small to read or sign. It is now one page wide and as many tall as it needs,
    the table's heading repeated on each page."""
    from portal.extensions import db

    people = [f.person(s1, f"p{i:02d}", "teacher", name=f"教师{i:02d}") for i in range(80)]
    act = credited(s1, staff, "lecture", [(p, "attendee") for p in people], hours="2")
    db.session.commit()
    data = exports.certificate_xlsx(act)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    heading_row = next(row[0].row for row in ws.iter_rows() if row[0].value == "序号")
    assert ws.print_title_rows.replace("$", "") == f"{heading_row}:{heading_row}"
    assert sum(1 for row in ws.iter_rows() if isinstance(row[0].value, int)) == 80


def test_the_district_ledger_lists_schools_and_teachers_by_pinyin_as_every_list(ledger, staff):
    """The district's ledger lines came by school id and user id (the index's order): 逸夫小学
    before 北苑小学, 张伟 before 艾静, where the district's summary — every list — files names by
    their pinyin. They come in the summary's order now: schools by ``name_key``, then the code;
    a school's teachers by ``pinyin_key`` of the name, then the id; each one's lines by type and
    as written. Renamed here so that neither ids nor codes give that order."""
    s2 = f.school("S2", types=("lecture",))
    staff2 = f.staff(s2, prefix="b")
    staff2["t1"].display_name, staff2["t2"].display_name = "周敏", "安然"
    credited(s2, staff2, "lecture", [(staff2["t1"], "speaker"), (staff2["t2"], "attendee")], hours="4")
    ledger.name, s2.name = "逸夫小学", "北苑小学"  # yi4 after bei3, though S1 < S2 and its id is lower
    for key, name in f.TEACHER_NAMES.items():
        staff[key].display_name = name  # t1 张伟, t2 艾静, t3 王雅琴: 艾 王 张
    db.session.commit()

    rows = _csv(exports.stream_district_csv(YEAR, ledger=True))
    order = [(r[0], r[4]) for r in rows[1:]]
    teachers = list(dict.fromkeys(order))
    assert teachers == [("S2", "bt2"), ("S2", "bt1"), ("S1", "t2"), ("S1", "t3"), ("S1", "t1")]
    assert order == sorted(order, key=teachers.index)  # each teacher's lines together
    # as the district's summary lists them
    summary = [(r[0], r[2]) for r in _csv(exports.stream_district_csv(YEAR))[1:]]
    assert [t for t in summary if t in teachers] == teachers
    # each one's lines by type, then as written: t3's credit before its reversal
    assert [(r[8], r[11]) for r in rows[1:] if r[4] == "t3"] == [("专题讲座", "认定"), ("专题讲座", "撤销")]
    out = io.BytesIO()
    exports.district_xlsx(YEAR, out, ledger=True)
    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    assert [(r[0], r[4]) for r in sheet.iter_rows(min_row=2, values_only=True)] == order
