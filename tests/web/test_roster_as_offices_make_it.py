"""Roster files as a Chinese school's office makes them: a title above the headings, empty
rows, a note sheet first, headings spaced or starred, dates as personnel systems and
spreadsheets keep them. Each is read as the office sees it, or refused naming the cell the
office sees in its own spreadsheet."""

from __future__ import annotations

import base64
import io

from openpyxl import Workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User


def _users(site) -> int:
    with site.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _preview(client, data: bytes, filename: str):
    return client.post("/admin/staff/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _xlsx(build) -> bytes:
    wb = Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_bad_cell_is_named_by_the_row_the_office_sees_past_empty_rows_and_a_title(site, as_user):
    """Empty rows between people and a title row above the headings: the preview named the
    row counted without them (C3 for what the sheet shows in row 6), sending the office to
    the wrong person; and a title row made the whole file "missing columns: username"."""
    c = as_user("admin")
    body = "某某中学2026年教职工名册,,\n用户名,姓名,性别\n\nrow.four,甲,男\n\n,,\nrow.seven,乙,X\n"
    html = _preview(c, body.encode("gbk"), "名册.csv").get_data(as_text=True)
    assert "1 行可以导入，1 行有问题" in html
    assert 'data-testid="roster-row-4"' in html
    assert 'data-testid="roster-error-7">C7 单元格（性别）' in html

    def sheet(wb):
        ws = wb.active
        ws["A1"] = "某某中学教职工名册"
        ws.merge_cells("A1:C1")
        ws.append(["用户名", "姓名", "性别"])
        ws["A4"], ws["B4"], ws["C4"] = "cell.four", "丙", "X"
        ws["A9"], ws["B9"], ws["C9"] = "cell.nine", "丁", "Y"

    html = _preview(c, _xlsx(sheet), "名册.xlsx").get_data(as_text=True)
    assert "0 行可以导入，2 行有问题" in html
    assert 'data-testid="roster-error-4">C4 单元格（性别）' in html
    assert 'data-testid="roster-error-9">C9 单元格（性别）' in html


def test_the_roster_on_a_sheet_after_a_note_sheet_is_read(site, as_user):
    def sheets(wb):
        wb.active.title = "填表说明"
        wb.active.append(["请在“名册”工作表填写，角色可写 教师、教研组长"])
        ws = wb.create_sheet("名册")
        ws.append(["用户名", "姓名"])
        ws.append(["second.sheet", "第二表"])

    data = _xlsx(sheets)
    c = as_user("admin")
    before = _users(site)
    r = _preview(c, data, "名册.xlsx")
    assert r.status_code == 200 and "1 行可以导入，0 行有问题" in r.get_data(as_text=True)
    c.post("/admin/staff/import/confirm", data={"payload": base64.b64encode(data).decode(), "filename": "名册.xlsx"})
    assert _users(site) == before + 1


def test_a_file_without_a_username_heading_is_refused_in_chinese(site, as_user):
    """The refusal named the column by its code (缺少列：username) on a Chinese page."""
    for body in ("工号;姓名\nsc.a;甲\n", "姓名,性别\n甲,男\n"):
        r = _preview(as_user("admin"), body.encode(), "名册.csv")
        refusal = r.get_data(as_text=True).split('data-testid="error-file">')[1].split("<")[0]
        assert r.status_code == 422 and refusal.startswith("找不到用户名列")
        assert "username" not in refusal


def test_headings_values_and_dates_as_offices_write_them(site, as_user):
    """Headings spaced to centre them (姓 名) or starred as required (*用户名) lost the column
    (every name silently became the username); full-width dates, 19800102, a date whose cell
    format was lost (29222), 男性 and roles separated by spaces were bad rows."""
    def sheet(wb):
        ws = wb.active
        ws.append(["*用户名", "姓　名", "角 色", "性别", "出生日期"])
        ws.append(["wide.date", "阿依古丽·买买提", "教师 教研组长", "女性", "１９８０－０１－０２"])
        ws.append(["eight.digits", "王芳 ", "教师", "男性", "19800102"])
        ws.append(["day.number", "李 明", "教师", "男", 29222])
        ws.append(["bad.day", "赵四", "教师", "男", "1980年1月"])

    data = _xlsx(sheet)
    c = as_user("admin")
    html = _preview(c, data, "名册.xlsx").get_data(as_text=True)
    assert "3 行可以导入，1 行有问题" in html
    assert 'data-testid="roster-error-5">E5 单元格（出生日期）' in html
    c.post("/admin/staff/import/confirm", data={"payload": base64.b64encode(data).decode(), "filename": "名册.xlsx"})
    with site.app_context():
        people = {u.username: u for u in db.session.execute(
            select(User).where(User.username.in_(["wide.date", "eight.digits", "day.number"]))).scalars()}
        assert {k: (u.display_name, u.gender, str(u.birth_date)) for k, u in people.items()} == {
            "wide.date": ("阿依古丽·买买提", "F", "1980-01-02"),
            "eight.digits": ("王芳", "M", "1980-01-02"),
            "day.number": ("李明", "M", "1980-01-02"),
        }
        from portal.models import Membership

        roles = set(db.session.execute(
            select(Membership.role).where(Membership.user_id == people["wide.date"].id)).scalars())
        assert roles == {"teacher", "organizer"}


def test_a_csv_row_of_a_million_cells_is_read_to_the_columns_a_roster_has(site, as_user):
    """A 2 MB line of commas and letters is a million cells: each was looked at as a heading (seconds
    of work per upload). A row is read to the 64 columns an XLSX row is read to."""
    from portal.services import staff

    body = ("用户名,姓名," + "x," * 900_000 + "\nwide.row,宽行\n").encode()
    lines = staff._read_table("名册.csv", body)
    assert [len(cells) for _n, cells in lines] == [staff.ROSTER_MAX_COLUMNS, 2]
    r = _preview(as_user("admin"), body, "名册.csv")
    assert r.status_code == 200 and "1 行可以导入，0 行有问题" in r.get_data(as_text=True)


def test_names_spaced_to_line_up_and_dotted_names_are_stored_as_one_name(site, as_user):
    """Offices line two-character names up with three-character ones (张　三 beside 李小明) and
    write the dot of a Uyghur name as ·, • or ．: each was stored as typed, so 张　三 and 张三
    were two names on every list and search, and one person's name was dotted three ways."""
    def sheet(wb):
        ws = wb.active
        ws.append(["用户名", "姓名"])
        ws.append(["aligned.two", "张\u3000三"])
        ws.append(["spaced.two", " 周 　 五 "])
        ws.append(["bullet.dot", "买买提•艾力"])
        ws.append(["wide.dot", "阿依古丽 ． 买买提"])
        ws.append(["latin.name", "Anna  Li"])

    data = _xlsx(sheet)
    c = as_user("admin")
    html = _preview(c, data, "名册.xlsx").get_data(as_text=True)
    assert "张三" in html and "张\u3000三" not in html  # the preview shows what will be stored
    c.post("/admin/staff/import/confirm", data={"payload": base64.b64encode(data).decode(), "filename": "名册.xlsx"})
    r = c.post("/admin/staff", data={"username": "form.aligned", "name": "王\u3000六", "password": "password-123",
                                     "roles": ["teacher"]})
    assert r.status_code in (200, 302)
    with site.app_context():
        names = dict(db.session.execute(select(User.username, User.display_name).where(User.username.in_(
            ["aligned.two", "spaced.two", "bullet.dot", "wide.dot", "latin.name", "form.aligned"]))).all())
    assert names == {"aligned.two": "张三", "spaced.two": "周五", "bullet.dot": "买买提·艾力",
                     "wide.dot": "阿依古丽·买买提", "latin.name": "Anna Li", "form.aligned": "王六"}
