"""A teacher's year on a phone (Chromium at 390×844, touch, zh-CN), walked as the demo teachers:
what the thumb aims at is at least 40 px high (what waits on them, the menu that signs them out,
an evidence's file), a photo from an iPhone (HEIC) is refused with what to do about it and nothing
stored, and the growth record (成长档案) writes semesters and school years in words."""

from __future__ import annotations

import io
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Evidence

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
THUMB = 40  # px


def _phone(browse, username: str):
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login(username)
    return s


def _height(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["height"]


def test_what_waits_and_the_menus_are_thumb_sized(browse, live_server):
    s = _phone(browse, "teacher1")
    page = s.page
    links = page.locator("[data-testid=waiting-list] > li > a")
    assert links.count() >= 2  # the demo's evidence still to hand in
    for i in range(links.count()):
        assert _height(links.nth(i)) >= THUMB, links.nth(i).inner_text()
    page.locator(".navbar-toggler").tap()
    page.get_by_test_id("user-menu").tap()
    items = page.locator(".dropdown-menu.show .dropdown-item")
    expect(items.first).to_be_visible()
    for i in range(items.count()):
        assert _height(items.nth(i)) >= THUMB, items.nth(i).inner_text()
    s.assert_fits_width("teacher1's menu")
    sign_out = items.filter(has_text="退出登录")
    with page.expect_navigation(wait_until="load"):
        sign_out.tap()
    assert "/login" in page.url
    expect(page.locator("body")).to_contain_text("您已退出登录")


def _evidence_count(live_server, activity_id: int) -> int:
    with live_server.app.app_context():
        n = db.session.execute(select(func.count()).where(Evidence.activity_id == activity_id)).scalar_one()
        db.session.remove()
    return n


def test_a_phone_photo_heic_is_refused_with_what_to_do_and_a_jpeg_is_kept(browse, live_server, tmp_path):
    from PIL import Image

    act = live_server.activity_id("school_visit", "held")  # teacher1 owes it a report
    s = _phone(browse, "teacher1")
    page = s.page
    s.goto(f"/activities/{act}")
    file_input = page.locator("form:has(input[type=file]) input[type=file]").first
    accept = (file_input.get_attribute("accept") or "").split(",")
    assert ".jpg" in accept and ".pdf" in accept and ".heic" not in accept  # the phone converts to JPEG

    heic = tmp_path / "IMG_2043.HEIC"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + os.urandom(200_000))
    before = _evidence_count(live_server, act)
    s.ignore_console("422")  # the refusal's status, as Chromium notes it
    form = page.locator("form:has(input[type=file])").first
    form.locator("input[name=title]").fill("现场照片")
    form.locator("input[type=file]").set_input_files(str(heic))
    with page.expect_navigation(wait_until="load"):
        form.locator("[type=submit]").first.tap()
    feedback = page.locator("form:has(input[type=file]) .invalid-feedback").first
    expect(feedback).to_contain_text("HEIC")
    expect(feedback).to_contain_text("兼容性最佳")  # what to do, in Chinese
    assert _evidence_count(live_server, act) == before
    s.assert_fits_width("the HEIC refusal")

    photo = tmp_path / "IMG_2041.JPG"  # a phone camera's photo, a few MB
    buf = io.BytesIO()
    Image.frombytes("RGB", (1200, 900), os.urandom(1200 * 900 * 3)).save(buf, "JPEG", quality=95)
    photo.write_bytes(buf.getvalue())
    form = page.locator("form:has(input[type=file])").first
    form.locator("input[name=title]").fill("现场照片")
    form.locator("input[type=file]").set_input_files(str(photo))
    with page.expect_navigation(wait_until="load"):
        form.locator("[type=submit]").first.tap()
    assert _evidence_count(live_server, act) == before + 1
    item = page.locator("[data-testid^=evidence-download-]").filter(has_text="IMG_2041.JPG")
    expect(item).to_be_visible()
    assert _height(item) >= THUMB
    size = item.locator("xpath=following-sibling::span[1]").inner_text()
    assert "MB" in size and "KB" not in size, size  # in MB, not thousands of KB
    s.assert_fits_width("an activity with a photo")


def test_the_growth_record_writes_semesters_and_years_in_words(browse, live_server):
    s = _phone(browse, "teacher3")  # a revoked credit this year, exempt last year (demo)
    teacher = live_server.user_id("teacher3")
    s.goto(f"/teachers/{teacher}/record")
    page = s.page
    cells = page.locator(".record-table td[data-label=学期]")
    assert cells.count() > 0
    assert set(cells.all_inner_texts()) <= {"第一学期", "第二学期"}, cells.all_inner_texts()
    expect(page.get_by_test_id("record-none-2025-2026")).to_have_text("2025—2026学年：没有认定学时。")
    expect(page.locator(".record-table").first).to_contain_text("签到表登记有误")  # why a credit was revoked
    s.assert_fits_width("teacher3's growth record")



def _activity_titled(live_server, title) -> int:
    """The demo activity whose title ``title()`` names (asked in the app: it reads the types)."""
    from portal.models import Activity

    with live_server.app.app_context():
        found = db.session.execute(select(Activity.id).where(Activity.title == title())).scalar_one()
        db.session.remove()
    return found


