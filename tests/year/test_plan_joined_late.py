"""A teacher who joins the school after its deadline for the year's personal plans (hired in
November, back after a year away) still writes their plan: they have
:data:`plans.JOINED_LATE_DAYS` from the day they joined, in the school's time and within the
school year; the page, the API and the refusal name that day. Someone on the staff before the
deadline keeps the school's."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from portal.errors import Conflict
from portal.extensions import db
from portal.models import Membership, Notification
from portal.services import plans, schools, tokens, users
from portal.timeutil import year_bounds
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.year.helpers import actor

GOALS = "尽快熟悉学校的教研方式，上好每一节课。"
YEAR = "2026-2027"


@pytest.fixture
def sch(app):
    s = schools.create_school("JL", "迟到学校", "Asia/Shanghai")
    p = f.staff(s, "jl")  # on the staff for years
    plans.set_deadline(s, YEAR, "2026-10-31", by=actor(p["admin"], s))
    return s, p


def _today(monkeypatch, day: datetime) -> None:
    monkeypatch.setattr(plans, "utcnow", lambda: day)


def test_a_teacher_hired_after_the_deadline_has_thirty_days_from_joining(sch, monkeypatch):
    s, p = sch
    # joined 1 December 09:00 in Beijing (01:00 UTC)
    new = f.person(s, "jlnew", "teacher", name="新教师", since=datetime(2026, 12, 1, 1, 0))
    assert plans.deadline_for(s, YEAR, new.id) == date(2026, 12, 31)
    assert plans.deadline_for(s, YEAR, p["t1"].id) == date(2026, 10, 31)  # the others keep the school's
    _today(monkeypatch, datetime(2026, 12, 5, 2, 0))
    assert plans.save(s, new, YEAR, GOALS, by=actor(new, s), submit=True).status == "submitted"
    with pytest.raises(Conflict) as late:  # someone on the staff before the deadline: passed
        plans.save(s, p["t1"], YEAR, GOALS, by=actor(p["t1"], s), submit=True)
    assert late.value.msg.code == "plan.deadline_passed"


def test_their_own_deadline_passes_at_the_end_of_its_day_in_the_schools_time(sch, monkeypatch):
    s, _p = sch
    new = f.person(s, "jlnew", "teacher", since=datetime(2026, 11, 30, 17, 0))  # 1 December 01:00 in Beijing
    _today(monkeypatch, datetime(2026, 12, 31, 16, 30))  # 1 January 00:30 in Beijing
    with pytest.raises(Conflict) as late:
        plans.save(s, new, YEAR, GOALS, by=actor(new, s))
    assert late.value.msg.code == "plan.deadline_passed" and "2026-12-31" in str(late.value.msg.params)


def test_their_deadline_stays_within_the_school_year(sch):
    s, _p = sch
    new = f.person(s, "jlsummer", "teacher", since=datetime(2027, 8, 20, 2, 0))
    assert plans.deadline_for(s, YEAR, new.id) == year_bounds(YEAR)[1]


def test_a_teacher_back_after_a_year_away_has_thirty_days_from_coming_back(sch, monkeypatch):
    s, p = sch
    t2 = p["t2"]
    m = db.session.execute(
        db.select(Membership).where(Membership.user_id == t2.id, Membership.school_id == s.id,
                                    Membership.role == "teacher")).scalar_one()
    m.active, m.until = False, datetime(2025, 6, 30)  # left in the year before last
    db.session.commit()
    monkeypatch.setattr(users, "utcnow", lambda: datetime(2026, 11, 10, 1, 0))
    users.add_role(t2, s, "teacher")  # back on 10 November
    assert plans.deadline_for(s, YEAR, t2.id) == date(2026, 12, 10)
    _today(monkeypatch, datetime(2026, 11, 20, 2, 0))
    assert plans.save(s, t2, YEAR, GOALS, by=actor(t2, s)).status == "draft"


def test_the_page_and_the_api_give_their_own_deadline(app, client, sch, monkeypatch):
    s, _p = sch
    new = f.person(s, "jlpage", "teacher", since=datetime(2026, 12, 1, 1, 0))
    _today(monkeypatch, datetime(2026, 12, 5, 2, 0))
    log_in(client, new, s.id)
    page = client.get(f"/plan?year={YEAR}")
    assert page.status_code == 200 and "2026-12-31" in page.get_data(as_text=True)
    api = {"Authorization": f"Bearer {tokens.issue(new).token}", "X-School": "JL"}
    put = client.put(f"/api/v1/plans/me?year={YEAR}", json={"goals": GOALS}, headers=api)
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["deadline"] == "2026-12-31"
    assert plans.plan_of(s.id, new.id, YEAR) is not None


def test_they_are_reminded_seven_and_one_days_before_their_own_deadline(sch):
    from portal.services import district_notices

    s, p = sch
    new = f.person(s, "jlremind", "teacher", since=datetime(2026, 12, 1, 1, 0))  # due 31 December

    def told(day: date) -> set[int]:
        made = district_notices.remind_plan_deadline(datetime.combine(day, datetime.min.time()) + timedelta(minutes=27))
        return {n.user_id for n in db.session.execute(
            db.select(Notification).where(Notification.id.in_(made))).scalars()}

    assert new.id not in told(date(2026, 10, 24))  # the school's 7-day reminder: not theirs
    assert told(date(2026, 12, 23)) == set()  # 8 days before their own
    week = told(date(2026, 12, 24))
    assert week == {new.id}  # the others' deadline is long past
    note = db.session.execute(db.select(Notification).where(Notification.user_id == new.id)
                              .order_by(Notification.id.desc())).scalars().first()
    assert note.params == {"year": YEAR, "date": "2026-12-31", "days": 7}
    assert told(date(2026, 12, 24)) == set()  # the job again: nobody twice
    assert told(date(2026, 12, 30)) == {new.id}
    plans.save(s, new, YEAR, GOALS, by=actor(new, s), submit=True)
    assert told(date(2026, 12, 30)) == set()


def test_their_calendar_feed_has_their_own_deadline(sch):
    from icalendar import Calendar

    from portal.services import calendar_feeds

    s, p = sch
    new = f.person(s, "jlfeed", "teacher", since=datetime(2026, 12, 1, 1, 0))
    for who, day in ((new, date(2026, 12, 31)), (p["t1"], date(2026, 10, 31))):
        feed = Calendar.from_ical(calendar_feeds.build(who, None, datetime(2026, 12, 5, 2, 0)))
        (event,) = [e for e in feed.walk("VEVENT") if str(e["UID"]).startswith(f"plan-deadline-{s.id}-")]
        assert event.decoded("DTSTART") == day
