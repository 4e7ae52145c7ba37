"""Row order: lists of people are in pinyin order, and two people of one name (王芳 and 王芳, as
a school of a hundred teachers often has) tie there; what came out of the database first came
first, so a page listed them one way on SQLite and the other on PostgreSQL (where a row updated
last is read last), or one way today and the other tomorrow. Namesakes are in the order of
their accounts (the id) wherever a list of people is read without one."""

from __future__ import annotations

from sqlalchemy import update

from portal.extensions import db
from portal.models import GroupMember, TeachingGroup, User
from portal.services import groups
from tests.support import factories as f


def test_namesakes_in_a_teaching_group_are_listed_in_one_order(app):
    s = f.school("NS1")
    first, second = (f.person(s, f"wangfang{i}", "teacher", name="王芳") for i in (1, 2))
    group = TeachingGroup(school_id=s.id, name="语文组")
    db.session.add(group)
    db.session.flush()
    db.session.add_all([GroupMember(group_id=group.id, user_id=u.id) for u in (first, second)])
    db.session.flush()
    # the first one's rows written again (PostgreSQL: moved after the second's)
    db.session.execute(update(GroupMember).where(GroupMember.user_id == first.id).values(group_id=group.id))
    db.session.execute(update(User).where(User.id == first.id).values(display_name="王芳"))
    db.session.commit()
    (view,) = groups.school_groups(s.id)
    assert [u.id for u in view.members] == [first.id, second.id]

