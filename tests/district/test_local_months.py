"""Dates of the school's annual plan as the school reads them: an activity counts in the month it
started in the school's time zone (not the month of its UTC start), and a plan is late by the
school's calendar (as its reminders count the days to the deadline), not UTC's."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from portal import timeutil
from portal.extensions import db
from portal.models import SchoolPlan, SchoolPlanLine
from portal.policy import SYSTEM
from portal.services import access, school_plans, schools, submissions, tokens
from portal.services.districts import move_school
from tests.credits.helpers import credited, login
from tests.district.conftest import YEAR
from tests.support import factories as f


def _plan(school, admin, year: str, month: int):
    """A plan of ``year`` with one line in ``month``: saved through the service in the year it is
    written for; a past year's (no longer written, ``plans.plannable_year``) stored as it was."""
    if year != YEAR:
        plan = SchoolPlan(district_id=school.district_id, school_id=school.id, school_year=year, status="draft",
                          updated_by=admin.id)
        db.session.add(plan)
        db.session.flush()
        db.session.add(SchoolPlanLine(plan_id=plan.id, type_key="lecture", month=month, title="开学讲座",
                                      planned_hours=Decimal("2")))
        db.session.commit()
        return plan
    by = access.actor(admin.id, school.id)
    return school_plans.save_plan(school, year, "", "50",
                                  [{"type": "lecture", "month": month, "title": "开学讲座", "hours": "2"}], by=by)


def test_an_activity_counts_in_the_month_it_started_in_the_schools_time(app, world):
    # 1 September 00:30 in Beijing: 31 August 16:30 UTC, filed under 2026-2027, semester 1
    act = credited(world.s1, world.staff, "lecture", [(world.staff["t4"], "attendee")], hours="2",
                   start=datetime(2026, 9, 1, 0, 30), title="开学第一课")
    assert (act.school_year, act.semester) == (YEAR, 1)
    grid = school_plans.planned_vs_held(_plan(world.s1, world.staff["admin"], YEAR, 9))
    assert (grid[("lecture", 9)].planned, grid[("lecture", 9)].held, grid[("lecture", 9)].held_hours) == (1, 1, 2)
    assert ("lecture", 8) not in grid  # not August 2027, a month of the year still to come
    # New York, 31 August 20:30 (to 23:30): 1 September 00:30 UTC, the last month of 2025-2026
    ny = move_school(schools.create_school("NY1", "纽约学校", "America/New_York"), world.d1)
    schools.set_type(ny, "lecture", enabled=True, by=SYSTEM)
    staff = f.staff(ny, prefix="ny")
    late = credited(ny, staff, "lecture", [(staff["t1"], "attendee")], hours="1.5",
                    start=datetime(2026, 8, 31, 20, 30), title="暑期末讲座")
    assert (late.school_year, late.semester) == ("2025-2026", 2)
    grid = school_plans.planned_vs_held(_plan(ny, staff["admin"], "2025-2026", 8))
    assert (grid[("lecture", 8)].held, grid[("lecture", 8)].held_hours) == (1, 1.5)
    assert ("lecture", 9) not in grid  # not September 2025
    # the API's grid is the same
    headers = {"Authorization": f"Bearer {tokens.issue(staff['admin']).token}", "X-School": "NY1"}
    body = app.test_client().get("/api/v1/school-plan?year=2025-2026", headers=headers).get_json()
    assert [(c["month"], c["held"], c["held_hours"]) for c in body["planned_vs_held"]] == [(8, 1, 1.5)]


@pytest.mark.parametrize(("zone", "sent_at", "late"), [
    ("Asia/Shanghai", datetime(2026, 6, 30, 17, 0), True),  # 1 July 01:00 in Beijing: a day late
    ("America/New_York", datetime(2026, 7, 1, 2, 0), False),  # 30 June 22:00 in New York: in time
])
def test_a_plan_is_late_by_the_schools_calendar(app, world, monkeypatch, zone, sent_at, late):
    school = move_school(schools.create_school("Z1", "时区学校", zone), world.d1)
    schools.set_type(school, "lecture", enabled=True, by=SYSTEM)
    admin = f.person(school, "z.adm", "school_admin")
    _plan(school, admin, YEAR, 10)  # the district's deadline for it: 30 June 2026
    monkeypatch.setattr(school_plans, "utcnow", lambda: sent_at)
    assert school_plans.submit_plan(school, YEAR, by=access.actor(admin.id, school.id)).late is late
    headers = {"Authorization": f"Bearer {tokens.issue(admin).token}", "X-School": "Z1"}
    assert app.test_client().get(f"/api/v1/school-plan?year={YEAR}", headers=headers).get_json()["late"] is late


def test_the_schools_api_defaults_to_its_year_by_the_schools_calendar(app, world, monkeypatch):
    # 31 August 2027 23:30 in New York is 1 September in UTC and in the deployment's zone (Beijing):
    # the school's own year is still 2026-2027, as its pages and its other API answers say
    ny = move_school(schools.create_school("NY1", "纽约学校", "America/New_York"), world.d1)
    schools.set_type(ny, "lecture", enabled=True, by=SYSTEM)
    admin = f.person(ny, "ny.adm", "school_admin")
    _plan(ny, admin, YEAR, 10)
    submissions.submit(ny, YEAR, by=access.actor(admin.id, ny.id))
    headers = {"Authorization": f"Bearer {tokens.issue(admin).token}", "X-School": "NY1"}
    monkeypatch.setattr(timeutil, "utcnow", lambda: datetime(2027, 9, 1, 3, 30))
    client = app.test_client()
    assert [s["year"] for s in client.get("/api/v1/submissions", headers=headers).get_json()] == [YEAR]
    r = client.get("/api/v1/school-plan", headers=headers)
    assert r.status_code == 200 and r.get_json()["year"] == YEAR


def test_all_certificates_without_a_year_are_of_the_schools_year(app, world, monkeypatch):
    # the form names its year; a post without one asked the deployment's year (2027-2028 on
    # 31 August 23:30 in New York), the school's is still 2026-2027
    ny = move_school(schools.create_school("NY1", "纽约学校", "America/New_York"), world.d1)
    admin = f.person(ny, "ny.adm", "school_admin")
    client = login(app.test_client(), admin, ny)
    monkeypatch.setattr(timeutil, "utcnow", lambda: datetime(2027, 9, 1, 3, 30))
    r = client.post("/reports/certificates-job", data={"format": "pdf"})  # no credited activity: refused, named
    assert r.status_code == 302 and f"year={YEAR}" in r.headers["Location"], r.headers.get("Location")
