"""On a touch screen (a 360 px phone, a 768 px tablet; zh-CN): the links a thumb aims at are
40 px boxes — in a table without making its rows taller than the links or overlapping, and
untouched on a desktop — the tablet's buttons are the phone's size, the home's forecast gives a
title its own line, and date fields open the phone's own picker, still refusing what is not a date."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_phone import SMALL_TARGETS, _submission_id

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1366, "height": 768}
TOUCH = {"is_mobile": True, "has_touch": True}

# Every visible link in a table's cell, and the links marked as a thumb's: their boxes, with the
# row they are in (to find two rows' links overlapping)
LINK_BOXES = """() => [...document.querySelectorAll(
    '.table td a[href]:not(.btn), .tap-link, .queue-title, .forecast-list > li > a')]
  .filter(a => { const r = a.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
  .map(a => { const r = a.getBoundingClientRect(), row = a.closest('tr');
    return {text: a.innerText.trim().slice(0, 16), top: r.top + scrollY, bottom: r.bottom + scrollY,
            width: r.width, height: r.height,
            row: row ? [...document.querySelectorAll('tr')].indexOf(row) : null}; })"""
LINK_PAGES = {
    "teacher1": ["/", "/activities"],
    "reviewer": ["/review"],
    "admin": ["/plans", "/reports/summary"],
    "district": ["/district", "/district/dashboard", "/district/submissions", "/district/submissions/{submission}",
                 "/district/plans"],
}


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone", "tablet"])
def test_links_a_thumb_aims_at_are_40_px(browse, live_server, viewport):
    """A table's links (an activity's title in the list, a school, a teacher's name, 查看) were
    15-16 px high on a phone, the home's 成长档案 · 我的报名 and its forecast's activities 19, the
    review queue's titles 24: each is now 40 px or more high and wide, and no two rows' links
    overlap (the growth is taken from the cells' padding)."""
    ids = {"submission": _submission_id(live_server)}
    for role, paths in LINK_PAGES.items():
        s = browse(locale="zh-CN", viewport=viewport, **TOUCH)
        s.login(role)
        for path in (p.format(**ids) for p in paths):
            s.goto(path)
            s.assert_fits_width(f"{role} {path}")
            boxes = s.page.evaluate(LINK_BOXES)
            assert boxes, (role, path)
            small = [b for b in boxes if b["height"] < 39.5 or b["width"] < 39.5]
            assert small == [], (role, path, small)
            in_rows = sorted((b for b in boxes if b["row"] is not None), key=lambda b: b["top"])
            for upper, lower in zip(in_rows, in_rows[1:], strict=False):
                if upper["row"] != lower["row"]:
                    assert upper["bottom"] <= lower["top"] + 0.5, (role, path, upper, lower)


# Links standing alone on their line that these people tap on a phone: the organiser at the door
# with the check-in screen (to 确认考勤, the 签到表 and back to the activity), the district reviewer
# for the reports and the submitted figures' spreadsheets
STANDING_LINKS = {
    "organizer": {"/activities/{checkin}/checkin/screen": ["checkin-to-attendance", "checkin-to-sheet",
                                                           "checkin-to-activity"]},
    "dreviewer": {"/district": ["district-reports-link"],
                  "/district/dashboard": ["accepted-xlsx", "accepted-csv"],
                  "/district/submissions/{submission}": ["frozen-xlsx"]},
}


def test_the_links_an_organiser_and_a_district_reviewer_tap_are_40_px(browse, live_server):
    """On a 375 px phone the check-in screen's 确认考勤 · 打印签到表 were 19 px high links, and the
    district's 统计报表, 各校报送数据（XLSX） · CSV and the submission's spreadsheet too: each is
    now a 40 px box (and the screen's title leads back to the activity)."""
    from tests.browser.test_browser_checkin import _checkin_activity

    ids = {"submission": _submission_id(live_server), "checkin": _checkin_activity(live_server)}
    for role, pages in STANDING_LINKS.items():
        s = browse(locale="zh-CN", viewport={"width": 375, "height": 812}, **TOUCH)
        s.login(role)
        for path, testids in pages.items():
            s.goto(path.format(**ids))
            for testid in testids:
                box = s.page.get_by_test_id(testid).bounding_box()
                assert box is not None and box["height"] >= 39.5 and box["width"] >= 39.5, (role, path, testid, box)


def test_a_desktops_table_links_keep_their_size(browse):
    """With a mouse at a desktop's width the table's links stay a line of text: the rows of the
    activities list are not made taller for a thumb that is not there."""
    s = browse(locale="zh-CN", viewport=DESKTOP)
    s.login("teacher1")
    s.goto("/activities")
    boxes = s.page.evaluate(LINK_BOXES)
    assert boxes and max(b["height"] for b in boxes) < 30, boxes
    assert s.page.locator(".table td a[href]").first.evaluate("a => getComputedStyle(a).display") == "inline"


def test_a_tablets_buttons_are_a_thumbs_size(browse, live_server):
    """A touch screen 768 px wide had the desktop's controls: 31 px buttons (标为已读, 下载 PDF,
    修改, 删除), 38 px fields and 21 px toggles (查看流程图)."""
    credited = live_server.activity_id("observation", "credited")
    pages = {"teacher1": ["/notifications", "/writing", "/activities"], "reviewer": ["/review"],
             "admin": ["/admin/staff", f"/activities/{credited}/certificate", "/reports/summary"]}
    for role, paths in pages.items():
        s = browse(locale="zh-CN", viewport=TABLET, **TOUCH)
        s.login(role)
        for path in paths:
            s.goto(path)
            assert s.page.evaluate(SMALL_TARGETS) == [], (role, path)


def test_the_homes_forecast_gives_a_title_its_own_line_on_a_phone(browse):
    """Beside its day and hours (2026-11-07 · 缺席 3 学时 · +0 学时) an activity's title was
    squeezed to four characters a line: on a phone the title has the line, the figures go under it."""
    s = browse(locale="zh-CN", viewport=PHONE, **TOUCH)
    s.login("teacher1")
    rows = s.page.locator("[data-testid=forecast-pending] > li")
    assert rows.count() >= 3
    for n in range(rows.count()):
        row = rows.nth(n)
        link, figures = row.locator("a").bounding_box(), row.locator("span").bounding_box()
        assert link["width"] >= row.bounding_box()["width"] - 1, n
        assert figures["y"] >= link["y"] + link["height"] - 0.5, n


DATE_FIELDS = "input[data-date-input]"
DATE_PAGES = {  # every form with a date, as its author sees it
    "organizer": ["/activities/new/lecture", "/activities/{planned}"],  # starts / ends, sign-up closes
    "admin": ["/admin/staff", "/admin/audit", "/plans"],  # birth date, the audit's days, the plans' deadline
    "district": ["/district/deadlines"],
}


def _date_types(s) -> dict[str, str]:
    return dict(s.page.locator(DATE_FIELDS).evaluate_all(
        "els => els.map(e => [e.name + ':' + e.dataset.dateInput, e.type])"))


def test_date_fields_open_the_phones_picker(browse, live_server):
    """On a Chinese phone every date field is the browser's own date (or date and time) field —
    its picker, in the phone's language — holding the ISO value the page wrote."""
    ids = {"planned": live_server.activity_id("lecture", "planned")}
    for role, paths in DATE_PAGES.items():
        s = browse(locale="zh-CN", viewport=PHONE, **TOUCH)
        s.login(role)
        for path in (p.format(**ids) for p in paths):
            s.goto(path)
            types = _date_types(s)
            assert types, (role, path)
            for name, kind in types.items():
                assert kind == ("date" if name.endswith(":date") else "datetime-local"), (role, path, types)
            kept = s.page.locator(DATE_FIELDS).evaluate_all(  # the page's value, read by the picker
                "els => els.every(e => e.value === (e.getAttribute('value') || '').trim().replace(' ', 'T'))")
            assert kept, (role, path)
            s.assert_fits_width(f"{role} {path}")
    assert s.page.get_by_test_id("deadline-date").input_value() == ""  # an empty field stays empty


@pytest.mark.parametrize(("locale", "options"), [("zh-CN", {}), ("en-US", TOUCH)], ids=["desktop", "english-phone"])
def test_date_fields_stay_text_without_a_touch_screen_or_in_another_language(browse, locale, options):
    """With a mouse the field takes 2026年12月4日 as typed; an English phone on a Chinese page
    would show 12/04/2026 beside the page's 2026-12-04: both keep the text field."""
    s = browse(locale=locale, viewport=PHONE if options else DESKTOP, **options)
    s.login("organizer")
    s.goto("/activities/new/lecture")
    assert set(_date_types(s).values()) == {"text"}


def test_a_phones_date_field_still_refuses_what_is_not_a_date(browse):
    """A picker sends ISO dates, but a script may send anything: the server still refuses it
    beside the field, and the field gives back what was sent, as text, to correct. A good
    date from the picker plans the activity."""
    s = browse(locale="zh-CN", viewport=PHONE, **TOUCH)
    s.ignore_console("status of 422")  # the refused form is answered 422, on purpose
    s.login("organizer")
    s.goto("/activities/new/lecture")
    page = s.page
    starts = page.get_by_test_id("field-starts_at")
    assert starts.get_attribute("type") == "datetime-local"
    page.get_by_test_id("field-title").fill("触屏日期讲座")
    starts.evaluate("e => { e.type = 'text'; e.value = '下周三下午'; }")  # what a script could post
    page.get_by_test_id("field-ends_at").fill("2026-12-20T16:00")
    page.get_by_test_id("field-hours").fill("2")
    with page.expect_navigation():
        page.get_by_test_id("activity-submit").click()
    expect(page.get_by_test_id("error-starts_at")).to_be_visible()
    expect(starts).to_have_value("下周三下午")
    assert starts.get_attribute("type") == "text"
    assert page.get_by_test_id("field-ends_at").get_attribute("type") == "datetime-local"  # kept, as ISO
    expect(page.get_by_test_id("field-ends_at")).to_have_value("2026-12-20T16:00")
