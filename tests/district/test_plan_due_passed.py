"""A school's annual plan opened in December (the test clock: 7 December 2026) for the school
year under way: the district's deadline (30 June, in the year the school year starts) was
2026-06-30. The page said "截止日期：2026-06-30" as a date to come; a plan sent was marked late
all the same. The page now says the deadline has passed and that a plan sent now is still
taken, marked late (then, once sent or on the district's page, when it was due); the coming
year's plan, due next June, still says "due by"."""

from __future__ import annotations

from portal.services import access, school_plans
from tests.credits.helpers import login
from tests.district.conftest import YEAR

LINES = [{"type": "lecture", "month": 10, "title": "专题讲座", "hours": "4", "responsible": "教科室"}]
NEXT = "2027-2028"


def _status(page: str) -> str:
    return page[page.index('data-testid="plan-status"'):].split("</p>", 1)[0]


def test_a_plan_opened_after_the_deadline_says_it_has_passed(app, world):
    admin = world.staff["admin"]
    client = login(app.test_client(), admin, world.s1)
    for lang, words in (("zh_Hans_CN", "截止日期 2026-06-30 已过：现在报送仍可接收，但会标记为逾期。"),
                        ("en", "The deadline, 2026-06-30, has passed: a plan sent now is still taken, marked late.")):
        status = _status(client.get(f"/school-plan?year={YEAR}&lang={lang}").get_data(as_text=True))
        assert words in status and 'data-testid="plan-due"' not in status, status
    coming = _status(client.get(f"/school-plan?year={NEXT}&lang=en").get_data(as_text=True))
    assert 'data-testid="plan-due"' in coming and "Due by 2027-06-30" in coming, coming  # next June: to come
    by = access.actor(admin.id, world.s1.id)
    school_plans.save_plan(world.s1, YEAR, "提升作业设计能力", "50", LINES, by=by)
    plan = school_plans.submit_plan(world.s1, YEAR, by=by)
    assert plan.late is True  # what the page said
    sent = _status(client.get(f"/school-plan?year={YEAR}&lang=zh_Hans_CN").get_data(as_text=True))
    assert "截止日期为 2026-06-30（已过）" in sent and 'data-testid="plan-late"' in sent, sent
    district = login(app.test_client(), world.reviewer1)
    review = _status(district.get(f"/district/plans/{plan.id}?lang=en").get_data(as_text=True))
    assert "Was due by 2026-06-30" in review and "still taken" not in review, review
