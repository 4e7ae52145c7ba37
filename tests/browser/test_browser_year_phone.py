"""Phone width (375×667, zh-CN) for the pages of the teacher's year a school admin and a
reviewer work on: the teaching groups (/admin/groups) and the list of personal plans to sign
off (/plans). No sideways scrolling of the page, and the main actions are on the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.demo import READING_NOTES
from portal.textcount import chinese_count
from tests.support.texts import prose

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}


def _on_screen(page, testid: str) -> None:
    """Visible and inside the screen's width (not hidden to the right of a scrolling table)."""
    target = page.get_by_test_id(testid).first
    expect(target).to_be_visible()
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (testid, box)


def _phone(browse, username: str):
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login(username)
    return s


def test_the_groups_page_fits_a_phone(browse, live_server):
    s = _phone(browse, "admin")
    s.goto("/admin/groups")
    page = s.page
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    s.assert_fits_width("admin /admin/groups")
    expect(page.get_by_test_id("groups-table")).to_contain_text("语文组")
    expect(page.locator("label[for=group-name]")).to_have_text("教研组名称")  # a group's name, not a person's (姓名)
    for testid in ("groups-table", "group-name", "group-leader", "group-members-filter", "group-submit"):
        _on_screen(page, testid)
    first_edit = page.locator("[data-testid^=group-edit-]").first.get_attribute("data-testid")
    first_delete = page.locator("[data-testid^=group-delete-]").first.get_attribute("data-testid")
    _on_screen(page, first_edit)
    _on_screen(page, first_delete)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    s.screenshot("phone-year-admin-groups")
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id(first_edit).click()
    s.assert_fits_width("admin editing a group")
    _on_screen(page, "group-submit")
    s.screenshot("phone-year-admin-group-edit")
    s.assert_no_problems()


@pytest.mark.parametrize("username", ["reviewer", "admin"])
def test_the_plan_list_fits_a_phone(browse, live_server, username):
    s = _phone(browse, username)
    s.goto("/plans")
    page = s.page
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    s.assert_fits_width(f"{username} /plans")
    expect(page.get_by_test_id("plan-row-teacher1")).to_be_visible()
    _on_screen(page, "plan-open-teacher1")
    if username == "admin":
        _on_screen(page, "plan-deadline")
        _on_screen(page, "deadline-save")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    s.screenshot(f"phone-year-{username}-plans")
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id("plan-open-teacher1").click()
    s.assert_fits_width(f"{username} a plan to sign off")
    s.screenshot(f"phone-year-{username}-plan")
    s.assert_no_problems()


def test_correcting_and_deleting_writing_on_a_phone(browse, live_server):
    """teacher1's writing (the demo's corrected reading notes): the list's correct and delete
    buttons are on the screen, a bad correction is refused in Chinese and changes nothing, a
    good one moves the quota at once."""
    s = _phone(browse, "teacher1")
    s.goto("/writing")
    page = s.page
    s.assert_fits_width("teacher1 /writing")
    expect(page.get_by_test_id("writing-edited").first).to_be_visible()  # the demo note was corrected
    corrected = page.locator("tr", has=page.get_by_test_id("writing-edited"))  # the reading notes
    edit = corrected.locator("[data-testid^=writing-edit-]").get_attribute("data-testid")
    delete = corrected.locator("[data-testid^=writing-delete-]").get_attribute("data-testid")
    _on_screen(page, edit)
    _on_screen(page, delete)
    s.screenshot("phone-year-teacher1-writing")
    before = page.get_by_test_id("quota-reading_notes-0").get_attribute("data-done")
    assert before == str(chinese_count(READING_NOTES))
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id(edit).click()
    s.assert_fits_width("teacher1 correcting writing")
    s.ignore_console("status of 422")  # the refused form comes back with 422
    page.get_by_test_id("writing-text").fill("")
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id("writing-save").click()
    expect(page.get_by_test_id("writing-error")).to_contain_text("未保存")
    s.screenshot("phone-year-teacher1-writing-refused")
    s.assert_fits_width("teacher1 correction refused")
    page.get_by_test_id("writing-kind").select_option("reading_notes")
    page.get_by_test_id("writing-title").fill("《给教师的建议》")
    page.get_by_test_id("writing-text").fill(prose(3000, "读"))
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id("writing-save").click()
    expect(page.get_by_test_id("quota-reading_notes-0")).to_have_attribute("data-done", "3000")  # the demo's → 3,000
    s.screenshot("phone-year-teacher1-writing-corrected")
    page.once("dialog", lambda dialog: dialog.accept())  # data-confirm asks first
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id(delete).click()
    expect(page.get_by_test_id("quota-reading_notes-0")).to_have_attribute("data-done", "0")
    expect(page.get_by_test_id(delete)).to_have_count(0)
    s.assert_no_problems()


def test_the_organizer_sees_withdrawals_on_a_phone(browse, live_server):
    from sqlalchemy import select

    from portal.demo_year import signup_title
    from portal.extensions import db
    from portal.models import Activity

    with live_server.app.app_context():
        act = db.session.execute(select(Activity.id).where(Activity.title == signup_title())).scalar_one()
        db.session.remove()
    s = _phone(browse, "organizer")
    s.goto(f"/activities/{act}")
    page = s.page
    page.get_by_test_id("signup").scroll_into_view_if_needed()
    expect(page.get_by_test_id("withdrawn-teacher1")).to_contain_text("退出")
    expect(page.get_by_test_id("promoted-teacher4")).to_contain_text("由候补转为正式名额")
    _on_screen(page, "withdrawn-teacher1")
    _on_screen(page, "signup-confirm")
    s.assert_fits_width("organizer sign-up with withdrawals")
    s.screenshot("phone-year-organizer-signup-withdrawals")
    t1 = _phone(browse, "teacher1")
    t1.goto(f"/activities/{act}")
    expect(t1.page.get_by_test_id("signup-mine")).to_contain_text("退出报名")
    expect(t1.page.get_by_test_id("signup-withdrawn-list")).to_have_count(0)
    t1.assert_fits_width("teacher1 own withdrawal")
    t1.goto("/signups")
    expect(t1.page.get_by_test_id(f"my-signup-{act}")).to_contain_text("已退出")
    t1.assert_fits_width("teacher1 /signups")
    t1.screenshot("phone-year-teacher1-signups")
    s.assert_no_problems()
    t1.assert_no_problems()
