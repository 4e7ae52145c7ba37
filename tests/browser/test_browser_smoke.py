"""Smoke: the live server answers, the login page renders in Chinese with a CSRF-protected form."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_login_page_renders_in_chinese_with_csrf(browse):
    s = browse()
    s.goto("/login")
    page = s.page
    assert page.evaluate("() => document.documentElement.lang").lower().startswith("zh")
    assert page.locator("input[name=csrf_token]").count() == 1
    assert page.get_by_test_id("login-submit").inner_text().strip() == "登录"
    assert page.locator("input[name=username]").is_visible()
    assert page.locator("input[name=password]").is_visible()
    s.screenshot("login-zh")


def test_demo_teacher_logs_in_through_the_form(browse):
    s = browse()
    s.login("teacher1")
    assert s.page.url.rstrip("/") == s.server.url


def test_language_switch_link_turns_the_pages_english_and_back(browse):
    s = browse()
    s.login("teacher1")
    page = s.page
    with page.expect_navigation():
        page.get_by_test_id("lang-en").click()
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert page.get_by_test_id("nav-home").inner_text().strip() == "My hours"
    s.goto("/activities")  # the choice is remembered
    assert page.get_by_test_id("nav-activities").inner_text().strip() == "Activities"
    with page.expect_navigation():
        page.get_by_test_id("lang-zh").click()
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    assert page.get_by_test_id("nav-home").inner_text().strip() == "我的学时"


def test_logout_from_the_user_menu_ends_the_session(browse):
    s = browse()
    s.login("reviewer")
    page = s.page
    page.get_by_test_id("user-menu").click()
    with page.expect_navigation():
        page.get_by_test_id("logout").click()
    assert page.url.endswith("/login"), page.url
    s.goto("/review", expect_status=None)
    assert "/login" in page.url, page.url  # sent back to log in
