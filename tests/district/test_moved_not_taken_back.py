"""A teacher the district moved to another school is not made a teacher of the old school again
by its admin (``staff.set_roles``).

Walker (hGD): the district admin moved 王雅琴 from 研修示范小学 to 东城实验小学 from today; the old
school's admin ticked 教师 on her row of the staff page (she is listed there, her roles ended) and
it was saved, 角色已修改. She then taught at both schools from the same day: each school's
学时汇总表 of the year listed her, each asked its 50 hours of her, and the district's page
counted her at both — the district's decision undone by one of the schools, which the roster
import already refuses ("a teacher of another school of the district is moved by the district,
not made twice"). Now the staff page refuses it beside her row, naming the school she teaches at,
and nothing is written; a teacher who left for no other school is given the role back as before."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Membership, StaffChange
from portal.policy import Actor
from portal.services import moves, staff
from tests.credits.helpers import login
from tests.district.test_teacher_moves import today  # noqa: F401 (fixture)

DAY = "2026-11-02"


def _held(user_id: int) -> list[tuple]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(Membership.school_id, Membership.role, Membership.active, Membership.since, Membership.until)
        .where(Membership.user_id == user_id).order_by(Membership.id)).all()]


def _log(user_id: int) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(
        select(StaffChange.school_id, StaffChange.before, StaffChange.after)
        .where(StaffChange.user_id == user_id).order_by(StaffChange.id)).all()]


def test_the_old_schools_admin_cannot_make_a_moved_teacher_theirs_again(app, today):  # noqa: F811
    world = today
    t1, s1, s2 = world.staff["t1"], world.s1, world.s2
    moves.move_teacher(t1.id, s2.id, DAY, by=Actor.of(world.admin1.id, ["district_admin"]),
                       district_id=world.d1.id)
    db.session.commit()
    held, log = _held(t1.id), _log(t1.id)
    assert [(sid, role, active) for sid, role, active, _since, _until in held] == [
        (s1.id, "teacher", False), (s2.id, "teacher", True)]
    page = login(app.test_client(), world.staff["admin"], s1)
    done = page.post(f"/admin/staff/{t1.id}/roles?lang=zh_Hans_CN", data={"roles": ["teacher"]},
                     follow_redirects=True)
    said = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "角色已修改" not in said
    assert s2.name in said and "区教育局" in said, said
    assert _held(t1.id) == held and _log(t1.id) == log  # nothing written


def test_a_teacher_who_left_for_no_other_school_is_given_the_role_back(app, today):  # noqa: F811
    world = today
    t2, s1 = world.staff["t2"], world.s1
    admin = Actor.of(world.staff["admin"].id, ["school_admin"])
    staff.deactivate(s1, t2.id, by=admin)
    db.session.commit()
    assert staff.set_roles(s1, t2.id, ["teacher"], by=admin) == ["teacher"]
    assert [(sid, role, active) for sid, role, active, _s, _u in _held(t2.id)] == [(s1.id, "teacher", True)]
