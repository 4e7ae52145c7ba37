"""The district reviewer's day in a real Chromium, at phone width: the queue, a school's frozen
figures, a teacher's record, a return with comments; the school corrects and submits again; the
reviewer accepts and the year is locked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


def test_the_district_reviewers_day(district_demo, browse):
    reviewer = browse(viewport=PHONE)
    reviewer.login("dreviewer")
    page = reviewer.page
    assert page.url.endswith("/district")
    reviewer.assert_fits_width("district schools")
    page.get_by_test_id("tab-queue").click()
    expect(page.get_by_test_id("queue-row-EAST1")).to_be_visible()
    expect(page.get_by_test_id("queue-row-WEST1")).to_have_count(0)  # returned: another tab
    expect(page.get_by_test_id("queue-row-SOUTH1")).to_have_count(0)  # another district
    reviewer.assert_fits_width("queue")
    page.get_by_test_id("open-EAST1").click()
    expect(page.get_by_test_id("submission-status")).to_have_text("已报送")
    expect(page.get_by_test_id("frozen-row-east1.t3")).to_be_visible()
    reviewer.assert_fits_width("submission")
    page.get_by_test_id("teacher-east1.t3").click()
    expect(page.get_by_test_id("teacher-total")).to_have_text("5")
    page.go_back()
    page.get_by_test_id("comment-east1.t3").fill("请补录11月讲座的请假条。")
    page.get_by_test_id("decide-comment").fill("请核对后重新报送。")
    page.get_by_test_id("return").click()
    expect(page.get_by_test_id("submission-status")).to_have_text("已退回")
    expect(page.get_by_test_id("teacher-comment-east1.t3")).to_have_text("请补录11月讲座的请假条。")

    school = browse(viewport=PHONE)
    school.login("east1.t0")
    school.goto("/submission")
    expect(school.page.get_by_test_id("return-comment")).to_have_text("请核对后重新报送。")
    school.assert_fits_width("school submission")
    school.page.get_by_test_id("submit-year").click()
    expect(school.page.get_by_test_id("submission-status")).to_have_text("已报送")

    reviewer.goto("/district/submissions")
    page.get_by_test_id("open-EAST1").click()
    expect(page.get_by_test_id("submission-title")).to_contain_text("东城实验小学")
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("submission-status")).to_have_text("已通过，已锁定")
    expect(page.get_by_test_id("event-accept")).to_be_visible()
    reviewer.screenshot("district-reviewer-accepted")

    school.goto("/submission")
    expect(school.page.get_by_test_id("locked-note")).to_be_visible()
    reviewer.goto("/district/submissions?status=accepted&lang=en")
    expect(page.get_by_test_id("queue-row-EAST1")).to_be_visible()
    expect(page.get_by_test_id("status-tab-accepted")).to_contain_text("Accepted, locked")
    reviewer.assert_no_problems()
    school.assert_no_problems()


def test_a_return_says_the_missing_comment_first_and_sends_nothing(district_demo, browse):
    """退回学校 with no comment went to the server and came back refused: now, as on the activity
    page and in the review queue, the page says beside the comment box what is missing and sends
    nothing; a comment on one teacher's row stands for it (``workflows.submission.RETURN``)."""
    reviewer = browse(viewport=PHONE)
    reviewer.login("dreviewer")
    page = reviewer.page
    reviewer.goto("/district/submissions")
    page.get_by_test_id("open-EAST1").click()
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    page.get_by_test_id("return").click()
    expect(page.get_by_test_id("comment-needed")).to_contain_text("请说明学校需要更正的内容")
    expect(page.get_by_test_id("decide-comment")).to_be_focused()
    expect(page.get_by_test_id("submission-status")).to_have_text("已报送")
    assert sent == []
    page.get_by_test_id("comment-east1.t3").fill("请补录11月讲座的请假条。")  # one teacher's row: enough
    page.get_by_test_id("return").click()
    expect(page.get_by_test_id("submission-status")).to_have_text("已退回")
    expect(page.get_by_test_id("teacher-comment-east1.t3")).to_have_text("请补录11月讲座的请假条。")
    assert len(sent) == 1
    reviewer.assert_no_problems()


def test_a_reopen_says_the_missing_reason_first_and_sends_nothing(district_demo, browse):
    """重新打开 with no reason (or only spaces) relied on the box's ``required``: now, as the
    return, the page says beside the reason box what is missing and sends nothing
    (``workflows.submission.REOPEN``); with a reason the year is reopened and the log says why."""
    reviewer = browse(viewport=PHONE)
    reviewer.login("dreviewer")
    page = reviewer.page
    reviewer.goto("/district/submissions?status=accepted")
    page.get_by_test_id("open-NORTH1").click()
    expect(page.get_by_test_id("submission-status")).to_have_text("已通过，已锁定")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    for typed in ("", "  "):
        page.get_by_test_id("reopen-reason").fill(typed)
        page.get_by_test_id("reopen").click()
        expect(page.get_by_test_id("comment-needed")).to_have_text("重新开放学年须填写理由")
        expect(page.get_by_test_id("reopen-reason")).to_be_focused()
        expect(page.get_by_test_id("reopen-reason")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("submission-status")).to_have_text("已通过，已锁定")
    assert sent == []
    page.get_by_test_id("reopen-reason").fill("学校申请补录一次讲座的签到。")
    expect(page.get_by_test_id("comment-needed")).to_have_count(0)  # typing clears it
    page.get_by_test_id("reopen").click()
    expect(page.get_by_test_id("submission-status")).to_have_text("已重新开放")
    expect(page.get_by_test_id("event-reopen").filter(has_text="学校申请补录一次讲座的签到。")).to_have_count(1)
    assert len(sent) == 1
    reviewer.assert_no_problems()
