"""A school admin's tables on a phone (hEP's walk) read without sideways scrolling inside their
boxes — the document fitted the screen, so the phone walks never saw it: the English 学时汇总表's
cards (a long label pushed teacher1's absence 3 / 0 past the card's edge, her four warnings side by
side ran 70 px beyond it) and the audit trail's cards of the school's settings (a rule's name kept
on one line made them 500 px wide in Chinese, 970 px in English)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_the_summary_and_the_audit_trail_read_down_a_phone(browse, lang):
    admin = browse(viewport=PHONE, is_mobile=True, has_touch=True)
    admin.login("admin", lang=lang)
    # a rule changed, so the settings' trail has a line of the rules (the demo's is by the command line)
    admin.goto("/admin/rules")
    page = admin.page
    page.locator("#reading_notes_per_month").fill("2")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    for path in ("/reports/summary", "/admin/audit?view=settings", "/admin/audit?view=staff", "/admin/audit"):
        admin.goto(path)
        admin.assert_reads_down(f"{lang} {path}")
    admin.goto("/reports/summary")
    warnings = page.get_by_test_id("warnings-teacher1").locator(".badge")
    assert warnings.count() >= 2
    right = max(warnings.nth(i).evaluate("e => e.getBoundingClientRect().right") for i in range(warnings.count()))
    assert right <= PHONE["width"], right
    admin.screenshot(f"admin-summary-phone-{lang}")
    admin.assert_no_problems()
