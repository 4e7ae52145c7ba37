"""A district may set its annual-plan deadline to 29 February (a day of some years): in a year
without it the deadline is 28 February, the last day of that month. It was date(2026, 2, 29): a
server error on the school's plan page, its API and its submission, the calendar feed, and the
reminders job stopped for every school of every district."""

from __future__ import annotations

from datetime import date, datetime

from portal.policy import Actor
from portal.services import access, district_notices, districts, school_plans, tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR

LINES = [{"type": "lecture", "month": 10, "title": "专题讲座", "hours": "4", "responsible": "教科室"}]


def test_a_29_february_deadline_is_the_last_day_of_february_in_a_common_year(app, world):
    districts.update_settings(world.d1, {"plan_deadline": "02-29"}, by=Actor.of(world.admin1.id, ["district_admin"]))
    assert school_plans.deadline(world.d1, YEAR) == date(2026, 2, 28)
    assert school_plans.deadline(world.d1, "2028-2029") == date(2028, 2, 29)
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    school_plans.save_plan(world.s1, YEAR, "提升作业设计能力", "50", LINES, by=admin)
    page = login(app.test_client(), world.staff["admin"], world.s1).get(f"/school-plan?year={YEAR}")
    assert page.status_code == 200 and "2026-02-28" in page.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {tokens.issue(world.staff['admin']).token}", "X-School": "S1"}
    assert app.test_client().get(f"/api/v1/school-plan?year={YEAR}", headers=headers).status_code == 200
    assert school_plans.submit_plan(world.s1, YEAR, by=admin).late is True
    # the reminders job asks every school's deadline: it goes on
    assert district_notices.remind_school_plan_deadline(datetime(2027, 2, 21, 1, 0)) is not None


def test_the_service_and_the_api_accept_the_same_plan_deadlines(app, world):
    """One rule (``timeutil.is_month_day``) for the settings form's service and the API's schema:
    every day of a leap year, and nothing else, is a plan deadline."""
    import pydantic

    from portal.api.models_district import DistrictSettings
    from portal.errors import Invalid
    from portal.timeutil import MONTH_DAYS, is_month_day

    by = Actor.of(world.admin1.id, ["district_admin"])
    days = {(date(2024, 1, 1) + (date(2024, 1, 2) - date(2024, 1, 1)) * i).strftime("%m-%d") for i in range(366)}
    assert set(MONTH_DAYS) == days and len(MONTH_DAYS) == 366
    for value in ("02-29", "12-31", "01-01", "02-30", "04-31", "13-01", "00-10", "2-29", "0229", " 02-29",
                  "02-29 ", "０２-２９", "", 229, None):
        try:
            DistrictSettings.model_validate({"plan_deadline": value})
            api_ok = True
        except pydantic.ValidationError:
            api_ok = False
        try:
            districts.update_settings(world.d1, {"plan_deadline": value}, by=by)
            service_ok = True
        except Invalid:
            service_ok = False
        assert api_ok == service_ok == is_month_day(value), value
