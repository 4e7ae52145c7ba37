"""Auditor: an organiser planned an activity in 2019 and could credit hours into it, since the
district had never accepted that year. An activity is dated in the school year under way or the
last one (``policy.first_year_to_date``; the last closes when the district accepts it, as
before): planning, declaring and moving, on the page, in the API and in the service alike, are
refused (``plan.year_over``, a field of the start) and change nothing. The forms say from when.

The test clock is 7 December 2026: this school year is 2026-2027, the last 2025-2026."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Activity, Participation, TransitionLog
from portal.policy import SYSTEM, Actor, first_year_to_date, may_date_in_year
from portal.services import access, activities, schools, submissions
from tests.api.conftest import login as api_login
from tests.credits.helpers import hold_year, login
from tests.support import factories as f

LONG_AGO = datetime(2019, 10, 15, 14, 0)  # 2019-2020
BEFORE_LAST = datetime(2025, 8, 20, 14, 0)  # 2024-2025: the last day of it is 31 August 2025
LAST_YEAR = datetime(2025, 9, 10, 14, 0)  # 2025-2026, its first days


def _rows() -> tuple:
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Activity, Participation, TransitionLog)) + (
        db.session.execute(select(Activity.id, Activity.starts_at, Activity.ends_at, Activity.school_year)
                           .order_by(Activity.id)).all(),)


def test_the_rule():
    assert first_year_to_date("2026-2027") == "2025-2026"
    assert may_date_in_year("2026-2027", "2026-2027") and may_date_in_year("2025-2026", "2026-2027")
    assert may_date_in_year("2027-2028", "2026-2027")  # planning ahead (June: the next year's plan)
    assert not may_date_in_year("2024-2025", "2026-2027") and not may_date_in_year("2019-2020", "2026-2027")


@pytest.mark.parametrize("start", [LONG_AGO, BEFORE_LAST])
def test_the_service_refuses_a_year_long_over(world, start):
    before = _rows()
    with pytest.raises(Invalid) as info:
        f.plan(world.s1, world.staff["organizer"], "lecture", [(world.staff["t4"], "attendee")], {"topic": "往年"},
               start=start)
    said = info.value.fields["starts_at"]
    assert said.code == "plan.year_over" and dict(said.params)["day"] == "2025-09-01"
    assert "2025-09-01" in said.render("en") and "学年已结束" in said.render("zh_Hans_CN")
    db.session.rollback()
    assert _rows() == before
    # the last year is still open: its first day plans
    act = f.plan(world.s1, world.staff["organizer"], "lecture", [(world.staff["t4"], "attendee")], {"topic": "上一年"},
                 start=LAST_YEAR)
    assert act.school_year == "2025-2026"


def test_a_declaration_of_a_year_long_over_is_refused(world):
    t1 = world.staff["t1"]
    schools.set_type(world.s1, "declared", enabled=True, by=SYSTEM)
    db.session.commit()
    before = _rows()
    with pytest.raises(Invalid) as info:
        activities.plan_activity(world.s1, t1, "declared", "区级培训", "2023-10-15T09:00", "2023-10-15T12:00", "3",
                                 details={"provider": "区教师发展中心", "category": "district"})
    assert info.value.fields["starts_at"].code == "plan.year_over"
    db.session.rollback()
    assert _rows() == before


def test_moving_into_a_year_long_over_is_refused(world):
    act = f.plan(world.s1, world.staff["organizer"], "lecture", [(world.staff["t4"], "attendee")], {"topic": "改期"},
                 start=datetime(2027, 3, 10, 14, 0))
    db.session.commit()
    before = _rows()
    with pytest.raises(Invalid) as info:
        activities.reschedule(act, world.staff["organizer"], "2019-03-12T14:00", "2019-03-12T17:00")
    assert info.value.fields["starts_at"].code == "plan.year_over"
    db.session.rollback()
    assert _rows() == before
    moved = activities.reschedule(db.session.get_one(Activity, act.id), world.staff["organizer"],
                                  "2026-03-12T14:00", "2026-03-12T17:00")
    assert (moved.school_year, moved.semester) == ("2025-2026", 2)


def test_the_api_refuses_with_the_field(app, world):
    api = api_login(app.test_client(), world.staff["organizer"].username, f.PASSWORD)
    before = _rows()
    body = {"type": "lecture", "title": "往年讲座", "starts_at": "2019-10-15T14:00", "ends_at": "2019-10-15T17:00",
            "hours": 3, "details": {"topic": "往年"}}
    r = api.post("/api/v1/activities", json=body)
    assert r.status_code == 422, r.get_json()
    assert "2025-09-01" in r.get_json()["fields"]["starts_at"]
    zh = api.post("/api/v1/activities", json=body, headers={"Accept-Language": "zh"})
    assert "2019—2020学年已结束" in zh.get_json()["fields"]["starts_at"]
    assert _rows() == before


def test_the_page_says_from_when_and_refuses(app, world):
    c = login(app.test_client(), world.staff["organizer"], world.s1)
    page = c.get("/activities/new/lecture").get_data(as_text=True)
    assert "最早可选 2025-09-01：本学年，或区里尚未审核通过的上一学年。" in page
    before = _rows()
    r = c.post("/activities/new/lecture", data={"title": "往年讲座", "starts_at": "2019-10-15 14:00",
                                                 "ends_at": "2019-10-15 17:00", "hours": "3", "details-topic": "往年"})
    assert r.status_code == 422
    assert "2019—2020学年已结束：活动只能安排在本学年或上一学年，最早从 2025-09-01 开始" in r.get_data(as_text=True)
    assert _rows() == before
    # the form that moves an activity says the same under its start
    act = f.plan(world.s1, world.staff["organizer"], "lecture", [(world.staff["t4"], "attendee")], {"topic": "改期"},
                 start=datetime(2027, 3, 10, 14, 0))
    db.session.commit()
    shown = c.get(f"/activities/{act.id}").get_data(as_text=True)
    assert 'data-testid="reschedule-form"' in shown and "最早可选 2025-09-01" in shown


def test_the_last_year_accepted_refuses_as_locked(world):
    """The last year closes for new activities when the district accepts it (its lock)."""
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    hold_year(world.s1, world.staff["organizer"], "2025-2026")  # a year on its records (one held of nothing is not sent)
    sub = submissions.submit(world.s1, "2025-2026", by=admin)
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    before = _rows()
    with pytest.raises(Invalid) as info:
        f.plan(world.s1, world.staff["organizer"], "lecture", [(world.staff["t4"], "attendee")], {"topic": "上一年"},
               start=LAST_YEAR)
    assert info.value.fields["starts_at"].code == "year.locked"
    db.session.rollback()
    assert _rows() == before