def test_my_signups_offers_what_is_open_and_signing_up_moves_it(browse, live_server):
    """/signups (我的报名, linked from the home page) listed only what the teacher had signed up
    for: nowhere did a teacher see which activities took sign-ups. Now it lists those they can
    still join, the one closing first first; joining moves it to their own list."""
    from portal.demo_year import confirmed_title, signup_title

    open_one = _activity_titled(live_server, signup_title)  # teacher1 withdrew: she may join again
    confirmed = _activity_titled(live_server, confirmed_title)  # its list is confirmed: closed
    seated = _phone(browse, "teacher3")  # has a seat on the open one: nothing more to offer her
    seated.goto("/signups")
    expect(seated.page.get_by_test_id(f"my-signup-{open_one}")).to_be_visible()
    expect(seated.page.get_by_test_id("open-signups")).to_have_count(0)

    s = _phone(browse, "teacher1")
    page = s.page
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id("my-signups-link").tap()
    offered = page.get_by_test_id(f"open-signup-{open_one}")
    expect(offered).to_contain_text("报名截止于")
    expect(page.get_by_test_id(f"open-signup-{confirmed}")).to_have_count(0)
    expect(page.get_by_test_id(f"my-signup-{open_one}")).to_contain_text("已退出")
    assert page.get_by_test_id(f"my-signup-{open_one}").inner_text().count("退出") == 1  # not 已退出 … 退出
    link = offered.locator("a")
    assert _height(link) >= THUMB
    s.assert_fits_width("teacher1's sign-ups")
    with page.expect_navigation(wait_until="load"):
        link.tap()
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id("signup-join").tap()
    expect(page.get_by_test_id("signup-mine")).to_contain_text("候补")
    s.goto("/signups")
    expect(page.get_by_test_id(f"my-signup-{open_one}")).to_have_attribute("data-status", "waiting")
    expect(page.get_by_test_id("open-signups")).to_have_count(0)


def test_the_home_says_where_the_absence_comes_from(browse, live_server):
    """The home showed '第一学期：3 / 5 学时' of unexcused absence and nothing of where: the link
    opens the growth record at its list of the activities missed, which adds up to the same."""
    s = _phone(browse, "teacher1")
    page = s.page
    shown = page.get_by_test_id("absence-semester-1").get_attribute("data-hours")
    where = page.get_by_test_id("absence-where")
    assert _height(where) >= THUMB
    with page.expect_navigation(wait_until="load"):
        where.tap()
    assert page.url.endswith("#absences-" + page.locator("section.record-year").first.get_attribute("data-year"))
    missed = page.locator("[data-testid^=record-absences-] tr[data-semester='1']")
    assert missed.count() >= 1
    expect(missed.first).to_be_in_viewport()
    total = sum(float(missed.nth(i).get_attribute("data-absent") or 0) for i in range(missed.count()))
    assert total == float(shown or "nan")
    s.assert_fits_width("the record's absences")


def test_the_writing_page_says_what_fills_a_month_of_reading_notes(browse, live_server):
    """The quota '读书笔记达标月数 0 / 3 个月' named the months short and never what a month
    needs: the writing page now says it, from the rules the year is judged by."""
    from portal.models import School

    with live_server.app.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        per_month, least = int(school.rule("reading_notes_per_month")), int(school.rule("reading_note_chars"))
        db.session.remove()
    assert per_month > 0  # the demo asks notes every month
    s = _phone(browse, "teacher1")
    s.goto("/writing")
    said = s.page.get_by_test_id("notes-per-month")
    expect(said).to_contain_text(f"每个月须写 {per_month} 篇读书笔记")
    if least:
        expect(said).to_contain_text(f"每篇至少 {least} 字")
    expect(s.page.locator("main")).to_contain_text("未达标月份")
    s.assert_fits_width("teacher1's writing")


def test_an_activity_open_for_sign_up_says_so_in_its_next_steps(browse, live_server):
    """Its next steps said '您目前无需对本活动进行操作。' above the sign-up button of a teacher who
    could still join it; one who holds a seat has nothing to do there indeed."""
    from portal.demo_year import signup_title

    open_one = _activity_titled(live_server, signup_title)
    s = _phone(browse, "teacher1")  # withdrew: may join again
    s.goto(f"/activities/{open_one}")
    page = s.page
    expect(page.get_by_test_id("no-triggers")).to_have_count(0)
    link = page.get_by_test_id("next-signup").locator("a")
    expect(link).to_contain_text("正在报名")
    assert _height(link) >= THUMB
    link.tap()
    expect(page.get_by_test_id("signup-join")).to_be_in_viewport()
    seated = _phone(browse, "teacher3")
    seated.goto(f"/activities/{open_one}")
    expect(seated.page.get_by_test_id("no-triggers")).to_be_visible()
    expect(seated.page.get_by_test_id("next-signup")).to_have_count(0)
    expect(seated.page.get_by_test_id("signup-withdraw")).to_be_visible()

    owed = live_server.activity_id("mentorship", "held")  # teacher1 owes it articles
    s.goto(f"/activities/{owed}")
    assert _height(page.get_by_test_id("todo-missing").locator("a")) >= THUMB


def test_the_login_and_password_fields_tell_a_phone_what_they_are(browse, live_server):
    """A phone capitalised the username's first letter and its password manager could not fill
    the password (every password field said autocomplete=off)."""
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.goto("/login")
    page = s.page
    user = page.locator("input[name=username]")
    assert user.get_attribute("autocomplete") == "username" and user.get_attribute("autocapitalize") == "none"
    assert page.locator("input[name=password]").get_attribute("autocomplete") == "current-password"
    s.login("teacher1")
    s.goto("/password")
    wants = {"current": "current-password", "password": "new-password", "confirm": "new-password"}
    assert {n: page.locator(f"main input[name={n}]").get_attribute("autocomplete") for n in wants} == wants
