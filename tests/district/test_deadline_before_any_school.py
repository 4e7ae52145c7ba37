"""A deadline a district announces before it has any school: the schools it creates later show
it (home, calendar feed) and their people are reminded of it 7 and 1 days before."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from portal.extensions import db
from portal.models import Notification
from portal.policy import SCHOOL_ADMIN, TEACHER, Actor
from portal.services import announcements, calendar_feeds, district_notices, districts, users
from tests.support import factories as f


def test_a_school_created_after_the_deadline_was_announced_shows_it_and_is_reminded(world):
    """Before: a new school copied the announcements from a school of its district; with none
    yet, it had none, so its home and its calendars never showed the deadline (the reminders,
    read from the announcements themselves, came all the same: of a deadline shown nowhere)."""
    empty = districts.create_district("D5", "新设区")
    admin = users.create_user("adm.d5", f.PASSWORD, "区管理五", None, ["district_admin"], district_id=empty.id)
    by = Actor.of(admin.id, ["district_admin"])
    due = announcements.district_today() + timedelta(days=20)
    row = announcements.announce(empty.id, "新学年研修计划报送", due.isoformat(), "请按时报送", "all_staff", by=by)
    assert district_notices.deadline_announced(row.id) == []  # nobody to tell yet
    school, head = districts.create_school_with_admin(empty, "N1", "新建实验学校", "n1.admin", "新校长",
                                                      "a-good-password-5", by=by)
    teacher = users.create_user("n1.t1", f.PASSWORD, "新教师", school, [TEACHER])
    db.session.refresh(school)
    assert [a.id for a in announcements.for_school_member(school, frozenset({SCHOOL_ADMIN}))] == [row.id]
    assert [a.id for a in announcements.for_school_member(school, frozenset({TEACHER}))] == [row.id]
    feed = Calendar.from_ical(calendar_feeds.build(teacher, None))
    assert [e.decoded("DTSTART") for e in feed.walk("VEVENT") if str(e["UID"]).startswith(f"deadline-{row.id}@")] == [due]
    week_before = datetime.combine(due - timedelta(days=7), datetime.min.time()) + timedelta(minutes=27)
    made = set(district_notices.remind_deadlines(week_before))
    told = db.session.execute(select(Notification.user_id).where(
        Notification.id.in_(made), Notification.key.startswith(f"deadline:{row.id}:"))).scalars().all()
    assert sorted(told) == sorted({head.id, teacher.id})
