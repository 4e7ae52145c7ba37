"""A district write asks the district person's right again inside its transaction
(``access.require_still``, the one rule school admins' writes ask too).

The right was read once, before the write: a district admin whose role the operator removed
at the same moment still created a school with its first school admin, or changed the
district's required hours (every school's figures with them); a district reviewer whose role
was taken still accepted a year (locking it) or reopened one. Each test reads the person as a
request does, takes the role, then lets the request write: it is refused and nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import Membership, School, User, YearLock
from portal.policy import Actor
from portal.services import access, districts, submissions
from tests.district.conftest import YEAR


def _read_then_taken(person: User, district_id: int) -> Actor:
    """``person`` as a request read them (their district roles), then their roles taken."""
    seat = access.district_seat(person.id)
    assert seat is not None and seat.district_id == district_id
    by = Actor.of(person.id, seat.roles)
    db.session.execute(update(Membership).where(Membership.user_id == person.id, Membership.school_id.is_(None))
                       .values(active=False))
    db.session.commit()
    return by


def test_a_district_admin_whose_role_was_taken_creates_no_school(world):
    by = _read_then_taken(world.admin1, world.d1.id)
    with pytest.raises(Forbidden):
        districts.create_school_with_admin(world.d1, "S9", "第九学校", "s9.admin", "九校管理员", "password-123", by=by)
    db.session.expire_all()
    assert db.session.execute(select(School.id).where(School.code == "S9")).first() is None
    assert db.session.execute(select(User.id).where(User.username == "s9.admin")).first() is None


def test_a_district_admin_whose_role_was_taken_changes_no_setting(world):
    before = dict(world.d1.settings or {})
    by = _read_then_taken(world.admin1, world.d1.id)
    with pytest.raises(Forbidden):
        districts.update_settings(world.d1, {"required_hours": 80}, by=by)
    db.session.expire_all()
    assert dict(world.d1.settings or {}) == before


def test_a_district_reviewer_whose_role_was_taken_decides_nothing(world):
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    sub = submissions.submit(world.s1, YEAR, by=admin)
    by = _read_then_taken(world.reviewer1, world.d1.id)
    for accept in (True, False):
        with pytest.raises(Forbidden):
            submissions.decide(sub.id, accept, "核对", by=by, district_id=world.d1.id)
    db.session.expire_all()
    assert submissions.get(sub.id, world.d1.id).status == "submitted"
    assert db.session.execute(select(YearLock.id)).first() is None


def test_one_whose_role_was_taken_reopens_no_year(world):
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    sub = submissions.submit(world.s1, YEAR, by=admin)
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    by = _read_then_taken(world.admin1, world.d1.id)
    with pytest.raises(Forbidden):
        submissions.reopen(sub.id, "补录", by=by, district_id=world.d1.id)
    db.session.expire_all()
    assert submissions.get(sub.id, world.d1.id).status == "accepted"
    assert db.session.execute(select(YearLock.id)).first() is not None


def test_with_the_role_still_held_each_write_is_done(world):
    by = Actor.of(world.admin1.id, ["district_admin"])
    school, admin = districts.create_school_with_admin(world.d1, "S9", "第九学校", "s9.admin", "九校管理员",
                                                      "password-123", by=by)
    assert school.district_id == world.d1.id and access.school_roles(admin.id, school.id) >= {"school_admin"}
    districts.update_settings(world.d1, {"required_hours": 80}, by=by)
    assert world.d1.settings["required_hours"] == 80
