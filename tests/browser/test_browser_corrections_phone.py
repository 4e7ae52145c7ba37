"""Correction requests on a phone (Chromium at 375×812, zh-CN): the demo admin's to-do list links
the request waiting on her; she reads it and declines it with a reason; its requester reads both of
his on /corrections, the demo's declined one with the admin's words. No page scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def test_a_correction_request_from_the_to_do_list_to_its_requester_on_a_phone(live_server, browse):
    from portal.demo_corrections import ASKED, DECLINED

    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login("admin")
    page = s.page
    item = page.get_by_test_id("todo-corrections_waiting")
    expect(item).to_contain_text("条更正申请待您处理")
    s.assert_fits_width("the admin's home with a correction request waiting")
    item.get_by_role("link").tap()
    waiting = page.get_by_test_id("corrections-waiting")
    expect(waiting).to_contain_text(ASKED[1][1])
    s.assert_fits_width("the correction requests")
    waiting.get_by_role("link").first.tap()
    expect(page.get_by_test_id("correction")).to_contain_text(ASKED[1][2])
    s.assert_fits_width("a correction request")
    s.ignore_console("status of 422")
    page.get_by_test_id("correction-decline").tap()  # no reason: said, nothing closed
    expect(page.get_by_test_id("form-errors")).to_contain_text("请写明不予办理的理由")
    page.get_by_test_id("correction-close-reason").fill("组织者已按签到表补记，请查看考勤页面。")
    page.get_by_test_id("correction-decline").tap()
    expect(page.get_by_test_id("corrections-none-waiting")).to_be_visible()
    s.logout()
    s.login(ASKED[1][0])
    s.goto("/corrections")
    mine = page.get_by_test_id("corrections-mine")
    expect(mine).to_contain_text("组织者已按签到表补记")
    expect(mine).to_contain_text("不予办理")
    s.assert_fits_width("the requester's correction requests")
    s.logout()
    s.login(ASKED[0][0])
    s.goto("/corrections")
    expect(page.get_by_test_id("corrections-mine")).to_contain_text(DECLINED)
    s.assert_fits_width("the declined request of the demo")
    s.assert_no_problems()


def test_a_teacher_asks_for_a_correction_on_a_phone(live_server, browse):
    """The demo teacher whose request was declined asks again from the activity page on a phone:
    the form fits, a blank reason is said in place, the sent request is said on the activity page
    (已于…申请，待处理) with a link to it instead of the ask link."""
    from portal.demo_corrections import ASKED

    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login(ASKED[0][0])
    page = s.page
    s.goto("/corrections")
    page.get_by_test_id("corrections-mine").get_by_role("link").first.tap()
    page.wait_for_url(re.compile(r"/corrections/\d+$"))
    page.get_by_test_id("correction").get_by_role("link").first.tap()  # its activity
    page.wait_for_url(re.compile(r"/activities/\d+$"))
    link = page.get_by_test_id("ask-correction-link")
    expect(link).to_be_visible()
    s.assert_fits_width("the activity page offering a correction")
    link.tap()
    page.wait_for_url(re.compile(r"/corrections/new\?kind=row$"))
    expect(page.get_by_test_id("correction-kind-row")).to_be_checked()
    s.assert_fits_width("the form asking for a correction")
    s.ignore_console("status of 422")
    page.get_by_test_id("correction-wanted").fill("请假 2 小时")
    page.get_by_test_id("correction-reason").fill("  ")
    page.get_by_test_id("correction-send").tap()  # no reason: said, nothing sent
    expect(page.get_by_test_id("form-errors")).to_contain_text("请写明理由")
    expect(page.get_by_test_id("correction-wanted")).to_have_value("请假 2 小时")
    s.assert_fits_width("the form refused")
    page.get_by_test_id("correction-reason").fill("已补交请假条，请按请假记录。")
    page.get_by_test_id("correction-send").tap()
    page.wait_for_url(re.compile(r"/activities/\d+$"))
    asked = page.get_by_test_id("correction-asked")
    expect(asked).to_contain_text("申请，待处理")
    expect(asked).to_contain_text("请假 2 小时")
    expect(page.get_by_test_id("ask-correction-link")).to_have_count(0)
    s.assert_fits_width("the activity page with the request waiting")
    asked.get_by_role("link").tap()
    page.wait_for_url(re.compile(r"/corrections/\d+$"))
    expect(page.get_by_test_id("correction")).to_contain_text("已补交请假条")
    s.assert_fits_width("the request sent")
    s.assert_no_problems()
