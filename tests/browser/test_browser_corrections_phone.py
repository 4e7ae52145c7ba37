"""Correction requests on a phone (Chromium at 375×812, zh-CN): the demo admin's to-do list links
the request waiting on her; she reads it and declines it with a reason; its requester reads both of
his on /corrections, the demo's declined one with the admin's words. No page scrolls sideways."""

from __future__ import annotations

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
