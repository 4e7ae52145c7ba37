"""What an organiser's, a reviewer's and a district reviewer's walk left, in a real Chromium: the
签到表 prints on A4; a step that needs a comment says so before it asks anything, and a step that
ends the activity asks in the review queue as on its page; a submission's figures fit a 1280 px
desktop, 区级意见 in view."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 800}


def test_the_sign_in_sheet_prints_on_a4(browse, live_server):
    """Without a page size Chromium printed it on Letter (216 × 279 mm)."""
    act_id = live_server.activity_id("lecture", "held")
    s = browse(viewport=DESKTOP)
    s.login("organizer")
    s.goto(f"/activities/{act_id}")
    s.page.get_by_test_id("sign-in-sheet-link").click()  # held: still linked, to print again
    expect(s.page.get_by_test_id("sign-in-sheet")).to_be_visible()
    s.page.emulate_media(media="print")
    box = PdfReader(io.BytesIO(s.page.pdf(prefer_css_page_size=True))).pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)


def _dialogs(session) -> list[str]:
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()  # "no": nothing is sent

    session.page.on("dialog", answer)
    return asked


@pytest.mark.parametrize(("state", "who", "trigger", "needed", "comment", "question"), [
    # 撤销学时 asked 'the hours … will be taken off. Go on?' and, answered yes with no comment, was refused
    ("credited", "reviewer", "revoke", "撤销学时", "出勤记录有误，重新核对。", "学时将从其记录中撤销"),
    # 取消 of an activity that concerns others (its people; its organiser when a school admin
    # cancels it) asked "this ends the activity, go on?", and was refused with no reason
    ("planned", "admin", "cancel", "组织者（如不是您）", "场地另有安排。", "活动即告结束"),
])
def test_a_step_says_the_missing_comment_first_then_asks(browse, live_server, state, who, trigger, needed, comment,
                                                         question):
    """A step that needs a comment, pressed with none, asked its question and, answered yes, was
    refused for want of one: now the missing comment is said beside the box, no question."""
    act_id = live_server.activity_id("lecture", state)
    s = browse(viewport=DESKTOP)
    s.login(who)
    s.goto(f"/activities/{act_id}")
    asked = _dialogs(s)
    s.page.get_by_test_id(f"trigger-{trigger}").click()
    expect(s.page.get_by_test_id("comment-needed")).to_contain_text(needed)
    assert asked == [] and s.page.url.endswith(f"/activities/{act_id}")
    expect(s.page.get_by_test_id("trigger-comment")).to_be_focused()
    s.page.get_by_test_id("trigger-comment").fill(comment)
    expect(s.page.get_by_test_id("comment-needed")).to_have_count(0)
    s.page.get_by_test_id(f"trigger-{trigger}").click()
    assert len(asked) == 1 and question in asked[0]
    expect(s.page.get_by_test_id(f"trigger-{trigger}")).to_be_visible()  # answered no: nothing sent


def test_refusing_in_the_queue_says_the_comment_first_then_asks(browse, live_server):
    """不予认定 in the review queue asked nothing (on the activity's page it asks): it ends the
    declaration; and, as there, a missing comment is said before the question."""
    act_id = live_server.activity_id("declared", "held")
    s = browse(viewport=DESKTOP)
    s.login("reviewer")
    s.goto("/review")
    asked = _dialogs(s)
    refuse = s.page.get_by_test_id(f"refuse-{act_id}")
    refuse.click()
    expect(s.page.locator(f"#activity-{act_id} [data-testid=comment-needed]")).to_contain_text("不予认定")
    assert asked == []
    s.page.get_by_test_id(f"comment-{act_id}").fill("证书与申报的培训不符。")
    refuse.click()
    assert len(asked) == 1 and "无法恢复" in asked[0]
    expect(refuse).to_be_visible()  # answered no: still in the queue


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_submissions_figures_fit_a_desktop(district_demo, browse, lang):
    """The demo school's submission (six types) scrolled sideways at 1280 px: 区级意见 and its
    boxes were out of view. Its headings wrap now; the table fits its box."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import School, YearSubmission

    with district_demo.app.app_context():
        sub_id = db.session.execute(
            select(YearSubmission.id).join(School, School.id == YearSubmission.school_id)
            .where(School.code == "DEMO", YearSubmission.status == "submitted")).scalar_one()
        db.session.remove()
    s = browse(viewport=DESKTOP)
    s.login("dreviewer")
    s.goto(f"/district/submissions/{sub_id}?lang={lang}")
    box = s.page.get_by_test_id("frozen-table").locator("xpath=..")
    widths = box.evaluate("(b) => [b.scrollWidth, b.clientWidth, b.getBoundingClientRect().right]")
    assert widths[0] <= widths[1] and widths[2] <= DESKTOP["width"], widths
    assert s.page.locator("[data-testid=frozen-table] thead th").count() >= 6 + 5  # six types and the rest
    last = s.page.locator("[data-testid=frozen-table] thead th").last
    assert last.evaluate("(th) => th.getBoundingClientRect().right") <= widths[2]
    s.assert_fits_width(f"submission ({lang})")

