"""The demo shows a teacher who left after a school year was over (README, demo logins):
``teacher7`` was on the staff since long before last school year and was taken off it this year
by the school admin, through the staff page's service. Last year's 学时汇总表 still lists her,
marked 已离校 and 未达标 (nothing of hers counted); this year's does not list her."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.demo import LEFT_AFTER_LAST_YEAR, STAFF_SINCE
from portal.extensions import db
from portal.models import Membership, School, StaffChange, User
from portal.services.credits import year_over_at
from portal.timeutil import current_school_year, school_year_after, utcnow


def _rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-user="([^"]+)">(.*?)</tr>', html, re.S))


def test_the_demo_teacher_who_left_is_on_last_years_summary_only_marked_left(site, as_user):
    username = LEFT_AFTER_LAST_YEAR[0]
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        leaver = db.session.execute(select(User).where(User.username == username)).scalar_one()
        admin = db.session.execute(select(User).where(User.username == "admin")).scalar_one()
        this_year = current_school_year(school.timezone)
        last_year = school_year_after(this_year, -1)
        held = db.session.execute(select(Membership).where(Membership.user_id == leaver.id)).scalars().all()
        assert [(m.school_id, m.role, m.active, m.since) for m in held] == [(school.id, "teacher", False, STAFF_SINCE)]
        # taken off this school year, after last year was over (the years over by then stay hers)
        assert held[0].until is not None and year_over_at(last_year) <= held[0].until <= utcnow()
        logged = db.session.execute(select(StaffChange).where(StaffChange.user_id == leaver.id)).scalars().all()
        assert [(c.what, c.before, c.after, c.changed_by) for c in logged] == [("roles", ["teacher"], [], admin.id)]
    admin_client = as_user("admin")
    last = _rows(admin_client.get(f"/reports/summary?year={last_year}").get_data(as_text=True))
    left = [u for u, row in last.items() if 'data-testid="left-school">已离校<' in row]
    assert left == [username]
    assert 'data-testid="status-teacher7"' in last[username] and "未达标" in last[username]
    now = _rows(admin_client.get(f"/reports/summary?year={this_year}").get_data(as_text=True))
    assert username not in now and "teacher1" in now
