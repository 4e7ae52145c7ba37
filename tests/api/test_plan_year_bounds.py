"""A plan (a teacher's, the school's) is written for the school year under way or the next
(``policy.may_plan_for_year``): one for 2099–2100 is refused on the page and the API alike, with
the catalogue's words, and nothing is written."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import DevelopmentPlan, SchoolPlan
from portal.timeutil import current_school_year, school_year_after
from tests.web.conftest import login

FAR = "2099-2100"
GOALS = "本学年精读两本教育专著，完成一节公开课。"


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(DevelopmentPlan)) or 0,
                db.session.scalar(select(func.count()).select_from(SchoolPlan)) or 0)


def test_a_teachers_plan_for_a_far_off_year_is_refused_on_the_api_and_the_page(app, client, demo, as_user):
    before = _counts(app)
    teacher = as_user("teacher1")
    r = teacher.put(f"/api/v1/plans/me?year={FAR}", json={"goals": GOALS, "submit": True},
                    headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 422, r.get_json()
    assert "year" in r.get_json()["fields"] and "计划只能为" in r.get_json()["fields"]["year"]
    page = app.test_client()
    login(page, "teacher1")
    shown = page.get(f"/plan?year={FAR}")
    assert 'data-testid="plan-year-far"' in shown.get_data(as_text=True)
    assert 'data-testid="plan-year-past"' not in shown.get_data(as_text=True)
    posted = page.post(f"/plan?year={FAR}", data={"goals": GOALS, "action": "submit"})
    assert posted.status_code == 422 and "计划只能为" in posted.get_data(as_text=True)
    assert _counts(app) == before


def test_the_next_year_may_still_be_planned(app, demo, as_user):
    nxt = school_year_after(current_school_year("Asia/Shanghai"))
    r = as_user("teacher1").put(f"/api/v1/plans/me?year={nxt}", json={"goals": GOALS})
    assert r.status_code == 200, r.get_json()


def test_the_schools_plan_for_a_far_off_year_is_refused(app, demo, as_user):
    before = _counts(app)
    admin = as_user("admin")
    r = admin.put("/api/v1/school-plan", json={"year": FAR, "aims": "提升", "target_hours": 10, "lines": []})
    assert r.status_code == 422 and "year" in r.get_json()["fields"], r.get_json()
    assert admin.post("/api/v1/school-plan/submit", json={"year": FAR}).status_code == 422
    assert _counts(app) == before
