"""Roster import: a preview with a report of bad rows, nothing written until confirmed."""

from __future__ import annotations

import base64
import io

from openpyxl import Workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Membership, User
from portal.services import staff
from tests.support.spies import calls_of

CSV = (
    "username,name,roles,gender,birth_date,password\n"
    "wang.li,王丽,teacher,F,1990-05-01,password-123\n"
    "zhao.gang,赵刚,\"teacher,organizer\",M,1985-01-02,password-123\n"
    "teacher1,重复的人,teacher,F,1990-01-01,password-123\n"
    "bad user,坏名字,teacher,X,1990-13-01,short\n"
    "wang.li,又一个,boss,,,password-123\n"
)


def _users(site) -> int:
    with site.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_csv_preview_reports_bad_rows_and_writes_nothing(site, as_user):
    c = as_user("admin")
    before = _users(site)
    r = c.post("/admin/staff/import", data={"file": (io.BytesIO(CSV.encode("utf-8")), "roster.csv")},
               content_type="multipart/form-data")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "2 行可以导入，3 行有问题" in html
    assert 'data-testid="roster-error-4"' in html and "用户名“teacher1”（王雅琴）已在本校教职工名单中，无需再添加" in html
    assert 'data-testid="roster-error-5"' in html and "性别须为 男 或 女" in html and "出生日期：请写成" in html
    assert "密码：至少 8 个字符" in html
    assert "username“wang.li”已在文件第 2 行出现：每人只占一行" in html and "未知角色：boss" in html
    assert _users(site) == before
    payload = base64.b64encode(CSV.encode("utf-8")).decode()
    r = c.post("/admin/staff/import/confirm", data={"payload": payload, "filename": "roster.csv"})
    assert r.status_code == 302
    assert _users(site) == before + 2
    with site.app_context():
        zhao = db.session.execute(select(User).where(User.username == "zhao.gang")).scalar_one()
        roles = set(db.session.execute(select(Membership.role).where(Membership.user_id == zhao.id)).scalars())
        assert roles == {"teacher", "organizer"} and zhao.display_name == "赵刚" and zhao.gender == "M"


def test_xlsx_roster(site, as_user):
    wb = Workbook()
    ws = wb.active
    ws.append(["username", "name", "roles", "gender", "birth_date", "password"])
    ws.append(["xlsx.one", "表格一", "teacher", "F", "1992-03-04", "password-123"])
    buf = io.BytesIO()
    wb.save(buf)
    c = as_user("admin")
    before = _users(site)
    r = c.post("/admin/staff/import", data={"file": (io.BytesIO(buf.getvalue()), "名册.xlsx")},
               content_type="multipart/form-data")
    assert r.status_code == 200 and "1 行可以导入，0 行有问题" in r.get_data(as_text=True)
    c.post("/admin/staff/import/confirm", data={"payload": base64.b64encode(buf.getvalue()).decode(), "filename": "名册.xlsx"})
    assert _users(site) == before + 1


