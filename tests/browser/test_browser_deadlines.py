"""The district admin announces a deadline in a real Chromium at phone width (a bad one is
refused with the reason beside the field and nothing saved), and the school admin finds it on
their home."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


def test_the_district_admin_announces_a_deadline_and_the_school_admin_sees_it(live_server, browse):
    from portal.services import announcements

    with live_server.app.app_context():
        due = (announcements.district_today() + timedelta(days=14)).isoformat()
    district = browse(viewport=PHONE)
    district.login("district")
    page = district.page
    district.goto("/district/deadlines")
    district.ignore_console("status of 422")  # the refused form is answered 422, on purpose
    items_before = page.locator('[data-testid="deadline-list"] li').count()
    page.get_by_test_id("deadline-date").fill(due)
    page.get_by_test_id("deadline-save").click()  # no title
    expect(page.get_by_test_id("deadline-error")).to_be_visible()
    expect(page.locator(".invalid-feedback")).to_have_text("1 至 200 个字符")
    assert page.locator('[data-testid="deadline-list"] li').count() == items_before
    page.get_by_test_id("deadline-title").fill("第一学期学时核对")
    page.get_by_test_id("deadline-date").fill(due)
    page.get_by_test_id("deadline-note").fill("请各校在截止日前核对教师学时。")
    page.get_by_test_id("deadline-audience").select_option("school_admins")
    page.get_by_test_id("deadline-save").click()
    expect(page.get_by_test_id("deadline-list")).to_contain_text("第一学期学时核对")
    district.assert_fits_width("district deadlines")

    admin = browse(viewport=PHONE)
    admin.login("admin")
    expect(admin.page.get_by_test_id("district-deadlines")).to_contain_text("第一学期学时核对")
    expect(admin.page.get_by_test_id("district-deadlines")).to_contain_text(due)
    admin.assert_fits_width("school admin home")
    teacher = browse(viewport=PHONE)
    teacher.login("teacher1")
    expect(teacher.page.get_by_test_id("district-deadlines")).not_to_contain_text("第一学期学时核对")
