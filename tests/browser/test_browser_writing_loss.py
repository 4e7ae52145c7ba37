"""The writing page on a phone names, beside a piece's delete, what deleting it would leave short for
good (the demo's teacher6: one reading note of last month, ``demo.LAST_MONTHS_NOTE``), and the
delete's confirmation says it too. None in September (last month is last year's)."""

from __future__ import annotations

from playwright.sync_api import expect

from portal.timeutil import to_local, utcnow
from tests.browser.test_browser_year_phone import PHONE, _phone


def test_the_loss_is_said_beside_the_delete_on_a_phone(browse, live_server):
    if to_local(utcnow(), "Asia/Shanghai").month == 9:
        return  # last month is last school year's: the demo wrote no such note
    s = _phone(browse, "teacher6")
    s.goto("/writing")
    page = s.page
    s.assert_fits_width("teacher6 /writing")
    loses = page.locator("[data-testid^=writing-loses-]")
    expect(loses).to_have_count(1)
    expect(loses).to_contain_text("的读书笔记将无法再达标")
    row = page.locator("tr", has=loses)
    delete = row.locator("[data-testid^=writing-delete-]")
    box = delete.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    said = loses.inner_text()
    messages: list[str] = []
    page.once("dialog", lambda d: (messages.append(d.message), d.dismiss()))
    delete.click()
    assert messages and said in messages[0], messages
    expect(loses).to_have_count(1)  # dismissed: nothing deleted
    s.screenshot("phone-writing-loss")
    s.assert_no_problems()
