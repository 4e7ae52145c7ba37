"""On a phone (375 px, zh-CN) the 成长档案 of one year (``?year=``) and of a year not on it say
so within the screen's width, and the writing page prints the year's writing without its empty
添加文章 form (as every page prints without its forms)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}


def test_one_year_of_the_record_and_a_year_not_on_it_fit_a_phone(browse, live_server):
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login("teacher1")
    teacher = live_server.user_id("teacher1")
    s.goto(f"/teachers/{teacher}/record?year=2025-2026")
    page = s.page
    assert page.locator("section.record-year").count() == 1
    expect(page.get_by_test_id("record-one-year")).to_contain_text("仅显示2025—2026学年。")
    expect(page.get_by_test_id("record-status-2025-2026")).to_contain_text("未达标")
    s.assert_fits_width("teacher1's record of 2025-2026")
    s.page.emulate_media(media="print")
    expect(page.get_by_test_id("record-one-year")).to_be_hidden()  # the screen's link, not the paper's
    s.page.emulate_media(media="screen")
    page.get_by_test_id("record-all-years").click()
    # the click navigates: wait for the page of every year before counting (counting at once
    # read the page being left, 0 sections, in CI's PostgreSQL run)
    page.wait_for_url(f"**/teachers/{teacher}/record")
    expect(page.get_by_test_id("record-one-year")).to_have_count(0)
    assert page.locator("section.record-year").count() >= 2
    s.goto(f"/teachers/{teacher}/record?year=2019-2020")
    expect(page.get_by_test_id("record-year-not-on")).to_contain_text("2019—2020学年不在")
    s.assert_fits_width("a year not on teacher1's record")
    s.screenshot("record-year-not-on-375")


def test_the_writing_page_prints_the_writing_not_the_form(browse, live_server):
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login("teacher1")
    s.goto("/writing")
    page = s.page
    expect(page.get_by_test_id("writing-form")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_test_id("writing-add")).to_be_hidden()
    expect(page.get_by_test_id("writing-list")).to_be_visible()
    expect(page.locator("[data-testid^=writing-edit-]").first).to_be_hidden()
    s.screenshot("writing-print-375")
