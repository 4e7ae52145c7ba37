"""The outlook promises no hours a teacher cannot be credited: two activities at the same time
(both signed up for, or planned with them in both) can never both be attended
(``services.overlaps`` refuses the second attendance: a stretch holds a 学时 per 45 minutes),
so together they bring the hours their time holds, not the sum; the home says which activity the time went to."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from portal.errors import Invalid
from portal.services import forecast, overview, schools
from portal.timeutil import current_school_year
from tests.credits.test_forecast import local_start
from tests.support import factories as f
from tests.support.sessions import log_in


def _pending(s, t):
    year = current_school_year(s.timezone)
    rows = overview.participations(t.id, s.id, forecast.OUTLOOK_PHASES, year)  # as the home reads them
    settings, _enabled = schools.settings_and_enabled(s.id)
    return forecast.pending_activities(rows, settings, year)


def test_two_activities_at_the_same_time_bring_the_hours_of_one(app, client, s1, staff):
    t1, org = staff["t1"], staff["organizer"]
    start = local_start(-7)
    first = f.plan(s1, org, "lecture", [(t1, "attendee")], {"topic": "甲"}, hours="4", start=start, title="甲讲座")
    second = f.plan(s1, org, "lecture", [(t1, "attendee")], {"topic": "乙"}, hours="4", start=start, title="乙讲座")
    later = f.plan(s1, org, "lecture", [(t1, "attendee")], {"topic": "丙"}, hours="2",
                   start=start + timedelta(days=1), title="丙讲座")
    got = {p.activity.id: p.hours for p in _pending(s1, t1)}
    assert got == {first.id: Decimal("4"), second.id: Decimal("0"), later.id: Decimal("2")}
    log_in(client, t1, s1.id)
    home = client.get("/?lang=zh_Hans_CN").text
    line = home.split(f'data-testid="pending-{second.id}"')[1].split("</li>")[0]
    assert "与“甲讲座”同时" in line and "+0 学时" in line
    assert "6 学时" in home.split('data-testid="forecast-pending"')[0].rsplit("<p", 1)[-1]
    token = client.post("/api/v1/auth/token", json={"username": "t1", "password": f.PASSWORD}).get_json()["token"]
    got = client.get("/api/v1/me/outlook", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert got["pending_hours"] == 6 and {p["activity_id"]: p["hours"] for p in got["pending"]}[second.id] == 0


@pytest.mark.parametrize(("role", "brings"), [
    ("attendee", Decimal("2")),  # three hours from 90 minutes later: the stretch of both (4.5 h long)
    #                              holds 6 学时 of 45 minutes, 4 of them the first's
    ("speaker", Decimal("4")),  # the 2 学时 left, counted twice
])
def test_an_activity_overlapping_part_of_another_brings_what_is_left(s1, staff, role, brings):
    t1, org = staff["t1"], staff["organizer"]
    start = local_start(-7)
    f.plan(s1, org, "lecture", [(t1, "attendee")], {"topic": "甲"}, hours="4", start=start, title="甲讲座")
    late = f.plan(s1, org, "lecture", [(t1, role)], {"topic": "乙"}, hours="4",
                  start=start + timedelta(minutes=90), title="乙讲座")
    assert {p.activity.id: p.hours for p in _pending(s1, t1)}[late.id] == brings


def test_recorded_attendance_holds_its_time_as_recorded(s1, staff):
    """Attendance recorded at one (2 of its 4 学时, the rest excused) leaves the other at the
    same time what attendance there would still be let in: 2."""
    t1, org = staff["t1"], staff["organizer"]
    start = local_start(3)
    held = f.plan(s1, org, "lecture", [(t1, "attendee")], {"topic": "甲"}, hours="4", start=start, title="甲讲座")
    f.attend(held, org, hours={t1.id: "2"}, excused={t1.id: "2"})
    other = f.plan(s1, org, "lecture", [(t1, "attendee")], {"topic": "乙"}, hours="4", start=start, title="乙讲座")
    got = {p.activity.id: (p.hours, p.same_time_as) for p in _pending(s1, t1)}
    assert got == {held.id: (Decimal("2"), ""), other.id: (Decimal("2"), "甲讲座")}
    with pytest.raises(Invalid):  # what attendance says: no more than that
        f.attend(other, org, hours={t1.id: "2.5"})
    f.attend(other, org, hours={t1.id: "2"})


def test_an_activity_at_the_hour_of_a_credited_one_brings_what_its_time_still_holds(app, client, s1, staff):
    """Hours already credited held their time: an open activity at the same hour as a credited
    one is not promised in full (its attendance would be refused), on the home and in the API."""
    from tests.credits.helpers import credited

    t1, org = staff["t1"], staff["organizer"]
    start = local_start(7)
    done = credited(s1, staff, "lecture", [(t1, "attendee")], hours="4", start=start, title="甲讲座")
    other = f.plan(s1, org, "lecture", [(t1, "attendee")], {"topic": "乙"}, hours="4", start=start, title="乙讲座")
    got = {p.activity.id: (p.hours, p.same_time_as) for p in _pending(s1, t1)}
    assert got == {other.id: (Decimal("0"), "甲讲座")}  # the credited one is no pending hours of its own
    with pytest.raises(Invalid):  # what attendance says: nothing more at that hour
        f.attend(other, org, hours={t1.id: "1"})
    log_in(client, t1, s1.id)
    line = client.get("/?lang=zh_Hans_CN").text.split(f'data-testid="pending-{other.id}"')[1].split("</li>")[0]
    assert "与“甲讲座”同时" in line and "+0 学时" in line
    assert done.id != other.id
