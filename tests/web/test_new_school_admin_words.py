"""What a new school's admin read on the staff page and the roster that disagreed or misled:
the roster's help named a role the pages call otherwise and roles it can never give, the staff
page and the roster worded one refused username two ways, and a repeated 工号 was named as
「用户名」 without the row it repeats."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Membership, School, User
from tests.web.conftest import login


def _new_school_admin(site):
    d = site.test_client()
    login(d, "district")
    r = d.post("/district/settings", data={"form": "school", "code": "XQ2", "name": "新桥二中",
                                           "admin_username": "xq2.admin", "admin_name": "林晓",
                                           "admin_password": "Xinqiao-2026-ok"})
    assert r.status_code == 303
    a = site.test_client()
    assert login(a, "xq2.admin", "Xinqiao-2026-ok").status_code == 302
    return a


def _rows(site) -> tuple[int, int]:
    with site.app_context():
        return (db.session.scalar(select(func.count()).select_from(User)),
                db.session.scalar(select(func.count()).select_from(Membership)))


def _preview(a, body: str, lang: str = "") -> str:
    r = a.post("/admin/staff/import" + lang, data={"file": (io.BytesIO(body.encode("gbk")), "名册.csv")},
               content_type="multipart/form-data")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_the_roster_help_names_the_roles_as_the_pages_do_and_only_those_it_gives(site):
    """The help said to write 教研组长, 审核人, 学校管理员; the preview and the staff page call the
    first 组织者, and a roster row with either of the others is always refused (an account whose
    password an admin set decides no hours)."""
    a = _new_school_admin(site)
    help_zh = re.search(r'data-testid="roster-help">(.*?)</p>', a.get("/admin/staff/import").get_data(as_text=True),
                        re.S).group(1)
    assert "角色写 教师、组织者（组织者 也可写作 教研组长）" in help_zh
    assert "在此添加或通过名单导入的账号不能授予审核人、学校管理员角色" in help_zh and "系统运维人员" in help_zh
    staff_page = a.get("/admin/staff").get_data(as_text=True)
    assert "组织者" in staff_page  # the staff page's word for the role, the one the help now uses
    # both spellings are read, and the preview shows the role by that same word
    html = _preview(a, "工号,姓名,角色\nxq201,王芳,教研组长、教师\nxq202,赵强,组织者、教师\nxq203,孙丽,审核人\n")
    for line in (2, 3):
        assert re.search(rf'data-testid="roster-row-{line}">\s*<td[^>]*>{line}</td><td[^>]*>xq20{line - 1}</td>\s*'
                         r'<td[^>]*>[^<]*</td><td[^>]*>组织者、教师</td>', html), line
    assert re.search(r'data-testid="roster-error-4">[^<]*系统运维人员', html)
    help_en = re.search(r'data-testid="roster-help">(.*?)</p>',
                        a.get("/admin/staff/import?lang=en").get_data(as_text=True), re.S).group(1)
    assert "Roles: Teacher, Organizer, separated by" in help_en and "Organizer may also be written 教研组长" in help_en
    assert "The roles Reviewer, School admin are not given to an account added here or by a roster" in help_en


def test_the_staff_page_words_a_username_of_another_school_as_the_roster_does(site):
    """Adding teacher1 (of the demo school) on the staff page said the bare 「请另选一个」 while the
    roster pointed to a 教师调动: the office made her a second account from the page."""
    a = _new_school_admin(site)
    before = _rows(site)

    def add(lang: str = "") -> str:
        r = a.post("/admin/staff" + lang, data={"username": "teacher1", "name": "李娜", "password": "password-123",
                                                "roles": "teacher"})
        assert r.status_code == 422
        return re.search(r'data-testid="error-username">([^<]*)<', r.get_data(as_text=True)).group(1)

    page_zh = add()
    roster_zh = re.search(r'data-testid="roster-error-2">A2 单元格（工号）：([^<]*)<',
                          _preview(a, "工号,姓名\nteacher1,李娜\n")).group(1)
    assert page_zh == roster_zh and "办理教师调动" in page_zh and "请另选一个" in page_zh
    page_en = add("?lang=en")
    roster_en = re.search(r'data-testid="roster-error-2">cell A2 \(工号\): ([^<]*)<',
                          _preview(a, "工号,姓名\nteacher1,李娜\n", "?lang=en")).group(1)
    assert page_en == roster_en and "ask the district to move them" in page_en
    assert _rows(site) == before


def test_a_repeated_工号_is_named_by_its_column_and_the_row_it_repeats(site):
    a = _new_school_admin(site)
    before = _rows(site)
    body = "工号,姓名\nxq301,王芳\nxq302,赵强\nXQ301,孙丽\n"
    html = _preview(a, body)
    assert re.search(r'data-testid="roster-error-4">A4 单元格（工号）：工号“XQ301”已在文件第 2 行出现：每人只占一行<', html)
    html = _preview(a, body, "?lang=en")
    assert "cell A4 (工号): 工号 &#39;XQ301&#39; is already on row 2 of the file: one row for each person" in html
    assert _rows(site) == before


def test_the_add_form_offers_only_the_roles_an_added_account_may_hold_and_names_the_others(site):
    """The add form offered 审核人 and 学校管理员, refused on every submit: a new school's admin
    tried each in turn to appoint the 培训领导小组."""
    a = _new_school_admin(site)
    html = a.get("/admin/staff").get_data(as_text=True)
    assert 'data-testid="staff-roles-teacher"' in html and 'data-testid="staff-roles-organizer"' in html
    assert 'data-testid="staff-roles-reviewer"' not in html and 'data-testid="staff-roles-school_admin"' not in html
    assert "在此添加或通过名单导入的账号不能授予审核人、学校管理员角色" in html and "系统运维人员" in html
    # a posted role the form does not offer is refused by the service as before, nothing written
    before = _rows(site)
    r = a.post("/admin/staff", data={"username": "xq401", "name": "周一", "password": "password-123",
                                     "roles": ["teacher", "reviewer"]})
    assert r.status_code == 422 and _rows(site) == before
    assert re.search(r'data-testid="error-roles">[^<]*系统运维人员', r.get_data(as_text=True))


def test_the_preview_heads_each_column_as_the_sheet_does_where_its_problems_name_it_so(site):
    """A sheet of 工号: each problem named its cell 「A2 单元格（工号）」 under a column the
    preview headed 用户名, the office left to guess that the two were one. The preview's heading
    says the portal's word and, where the sheet words the column otherwise, its heading."""
    a = _new_school_admin(site)
    before = _rows(site)

    def heads(html: str) -> dict[str, str]:
        return dict(re.findall(r'data-testid="roster-heading-([a-z_]+)">([^<]*)<', html))

    html = _preview(a, "工号,姓名\nteacher1,李娜\n")
    assert heads(html)["username"] == "用户名（工号）" and heads(html)["name"] == "姓名"
    assert "A2 单元格（工号）" in html
    assert heads(_preview(a, "用户名,姓名\nxq501,周一\n"))["username"] == "用户名"
    english = heads(_preview(a, "工号,姓名\nteacher1,李娜\n", "?lang=en"))
    assert english["username"] == "Username (工号)" and english["name"] == "Name (姓名)"
    assert heads(_preview(a, "username,name\nxq501,Zhou\n", "?lang=en"))["username"] == "Username"
    assert _rows(site) == before


