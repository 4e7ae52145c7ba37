"""Staff: an admin changes an existing person's roles (the answer beside that person's row),
and every list of people is in pinyin order (何 he, 孙 sun, 吴 wu, 周 zhou), not code point."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.errors import Forbidden, Invalid
from portal.extensions import db
from portal.models import Membership, School, User
from portal.services import access, credits, staff
from portal.sorting import by_pinyin, pinyin_key
from tests.support import factories as f


def _roles(site, username: str) -> set[str]:
    with site.app_context():
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        return set(db.session.execute(
            select(Membership.role).where(Membership.user_id == user.id, Membership.active.is_(True))
        ).scalars())


def _id(site, username: str) -> int:
    with site.app_context():
        return db.session.execute(select(User.id).where(User.username == username)).scalar_one()


def test_admin_changes_roles_and_reads_the_answer_beside_the_row(site, as_user):
    c = as_user("admin")
    uid = _id(site, "teacher1")
    r = c.post(f"/admin/staff/{uid}/roles", data={"roles": ["teacher", "organizer"]})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/staff#staff-row-{uid}")
    assert _roles(site, "teacher1") == {"teacher", "organizer"}
    html = c.get("/admin/staff").get_data(as_text=True)
    row = html.split(f'id="staff-row-{uid}"')[1].split("</tr>")[0]
    assert 'data-testid="roles-success"' in row
    # back to teacher only; the organizer membership is switched off, not deleted
    c.post(f"/admin/staff/{uid}/roles", data={"roles": ["teacher"]})
    assert _roles(site, "teacher1") == {"teacher"}
    # no role at all, an unknown role, one's own roles: refused in words beside the row, nothing changed
    for data, target in (({}, uid), ({"roles": ["boss"]}, uid), ({"roles": ["teacher"]}, _id(site, "admin"))):
        c.post(f"/admin/staff/{target}/roles", data=data)
        html = c.get("/admin/staff").get_data(as_text=True)
        row = html.split(f'id="staff-row-{target}"')[1].split("</tr>")[0]
        assert 'data-testid="roles-danger"' in row
        assert "boss" not in row and "roles" not in row.split('data-testid="roles-danger"')[1].split("</div>")[0]
    assert _roles(site, "teacher1") == {"teacher"}
    assert "school_admin" in _roles(site, "admin")


def test_teacher_may_not_change_roles(site, as_user):
    r = as_user("teacher2").post(f"/admin/staff/{_id(site, 'teacher1')}/roles", data={"roles": ["school_admin"]})
    assert r.status_code == 403
    assert _roles(site, "teacher1") == {"teacher"}


def test_a_school_admin_adds_people_with_school_roles_only(site, as_user):
    """The staff page offers the school's roles; a form posted with a district role (written
    by hand) made a district admin or reviewer of the whole district. Refused beside the
    roles, nobody created; the service refuses it too, and anyone but a school admin."""
    c = as_user("admin")
    with site.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    for role in ("district_admin", "district_reviewer"):
        r = c.post("/admin/staff", data={"username": f"mole.{role}", "name": "新同事", "password": "password-123",
                                         "roles": ["teacher", role]})
        assert r.status_code == 422
        error = r.get_data(as_text=True).split('data-testid="error-roles"')[1].split("<")[0]
        assert error.startswith(">角色可为") and "教师" in error and "区" not in error
    with site.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        admin, teacher = (access.actor(_id(site, n), school.id) for n in ("admin", "teacher1"))
        with pytest.raises(Invalid) as refused:
            staff.add_person(school, "mole.x", "password-123", "鼹鼠", ["district_admin"], by=admin)
        assert set(refused.value.fields) == {"role"}
        with pytest.raises(Forbidden):
            staff.add_person(school, "mole.y", "password-123", "鼹鼠", ["teacher"], by=teacher)
        assert db.session.scalar(select(func.count()).select_from(User)) == before
    # the school's own roles are given as before, but those deciding about hours only to an
    # account whose password its holder set (tests/web/test_password_reset.py)
    r = c.post("/admin/staff", data={"username": "new.colleague", "name": "新同事", "password": "password-123",
                                     "roles": ["teacher", "organizer"]})
    assert r.status_code == 302 and _roles(site, "new.colleague") == {"teacher", "organizer"}


def test_two_admins_removing_each_other_at_once_leave_the_school_one(app):
    """Nobody changes their own roles, so an admin always remained — unless two admins took each
    other's role at the same moment: both had passed the check before either wrote, and the
    school was left with no admin (nor a way to get one but the district). The admin's right is
    asked again in the write, where such changes take turns: the second is refused."""
    s = f.school("LA", types=("lecture",))
    a, b = (f.person(s, f"la.adm{i}", "school_admin", "teacher") for i in (1, 2))
    as_a, as_b = access.actor(a.id, s.id), access.actor(b.id, s.id)  # both checked before either wrote
    staff.set_roles(s, b.id, ["teacher"], by=as_a)
    with pytest.raises(Forbidden):
        staff.set_roles(s, a.id, ["teacher"], by=as_b)
    with pytest.raises(Forbidden):
        staff.deactivate(s, a.id, by=as_b)
    # nor does the admin whose role was taken add people, one by one or by a roster (the same
    # rule, access.require_still_admin, asked inside each write)
    with pytest.raises(Forbidden):
        staff.add_person(s, "la.mole", "password-123", "鼹鼠", ["teacher"], by=as_b)
    with pytest.raises(Forbidden):
        staff.import_roster(s, "roster.csv", b"username,roles\nla.mole2,teacher\n", by=as_b)
    db.session.expire_all()
    assert db.session.execute(select(User.id).where(User.username.in_(("la.mole", "la.mole2")))).first() is None
    admins = db.session.execute(select(Membership.user_id).where(
        Membership.school_id == s.id, Membership.role == "school_admin", Membership.active.is_(True))).scalars().all()
    assert admins == [a.id]


def test_pinyin_order():
    names = ["周建国", "孙丽华", "吴晓燕", "何立新", "安然"]
    assert sorted(names) != by_pinyin(names, str)  # code point order is not the reader's order
    assert by_pinyin(names, str) == ["安然", "何立新", "孙丽华", "吴晓燕", "周建国"]
    assert pinyin_key("Zhang Wei") < pinyin_key("张伟x")


def test_lists_of_people_in_pinyin_order(app):
    s = f.school("PY", types=("lecture",))
    for i, name in enumerate(["周建国", "孙丽华", "吴晓燕", "何立新"]):
        f.person(s, f"py{i}", "teacher", name=name)
    expected = ["何立新", "孙丽华", "吴晓燕", "周建国"]
    assert [u.display_name for u in credits.school_teachers(s.id)] == expected
    assert [m.user.display_name for m in staff.list_staff(s.id)] == expected
    assert [ty.user.display_name for ty in credits.school_summary(s, "2026-2027")] == expected