def test_unusable_files_are_refused_beside_the_field(site, as_user):
    c = as_user("admin")
    r = c.post("/admin/staff/import", data={"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "找不到用户名列" in r.get_data(as_text=True)
    r = c.post("/admin/staff/import", data={"file": (io.BytesIO(b"hello"), "x.txt")}, content_type="multipart/form-data")
    assert r.status_code == 422 and 'data-testid="error-file"' in r.get_data(as_text=True)
    r = c.post("/admin/staff/import", data={}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert c.post("/admin/staff/import/confirm", data={"payload": "!!!", "filename": "x.csv"}).status_code == 400
    assert as_user("teacher1").post("/admin/staff/import", data={}).status_code == 403


def test_chinese_roster_as_schools_keep_it(site, as_user):
    """Chinese headings and values, dates written three ways, no password column: imported,
    with initial passwords shown once; a bad cell is named by its letter and row."""
    wb = Workbook()
    ws = wb.active
    ws.append(["用户名", "姓名", "角色", "性别", "出生日期"])
    ws.append(["he.lixin", "何立新", "教师", "男", "1970/5/1"])
    ws.append(["sun.lihua", "孙丽华", "教师、教研组长", "女", "1975年3月8日"])
    ws.append(["wu.xy", "吴晓燕", "教师", "女", "1988-11-02"])
    ws.append(["bad.one", "错误行", "校长", "未知", "1970年13月1日"])
    buf = io.BytesIO()
    wb.save(buf)
    c = as_user("admin")
    before = _users(site)
    r = c.post("/admin/staff/import", data={"file": (io.BytesIO(buf.getvalue()), "教师名册.xlsx")},
               content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "3 行可以导入，1 行有问题" in html
    assert "C5 单元格（角色）：未知角色：校长" in html
    assert "D5 单元格（性别）" in html and "E5 单元格（出生日期）" in html
    assert "教师、组织者" in html and "organizer" not in html  # roles shown in words
    r = c.post("/admin/staff/import/confirm", data={"payload": base64.b64encode(buf.getvalue()).decode(),
                                                    "filename": "教师名册.xlsx"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    page = r.get_data(as_text=True)
    assert 'data-testid="roster-passwords"' in page and "he.lixin" in page
    assert _users(site) == before + 3
    with site.app_context():
        he = db.session.execute(select(User).where(User.username == "he.lixin")).scalar_one()
        sun = db.session.execute(select(User).where(User.username == "sun.lihua")).scalar_one()
        assert (he.gender, str(he.birth_date)) == ("M", "1970-05-01")
        assert (sun.gender, str(sun.birth_date)) == ("F", "1975-03-08")
        roles = set(db.session.execute(select(Membership.role).where(Membership.user_id == sun.id)).scalars())
        assert roles == {"teacher", "organizer"}
    # the shown password works
    password = page.split("he.lixin")[1].split("<code>")[1].split("</code>")[0]
    fresh = site.test_client()
    assert fresh.post("/login", data={"username": "he.lixin", "password": password}).status_code == 302


def test_chinese_csv_in_gb18030(site, as_user):
    text = "用户名,姓名,角色,性别,出生日期,密码\nzhou.jg,周建国,教师,男,1969年12月31日,password-123\n"
    r = as_user("admin").post("/admin/staff/import", data={"file": (io.BytesIO(text.encode("gb18030")), "名册.csv")},
                              content_type="multipart/form-data")
    assert r.status_code == 200 and "1 行可以导入，0 行有问题" in r.get_data(as_text=True)


def _xlsx_with_sheet(edit) -> bytes:
    """A roster workbook whose first sheet's XML went through ``edit`` (what an attacker can
    write by hand into the zip: openpyxl never would)."""
    import re
    import zipfile

    wb = Workbook()
    wb.active.append(["username", "name", "roles"])
    wb.active.append(["near.one", "近一", "teacher"])
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(re.sub(r'<dimension ref="[^"]*"/>', "", data.decode())).encode()
            z.writestr(info.filename, data)
    return out.getvalue()


def test_an_xlsx_claiming_every_cell_of_the_sheet_is_read_as_the_cells_it_has(site, as_user, monkeypatch):
    """A 5 KB workbook that declares its sheet A1:XFD1048576 and puts one cell in the last
    row made the import read 1,048,576 rows of 16,384 cells (memory and minutes: one upload
    stopped the worker). Now only the cells that are there are read, and the million rows
    missing between them are passed over without a look at their cells (it took four seconds
    of a worker to look at each)."""
    looked_at = calls_of(monkeypatch, staff, "_blank")
    far = ('<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>far.away</t></is></c>'
           '<c r="C1048576" t="inlineStr"><is><t>teacher</t></is></c></row></sheetData>')
    data = _xlsx_with_sheet(lambda s: s.replace("<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>')
                            .replace("</sheetData>", far))
    assert len(data) < 10_000
    c = as_user("admin")
    r = c.post("/admin/staff/import", data={"file": (io.BytesIO(data), "名册.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 200 and "2 行可以导入，0 行有问题" in r.get_data(as_text=True)
    assert 0 < len(looked_at) < 10, len(looked_at)


def test_an_xlsx_that_unpacks_to_a_huge_sheet_is_refused(site, as_user):
    """A zip bomb as .xlsx (under the 2 MB upload limit, a sheet of 64 MB once unpacked) is
    refused as too large before it is parsed; nothing is written."""
    data = _xlsx_with_sheet(lambda s: s.replace("</sheetData>", "</sheetData>" + " " * (64 * 1024 * 1024)))
    assert len(data) < 2 * 1024 * 1024
    c = as_user("admin")
    before = _users(site)
    r = c.post("/admin/staff/import", data={"file": (io.BytesIO(data), "名册.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 422 and 'data-testid="error-file"' in r.get_data(as_text=True)
    assert "文件太大" in r.get_data(as_text=True) or "too large" in r.get_data(as_text=True)
    assert _users(site) == before


def test_a_csv_with_a_cell_longer_than_the_reader_takes_is_refused_in_words(site, as_user):
    """A CSV cell over 128 KiB (a name pasted as a whole document, or a quote never closed,
    which runs to the end of the file) stopped the reader with an error the page answered
    with a 500; it is refused beside the file field and nothing is written."""
    c = as_user("admin")
    before = _users(site)
    for body in ("username,name\nlong.cell," + "长" * 140_000 + "\n",
                 "username,name\nopen.quote,\"" + "x" * 140_000 + "\nlater.row,后来\n"):
        r = c.post("/admin/staff/import", data={"file": (io.BytesIO(body.encode()), "名册.csv")},
                   content_type="multipart/form-data")
        assert r.status_code == 422
        assert r.get_data(as_text=True).split('data-testid="error-file">')[1].startswith("不是可读的 CSV 文件")
        payload = base64.b64encode(body.encode()).decode()
        assert c.post("/admin/staff/import/confirm", data={"payload": payload, "filename": "名册.csv"}).status_code == 302
    assert _users(site) == before


def test_a_name_with_control_characters_is_a_bad_row_and_refused_on_the_staff_page(site, as_user):
    """A name holding NUL answered 500 on PostgreSQL (its text cannot hold it) after the preview
    had called the row good; a line break or a right-to-left override was stored and shown in
    every list, summary and certificate. Each is a bad row naming its cell; the staff page
    refuses it beside the name; nothing is written."""
    c = as_user("admin")
    before = _users(site)
    body = ("username,name,roles\n"
            "nul.name,王\x00丽,teacher\n\"line.break\",\"王\n丽\",teacher\nrtl.name,王\u202e丽,teacher\nfine.name,王丽,teacher\n")
    r = c.post("/admin/staff/import", data={"file": (io.BytesIO(body.encode()), "名册.csv")},
               content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "1 行可以导入，3 行有问题" in html
    for line in (2, 3, 4):
        assert f'data-testid="roster-error-{line}">B{line} 单元格（name）：姓名含有控制字符' in html
    r = c.post("/admin/staff", data={"username": "page.name", "name": "王\n丽", "password": "password-123",
                                     "roles": ["teacher"]})
    assert r.status_code == 422
    assert r.get_data(as_text=True).split('data-testid="error-name">')[1].startswith("姓名含有控制字符")
    # NUL and direction marks in a form are refused before any page (input_guard): 400, saying why
    r = c.post("/admin/staff", data={"username": "page.name", "name": "王\u202e丽", "password": "password-123",
                                     "roles": ["teacher"]})
    assert r.status_code == 400 and "文字方向控制符" in r.get_data(as_text=True)
    assert _users(site) == before


def test_a_roster_of_ten_thousand_rows_is_refused_whole(site, as_user):
    """More rows than a school has staff (the limit is 2,000): refused beside the file field,
    at the preview and at the confirmation, and nothing is written."""
    body = ("username,name\n" + "".join(f"bulk.{i},批量{i}\n" for i in range(10_000))).encode()
    c = as_user("admin")
    before = _users(site)
    r = c.post("/admin/staff/import", data={"file": (io.BytesIO(body), "名册.csv")}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert r.get_data(as_text=True).split('data-testid="error-file">')[1].startswith("最多 2000 行")
    r = c.post("/admin/staff/import/confirm", data={"payload": base64.b64encode(body).decode(), "filename": "名册.csv"})
    assert r.status_code == 302 and _users(site) == before


def test_a_roster_row_born_in_1900_or_2099_is_a_bad_row(site, as_user):
    """The birth date decides the retirement-age exemption: an age no member of staff has is a
    bad row of the preview, as on the staff page (``users.birth_date_problem``)."""
    roster = ("username,name,roles,gender,birth_date,password\n"
              "old.one,老人,teacher,F,1900-01-01,password-123\n"
              "young.one,未生,teacher,M,2099-01-01,password-123\n"
              "fine.one,适龄,teacher,M,1980-01-01,password-123\n")
    html = as_user("admin").post("/admin/staff/import", data={"file": (io.BytesIO(roster.encode()), "r.csv")},
                                 content_type="multipart/form-data").get_data(as_text=True)
    assert "1 行可以导入，2 行有问题" in html
    assert html.count("教职工年龄为 16 至 80 岁") == 2
