"""A teacher who forgot their password gets a new one from their school admin (before, nobody
could give one: the account was lost). The reset reaches no further than the admin's own school's
staff — never the admin themselves, a fellow admin, or a person who also has a role in another
school or the district (a reset lets whoever makes it sign in as that person); those accounts are
the operator's (``flask user set-password``). The old password, every session and every API token
stop working, the staff log says who gave a new password (never the password), and the new one is
shown once, on a page no cache keeps."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.errors import Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.models import Membership, StaffChange, User
from portal.services import access, staff, tokens
from tests.support import factories as f
from tests.support.factories import PASSWORD


def _login(app, username: str, password: str):
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": password})
    return client, r.status_code == 302


def _school():
    s = f.school("PW", types=("lecture",))
    admin = f.person(s, "pw.admin", "school_admin", "teacher", name="管理员甲")
    teacher = f.person(s, "pw.t1", "teacher", name="忘密码")
    return s, admin, teacher


def test_an_admin_gives_a_teacher_who_forgot_a_new_password(app):
    s, admin, teacher = _school()
    t_client, ok = _login(app, "pw.t1", PASSWORD)
    assert ok
    token = tokens.issue(teacher).token
    a_client, ok = _login(app, "pw.admin", PASSWORD)
    assert ok
    page = a_client.get("/admin/staff").get_data(as_text=True)
    assert 'data-testid="reset-password-pw.t1"' in page
    assert 'data-testid="reset-password-pw.admin"' not in page  # not oneself

    r = a_client.post(f"/admin/staff/{teacher.id}/password")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    html = r.get_data(as_text=True)
    password = re.search(r'data-testid="new-password-value">([^<]+)<', html).group(1)
    assert len(password) == 12
    assert "忘密码（pw.t1）已有新密码" in html and "Hand it to them" not in html
    assert "set-cookie" not in {k.lower() for k in r.headers.keys()} or password not in r.headers.get("Set-Cookie", "")

    assert not _login(app, "pw.t1", PASSWORD)[1]  # the old password is gone
    assert _login(app, "pw.t1", password)[1]
    assert t_client.get("/").status_code == 302  # the session opened before is over
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    log = db.session.execute(select(StaffChange).where(StaffChange.user_id == teacher.id)).scalars().all()
    assert [(e.what, e.before, e.after, e.changed_by) for e in log][-1:] == [("password", [], [], admin.id)]
    audit = a_client.get("/admin/audit?view=staff").get_data(as_text=True)
    assert "已设置新密码" in audit and password not in audit
    assert ">密码<" in audit
    english = a_client.get("/admin/audit?view=staff&lang=en").get_data(as_text=True)
    assert "a new password was given" in english


def test_no_reset_for_oneself_a_fellow_admin_or_an_account_beyond_the_school(app):
    s, admin, teacher = _school()
    fellow = f.person(s, "pw.admin2", "school_admin", name="管理员乙")
    reviewer = f.person(s, "pw.rev", "reviewer", "teacher", name="审核人丙")  # decides the admin's own hours
    other = f.school("PX", types=("lecture",))
    roaming = f.person(s, "pw.roam", "teacher", name="两校")
    f.person(other, "pw.roam", "teacher")
    stranger = f.person(other, "pw.x", "teacher", name="外校")
    district = f.person(s, "pw.d", "teacher", name="区里")
    f.person(None, "pw.d", "district_admin")
    gone = f.person(s, "pw.gone", "teacher", name="已离开")
    by = access.actor(admin.id, s.id)
    staff.deactivate(s, gone.id, by=by)
    hashes = dict(db.session.execute(select(User.id, User.password_hash)).all())

    with pytest.raises(Invalid) as own:
        staff.reset_password(s, admin.id, by=by)
    assert own.value.fields["user_id"].code == "staff.reset_self"
    for person in (fellow, reviewer, roaming, district):
        with pytest.raises(Forbidden) as beyond:
            staff.reset_password(s, person.id, by=by)
        assert beyond.value.msg.code == "staff.reset_beyond"
    for person in (stranger, gone):
        with pytest.raises(NotFound):
            staff.reset_password(s, person.id, by=by)
    with pytest.raises(Forbidden):  # a teacher is no admin
        staff.reset_password(s, admin.id, by=access.actor(teacher.id, s.id))
    db.session.expire_all()
    assert dict(db.session.execute(select(User.id, User.password_hash)).all()) == hashes
    assert not db.session.execute(select(StaffChange.id).where(StaffChange.what == "password")).first()

    # the staff page offers the reset exactly where it is allowed; a refusal is shown at the row, in Chinese
    client, _ = _login(app, "pw.admin", PASSWORD)
    page = client.get("/admin/staff").get_data(as_text=True)
    offered = set(re.findall(r'data-testid="reset-password-([^"]+)"', page))
    assert offered == {"pw.t1"}
    r = client.post(f"/admin/staff/{fellow.id}/password", follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "只能由系统运维人员为其设置新密码" in html and "only the operator" not in html
    assert client.post(f"/admin/staff/{stranger.id}/password").status_code == 404


def test_an_admin_whose_role_is_taken_at_the_same_moment_gives_no_password(app):
    s, admin, teacher = _school()
    fellow = f.person(s, "pw.admin2", "school_admin", "teacher", name="管理员乙")
    as_fellow = access.actor(fellow.id, s.id)  # checked before the role was taken
    staff.set_roles(s, fellow.id, ["teacher"], by=access.actor(admin.id, s.id))
    before = teacher.password_hash
    with pytest.raises(Forbidden):
        staff.reset_password(s, teacher.id, by=as_fellow)
    db.session.expire_all()
    assert db.session.get(User, teacher.id).password_hash == before


def test_a_person_who_took_a_role_elsewhere_at_the_same_moment_is_not_reset(app):
    """The person's roles are read again, locked, inside the write: a teacher given a district role
    after the page was drawn is refused, not reset."""
    s, admin, teacher = _school()
    f.person(None, "pw.t1", "district_reviewer")
    with pytest.raises(Forbidden):
        staff.reset_password(s, teacher.id, by=access.actor(admin.id, s.id))
    assert db.session.execute(select(Membership.id).where(Membership.user_id == teacher.id)).first()


def test_the_operator_sets_any_password_at_the_command_line(app):
    s, admin, teacher = _school()
    other = f.school("PX", types=("lecture",))
    f.person(other, "pw.admin", "teacher")
    runner = app.test_cli_runner()
    r = runner.invoke(args=["user", "set-password", "PW.ADMIN", "--password", "a-new-long-password"])
    assert r.exit_code == 0, r.output
    assert _login(app, "pw.admin", "a-new-long-password")[1]
    log = db.session.execute(select(StaffChange.school_id, StaffChange.what, StaffChange.changed_by)
                             .where(StaffChange.user_id == admin.id, StaffChange.what == "password")).all()
    assert sorted(log) == sorted([(s.id, "password", None), (other.id, "password", None)])
    bad = runner.invoke(args=["user", "set-password", "pw.admin", "--password", "short"])
    assert bad.exit_code != 0 and _login(app, "pw.admin", "a-new-long-password")[1]
    assert runner.invoke(args=["user", "set-password", "nobody", "--password", "a-new-long-password"]).exit_code != 0


def test_a_new_password_lifts_the_lock_out_of_the_username(app):
    """A teacher locked out by failed logins (their own, or someone guessing) gets in with the new
    password at once: the guesses were at a password that no longer opens the account. The
    address's own count stays."""
    s, admin, teacher = _school()
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"username": "pw.t1", "password": "wrong-guess"})
    assert client.post("/login", data={"username": "pw.t1", "password": PASSWORD}).status_code == 429
    _person, password = staff.reset_password(s, teacher.id, by=access.actor(admin.id, s.id))
    assert _login(app, "PW.T1", password)[1]


