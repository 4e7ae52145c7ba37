"""The district's queue of submissions and its dashboard run the same statements for one school
as for many: paged, aggregated in SQL, no loop over schools or teachers that queries. The
dashboard's hours by type are summed from the schools' type totals (not the ledger) and equal
the teachers' hours of the stored teacher-year rows."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.models import District, School, User
from portal.policy import Actor
from portal.services import dashboard, submissions, teacher_years, users
from portal.timeutil import current_school_year
from tests.perf.test_query_counts import count


def _submit_all(admin_id: int) -> None:
    """Each school not yet submitted is submitted by its admin (the perf admin, made one there:
    the right is asked again inside the write, of the school submitted)."""
    year = current_school_year()
    admin = db.session.get_one(User, admin_id)
    for school in db.session.execute(select(School).order_by(School.id)).scalars().all():
        if submissions.latest(school.id, year, 0) is None:
            users.add_role(admin, school, "school_admin")
            submissions.submit(school, year, by=Actor.of(admin_id, ["school_admin"]))


def _accepted_plans(admin_id: int) -> None:
    """Every school without one gets an accepted annual plan with a line in each month (so every
    school is in the "behind their plan" chart, whatever the day the test runs)."""
    from portal.models import SchoolPlan, SchoolPlanLine
    from portal.services import school_plans

    year = current_school_year()
    for school in db.session.execute(select(School).order_by(School.id)).scalars():
        if school_plans.get_plan(school.id, year) is None:
            plan = SchoolPlan(district_id=school.district_id, school_id=school.id, school_year=year, status="accepted",
                              updated_by=admin_id)
            db.session.add(plan)
            db.session.flush()
            db.session.add_all(SchoolPlanLine(plan_id=plan.id, type_key="lecture", month=m, title=f"{m} 月讲座",
                                              planned_hours=4) for m in school_plans.MONTHS)
    db.session.commit()


def test_queue_and_dashboard_are_flat_in_the_number_of_schools(app, queries, generated, record_property):
    year = current_school_year()
    [first] = generated(schools=1, teachers=10)
    school = db.session.execute(select(School).where(School.code == first)).scalar_one()
    admin_id = users.create_user("perf.admin", "perf-password-1", "校管理员", school, ["school_admin"]).id
    district_id = db.session.execute(select(District.id)).scalars().first()
    _submit_all(admin_id)
    _accepted_plans(admin_id)
    queue_one = count(queries, lambda: submissions.queue(district_id, year=year))
    dash_one = count(queries, lambda: dashboard.dashboard(district_id, year))
    generated(schools=6, teachers=10, seed=1)
    _submit_all(admin_id)
    _accepted_plans(admin_id)
    queue_many = count(queries, lambda: submissions.queue(district_id, year=year))
    dash_many = count(queries, lambda: dashboard.dashboard(district_id, year))
    assert submissions.queue(district_id, year=year).total >= 7
    assert len(dashboard.dashboard(district_id, year).behind) >= 7  # every school is in the chart
    record_property("figure", f"district queue: {queue_many} statements, dashboard: {dash_many} (1 and 7 schools)")
    assert queue_one == queue_many <= 4, (queue_one, queue_many, queries.report())
    # the behind-plan chart included, and the time zones its schools count months in (one statement)
    assert dash_one == dash_many <= 7, (dash_one, dash_many, queries.report())
    assert any("FROM school_year_type_hours" in q for q in queries.queries), queries.report()
    assert not any("credit_entry" in q for q in queries.queries), queries.report()
    in_district = set(db.session.execute(select(School.id).where(School.district_id == district_id)).scalars())
    summed: dict[str, Decimal] = {}
    for row in teacher_years.stored(year):
        if row[0] in in_district and row[8] != "not_recognised":  # a year not recognised adds no hours
            for key, hours in row[4].items():
                summed[key] = summed.get(key, Decimal("0")) + Decimal(hours)
    chart = dashboard.dashboard(district_id, year).hours_by_type
    assert len(chart) > 1 and dict(chart) == {k: v for k, v in summed.items() if v}
    assert [h for _, h in chart] == sorted((h for _, h in chart), reverse=True)
