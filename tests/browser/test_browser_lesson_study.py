"""The out-of-tree lesson-study plugin's own page in a real Chromium: an observer follows the
link its fragment puts on the activity page to ``/x/lesson_study/…/notes``, types a note in the
plugin's form (with the portal's real CSRF token), and sees it saved and shown; the organizer
reads it without a form of their own."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_lecture_flow import _submit

pytestmark = pytest.mark.browser
TITLE = "同课异构：《背影》（浏览器测试）"
NOTE = "导入环节：甲老师用情境导入，乙老师用问题导入；学生在乙老师的课上提问更多。"


def _plan(live_server) -> int:
    import yanxiu_lesson_study  # noqa: F401  (a clear ImportError if the example is not installed)

    from portal.extensions import db
    from portal.policy import SYSTEM
    from portal.services import access, activities, schools
    from portal.services.users import by_username

    with live_server.app.app_context():
        school = access.school_by_code("DEMO")
        schools.set_type(school, "lesson_study", enabled=True, by=SYSTEM)
        organizer, t1, t2, t3 = (by_username(u) for u in ("organizer", "teacher1", "teacher2", "teacher3"))
        start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        act = activities.plan_activity(
            school, organizer, "lesson_study", TITLE,
            start.isoformat(), (start + timedelta(hours=2)).isoformat(), 2,
            [{"user_id": t1.id, "role": "teacher_a"}, {"user_id": t2.id, "role": "teacher_b"},
             {"user_id": t3.id, "role": "observer"}],
            {"lesson": "朱自清《背影》"},
        )
        activity_id = act.id
        db.session.remove()
    return activity_id


def _stored_notes(live_server, activity_id: int) -> list[str]:
    from yanxiu_lesson_study.notes import notes_of

    from portal.extensions import db
    from portal.plugin_doors import facade

    with live_server.app.app_context():
        bodies = [n.body for n in notes_of(facade(live_server.app, "lesson_study"), activity_id)]
        db.session.remove()
    return bodies


def test_an_observer_writes_a_note_on_the_plugins_own_page(browse, live_server):
    activity_id = _plan(live_server)
    notes_path = f"/x/lesson_study/activities/{activity_id}/notes"

    observer = browse()
    observer.login("teacher3")
    observer.goto(f"/activities/{activity_id}")
    page = observer.page
    _submit(page, page.get_by_test_id("lesson-study-notes-link"))  # the plugin's fragment links its page
    assert page.url == live_server(notes_path)
    expect(page.get_by_test_id("lesson-study-notes")).to_contain_text("朱自清《背影》")
    expect(page.get_by_test_id("no-notes")).to_be_visible()

    page.locator("[data-testid=note-form] textarea[name=body]").fill(NOTE)
    _submit(page, page.locator("[data-testid=note-form] button[type=submit]"))
    expect(page.get_by_test_id("flash-success")).to_contain_text("观课笔记已保存")
    expect(page.get_by_test_id("note")).to_have_count(1)
    expect(page.get_by_test_id("note")).to_contain_text(NOTE)
    expect(page.get_by_test_id("note")).to_contain_text("孙嘉怡")  # teacher3's name, from the facade
    observer.screenshot("zh-lesson-study-notes")
    assert _stored_notes(live_server, activity_id) == [NOTE]

    observer.goto(notes_path)  # saved, not only flashed
    expect(page.get_by_test_id("note")).to_contain_text(NOTE)

    organizer = browse()
    organizer.login("organizer")
    organizer.goto(notes_path)
    expect(organizer.page.get_by_test_id("note")).to_contain_text(NOTE)
    expect(organizer.page.get_by_test_id("note-form")).to_have_count(0)  # organises it, does not observe
    for session in (observer, organizer):
        session.assert_no_problems()