# -- a password the admin knows opens no role that decides about hours ----------------------


def _roles_of(user_id: int, school_id: int) -> set[str]:
    db.session.expire_all()
    return set(db.session.execute(select(Membership.role).where(
        Membership.user_id == user_id, Membership.school_id == school_id, Membership.active.is_(True))).scalars())


def test_a_teacher_whose_password_the_admin_reset_is_made_a_reviewer_only_once_the_operator_sets_it(app):
    """Attack: the admin reset a teacher's password (allowed: a plain teacher), made them a
    reviewer, signed in as them and approved and credited the admin's own 40 declared hours.
    The reviewer role is refused while the admin knows the password, nothing changed, on the
    staff page too; once the operator has set a new one (flask user set-password), it is given."""
    s, admin, teacher = _school()
    by = access.actor(admin.id, s.id)
    staff.reset_password(s, teacher.id, by=by)
    for roles in (["teacher", "reviewer"], ["teacher", "school_admin"]):
        with pytest.raises(Invalid) as err:
            staff.set_roles(s, teacher.id, roles, by=by)
        assert err.value.fields["roles"].code == "staff.role_needs_own_password"
    assert _roles_of(teacher.id, s.id) == {"teacher"}
    assert staff.set_roles(s, teacher.id, ["teacher", "organizer"], by=by) == ["teacher", "organizer"]  # no decision
    a_client, _ok = _login(app, "pw.admin", PASSWORD)
    r = a_client.post(f"/admin/staff/{teacher.id}/roles", data={"roles": ["teacher", "reviewer"]}, follow_redirects=True)
    assert "审核和管理角色不授予管理员设置过密码的账号" in r.get_data(as_text=True)
    assert _roles_of(teacher.id, s.id) == {"teacher", "organizer"}
    r = app.test_cli_runner().invoke(args=["user", "set-password", "pw.t1", "--password", "the-operator-gave"])
    assert r.exit_code == 0, r.output
    assert staff.set_roles(s, teacher.id, ["teacher", "reviewer"], by=by) == ["teacher", "reviewer"]


