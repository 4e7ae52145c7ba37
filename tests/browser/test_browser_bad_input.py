"""Bad input in a real browser: the error shows beside the field it is about, what the person
typed is still there, and nothing was saved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _submit(page, testid: str) -> None:
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id(testid).click()


def _error_beside(page, field_testid: str, error_testid: str) -> None:
    """The field is marked invalid and its visible error sits in the same form group, just below it."""
    field = page.get_by_test_id(field_testid)
    expect(field).to_have_class(re.compile(r"(^|\s)is-invalid(\s|$)"))
    group = page.locator("div.mb-3, td, fieldset", has=field).last
    error = group.get_by_test_id(error_testid)
    expect(error).to_be_visible()
    assert error.inner_text().strip(), f"{error_testid} is empty"
    f_box, e_box = field.bounding_box(), error.bounding_box()
    assert f_box and e_box
    below = e_box["y"] >= f_box["y"] + f_box["height"] - 1
    assert below and e_box["y"] - (f_box["y"] + f_box["height"]) < 60, (field_testid, f_box, e_box)
    assert abs(e_box["x"] - f_box["x"]) < 20, (field_testid, f_box, e_box)


def _count_activities(live_server) -> int:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Activity

    with live_server.app.app_context():
        n = db.session.scalar(select(func.count(Activity.id)))
        db.session.remove()
    return int(n or 0)


def test_plan_form_shows_errors_beside_fields_and_keeps_the_input(browse, live_server):
    before = _count_activities(live_server)
    s = browse()
    s.login("organizer")
    s.goto("/activities/new/lecture")
    page = s.page
    page.get_by_test_id("field-title").fill("一次填错的讲座")
    page.get_by_test_id("field-starts_at").fill("2026-11-20T14:00")
    page.get_by_test_id("field-ends_at").fill("2026-11-20T12:00")  # before the start
    page.get_by_test_id("field-hours").fill("2.3")  # not in steps of 0.5
    page.get_by_test_id("field-location").fill("三楼会议室")
    page.get_by_test_id("field-details-speaker_name").fill("校外专家甲")  # topic left empty
    page.get_by_test_id("picker-filter-attendee").fill("sjy")  # 孙嘉怡 by pinyin initials
    expect(page.get_by_test_id("pick-attendee-teacher1")).to_be_hidden()
    page.get_by_test_id("pick-attendee-teacher3").check()
    page.get_by_test_id("pick-speaker-teacher4").check()
    s.ignore_console("status of 422")
    _submit(page, "activity-submit")
    assert page.url.endswith("/activities/new/lecture"), page.url

    _error_beside(page, "field-ends_at", "error-ends_at")
    _error_beside(page, "field-hours", "error-hours")
    _error_beside(page, "field-details-topic", "error-details-topic")
    expect(page.get_by_test_id("error-title")).to_have_count(0)  # the good field has no error
    expect(page.get_by_test_id("field-title")).to_have_value("一次填错的讲座")
    expect(page.get_by_test_id("field-starts_at")).to_have_value("2026-11-20T14:00")
    expect(page.get_by_test_id("field-ends_at")).to_have_value("2026-11-20T12:00")
    expect(page.get_by_test_id("field-hours")).to_have_value("2.3")
    expect(page.get_by_test_id("field-location")).to_have_value("三楼会议室")
    expect(page.get_by_test_id("field-details-speaker_name")).to_have_value("校外专家甲")
    expect(page.get_by_test_id("pick-attendee-teacher3")).to_be_checked()
    expect(page.get_by_test_id("pick-speaker-teacher4")).to_be_checked()
    expect(page.get_by_test_id("pick-attendee-teacher1")).not_to_be_checked()
    s.screenshot("zh-plan-lecture-errors")
    assert _count_activities(live_server) == before

    # fixing the three fields plans it
    page.get_by_test_id("field-ends_at").fill("2026-11-20T16:00")
    page.get_by_test_id("field-hours").fill("2")
    page.get_by_test_id("field-details-topic").fill("作业设计")
    _submit(page, "activity-submit")
    expect(page.get_by_test_id("activity-title")).to_have_text("一次填错的讲座")
    assert _count_activities(live_server) == before + 1


def test_attendance_error_is_on_the_row_and_keeps_every_value(browse, live_server):
    s = browse()
    s.login("organizer")
    path = f"/activities/{live_server.activity_id('lecture', 'held')}"  # started: attendance is open
    s.goto(path)
    saved_row = s.page.get_by_test_id("participant-teacher1").inner_text()
    with s.page.expect_navigation():
        s.page.get_by_test_id("attendance-link").click()
    page = s.page
    rows = page.locator("[data-testid^=attendance-row-]")
    assert rows.count() >= 2
    page.get_by_test_id("attended-teacher1").fill("2")
    page.get_by_test_id("attended-teacher2").fill("abc")
    page.get_by_test_id("absent-teacher3").fill("9")  # more than the 3-hour activity
    s.ignore_console("status of 422")
    _submit(page, "attendance-submit")
    expect(page.get_by_test_id("attendance-error")).to_be_visible()
    _error_beside(page, "attended-teacher2", "error-attended-teacher2")
    expect(page.get_by_test_id("attended-teacher1")).to_have_value("2")
    expect(page.get_by_test_id("attended-teacher2")).to_have_value("abc")
    expect(page.get_by_test_id("absent-teacher3")).to_have_value("9")
    expect(page.get_by_test_id("error-attended-teacher1")).to_have_count(0)
    s.screenshot("zh-attendance-errors")
    # nothing was saved: the activity page shows the attendance as it was
    s.goto(path)
    assert page.get_by_test_id("participant-teacher1").inner_text() == saved_row


def test_login_with_a_wrong_password_keeps_the_username(browse):
    s = browse()
    s.goto("/login")
    page = s.page
    page.get_by_test_id("login-username").fill("teacher1")
    page.get_by_test_id("login-password").fill("not-the-password")
    s.ignore_console("status of 401")
    _submit(page, "login-submit")
    _error_beside(page, "login-password", "error-password")
    expect(page.get_by_test_id("login-username")).to_have_value("teacher1")
    expect(page.get_by_test_id("login-password")).to_have_value("")  # never echo a password


def test_rules_form_keeps_a_bad_number(browse):
    s = browse()
    s.login("admin")
    s.goto("/admin/rules")
    page = s.page
    page.get_by_test_id("rules-required-hours").fill("五十")
    s.ignore_console("status of 422")
    _submit(page, "rules-submit")
    _error_beside(page, "rules-required-hours", "error-required_hours")
    expect(page.get_by_test_id("rules-required-hours")).to_have_value("五十")
    s.goto("/admin/rules")
    expect(page.get_by_test_id("rules-required-hours")).not_to_have_value("五十")
