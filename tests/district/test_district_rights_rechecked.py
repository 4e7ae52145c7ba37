"""A district write asks the district person's right again inside its transaction
(``access.require_still``, the one rule school admins' writes ask too).

The right was read once, before the write: a district admin whose role the operator removed
at the same moment still created a school with its first school admin, or changed the
district's required hours (every school's figures with them); a district reviewer whose role
was taken still accepted a year (locking it) or reopened one; one whose role was taken still
accepted or returned a school's annual plan, switched a type on or off in every school of the
district, or announced, changed or withdrew a deadline (and everyone concerned was told). Each
test reads the person as a request does, takes the role, then lets the request write: it is
refused with the policy's message and nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import (
    DeadlineAnnouncement,
    District,
    Membership,
    Notification,
    School,
    SchoolActivityType,
    User,
    YearLock,
)
from portal.policy import Actor
from portal.services import access, announcements, districts, school_plans, submissions
from tests.district.conftest import YEAR

LINES = [{"type": "lecture", "month": 10, "title": "专题讲座", "hours": "4", "responsible": "教科室"}]


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


@pytest.mark.parametrize("accept", [True, False])
def test_one_whose_role_was_taken_decides_no_school_plan(world, accept):
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    plan = school_plans.save_plan(world.s1, YEAR, "目标", "50", LINES, by=admin)
    school_plans.submit_plan(world.s1, YEAR, by=admin)
    by = _read_then_taken(world.reviewer1, world.d1.id)
    with pytest.raises(Forbidden) as refused:
        school_plans.decide_plan(plan.id, accept, "请补充", by=by, district_id=world.d1.id)
    assert refused.value.msg.code == "policy.district_only"
    db.session.expire_all()
    again = school_plans.get_plan(world.s1.id, YEAR)
    assert (again.status, again.decided_by, again.comment) == ("submitted", None, "")
    decided = school_plans.decide_plan(plan.id, accept, "请补充", by=Actor.of(world.admin1.id, ["district_admin"]),
                                       district_id=world.d1.id)  # who still may: done
    assert decided.status == ("accepted" if accept else "returned")


def _types(district_id: int) -> tuple[object, ...]:
    db.session.expire_all()
    rows = db.session.execute(
        select(SchoolActivityType.school_id, SchoolActivityType.type_key, SchoolActivityType.enabled)
        .join(School, School.id == SchoolActivityType.school_id).where(School.district_id == district_id)
        .order_by(SchoolActivityType.school_id, SchoolActivityType.type_key)).all()
    return tuple(map(tuple, rows)), (db.session.get_one(District, district_id).settings or {}).get("enabled_types")


@pytest.mark.parametrize("enabled", [True, False])
def test_a_district_admin_whose_role_was_taken_switches_no_type(world, enabled):
    before = _types(world.d1.id)
    by = _read_then_taken(world.admin1, world.d1.id)
    with pytest.raises(Forbidden) as refused:
        districts.enable_type(world.d1, "lecture" if not enabled else "research", enabled, by=by)
    assert refused.value.msg.code == "policy.district_only"
    assert _types(world.d1.id) == before  # in no school, nor for schools to come


def _announcements() -> list[tuple[object, ...]]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(DeadlineAnnouncement.id, DeadlineAnnouncement.title, DeadlineAnnouncement.due_on,
               DeadlineAnnouncement.note).order_by(DeadlineAnnouncement.id)).all()]


def test_a_district_admin_whose_role_was_taken_announces_changes_and_withdraws_nothing(world):
    soon = (announcements.district_today() + timedelta(days=20)).isoformat()
    row = announcements.announce(world.d1.id, "学时汇总上报", soon, "请按时报送", "all_staff",
                                 by=Actor.of(world.admin1.id, ["district_admin"]))
    before, told = _announcements(), _notified()
    by = _read_then_taken(world.admin1, world.d1.id)
    for write in (
        lambda: announcements.announce(world.d1.id, "寒假研修总结", soon, "", "all_staff", by=by),
        lambda: announcements.update(row.id, "改期", soon, "改了", "school_admins", by=by, district_id=world.d1.id),
        lambda: announcements.remove(row.id, by=by, district_id=world.d1.id),
    ):
        with pytest.raises(Forbidden) as refused:
            write()
        assert refused.value.msg.code == "policy.district_admin_only"
        assert _announcements() == before and _notified() == told  # nobody told of anything


def _notified() -> int:
    return len(db.session.execute(select(Notification.id)).all())
