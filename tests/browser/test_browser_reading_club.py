"""The out-of-tree reading-club plugin (installed by ``make test``) in a real Chromium:
its page fragment, its guard refusing ``hold`` until every member has written enough notes,
and its credit rule reaching the teacher's home page."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_lecture_flow import _hours_total, _ledger_total, _submit, _to_card
from tests.support.texts import prose

pytestmark = pytest.mark.browser
TITLE = "读书会：给教师的建议（浏览器测试）"
NEED = 200  # the school's setting for this test (the default is 10,000 characters a year)


def _plan(live_server) -> int:
    from portal.extensions import db
    from portal.policy import SYSTEM
    from portal.services import access, activities, schools
    from portal.services.users import by_username

    import yanxiu_reading_club  # noqa: F401  (a clear ImportError if the example is not installed)

    with live_server.app.app_context():
        school = access.school_by_code("DEMO")
        schools.set_type(school, "reading_club", enabled=True, settings={"chars_per_year": NEED}, by=SYSTEM)
        organizer, t1, t2 = (by_username(u) for u in ("organizer", "teacher1", "teacher2"))
        # started two hours ago, whatever the time of day (attendance needs it started)
        start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0) - timedelta(hours=2, minutes=10)
        act = activities.plan_activity(
            school, organizer, "reading_club", TITLE,
            start.isoformat(), (start + timedelta(hours=2)).isoformat(), 2,
            [{"user_id": t1.id, "role": "member"}, {"user_id": t2.id, "role": "leader"}],
            {"book_title": "给教师的建议"},
        )
        activities.record_attendance(act, organizer, [
            {"user_id": t1.id, "attended_hours": 2}, {"user_id": t2.id, "attended_hours": 2}])
        activity_id = act.id
        db.session.remove()
    return activity_id


def _write_notes(session, path: str, text: str) -> None:
    session.goto(path)
    page = session.page
    page.get_by_test_id("evidence-kind").select_option("reading_notes")
    page.get_by_test_id("evidence-title").fill("读书笔记")
    page.get_by_test_id("evidence-text").fill(text)
    _submit(page, page.get_by_test_id("evidence-submit"))
    expect(page.get_by_test_id("flash-success")).to_be_visible()


def test_reading_club_plugin_in_a_real_browser(browse, live_server):
    activity_id = _plan(live_server)
    path = f"/activities/{activity_id}"

    teacher = browse()
    teacher.login("teacher1")
    before = _hours_total(teacher)
    teacher.goto(path)
    fragment = teacher.page.locator("#reading-club-progress")
    expect(fragment).to_contain_text("本学年读书笔记")  # the plugin's own template and catalog
    teacher.screenshot("zh-reading-club-activity")

    organizer = browse()
    organizer.login("organizer")
    organizer.goto(path)
    organizer.ignore_console("422")  # the refused trigger answers 422 on purpose
    _submit(organizer.page, organizer.page.get_by_test_id("trigger-hold"))
    missing = organizer.page.get_by_test_id("guard-missing")
    expect(missing).to_contain_text(f"0 / {NEED}")
    expect(organizer.page.get_by_test_id("activity-state")).to_have_attribute("data-state", "planned")

    _write_notes(teacher, path, prose(NEED, "读"))
    leader = browse()
    leader.login("teacher2")
    _write_notes(leader, path, prose(NEED + 10, "书"))

    organizer.goto(path)
    _submit(organizer.page, organizer.page.get_by_test_id("trigger-hold"))
    expect(organizer.page.get_by_test_id("activity-state")).to_have_attribute("data-state", "held")

    reviewer = browse()
    reviewer.login("reviewer")
    reviewer.goto("/review")
    _to_card(reviewer.page, activity_id)  # five held cards a page, oldest first
    _submit(reviewer.page, reviewer.page.get_by_test_id(f"approve-{activity_id}"))
    expect(reviewer.page.get_by_test_id("flash-success")).to_be_visible()
    _submit(reviewer.page, reviewer.page.get_by_test_id(f"credit-{activity_id}"))
    expect(reviewer.page.get_by_test_id("flash-success")).to_be_visible()

    # the plugin's credit rule: attended 2 h × member multiplier 1 + 2 reading hours = 4
    after = _hours_total(teacher)
    assert after == before + Decimal("4"), (before, after)
    assert _ledger_total("teacher1", live_server) == after
    for session in (teacher, organizer, leader, reviewer):
        session.assert_no_problems()