def test_the_new_school_form_words_a_username_used_elsewhere_for_the_district(site):
    """The district's new-school form said a username used elsewhere in the words a school admin
    reads — 「请联系区里办理教师调动」 — to the district admin, who makes the move themselves: the
    same first sentence, then the district's own way (the 教师调动 page, once the school exists)."""
    d = site.test_client()
    login(d, "district")
    with site.app_context():
        before = _rows(site), db.session.scalar(select(func.count()).select_from(School))

    def add(lang: str = "") -> str:
        r = d.post("/district/settings" + lang, data={"form": "school", "code": "XQ3", "name": "新桥三中",
                                                      "admin_username": "teacher1", "admin_name": "林晓",
                                                      "admin_password": "Xinqiao-2026-ok"})
        assert r.status_code == 422
        return re.search(r'id="admin_username"[^>]*>\s*<div[^>]*>([^<]*)<', r.get_data(as_text=True)).group(1)

    said = add()
    assert said.startswith("该用户名不能使用，请另选一个。") and "通过“教师调动”页面调入" in said and "请联系区里" not in said
    english = add("?lang=en")
    assert english.startswith("this username cannot be used; choose another.") and "Move a teacher page" in english
    with site.app_context():
        assert (_rows(site), db.session.scalar(select(func.count()).select_from(School))) == before
