"""A school reviewer's queue on a phone (hET's walk): the reviewed activities and those of a closed
year read down the screen, each row a card. In English their tables ran 445 px and 383 px wide in
a 351 px box, so the hours about to be posted (应认定学时, the last column) were off the screen
until the reviewer scrolled sideways inside the table."""

from __future__ import annotations

import pytest

from tests.browser.test_browser_admin_cards_phone import PHONE

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_the_reviewed_and_closed_rows_read_down_a_phone(browse, lang):
    reviewer = browse(viewport=PHONE, is_mobile=True, has_touch=True)
    reviewer.login("reviewer", lang=lang)
    reviewer.goto("/review")
    page = reviewer.page
    assert page.get_by_test_id("reviewed-table").count() == 1 and page.get_by_test_id("closed-table").count() == 1
    reviewer.assert_reads_down(f"{lang} /review")
    # each reviewed row's hours to credit stand on the screen, under its heading
    totals = page.locator("[data-testid=reviewed-table] tbody tr[data-testid^=reviewed-] td:last-child")
    assert totals.count() >= 2
    for i in range(totals.count()):
        box = totals.nth(i).bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], (lang, i, box)
    label = totals.first.evaluate("td => getComputedStyle(td, '::before').content")
    assert label.strip('"') in ("应认定学时: ", "应认定学时：", "Hours to credit: "), label
    reviewer.screenshot(f"review-phone-{lang}")
    reviewer.assert_no_problems()
