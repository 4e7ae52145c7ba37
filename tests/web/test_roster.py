"""Roster import: a preview with a report of bad rows, nothing written until confirmed."""

from __future__ import annotations

import base64
import io

from openpyxl import Workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Membership, User

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
    assert 'data-testid="roster-error-4"' in html and "用户名 &#39;teacher1&#39; 已被使用" in html
    assert 'data-testid="roster-error-5"' in html and "性别须为 F 或 M" in html and "出生日期格式须为 YYYY-MM-DD" in html
    assert "密码：至少 8 个字符" in html
    assert "用户名 &#39;wang.li&#39; 在文件中出现了两次" in html and "未知角色：boss" in html
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
    assert r.status_code == 422 and "缺少列：username, password" in r.get_data(as_text=True)
    r = c.post("/admin/staff/import", data={"file": (io.BytesIO(b"hello"), "x.txt")}, content_type="multipart/form-data")
    assert r.status_code == 422 and 'data-testid="error-file"' in r.get_data(as_text=True)
    r = c.post("/admin/staff/import", data={}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert c.post("/admin/staff/import/confirm", data={"payload": "!!!", "filename": "x.csv"}).status_code == 400
    assert as_user("teacher1").post("/admin/staff/import", data={}).status_code == 403