def test_a_password_changed_from_one_the_admin_knows_stays_known_to_the_admin(app):
    """Attack: the admin reset a teacher's password, signed in as the teacher with it, changed it
    on the password page to one of their own choosing (the page asks only for the current one,
    which the admin knows), then made the teacher a reviewer — the change had cleared who knew
    the password — and credited their own hours as them. The portal cannot tell the teacher from
    the admin at the password page, so a password changed by proving one the admin knows stays
    the admin's to know: the role is refused after the change, however many times it is changed."""
    s, admin, teacher = _school()
    by = access.actor(admin.id, s.id)
    _person, password = staff.reset_password(s, teacher.id, by=by)
    as_teacher, ok = _login(app, "pw.t1", password)  # the admin, at the teacher's login
    assert ok
    for old, new in ((password, "chosen-by-the-admin-1"), ("chosen-by-the-admin-1", "chosen-by-the-admin-2")):
        r = as_teacher.post("/password", data={"current": old, "password": new, "confirm": new})
        assert r.status_code == 302, r.get_data(as_text=True)[:300]
        as_teacher, ok = _login(app, "pw.t1", new)
        assert ok
    db.session.expire_all()
    assert db.session.get_one(User, teacher.id).password_known_to == admin.id
    with pytest.raises(Invalid) as err:
        staff.set_roles(s, teacher.id, ["teacher", "reviewer"], by=by)
    assert err.value.fields["roles"].code == "staff.role_needs_own_password"
    assert _roles_of(teacher.id, s.id) == {"teacher"}


def test_an_account_the_admin_adds_or_imports_gets_no_deciding_role(app):
    """Attack: the admin added an account with a password of their choosing and the reviewer or
    school admin role (a puppet that exempted the admin and credited their hours). Refused on
    the staff page and in a roster, nobody created; teachers and organizers are added as before,
    and the operator's new password (flask user set-password) is the holder's."""
    s, admin, _teacher = _school()
    by = access.actor(admin.id, s.id)
    for roles in (["reviewer", "teacher"], ["school_admin"]):
        with pytest.raises(Invalid) as err:
            staff.add_person(s, "pw.puppet", "Puppet-pass-2026!", "傀儡", roles, by=by)
        assert err.value.fields["role"].code == "staff.role_needs_own_password"
    with pytest.raises(Invalid) as err:
        staff.import_roster(s, "roster.csv", "username,roles\npw.rx3,审核人\npw.rx4,教师\n".encode(), by=by)
    assert [m.params[2][1].code for m in err.value.fields["rows"]["2"]] == ["staff.role_needs_own_password"]
    assert "3" not in err.value.fields["rows"]
    assert db.session.execute(select(User.id).where(User.username.like("pw.puppet%"))).first() is None
    added = staff.add_person(s, "pw.new", "password-123", "新同事", ["teacher"], by=by)
    with pytest.raises(Invalid):
        staff.set_roles(s, added.id, ["teacher", "reviewer"], by=by)
    r = app.test_cli_runner().invoke(args=["user", "set-password", "pw.new", "--password", "the-operator-gave"])
    assert r.exit_code == 0, r.output
    assert staff.set_roles(s, added.id, ["teacher", "reviewer"], by=by) == ["teacher", "reviewer"]


