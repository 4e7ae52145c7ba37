"""The teacher's year in a real Chromium at phone width: signing up for an activity (the
waiting list moving up when someone withdraws) and writing a development plan, bad input
first, then its sign-off in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _signup_activity(live_server) -> int:
    from sqlalchemy import select

    from portal.demo_year import signup_title
    from portal.extensions import db
    from portal.models import Activity

    with live_server.app.app_context():
        found = db.session.execute(select(Activity.id).where(Activity.title == signup_title())).scalar_one()
        db.session.remove()
    return int(found)


def _click(page, testid: str) -> None:
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id(testid).click()


def test_signing_up_and_the_waiting_list_moving_up(browse, live_server):
    act = _signup_activity(live_server)
    t1 = browse(viewport=PHONE)
    t1.login("teacher1")
    t1.goto(f"/activities/{act}")
    page = t1.page
    expect(page.get_by_test_id("signup-seats")).to_contain_text("3")
    expect(page.get_by_test_id("signup-join")).to_have_text("加入候补")
    _click(page, "signup-join")
    expect(page.get_by_test_id("signup-mine")).to_contain_text("第 3 位")
    expect(page.get_by_test_id("signup-waiting-list").locator("li")).to_have_count(3)
    t1.assert_fits_width("sign-up at phone width")
    t1.screenshot("zh-signup-waiting-phone")

    t2 = browse(viewport=PHONE)
    t2.login("teacher2")
    t2.goto(f"/activities/{act}")
    t2.page.on("dialog", lambda d: d.accept())
    expect(t2.page.get_by_test_id("signup-mine")).to_contain_text("您已获得名额")
    _click(t2.page, "signup-withdraw")
    expect(t2.page.get_by_test_id("signup-join")).to_be_visible()  # may sign up again

    t1.goto(f"/activities/{act}")
    expect(page.get_by_test_id("signup-mine")).to_contain_text("第 2 位")
    expect(page.get_by_test_id("seat-teacher5")).to_be_visible()  # the first waiting moved up


def test_writing_a_plan_bad_input_first_then_its_sign_off(browse, live_server):
    t = browse(viewport=PHONE)
    t.login("teacher2")
    t.goto("/")
    page = t.page
    _click(page, "home-plan-link")
    page.get_by_test_id("plan-goals-input").fill("每学期上一节公开课，听课二十节。")
    page.get_by_test_id("plan-studies-input").fill("《给教师的建议》\n课堂提问")
    page.get_by_test_id("plan-target").fill("20")  # below the requirement
    page.get_by_test_id("plan-type-lecture").fill("10")
    t.ignore_console("status of 422")
    _click(page, "plan-submit")
    expect(page.get_by_test_id("error-target_hours")).to_contain_text("50")
    expect(page.get_by_test_id("plan-goals-input")).to_have_value("每学期上一节公开课，听课二十节。")
    t.assert_fits_width("plan form at phone width")
    t.screenshot("zh-plan-error-phone")
    page.get_by_test_id("plan-target").fill("55")
    _click(page, "plan-submit")
    expect(page.get_by_test_id("plan-status")).to_have_text("待审阅")
    expect(page.get_by_test_id("plan-line-lecture")).to_be_visible()
    t.goto("/")
    expect(page.get_by_test_id("home-plan-status")).to_have_text("待审阅")

    r = browse(locale="en-US")
    r.login("reviewer", lang="en")
    r.goto("/plans?lang=en")
    _click(r.page, "plan-open-teacher2")
    r.page.get_by_test_id("plan-decision-comment").fill("Clear goals.")
    _click(r.page, "plan-approve")
    expect(r.page.get_by_test_id("plan-row-teacher2")).to_contain_text("approved")

    t.goto("/")
    expect(page.get_by_test_id("home-plan-status")).to_have_text("已同意")
    t.screenshot("zh-home-plan-phone")
