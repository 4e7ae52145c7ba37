"""A school submits a year (or semester) once it has begun by the school's calendar: a school
admin could submit a year still to come (or the second semester in December) with every teacher
at 0 hours, and the district's acceptance locked it before anything happened in it — no activity
planned, no writing added in it afterwards. The day it begins is the school's, not UTC's."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict
from portal.extensions import db
from portal.policy import SYSTEM, Actor
from portal.services import access, districts, schools, submissions, tokens
from portal.services.districts import move_school
from tests.credits.helpers import login
from tests.support import factories as f

#: 1 February 2027 00:00 in Beijing (31 January 16:00 UTC), and a minute before it
SPRING_BEGINS, SPRING_MINUTE_BEFORE = datetime(2027, 1, 31, 16, 0), datetime(2027, 1, 31, 15, 59)


def _count() -> int:
    return db.session.execute(select(func.count()).select_from(submissions.YearSubmission)).scalar_one()


def _clock(monkeypatch, at: datetime) -> None:
    monkeypatch.setattr(submissions, "utcnow", lambda: at)


def test_a_year_still_to_come_is_not_submitted(app, world, monkeypatch):
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    _clock(monkeypatch, datetime(2027, 8, 31, 15, 59))  # 31 August 23:59 in Beijing
    with pytest.raises(Conflict) as err:
        submissions.submit(world.s1, "2027-2028", by=admin)
    assert err.value.msg.code == "submission.not_begun" and dict(err.value.msg.params)["day"] == "2027-09-01"
    db.session.rollback()
    assert _count() == 0
    # the page says so and submits nothing; so does the API (409)
    page = login(app.test_client(), world.staff["admin"], world.s1)
    r = page.post("/submission", data={"year": "2027-2028"}, follow_redirects=True)
    assert "2027-09-01" in r.get_data(as_text=True) and _count() == 0
    headers = {"Authorization": f"Bearer {tokens.issue(world.staff['admin']).token}", "X-School": "S1"}
    r = app.test_client().post("/api/v1/submissions", json={"year": "2027-2028"}, headers=headers)
    assert r.status_code == 409 and r.get_json()["error"] == "conflict", r.get_json()
    assert _count() == 0
    _clock(monkeypatch, datetime(2027, 8, 31, 16, 0))  # 1 September 00:00 in Beijing: it has begun
    assert submissions.submit(world.s1, "2027-2028", by=admin).status == "submitted"


def test_the_second_semester_is_submitted_from_its_first_day_in_the_schools_time(app, world, monkeypatch):
    districts.update_settings(world.d1, {"submission_period": "semester"}, by=Actor.of(world.admin1.id,
                                                                                       ["district_admin"]))
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    _clock(monkeypatch, SPRING_MINUTE_BEFORE)
    assert submissions.submit(world.s1, "2026-2027", 1, by=admin).status == "submitted"  # begun in September
    with pytest.raises(Conflict) as err:
        submissions.submit(world.s1, "2026-2027", 2, by=admin)
    assert err.value.msg.code == "submission.semester_not_begun" and dict(err.value.msg.params)["day"] == "2027-02-01"
    # the semester in words, as every page writes it
    assert err.value.msg.render("zh_Hans_CN").startswith("2026—2027学年第二学期尚未开始")
    assert err.value.msg.english.startswith("the second semester of the 2026–2027 school year has not begun")
    db.session.rollback()
    assert _count() == 1
    # 1 February 00:00 in Beijing, still 31 January in UTC: semester 2 has begun for the school
    _clock(monkeypatch, SPRING_BEGINS)
    assert submissions.submit(world.s1, "2026-2027", 2, by=admin).semester == 2


def test_a_school_west_of_utc_begins_its_year_by_its_own_calendar(app, world, monkeypatch):
    ny = move_school(schools.create_school("NY1", "纽约学校", "America/New_York"), world.d1)
    schools.set_type(ny, "lecture", enabled=True, by=SYSTEM)
    admin = f.person(ny, "ny.adm", "school_admin")
    by = access.actor(admin.id, ny.id)
    _clock(monkeypatch, datetime(2027, 9, 1, 3, 30))  # 1 September in UTC (and Beijing), 31 August 23:30 in New York
    with pytest.raises(Conflict) as err:
        submissions.submit(ny, "2027-2028", by=by)
    assert err.value.msg.code == "submission.not_begun"
    db.session.rollback()
    _clock(monkeypatch, datetime(2027, 9, 1, 4, 0))  # midnight in New York
    assert submissions.submit(ny, "2027-2028", by=by).status == "submitted"
