"""The home offered 写我的计划 after the teacher's plan deadline had passed (``plans.closed_by_deadline``):
the link led to a page that says no plan can be written any more. The home now says so itself, and
a draft left unsent says it too beside the link to read it. The home's body is cached: keyed on the
day, so the deadline passing shows with nothing written (the school's data stamp unchanged)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.models import DevelopmentPlan, School, User
from portal.page_cache import STATS_KEY
from portal.services import plans
from portal.timeutil import current_school_year, to_local, utcnow

DEADLINE_PASSED = 'data-testid="home-plan-deadline-passed"'


def _school_and_teacher(site, username: str) -> tuple[School, User]:
    school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
    return school, db.session.execute(select(User).where(User.username == username)).scalar_one()


def _stamp(site) -> object:
    with site.app_context():
        return db.session.execute(select(School.data_version).where(School.code == "DEMO")).scalar_one()


def _after(site, username: str) -> tuple[datetime, datetime, str]:
    """The last hour (UTC) of the teacher's deadline day in the school's calendar, the first of the day after it,
    and the school year."""
    with site.app_context():
        school, teacher = _school_and_teacher(site, username)
        year = current_school_year(school.timezone)
        due = plans.deadline_for(school, year, teacher.id)
        assert to_local(utcnow(), school.timezone).date() <= due  # the demo's deadline is days away
        day_after = datetime.combine(due + timedelta(days=1), time(0, 30)).replace(tzinfo=UTC)
        # midnight of the day after in the school's zone, from UTC: the zone's offset found on it
        offset = to_local(day_after, school.timezone).utcoffset() or timedelta(0)
        first = day_after - offset
        return first - timedelta(hours=1), first + timedelta(hours=1), year


def test_after_the_deadline_the_home_says_so_instead_of_offering_a_plan_to_write(site, as_user, time_machine):
    t3 = as_user("teacher3")  # no plan this year
    before_deadline, after_deadline, year = _after(site, "teacher3")
    time_machine.move_to(before_deadline)
    page = t3.get("/?lang=zh").get_data(as_text=True)
    assert "填写我的计划" in page and DEADLINE_PASSED not in page
    stamp = _stamp(site)
    stats = site.extensions[STATS_KEY]
    hits = stats["hit"]
    assert DEADLINE_PASSED not in t3.get("/?lang=zh").get_data(as_text=True)
    assert stats["hit"] == hits + 1  # the body kept: the next request finds it
    time_machine.move_to(after_deadline)  # nothing written: only the day has changed
    page = t3.get("/?lang=zh").get_data(as_text=True)
    assert _stamp(site) == stamp
    assert "填写我的计划" not in page and DEADLINE_PASSED in page
    assert "已过" in page.split(DEADLINE_PASSED, 1)[1].split("</p>", 1)[0]
    english = t3.get("/?lang=en").get_data(as_text=True)
    assert "has passed: a plan can no longer be written or handed in" in english and "Write my plan" not in english
    # the plan page agrees: no form
    assert 'data-testid="plan-deadline-passed"' in t3.get(f"/plan?year={year}").get_data(as_text=True)


def test_a_draft_left_unsent_after_the_deadline_is_read_and_says_why_it_cannot_be_sent(site, as_user, time_machine):
    before_deadline, after_deadline, year = _after(site, "teacher3")
    with site.app_context():
        school, teacher = _school_and_teacher(site, "teacher3")
        db.session.add(DevelopmentPlan(school_id=school.id, user_id=teacher.id, school_year=year, goals="多听课",
                                       target_hours=Decimal(50), status=plans.DRAFT))
        db.session.commit()
    t3 = as_user("teacher3")
    time_machine.move_to(before_deadline)
    page = t3.get("/?lang=zh").get_data(as_text=True)
    assert 'data-testid="home-plan-link"' in page and DEADLINE_PASSED not in page
    time_machine.move_to(after_deadline)
    page = t3.get("/?lang=zh").get_data(as_text=True)
    assert 'data-testid="home-plan-link"' in page and DEADLINE_PASSED in page  # read it; it cannot be sent


def test_one_who_joined_after_the_schools_deadline_is_offered_their_plan_until_their_own(make_app, time_machine):
    """The home reads the teacher's deadline from their year's figures (``YearFacts.on_staff_since``:
    no statement of its own): the day :func:`plans.deadline_for` gives, their own when they joined late."""
    from portal.services import credits, schools
    from portal.testing import log_in
    from tests.support import factories as f
    from tests.year.helpers import actor

    app = make_app()
    year = "2026-2027"
    time_machine.move_to(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))  # 5 December in Beijing
    with app.app_context():
        s = schools.create_school("JL", "迟到学校", "Asia/Shanghai")
        p = f.staff(s, "jl")  # on the staff for years: the school's deadline, 31 October, is over
        plans.set_deadline(s, year, "2026-10-31", by=actor(p["admin"], s))
        new = f.person(s, "jlnew", "teacher", name="新教师", since=datetime(2026, 12, 1, 1, 0))  # theirs: 31 December
        db.session.commit()
        for teacher in (new, p["t1"]):
            since = credits.teacher_year(teacher, s, year).facts.on_staff_since
            assert plans.deadline_from(s, year, since) == plans.deadline_for(s, year, teacher.id)
        people = [(new, False), (p["t1"], True)]
        school_id = s.id
        for teacher, passed in people:
            client = app.test_client()
            log_in(client, teacher, school_id)
            page = client.get("/?lang=zh").get_data(as_text=True)
            assert (DEADLINE_PASSED in page) is passed and ("填写我的计划" in page) is not passed, teacher.username
            if passed:
                assert "2026-10-31" in page
