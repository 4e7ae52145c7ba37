"""The teacher's year in real Chromium: teacher1's home shows a declared training, the writing
quotas and the warnings, fitting a phone (375×667) and a desktop, in Chinese and in English;
the teacher declares outside training and adds reading notes through the pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portal.demo import READING_NOTES
from portal.textcount import chinese_count
from portal.timeutil import school_year_of, to_local, utcnow
from tests.support.texts import prose

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}
WORDS = {
    "zh-CN": {"declared": "学时申报", "quotas": "写作任务", "warn": "未请假缺席已达 3 学时", "outlook": "本学年预测"},
    "en": {"declared": "Declared training", "quotas": "Writing quotas", "warn": "3 hours of unexcused absence",
           "outlook": "Outlook for this school year"},
}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_teacher_home_shows_the_year(browse, locale, size):
    session = browse(locale=locale, viewport=PHONE if size == "phone" else DESKTOP)
    session.login("teacher1", lang="zh_Hans_CN" if locale == "zh-CN" else "en")
    page = session.page
    words = WORDS[locale]
    expect(page.get_by_test_id("warnings")).to_contain_text(words["warn"])
    expect(page.get_by_test_id("warning-quota").first).to_be_visible()
    expect(page.get_by_test_id("quotas")).to_contain_text(words["quotas"])
    expect(page.get_by_test_id("quota-reading_notes-0")).to_contain_text(f"{chinese_count(READING_NOTES):,}")
    expect(page.get_by_test_id("by-type-declared")).to_contain_text(words["declared"])
    expect(page.get_by_test_id("forecast")).to_contain_text(words["outlook"])
    expect(page.get_by_test_id("declare-declared")).to_be_visible()
    session.assert_fits_width(f"teacher home {locale} {size}")
    session.screenshot(f"teacher-year-{size}-{locale}")
    if locale == "zh-CN":
        assert "Act now" not in page.inner_text("main")
    session.assert_no_problems()


def test_teacher_declares_training_and_writes_notes_on_a_phone(browse):
    session = browse(locale="zh-CN", viewport=PHONE)
    session.login("teacher2", lang="zh_Hans_CN")
    page = session.page
    page.get_by_test_id("declare-declared").click()
    expect(page.get_by_test_id("declare-help")).to_be_visible()
    today = to_local(utcnow(), "Asia/Shanghai").date()
    day = max(date(int(school_year_of(today)[:4]), 9, 1), today - timedelta(days=2))
    page.fill("input[name=title]", "市级骨干教师培训")
    page.fill("input[name=starts_at]", f"{day.isoformat()}T08:00")
    page.fill("input[name=ends_at]", f"{day.isoformat()}T16:00")
    session.ignore_console("status of 422")  # the refused form comes back with 422
    page.fill("input[name=hours]", "9")  # more than 8 hours in one day
    page.fill("input[name=details-provider]", "市教育学院")
    page.select_option("select[name=details-category]", "city")
    page.get_by_test_id("activity-submit").click()
    expect(page.locator("main")).to_contain_text("至多 8 学时")
    page.fill("input[name=hours]", "6")
    page.get_by_test_id("activity-submit").click()
    expect(page.get_by_test_id("todo-missing")).to_contain_text("培训证书")
    expect(page.locator("select[name=kind]")).to_have_value("certificate")
    session.assert_fits_width("declared activity page")
    session.screenshot("teacher-year-declared-phone-zh-CN")
    session.goto("/writing")
    page.select_option("select[name=kind]", "reading_notes")
    page.fill("input[name=title]", "《给教师的建议》")
    page.fill("textarea[name=text]", prose(100, "教师"))
    page.get_by_test_id("writing-submit").click()
    expect(page.get_by_test_id("quota-reading_notes-0")).to_contain_text("100")
    session.assert_fits_width("writing page")
    session.assert_no_problems()
