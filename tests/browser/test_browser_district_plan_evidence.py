"""Issue 16's open points in a real Chromium, at phone width: the district dashboard's schools
behind their plan; a teacher's frozen writing quotas and an activity's evidence opened from the
drill-in; the school admin plans an activity from a line of the accepted plan and finds the
district's decisions in the audit log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


def test_plan_behind_quotas_evidence_and_audit(district_demo, browse):
    reviewer = browse(viewport=PHONE)
    reviewer.login("dreviewer")
    page = reviewer.page
    reviewer.goto("/district/dashboard")
    expect(page.get_by_test_id("chart-behind")).to_be_visible()
    expect(page.get_by_test_id("behind-EAST1")).to_be_visible()
    expect(page.get_by_test_id("behind-SOUTH1")).to_have_count(0)  # another district
    reviewer.assert_fits_width("dashboard")

    reviewer.goto("/district/submissions")
    page.get_by_test_id("open-EAST1").click()
    page.get_by_test_id("teacher-east1.t2").click()
    expect(page.get_by_test_id("quota-reading_notes-0")).to_be_visible()
    page.locator("[data-testid^=activity-]").first.click()
    link = page.locator("[data-testid^=evidence-download-]").first
    expect(link).to_be_visible()
    reviewer.assert_fits_width("drill-in activity")
    with page.expect_download() as got:
        link.click()
    download = got.value
    assert re.fullmatch(r"evidence-\d+\.txt", download.suggested_filename)
    with open(download.path(), encoding="utf-8") as fh:
        assert "单元作业" in fh.read()

    school = browse(viewport=PHONE)
    school.login("east1.t0")
    school.goto("/school-plan")
    spage = school.page
    year_link = spage.locator("[data-testid^=plan-from-line-]").first
    if year_link.count() == 0:  # the plan is for the current school year; the page may open on the next
        from portal.timeutil import current_school_year

        school.goto(f"/school-plan?year={current_school_year()}")
        year_link = spage.locator("[data-testid^=plan-from-line-]").first
    expect(year_link).to_have_text("按此计划安排活动")
    school.assert_fits_width("school plan")
    year_link.click()
    expect(spage.get_by_test_id("from-plan-line")).to_be_visible()
    assert spage.locator("input[name=title]").input_value()
    school.goto("/admin/audit")
    expect(spage.locator("tbody")).to_contain_text("报送区里")
    reviewer.assert_no_problems()
    school.assert_no_problems()