def _checkbox(html: str, username: str, role: str) -> str:
    return re.search(rf'<input[^>]*data-testid="roles-{re.escape(username)}-{role}"[^>]*>', html).group(0)


def test_a_staff_row_offers_only_the_roles_its_account_may_be_given_and_says_why(app):
    """Each row's 'Change roles' offered every role, while the add form offered only what
    ``policy.may_give_role`` allows: the admin ticked 审核人 for a teacher whose password they had
    reset and was refused on saving. The row now asks the same question: the roles refused are
    shown disabled, with the reason and the way (the operator's new password); the POST of one is
    refused all the same, nothing changed."""
    s, admin, teacher = _school()
    f.person(s, "pw.t2", "teacher", name="没重置")
    staff.reset_password(s, teacher.id, by=access.actor(admin.id, s.id))
    db.session.commit()
    a_client, _ok = _login(app, "pw.admin", PASSWORD)
    html = a_client.get("/admin/staff").get_data(as_text=True)
    for role in ("reviewer", "school_admin"):
        assert " disabled" in _checkbox(html, "pw.t1", role)
        assert " disabled" not in _checkbox(html, "pw.t2", role)  # nobody but its holder knows that password
    for role in ("teacher", "organizer"):
        assert " disabled" not in _checkbox(html, "pw.t1", role)
    why = re.search(r'data-testid="roles-why-pw.t1">([^<]*)<', html).group(1)
    assert "不能授予审核人、学校管理员角色" in why and "系统运维人员" in why
    assert 'data-testid="roles-why-pw.t2"' not in html
    two = a_client.get("/admin/staff?lang=en").get_data(as_text=True)  # two roles refused: the plural
    assert re.search(r'data-testid="roles-why-pw.t1">The roles Reviewer, School admin are not given to this '
                     r'account, whose password an administrator set', two)
    a_client.get("/admin/staff?lang=zh")  # back to the Chinese the rest reads
    before = _roles_of(teacher.id, s.id), db.session.execute(select(func.count()).select_from(StaffChange)).scalar()
    r = a_client.post(f"/admin/staff/{teacher.id}/roles", data={"roles": ["teacher", "reviewer"]}, follow_redirects=True)
    assert "审核和管理角色不授予管理员设置过密码的账号" in r.get_data(as_text=True)
    db.session.expire_all()
    assert (_roles_of(teacher.id, s.id),
            db.session.execute(select(func.count()).select_from(StaffChange)).scalar()) == before
    # a role the person holds stays offered, to be taken off
    r = app.test_cli_runner().invoke(args=["user", "set-password", "pw.t1", "--password", "the-operator-gave"])
    assert r.exit_code == 0, r.output
    staff.set_roles(s, teacher.id, ["teacher", "reviewer"], by=access.actor(admin.id, s.id))
    db.session.get_one(User, teacher.id).password_known_to = admin.id  # as a later reset would leave it
    db.session.commit()
    html = a_client.get("/admin/staff").get_data(as_text=True)
    assert " disabled" not in _checkbox(html, "pw.t1", "reviewer")
    assert " disabled" in _checkbox(html, "pw.t1", "school_admin") and " disabled" not in _checkbox(html, "pw.t2", "reviewer")
    english = a_client.get("/admin/staff?lang=en").get_data(as_text=True)
    # one role refused: the singular (it read "The roles School admin are …"), the Chinese the same words
    assert re.search(r'data-testid="roles-why-pw.t1">The role School admin is not given to this account, whose '
                     r'password an administrator set', english)
    assert "The roles School admin" not in english
    why = re.search(r'data-testid="roles-why-pw.t1">([^<]*)<', html).group(1)
    assert "不能授予学校管理员角色" in why and "系统运维人员" in why
