"""A new school's first week in a real Chromium: the district admin creates the school (a refused
password keeps the rest typed), then its admin, on a phone, previews a roster saved by Excel on a
Chinese Windows (GBK) and writes the annual plan, whose refused line keeps every line typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
ROSTER = ("序号,工号,姓名,性别,出生日期,手机号码,电子邮箱,角色\n"
          "1,xq001,王芳,女,1985-03-02,13800138000,wf@example.cn,教师\n"
          "2,xq002,王芳,女,1990/7/1,1380013,不是邮箱,教师\n"
          ",,,,,,,\n"
          "3,xq004,赵强,男,19800102,,,教研组长\n")


def test_a_new_school_created_then_its_roster_and_plan_on_a_phone(browse, tmp_path):
    district = browse()
    district.login("district")
    district.ignore_console("status of 422")  # the refused form comes back with 422
    district.goto("/district/settings")
    page = district.page
    form = page.get_by_test_id("school-form")
    for key, value in (("code", "XQ1"), ("name", "新桥中学"), ("admin_username", "xq.admin"),
                       ("admin_name", "林晓"), ("admin_password", "short")):
        form.get_by_test_id(f"school-{key}").fill(value)
    with page.expect_navigation():
        page.get_by_test_id("create-school").click()
    expect(page.get_by_test_id("error-admin_password")).to_contain_text("8")
    expect(page.get_by_test_id("school-name")).to_have_value("新桥中学")
    page.get_by_test_id("school-admin_password").fill("Xinqiao-2026-ok")
    with page.expect_navigation():
        page.get_by_test_id("create-school").click()
    expect(page.get_by_test_id("district-schools")).to_contain_text("新桥中学")

    admin = browse(viewport=PHONE, is_mobile=True, has_touch=True)
    admin.login("xq.admin", "Xinqiao-2026-ok")
    admin.ignore_console("status of 422")
    roster = tmp_path / "教职工名册.csv"
    roster.write_bytes(ROSTER.encode("gbk"))
    admin.preview_roster(roster)
    page = admin.page
    expect(page.get_by_test_id("roster-summary")).to_contain_text("3 行可以导入，0 行有问题")
    expect(page.get_by_test_id("roster-unread")).to_contain_text("序号、手机号码、电子邮箱")
    expect(page.get_by_test_id("roster-same-names")).to_contain_text("王芳：第 2、3 行")
    expect(page.get_by_test_id("roster-not-teachers")).to_contain_text("赵强")
    expect(page.get_by_test_id("roster-birth-5")).to_have_text("1980-01-02")
    admin.assert_fits_width("roster preview")
    admin.screenshot("new-school-roster-preview-phone")

    admin.goto("/school-plan")
    page.get_by_test_id("plan-aims").fill("提高课堂教学能力")
    page.get_by_test_id("plan-target").fill("50")
    page.get_by_test_id("plan-title-0").fill("开学专题讲座")
    page.get_by_test_id("plan-hours-0").fill("3")
    page.get_by_test_id("plan-title-1").fill("语文组听课评课")
    page.get_by_test_id("plan-hours-1").fill("两")
    with page.expect_navigation():
        page.get_by_test_id("plan-save").click()
    expect(page.get_by_test_id("plan-hours-error-1")).to_be_visible()
    expect(page.get_by_test_id("plan-title-0")).to_have_value("开学专题讲座")
    expect(page.get_by_test_id("plan-aims")).to_have_value("提高课堂教学能力")
    page.get_by_test_id("plan-hours-1").fill("2")
    with page.expect_navigation():
        page.get_by_test_id("plan-save").click()
    expect(page.get_by_test_id("plan-title-1")).to_have_value("语文组听课评课")
    admin.assert_fits_width("annual plan")
    admin.assert_no_problems()
    district.assert_no_problems()
