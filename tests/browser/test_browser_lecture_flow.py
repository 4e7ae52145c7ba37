"""The whole life of a lecture, clicked through in a real Chromium, in Chinese and in English.

The school admin asks lecture attendees for a reflection; the organizer plans a lecture,
records attendance and marks it held; a teacher uploads a reflection; the reviewer returns it
once with a comment, the teacher adds to it, the reviewer approves and posts credits; the
teacher's home page then shows the new hours (checked against the ledger as well).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from workflows.definition import ATTENDANCE_RECORDED

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass(frozen=True)
class Labels:
    """What the pages must say in one language."""

    lang: str  # the ?lang= value, None for the default
    html_lang: str
    type_name: str
    hold: str
    approve: str
    return_: str
    credit: str
    held: str
    credited: str
    reflection: str
    title: str
    comment: str
    texts: tuple[tuple[str, str], ...] = ()  # (data-testid, text) checked on the pages shown


ZH = Labels(
    lang="",
    html_lang="zh-CN",
    type_name="专题讲座",
    hold="标记为已举行",
    approve="审核通过",
    return_="退回修改",
    credit="认定学时",
    held="已举行",
    credited="已认定学时",
    reflection="教学反思",
    title="家校沟通的艺术（浏览器测试）",
    comment="请结合一个具体的课堂案例再写几句。",
    texts=(
        ("nav-home", "我的学时"),
        ("nav-activities", "研修活动"),
        ("nav-plan", "计划活动"),
        ("activity-submit", "保存活动计划"),
        ("attendance-link", "登记考勤"),
        ("attendance-submit", "保存考勤"),
        ("evidence-submit", "保存材料"),
        ("nav-review", "审核队列"),
        ("lang-en", "English"),
    ),
)
EN = Labels(
    lang="en",
    html_lang="en",
    type_name="Lecture",
    hold="Mark held",
    approve="Approve",
    return_="Return",
    credit="Post credits",
    held="Held",
    credited="Credited",
    reflection="Reflection",
    title="Talking with parents (browser test)",
    comment="Please add an example from one of your lessons.",
    texts=(
        ("nav-home", "My hours"),
        ("nav-activities", "Activities"),
        ("nav-plan", "Plan an activity"),
        ("activity-submit", "Plan the activity"),
        ("attendance-link", "Record attendance"),
        ("attendance-submit", "Save attendance"),
        ("evidence-submit", "Save evidence"),
        ("nav-review", "Review queue"),
        ("lang-zh", "中文"),
    ),
)

ATTENDED_T1 = Decimal("2.5")



#: The teacher's two reflections (title, text), each written out: a piece repeating itself is refused.
REFLECTIONS = {
    "zh": (("第一稿", "听完讲座后，我重新思考了与家长沟通的方式。以前我习惯在电话里直接讲孩子的问题，现在想先听家长说孩子"
                   "在家的表现。下周家访时，我准备带上学生的作品，和家长一起看看他的进步。"),
           ("修改稿", "补充一个具体案例：家长会上我先请家长说说孩子最近的变化，再拿出课堂上的照片。一位平时很少来学校的"
                   "父亲主动问我，在家里怎样陪孩子读书，这次交流比以往任何一次都顺利。")),
    "en": (("First draft", "After the talk I rethought how I speak with parents. I used to call to list a child's "
                           "problems; now I want to hear first how the child is at home. Next week I will bring the "
                           "pupil's work on my visit and look at it with them."),
           ("Revised", "An example: at the parents' evening I let the parents speak first about how their children "
                       "had changed, then showed photos from class. A father who rarely comes asked me how to read "
                       "with his son at home.")),
}

def _check_texts(session, labels: Labels, seen: set[str]) -> None:
    """Every label of ``labels.texts`` present on this page reads as expected; the page's lang.
    ``seen`` collects the labels checked, so the flow can assert each was met somewhere."""
    page = session.page
    assert page.evaluate("() => document.documentElement.lang") == labels.html_lang
    for testid, text in labels.texts:
        loc = page.get_by_test_id(testid)
        if loc.count():
            expect(loc.first).to_have_text(text)
            seen.add(testid)


def _submit(page, locator) -> None:
    with page.expect_navigation(wait_until="load"):
        locator.click()


def _to_card(page, activity_id: int) -> None:
    """On to the queue's page holding the activity's card (oldest first: a new one is on a later page)."""
    for _ in range(10):
        if page.get_by_test_id(f"queue-item-{activity_id}").count():
            return
        _submit(page, page.get_by_test_id("held-pager-next"))
    raise AssertionError(f"no page of the queue holds activity {activity_id}")


def _hours_total(session) -> Decimal:
    session.goto("/")
    return Decimal(session.page.get_by_test_id("hours-total").inner_text().strip())


def _shot(session, labels: Labels, name: str) -> None:
    session.screenshot(f"{labels.lang or 'zh'}-{name}")


def _run_lecture_flow(browse, live_server, labels: Labels) -> None:
    seen: set[str] = set()
    # The school admin asks every lecture attendee for one reflection.
    admin = browse()
    admin.login("admin", lang=labels.lang or None)
    admin.goto("/admin/types")
    _check_texts(admin, labels, seen)
    reflection_box = admin.page.get_by_test_id("setting-lecture-attendee_reflection")
    reflection_box.check()
    _submit(admin.page, admin.page.get_by_test_id("save-type-lecture"))
    expect(admin.page.get_by_test_id("flash-success")).to_be_visible()
    expect(admin.page.get_by_test_id("setting-lecture-attendee_reflection")).to_be_checked()
    _shot(admin, labels, "admin-types")

    teacher = browse()
    teacher.login("teacher1", lang=labels.lang or None)
    before = _hours_total(teacher)

    # The organizer plans the lecture with two participants.
    org = browse()
    org.login("organizer", lang=labels.lang or None)
    page = org.page
    _submit(page, page.get_by_test_id("nav-plan"))
    _check_texts(org, labels, seen)
    expect(page.get_by_test_id("type-lecture")).to_contain_text(labels.type_name)
    _shot(org, labels, "plan-choose-type")
    _submit(page, page.get_by_test_id("type-lecture"))
    # it took place this morning or, before 03:10, last night: attendance needs it started
    ends = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0) - timedelta(minutes=10)
    starts = ends - timedelta(hours=3)
    page.get_by_test_id("field-title").fill(labels.title)
    page.get_by_test_id("field-starts_at").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("field-ends_at").fill(ends.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("field-hours").fill("3")
    page.get_by_test_id("field-location").fill("学校报告厅")
    page.get_by_test_id("field-details-topic").fill(labels.title)
    page.get_by_test_id("pick-attendee-teacher1").check()
    page.get_by_test_id("pick-speaker-teacher2").check()
    _check_texts(org, labels, seen)
    _shot(org, labels, "plan-lecture-form")
    _submit(page, page.get_by_test_id("activity-submit"))
    assert "/activities/" in page.url and page.url.rstrip("/").split("/")[-1].isdigit(), page.url
    activity_id = int(page.url.rstrip("/").split("/")[-1])
    activity_path = f"/activities/{activity_id}"
    expect(page.get_by_test_id("activity-title")).to_have_text(labels.title)
    expect(page.get_by_test_id("activity-state")).to_have_attribute("data-state", "planned")
    expect(page.get_by_test_id("participant-teacher1")).to_be_visible()
    expect(page.get_by_test_id("participant-teacher2")).to_be_visible()
    _check_texts(org, labels, seen)

    # Attendance for both, then "held".
    _submit(page, page.get_by_test_id("attendance-link"))
    page.get_by_test_id("attended-teacher1").fill(str(ATTENDED_T1))
    page.get_by_test_id("absent-teacher1").fill("0")
    page.get_by_test_id("excused-teacher1").fill("0.5")
    page.get_by_test_id("attended-teacher2").fill("3")
    _check_texts(org, labels, seen)
    _shot(org, labels, "attendance")
    _submit(page, page.get_by_test_id("attendance-submit"))
    assert page.url.endswith(activity_path), page.url
    expect(page.get_by_test_id("participant-teacher1")).to_contain_text("2.5")
    hold = page.get_by_test_id("trigger-hold")
    expect(hold).to_have_text(labels.hold)
    _submit(page, hold)
    expect(page.get_by_test_id("activity-state")).to_have_attribute("data-state", "held")
    expect(page.get_by_test_id("activity-state")).to_have_text(labels.held)

    # The teacher sees the reflection waiting, and uploads it.
    teacher.goto("/")
    expect(teacher.page.get_by_test_id(f"waiting-{activity_id}")).to_contain_text(labels.title)
    teacher.goto(activity_path)
    _upload_reflection(teacher, labels, seen, *REFLECTIONS[labels.lang or "zh"][0])
    teacher.goto("/")
    expect(teacher.page.get_by_test_id(f"waiting-{activity_id}")).to_have_count(0)
    assert _hours_total(teacher) == before  # nothing credited yet

    # The reviewer returns it once with a comment …
    rev = browse()
    rev.login("reviewer", lang=labels.lang or None)
    rpage = rev.page
    _submit(rpage, rpage.get_by_test_id("nav-review"))
    _check_texts(rev, labels, seen)
    _to_card(rpage, activity_id)
    item = rpage.get_by_test_id(f"queue-item-{activity_id}")
    expect(item).to_contain_text(labels.title)
    # two people (teacher1 on leave half an hour, the speaker on the plain rule): a row each, by name, as
    # grouping them would write as many
    expect(rpage.get_by_test_id(f"all-people-{activity_id}")).to_have_count(0)
    t1_row = rpage.get_by_test_id(f"queue-participant-{activity_id}-teacher1")
    expect(t1_row).to_contain_text(labels.reflection)
    expect(rpage.get_by_test_id(f"hours-{activity_id}-teacher1")).to_have_value("2.5")
    expect(rpage.get_by_test_id(f"hours-{activity_id}-teacher2")).to_have_value("6")  # speaker: twice
    _shot(rev, labels, "review-queue")
    rpage.get_by_test_id(f"comment-{activity_id}").fill(labels.comment)
    expect(rpage.get_by_test_id(f"return-{activity_id}")).to_have_text(labels.return_)
    _submit(rpage, rpage.get_by_test_id(f"return-{activity_id}"))
    expect(rpage.get_by_test_id("flash-success")).to_be_visible()
    expect(rpage.get_by_test_id(f"queue-item-{activity_id}")).to_be_visible()  # back in the queue

    # … the teacher reads the comment on the timeline and adds a second piece …
    teacher.goto(activity_path)
    expect(teacher.page.get_by_test_id("activity-state")).to_have_attribute("data-state", "held")
    expect(teacher.page.get_by_test_id("timeline")).to_contain_text(labels.comment)
    expect(teacher.page.get_by_test_id("timeline")).to_contain_text(labels.return_)
    _upload_reflection(teacher, labels, seen, *REFLECTIONS[labels.lang or "zh"][1])
    _shot(teacher, labels, "activity-held")

    # … then the reviewer approves and posts the credits.
    rev.goto("/review")
    _to_card(rpage, activity_id)
    expect(rpage.get_by_test_id(f"approve-{activity_id}")).to_have_text(labels.approve)
    _submit(rpage, rpage.get_by_test_id(f"approve-{activity_id}"))
    expect(rpage.get_by_test_id("flash-success")).to_be_visible()
    expect(rpage.get_by_test_id(f"reviewed-{activity_id}")).to_contain_text(labels.title)
    credit = rpage.get_by_test_id(f"credit-{activity_id}")
    expect(credit).to_contain_text(labels.credit)
    _submit(rpage, credit)
    expect(rpage.get_by_test_id("flash-success")).to_be_visible()
    expect(rpage.get_by_test_id(f"reviewed-{activity_id}")).to_have_count(0)
    rev.goto(activity_path)
    expect(rpage.get_by_test_id("activity-state")).to_have_attribute("data-state", "credited")
    expect(rpage.get_by_test_id("activity-state")).to_have_text(labels.credited)
    steps = rpage.get_by_test_id("timeline").locator("[data-trigger]")
    triggers = steps.evaluate_all("els => els.map(e => e.getAttribute('data-trigger'))")
    assert triggers == [ATTENDANCE_RECORDED, "hold", "return", "approve", "credit"]  # attendance saved before hold
    _shot(rev, labels, "activity-credited")

    # The teacher's home shows the new hours, the same number the ledger holds.
    after = _hours_total(teacher)
    assert after == before + ATTENDED_T1, (before, after)
    entries = teacher.page.get_by_test_id("credit-entries")
    expect(entries).to_contain_text(labels.title)
    row = entries.locator("tr", has_text=labels.title)
    expect(row).to_contain_text("2.5")
    _check_texts(teacher, labels, seen)
    _shot(teacher, labels, "teacher-home")
    assert _ledger_total("teacher1", live_server) == after
    assert seen == {testid for testid, _text in labels.texts}, "labels never shown: " + str(
        {testid for testid, _text in labels.texts} - seen
    )


def _upload_reflection(session, labels: Labels, seen: set[str], title: str, text: str) -> None:
    page = session.page
    form = page.get_by_test_id("evidence-form")
    expect(form).to_be_visible()
    page.get_by_test_id("evidence-kind").select_option("reflection")
    page.get_by_test_id("evidence-title").fill(title)
    page.get_by_test_id("evidence-text").fill(text)
    _check_texts(session, labels, seen)
    _submit(page, page.get_by_test_id("evidence-submit"))
    expect(page.get_by_test_id("flash-success")).to_be_visible()
    expect(page.get_by_test_id("evidence-list")).to_contain_text(title)
    expect(page.get_by_test_id("evidence-list")).to_contain_text(labels.reflection)


def _ledger_total(username: str, live_server) -> Decimal:
    from portal.models import User
    from portal.services import credits
    from portal.services.access import schools_of
    from portal.services.users import by_username
    from portal.timeutil import current_school_year

    with live_server.app.app_context():
        user = by_username(username)
        assert isinstance(user, User)
        school = schools_of(user.id)[0][0]
        return credits.teacher_year(user, school, current_school_year(school.timezone)).facts.total_hours


def test_lecture_from_plan_to_credited_hours_in_chinese(browse, live_server):
    _run_lecture_flow(browse, live_server, ZH)


def test_lecture_from_plan_to_credited_hours_in_english(browse, live_server):
    _run_lecture_flow(browse, live_server, EN)
