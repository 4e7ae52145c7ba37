"""The dashboard's "schools behind their plan": per school of the district, the hours and
activities of its accepted annual plan in the months begun so far against what it held, the
schools furthest behind first — one SQL statement, drawn as SVG with the numbers in text, in the
API too."""

from __future__ import annotations

from datetime import datetime

import pytest

from portal.extensions import db
from portal.policy import Actor
from portal.services import access, dashboard, school_plans, tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR

S1_LINES = [
    {"type": "lecture", "month": 9, "title": "开学讲座", "hours": "4"},
    {"type": "lecture", "month": 10, "title": "作业设计", "hours": "4"},
    {"type": "observation", "month": 11, "title": "观摩课", "hours": "6"},
    {"type": "lecture", "month": 3, "title": "春季讲座", "hours": "10"},  # not begun by December
]


def _accepted(world, school, admin_id, lines) -> None:
    by = access.actor(admin_id, school.id)
    school_plans.save_plan(school, YEAR, "", "50", lines, by=by)
    plan = school_plans.submit_plan(school, YEAR, by=by)
    school_plans.decide_plan(plan.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]),
                             district_id=school.district_id)


@pytest.fixture
def plans(world):
    from tests.support import factories as f

    _accepted(world, world.s1, world.staff["admin"].id, S1_LINES)
    s2_admin = f.person(world.s2, "s2.adm", "school_admin")
    _accepted(world, world.s2, s2_admin.id, [{"type": "lecture", "month": 10, "title": "讲座", "hours": "2"}])
    db.session.commit()


def test_the_schools_furthest_behind_come_first(world, plans):
    rows = school_plans.behind_plan(world.d1.id, YEAR, datetime(2026, 12, 1, 2, 0))
    assert [r.school.code for r in rows] == ["S1", "S2"]
    s1, s2 = rows
    # S1: 3 lines begun (14 h); held the world's two October lectures (4 h credited, 2 h held)
    assert (s1.planned, s1.planned_hours, s1.held, s1.held_hours, s1.gap_hours) == (3, 14, 2, 6, 8)
    assert (s2.planned, s2.planned_hours, s2.held, s2.held_hours) == (1, 2, 0, 0)
    assert school_plans.behind_plan(world.d1.id, YEAR, datetime(2026, 8, 1, 2, 0)) == []  # the year has not begun
    later = school_plans.behind_plan(world.d1.id, YEAR, datetime(2027, 9, 1, 2, 0))  # over: every line is due
    assert later[0].planned_hours == 24
    assert school_plans.behind_plan(world.d2.id, YEAR, datetime(2026, 12, 1, 2, 0)) == []  # T1: no plan, other district


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dashboard_draws_the_chart_with_its_numbers(app, world, plans, lang, monkeypatch):
    monkeypatch.setattr(dashboard, "utcnow", lambda: datetime(2026, 12, 1, 2, 0))
    reviewer = login(app.test_client(), world.reviewer1)
    reviewer.get(f"/lang/{lang}")
    html = reviewer.get(f"/district/dashboard?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="chart-behind"' in html and "<svg" in html
    assert html.index('data-testid="behind-S1"') < html.index('data-testid="behind-S2"')
    assert "6/14" in html  # held / planned hours, in text
    assert ("落后于计划的学校" if lang == "zh" else "Schools behind their plan") in html
    other = login(app.test_client(), world.reviewer2).get(f"/district/dashboard?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="behind-none"' in other and "behind-S1" not in other


def test_the_api_dashboard_has_the_schools_behind(app, world, plans, monkeypatch):
    monkeypatch.setattr(dashboard, "utcnow", lambda: datetime(2026, 12, 1, 2, 0))
    head = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    got = app.test_client().get(f"/api/v1/district/dashboard?year={YEAR}", headers=head).get_json()
    assert [r["school"] for r in got["behind_plan"]] == ["S1", "S2"]
    assert got["behind_plan"][0] == {"school": "S1", "name": world.s1.name, "planned": 3, "planned_hours": 14,
                                      "held": 2, "held_hours": 6, "behind_hours": 8}
    assert all(type(got["behind_plan"][0][k]) is float for k in ("planned_hours", "held_hours", "behind_hours"))


def test_the_dashboard_counts_the_months_begun_in_the_districts_time(world, monkeypatch):
    """At 01:00 on 1 December in Beijing (17:00 on 30 November UTC) December has begun: its
    planned lecture is due on the dashboard as in behind_plan for that day (the dashboard took
    the UTC date and left December's 5 planned hours out until 08:00)."""
    _accepted(world, world.s1, world.staff["admin"].id,
              [*S1_LINES, {"type": "lecture", "month": 12, "title": "十二月讲座", "hours": "5"}])
    db.session.commit()
    monkeypatch.setattr(dashboard, "utcnow", lambda: datetime(2026, 11, 30, 17, 0))
    got = dashboard.dashboard(world.d1.id, YEAR)
    expected = school_plans.behind_plan(world.d1.id, YEAR, datetime(2026, 11, 30, 17, 0))
    assert [(r.school.code, r.planned_hours) for r in got.behind] == [(r.school.code, r.planned_hours)
                                                                        for r in expected] == [("S1", 19)]


def test_each_school_counts_the_months_begun_by_its_own_calendar(app, world, monkeypatch):
    """At 17:00 UTC on 30 November it is 1 December in Beijing (S1) but still 30 November in
    London (S2): S1's December line is due, S2's is not. behind_plan counted the months begun
    by the district's day for every school, so S2 was behind by a month it had not begun."""
    from tests.support import factories as f

    december = {"type": "lecture", "month": 12, "title": "十二月讲座", "hours": "5"}
    _accepted(world, world.s1, world.staff["admin"].id, [*S1_LINES, december])
    world.s2.timezone = "Europe/London"
    s2_admin = f.person(world.s2, "s2.adm", "school_admin")
    _accepted(world, world.s2, s2_admin.id, [{"type": "lecture", "month": 10, "title": "讲座", "hours": "2"}, december])
    db.session.commit()
    at = datetime(2026, 11, 30, 17, 0)
    got = {r.school.code: r.planned_hours for r in school_plans.behind_plan(world.d1.id, YEAR, at)}
    assert got == {"S1": 19, "S2": 2}
    monkeypatch.setattr(dashboard, "utcnow", lambda: at)
    assert {r.school.code: r.planned_hours for r in dashboard.dashboard(world.d1.id, YEAR).behind} == got
    head = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    api = app.test_client().get(f"/api/v1/district/dashboard?year={YEAR}", headers=head).get_json()
    assert {r["school"]: r["planned_hours"] for r in api["behind_plan"]} == {"S1": 19, "S2": 2}
