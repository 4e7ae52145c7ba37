"""The roster's preview on a phone (hEP's walk): rows with problems — a username of another school,
one of a teacher on the staff, one of a teacher who left — each a sentence or two. The table was a
column of seven headings and the problems a column four characters wide, cut at the screen's edge
and scrolled sideways inside the table; now each row is a card whose problems read across it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
ROSTER = "用户名,姓名,角色\ndistrict,某某,教师\nTeacher1,王雅琴,教师\nteacher7,唐婉清,教师\n"


def test_the_rosters_problems_read_across_a_phone(browse, tmp_path):
    admin = browse(viewport=PHONE, is_mobile=True, has_touch=True)
    admin.login("admin")
    roster = tmp_path / "名册.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    admin.preview_roster(roster)
    page = admin.page
    expect(page.get_by_test_id("roster-summary")).to_contain_text("0 行可以导入，3 行有问题")
    expect(page.get_by_test_id("roster-error-4")).to_contain_text("请在教职工页面为其重新勾选角色")
    admin.assert_fits_width("roster preview")
    table = page.get_by_test_id("roster-table")
    # nothing scrolls sideways inside the table's box either (the document fitted before too)
    box = table.evaluate("t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
    assert box[0] <= box[1], box
    for line in (2, 3, 4):  # each problem as wide as the card: no column of a few characters a line
        width = page.get_by_test_id(f"roster-error-{line}").evaluate("e => e.getBoundingClientRect().width")
        assert width > PHONE["width"] * 0.8, (line, width)
    admin.screenshot("roster-problems-phone")
    admin.assert_no_problems()
