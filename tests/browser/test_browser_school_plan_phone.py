"""On a phone (375 px, zh-CN) the school's annual plan reads down the screen: its 12-month grid of
planned and held activities scrolled sideways inside its box (474 px in 351), so on a phone each type
is a line of its months; on a wider screen and on paper the grid stays a table."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}


def _months_of(s) -> list[str]:
    """The grid's non-empty cells as the lines show them: 「10月 1/2」, type by type."""
    return s.page.evaluate("""() => [...document.querySelectorAll('[data-testid=school-plan-grid] tbody tr')]
      .flatMap(tr => [...tr.querySelectorAll('td')].map((td, i) => [i, td.innerText.trim()])
        .filter(([, t]) => t).map(([i, t]) => document.querySelectorAll(
          '[data-testid=school-plan-grid] thead th')[i + 1].innerText.trim() + ' ' + t))""")


@pytest.mark.parametrize("username", ["admin", "dreviewer"])
def test_the_annual_plan_reads_down_a_phone(browse, live_server, username):
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login(username)
    if username == "admin":
        s.goto("/school-plan")
    else:
        s.goto("/district/plans")
        s.goto(s.page.locator("a[href*='/district/plans/']").first.get_attribute("href"))
    page = s.page
    lines = page.get_by_test_id("school-plan-grid-lines")
    expect(lines).to_be_visible()
    expect(page.get_by_test_id("school-plan-grid")).to_be_hidden()
    said = lines.inner_text()
    cells = _months_of(s)
    assert cells, "the demo's plan has held or planned activities"
    for cell in cells:  # every cell of the table is on a line, as the table says it
        assert cell in said, (cell, said)
    assert re.search(r"\d+月 \d+/\d+", said), said
    s.assert_reads_down(f"{username}'s annual plan")
    s.screenshot(f"school-plan-{username}-375")
    page.emulate_media(media="print")  # paper keeps the table
    expect(page.get_by_test_id("school-plan-grid")).to_be_visible()
    expect(lines).to_be_hidden()
    s.assert_no_problems()
