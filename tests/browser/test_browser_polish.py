"""Looks that a phone depends on: the workflow diagram keeps a readable size and scrolls on its
own, no edge label covers a state box (measured in the rendered page), the review queue keeps
names on one line, and a teacher whose year is not recognised is told so plainly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 800}


def _overlaps(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_diagram_scrolls_at_a_readable_size_on_a_phone(browse, live_server, lang):
    credited = live_server.activity_id("observation", "credited")
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login("reviewer", lang="en" if lang == "en" else None)
    s.goto(f"/activities/{credited}")
    s.assert_fits_width("activity page")
    # the state and the next step are text; the diagram is folded until asked for
    expect(s.page.get_by_test_id("workflow-now")).to_be_visible()
    expect(s.page.get_by_test_id("workflow-diagram")).to_be_hidden()
    s.page.get_by_test_id("workflow-details").locator("summary").click()
    svg = s.page.get_by_test_id("workflow-diagram")
    expect(svg).to_be_visible()
    natural = float(svg.get_attribute("width"))
    assert svg.bounding_box()["width"] == pytest.approx(natural, abs=1)  # not shrunk to the screen
    sizes = s.page.locator(".workflow-svg .edge-label").evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert sizes and min(sizes) >= 12
    scroller = s.page.locator("[data-workflow-scroll]")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
    expect(s.page.get_by_test_id("workflow-hint")).to_be_visible()
    # the current state is scrolled into view
    box = s.page.get_by_test_id("diagram-state-credited").bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]
    labels = s.page.locator(".workflow-svg .edge-label").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); "
        "return {x: r.x, y: r.y, width: r.width, height: r.height, t: e.textContent}; })")
    states = s.page.locator(".workflow-svg .state rect").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); "
        "return {x: r.x, y: r.y, width: r.width, height: r.height}; })")
    for label in labels:
        for rect in states:
            assert not _overlaps(label, rect), f"label {label['t']} lies over a state box"
    s.assert_no_problems()


def test_the_review_queue_keeps_names_on_one_line_on_a_phone(browse):
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login("reviewer")
    s.goto("/review")
    s.assert_fits_width("review queue")
    row = s.page.locator("[data-testid^=queue-participant-]").first
    for cell in (row.locator("td").nth(0), row.locator("td").nth(1)):
        height = cell.bounding_box()["height"]
        line = float(cell.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert height < 1.6 * line, f"{cell.inner_text()!r} wraps"
    s.assert_no_problems()


def _absent(live_server, hours: str) -> None:
    from portal.database import write_transaction
    from portal.extensions import db
    from portal.models import Activity, Participation, User

    with live_server.app.app_context():
        me = db.session.execute(select(User).where(User.username == "teacher1")).scalar_one()
        part = db.session.execute(
            select(Participation)
            .join(Activity, Activity.id == Participation.activity_id)
            .where(Participation.user_id == me.id, Activity.state == "credited")
            .order_by(Activity.id)
        ).scalars().first()
        with write_transaction():
            part.absent_hours = Decimal(hours)
        db.session.remove()


@pytest.mark.parametrize(("lang", "viewport", "name"), [
    (None, PHONE, "phone-zh-teacher-home-not-recognised"),
    ("en", DESKTOP, "en-teacher-home-not-recognised"),
])
def test_a_year_not_recognised_is_shown_plainly(browse, live_server, lang, viewport, name):
    _absent(live_server, "5")
    s = browse(locale="zh-CN", viewport=viewport)
    s.login("teacher1", lang=lang)
    expect(s.page.get_by_test_id("not-recognised")).to_be_visible()
    expect(s.page.get_by_test_id("absence")).to_be_visible()
    s.assert_fits_width("home")
    s.screenshot(name)
    s.assert_no_problems()
