"""QR check-in in real Chromium: the organizer's screen (its script fetches the rotating code and
the count), a teacher on a phone (375×667) opening the scanned link, logging in, confirming with
one tap; the screen's count goes up by itself. An expired code gets a clear Chinese answer."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.demo_reach import checkin_title
from portal.extensions import db
from portal.models import Activity
from portal.services import checkin
from portal.timeutil import utcnow

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 667}


def _checkin_activity(live_server) -> int:
    with live_server.app.app_context():
        found = db.session.execute(select(Activity.id).where(Activity.title == checkin_title())).scalar_one()
        db.session.remove()
    return found


def test_a_teacher_checks_in_on_a_phone_and_the_screen_counts_them(browse, live_server):
    act_id = _checkin_activity(live_server)
    screen = browse()
    screen.login("organizer")
    screen.goto(f"/activities/{act_id}")
    screen.page.get_by_test_id("checkin-screen-link").click()
    expect(screen.page.get_by_test_id("checkin-qr").locator("svg")).to_be_visible()
    expect(screen.page.get_by_test_id("checkin-count")).to_have_text("2")
    # the screen's script has fetched the current code (what the QR encodes)
    expect(screen.page.get_by_test_id("checkin-screen")).to_have_attribute(
        "data-code-url", re.compile(rf"/checkin/{act_id}/\d+\.[0-9a-f]+$"))
    code_url = screen.page.get_by_test_id("checkin-screen").get_attribute("data-code-url")
    assert code_url and urlsplit(code_url).path.startswith(f"/checkin/{act_id}/")
    screen.screenshot("checkin-screen")

    phone = browse(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(urlsplit(code_url).path, expect_status=200)  # the scan: on to the login page
    assert "/login" in phone.page.url
    # the scan is kept: the page says so and what to do, not "sign in to see this page"
    expect(phone.page.get_by_test_id("flash-info")).to_have_text("签到码有效：请登录，登录后即可签到。")
    phone.page.fill("input[name=username]", "teacher1")
    phone.page.fill("input[name=password]", "yanxiu-demo")
    with phone.page.expect_navigation(wait_until="load"):
        phone.page.locator("form [type=submit]").first.click()
    submit = phone.page.get_by_test_id("checkin-submit")
    expect(submit).to_contain_text("王雅琴")
    phone.assert_fits_width("check-in confirm")
    submit.tap()
    expect(phone.page.get_by_test_id("checkin-done")).to_contain_text("签到成功")
    phone.assert_fits_width("checked in")
    phone.screenshot("checkin-phone-done")
    expect(screen.page.get_by_test_id("checkin-count")).to_have_text("3", timeout=15_000)  # by itself


def test_an_expired_code_is_refused_in_chinese_on_a_phone(browse, live_server):
    act_id = _checkin_activity(live_server)
    with live_server.app.app_context():
        old = checkin.make_code(act_id, utcnow() - timedelta(minutes=2))
    phone = browse(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.login("teacher1")
    phone.ignore_console("409")
    phone.goto(f"/checkin/{act_id}/{old}", expect_status=409)
    expect(phone.page.get_by_test_id("checkin-refused")).to_contain_text("签到码已过期")
    phone.assert_fits_width("expired code")


def test_the_sign_in_sheet_prints_without_the_navigation(browse, live_server):
    act_id = _checkin_activity(live_server)
    session = browse()
    session.login("organizer")
    session.goto(f"/activities/{act_id}/sign-in-sheet")
    session.page.emulate_media(media="print")
    expect(session.page.get_by_test_id("navbar")).to_be_hidden()
    expect(session.page.get_by_test_id("print-sheet")).to_be_hidden()
    expect(session.page.locator("th.sheet-signature")).to_have_text("签名")


def test_the_attendance_page_of_a_reviewed_activity_offers_no_field_to_change(browse, live_server):
    """Review (hGA): where the save is refused (here: the activity has been reviewed) the hour fields
    took typing and the QR note said "Confirm or correct them.". In Chromium the fields are disabled
    and the note only says who checked in."""
    from portal.models import CheckIn, Participation
    from portal.registry import registry

    organizer = live_server.user_id("organizer")
    with live_server.app.app_context():
        acts = db.session.execute(select(Activity).where(Activity.organizer_id == organizer)
                                  .order_by(Activity.id)).scalars()
        act = next(a for a in acts if not registry().phase(a.type_key, a.state).editable)
        act_id, attendee = act.id, db.session.execute(select(Participation.user_id).where(
            Participation.activity_id == act.id).order_by(Participation.id)).scalars().first()
        db.session.add(CheckIn(activity_id=act_id, user_id=attendee))
        db.session.commit()
        db.session.remove()
    session = browse()
    session.login("organizer")
    session.goto(f"/activities/{act_id}/attendance")
    page = session.page
    expect(page.get_by_test_id("checkin-note")).to_have_text("1 人已扫码签到。")
    fields = page.get_by_test_id("attendance-form").locator("input[inputmode=decimal]")
    assert fields.count() > 0
    for i in range(fields.count()):
        expect(fields.nth(i)).not_to_be_editable()
    expect(page.get_by_test_id("attendance-submit")).to_be_disabled()
