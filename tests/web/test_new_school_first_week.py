"""A new school's first week, as its admin and the district admin who created it walk it:
refusals keep what was typed, say why beside each field in the reader's words, and change nothing."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import School, User
from tests.web.conftest import login


def _counts(site) -> tuple[int, int]:
    with site.app_context():
        return (db.session.scalar(select(func.count()).select_from(School)),
                db.session.scalar(select(func.count()).select_from(User)))


def _settings(site) -> dict:
    from portal.models import District

    with site.app_context():
        return {d.id: dict(d.settings or {}) for d in db.session.execute(select(District)).scalars()}


NEW_SCHOOL = {"form": "school", "code": "XQ1", "name": "新桥中学", "admin_username": "xq.admin",
              "admin_name": "林晓", "admin_password": "short"}


def test_a_refused_new_school_keeps_what_was_typed_and_names_no_field_by_its_code(site):
    """A too-short admin password flashed 「用户信息无效; password: 至少 8 个字符」 (a field's
    code on a Chinese page) and emptied the form: the district admin typed the school again."""
    d = site.test_client()
    assert login(d, "district").status_code == 302
    before = _counts(site)
    r = d.post("/district/settings", data=NEW_SCHOOL)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and _counts(site) == before
    assert "password:" not in html and "admin_password:" not in html
    assert re.search(r'data-testid="error-admin_password">[^<]*8', html)
    for key in ("code", "name", "admin_username", "admin_name"):
        assert re.search(rf'value="{re.escape(NEW_SCHOOL[key])}" data-testid="school-{key}"', html), key
    assert 'value="short"' not in html  # a password is typed again, never sent back
    # a username already taken is named beside its field, in English too
    r = d.post("/district/settings?lang=en", data={**NEW_SCHOOL, "admin_username": "teacher1",
                                                   "admin_password": "Xinqiao-2026-ok"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and _counts(site) == before
    assert 'data-testid="error-admin_username"' in html and "username:" not in html
    assert 'value="新桥中学" data-testid="school-name"' in html


def test_refused_district_defaults_keep_what_was_typed(site):
    d = site.test_client()
    login(d, "district")
    before = _settings(site)
    r = d.post("/district/settings", data={"form": "defaults", "required_hours": "六十", "absence_limit_hours": "4",
                                           "submission_period": "semester", "plan_deadline": "06-30"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and _settings(site) == before
    assert "required_hours:" not in html
    assert 'data-testid="error-required_hours"' in html
    assert 'value="六十" data-testid="district-required-hours"' in html
    assert 'value="4" data-testid="district-absence-limit"' in html
    assert re.search(r'<option value="semester" selected>', html)


def _new_school_admin(site):
    d = site.test_client()
    login(d, "district")
    r = d.post("/district/settings", data={**NEW_SCHOOL, "admin_password": "Xinqiao-2026-ok"})
    assert r.status_code == 303
    a = site.test_client()
    assert login(a, "xq.admin", "Xinqiao-2026-ok").status_code == 302
    return a


def _plans(site) -> int:
    from portal.models import SchoolPlan, SchoolPlanLine

    with site.app_context():
        return (db.session.scalar(select(func.count()).select_from(SchoolPlan))
                + db.session.scalar(select(func.count()).select_from(SchoolPlanLine)))


def test_a_refused_annual_plan_keeps_every_line_typed_and_says_which_line(site):
    """One line's hours written 三 lost the whole plan typed (aims, target, every line) and
    flashed 「1：hours：'三' 不是数字」: the line counted from 0 and the field by its code."""
    a = _new_school_admin(site)
    year = re.search(r'name="year" value="([^"]+)"', a.get("/school-plan").get_data(as_text=True)).group(1)
    plan = {"year": year, "aims": "提高课堂教学能力", "target_hours": "50", "action": "save",
            "type-0": "lecture", "month-0": "9", "title-0": "开学专题讲座", "hours-0": "3", "responsible-0": "林晓",
            # row 1 left empty: the rows after it are shown where the page puts them again
            "type-2": "observation", "month-2": "10", "title-2": "语文组听课评课", "hours-2": "三",
            "responsible-2": "王芳"}
    before = _plans(site)
    r = a.post("/school-plan", data=plan)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and _plans(site) == before
    assert ">提高课堂教学能力</textarea>" in html
    assert 'value="50" data-testid="plan-target"' in html
    assert 'value="开学专题讲座" aria-label="活动" data-testid="plan-title-0"' in html
    assert 'value="语文组听课评课" aria-label="活动" data-testid="plan-title-1"' in html
    assert 'value="三" aria-label="学时" data-testid="plan-hours-1"' in html
    assert re.search(r'<option value="10" selected>', html)
    assert re.search(r'<option value="observation" selected>', html)
    assert re.search(r'data-testid="plan-hours-error-1">[^<]*不是数字', html)
    assert "hours：" not in html and "hours:" not in html
    # a target refused: said beside it, the lines kept
    r = a.post("/school-plan", data={**plan, "hours-2": "2", "target_hours": "五十"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and _plans(site) == before
    assert 'data-testid="error-target_hours"' in html and 'value="五十" data-testid="plan-target"' in html
    assert 'value="2" aria-label="学时" data-testid="plan-hours-1"' in html
    r = a.post("/school-plan", data={**plan, "hours-2": "2"})
    assert r.status_code == 303 and _plans(site) == before + 3


ROSTER = ("序号,工号,姓名,性别,出生日期,手机号码,电子邮箱,角色\n"
          "1,xq001,王芳,女,1985-03-02,13800138000,wf@example.cn,教师\n"
          "2,xq002,王芳,女,1990/7/1,1380013,不是邮箱,教师\n"
          "3,teacher1,李娜,女,1979年5月1日,13900000000,ln@example.cn,教研组长\n"
          ",,,,,,,\n"
          "4,xq004,赵强,男,19800102,,,教师\n")


def test_the_roster_preview_says_what_it_reads_and_what_it_leaves(site):
    """A school's roster (GBK, as Excel on a Chinese Windows saves it) with phone, email and a
    row number: those columns were dropped without a word (the office thought the emails were
    in); two rows of one name passed unremarked; the genders and birth dates read (19800102)
    were not shown, so a date read wrong reached the retirement rule unseen."""
    from portal.models import Membership

    a = _new_school_admin(site)

    def people() -> int:
        with site.app_context():
            return db.session.scalar(select(func.count()).select_from(Membership))

    before = (_counts(site), people())
    for data, filename in ((ROSTER.encode("gbk"), "名册.csv"), (ROSTER.encode("utf-8-sig"), "名册.csv")):
        r = a.post("/admin/staff/import", data={"file": (io.BytesIO(data), filename)},
                   content_type="multipart/form-data")
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and (_counts(site), people()) == before
        assert "3 行可以导入，1 行有问题" in html
        assert 'data-testid="roster-unread">以下列不会导入：序号、手机号码、电子邮箱。' in html
        assert re.search(r'data-testid="roster-same-names">.*?<li>王芳：第 2、3 行</li>', html, re.S)
        assert "李娜" not in html.split('data-testid="roster-same-names"')[1].split("</div>")[0]
        assert 'data-testid="roster-birth-6">1980-01-02<' in html
        # a teacher of another school (teacher1 of the demo school): moved by the district, not
        # made a second account under another username, which the bare 「请另选一个」 led to
        assert re.search(r'data-testid="roster-error-4">B4 单元格（工号）：该用户名不能使用[^<]*办理教师调动', html)
        assert 'data-testid="roster-gender-6">男<' in html and 'data-testid="roster-birth-3">1990-07-01<' in html
    r = a.post("/admin/staff/import?lang=en", data={"file": (io.BytesIO(ROSTER.encode("gbk")), "roster.csv")},
               content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert "These columns are not imported: 序号, 手机号码, 电子邮箱." in html
    assert "<li>王芳: rows 2, 3</li>" in html and 'data-testid="roster-gender-2">Female<' in html


def test_a_roster_with_only_the_columns_read_says_nothing_more(site):
    a = _new_school_admin(site)
    body = "用户名,姓名\nxq101,周一\nxq102,周二\n"
    html = a.post("/admin/staff/import", data={"file": (io.BytesIO(body.encode()), "r.csv")},
                  content_type="multipart/form-data").get_data(as_text=True)
    assert "2 行可以导入，0 行有问题" in html
    assert "roster-unread" not in html and "roster-same-names" not in html


def test_the_first_lecture_planned_with_its_hours_left_empty_asks_for_them(site):
    """An empty 学时 field was refused as 「'' 不是数字：请用阿拉伯数字填写学时」: quotes round
    nothing, as if something odd had been typed."""
    from portal.models import Activity

    a = _new_school_admin(site)
    r = a.post("/admin/types/lecture", data={"enabled": "y", "setting-speaker_multiplier": "2"})
    assert r.status_code == 302

    def acts() -> int:
        with site.app_context():
            return db.session.scalar(select(func.count()).select_from(Activity))

    before = acts()
    for hours in ("", "  "):
        r = a.post("/activities/new/lecture", data={
            "title": "开学专题讲座", "starts_at": "2026-12-20T14:00", "ends_at": "2026-12-20T16:00", "hours": hours,
            "details-topic": "作业设计"})
        html = r.get_data(as_text=True)
        assert r.status_code == 422 and acts() == before
        assert "必须填写学时" in html and "不是数字" not in html
        assert 'value="开学专题讲座"' in html
    r = a.post("/activities/new/lecture?lang=en", data={"title": "x", "starts_at": "2026-12-20T14:00",
                                                        "ends_at": "2026-12-20T16:00", "hours": ""})
    assert "a number of hours is required" in r.get_data(as_text=True) and acts() == before


def test_a_group_leader_written_only_as_教研组长_is_pointed_out_before_the_import(site):
    """A sheet writing 教研组长 alone imported a group's leader without the teacher role: her
    hours were never counted nor assessed, and the district's page counted one teacher fewer,
    with no word at the import."""
    a = _new_school_admin(site)
    body = "工号,姓名,角色\nxq001,王芳,教师\nxq002,赵强,教研组长\nxq003,孙丽,教研组长、教师\n"
    html = a.post("/admin/staff/import", data={"file": (io.BytesIO(body.encode("gbk")), "r.csv")},
                  content_type="multipart/form-data").get_data(as_text=True)
    note = html.split('data-testid="roster-not-teachers"')[1].split("</div>")[0]
    assert "<li>赵强：第 3 行</li>" in note and "王芳" not in note and "孙丽" not in note
    body = "工号,姓名,角色\nxq001,王芳,教师\nxq003,孙丽,教研组长、教师\n"
    html = a.post("/admin/staff/import", data={"file": (io.BytesIO(body.encode()), "r.csv")},
                  content_type="multipart/form-data").get_data(as_text=True)
    assert "roster-not-teachers" not in html


def test_an_old_excel_roster_says_to_save_it_as_xlsx(site):
    """Many offices still save .xls: it was refused as 「请使用 .csv 或 .xlsx 文件」, or, renamed
    to .xlsx, as 「无法读取的 XLSX 文件」, with no word of what to do."""
    a = _new_school_admin(site)
    before = _counts(site)
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # an OLE compound file's header
    for filename in ("名册.xls", "名册.xlsx", "名册.et"):
        r = a.post("/admin/staff/import", data={"file": (io.BytesIO(old), filename)},
                   content_type="multipart/form-data")
        html = r.get_data(as_text=True)
        assert r.status_code == 422 and _counts(site) == before
        assert "旧版 Excel 文件（.xls）" in html and "另存为" in html, filename
    r = a.post("/admin/staff/import?lang=en", data={"file": (io.BytesIO(old), "roster.xls")},
               content_type="multipart/form-data")
    assert "save it as .xlsx" in r.get_data(as_text=True) and _counts(site) == before
