"""The demo's moved teacher (唐俊杰, EAST1 → WEST1) on a phone (Chromium at 390×844, zh-CN): his home
at WEST1 shows, read only, the hours EAST1 credited him this year, the days he was there, and that
they count there; the card fits the screen, and the growth record shows it too."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_the_moved_teacher_reads_the_old_schools_hours_on_a_phone(district_demo, browse):
    from portal.demo_district import MOVED

    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login(MOVED[0])
    page = s.page
    card = page.get_by_test_id("earlier-schools")
    expect(card).to_be_visible()
    expect(card).to_contain_text("已认定")
    expect(card).to_contain_text("计入原学校")
    expect(card.locator("form, button, input")).to_have_count(0)  # read only
    s.assert_fits_width("the moved teacher's home")
    page.get_by_test_id("growth-record").tap()
    expect(page.get_by_test_id("earlier-schools")).to_contain_text("已认定")
    s.assert_fits_width("the moved teacher's record")
