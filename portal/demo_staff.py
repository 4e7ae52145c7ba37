"""Demo data of the staff audit log: the admin ticks 数学组 for 赵子涵 (teacher2) on the staff
page by mistake and unticks it again — both changes are on /admin/audit?view=staff, and the
groups end as they were (the other demo figures stay the same). Invented people."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import School, TeachingGroup, User
from portal.services import access, groups


def load(school: School) -> None:
    people = dict(db.session.execute(select(User.username, User.id).where(User.username.in_(("admin", "teacher2")))).all())
    named = dict(db.session.execute(
        select(TeachingGroup.name, TeachingGroup.id).where(TeachingGroup.school_id == school.id)).all())
    chinese, maths, teacher = named["语文组"], named["数学组"], people["teacher2"]
    by = access.actor(people["admin"], school.id)
    groups.set_person_groups(school, teacher, [chinese, maths], by=by)
    groups.set_person_groups(school, teacher, [chinese], by=by)
