"""Every school-admin write asks the admin's right again inside its transaction
(``access.require_still``, as the staff page and the exemptions do).

The right was read once, before the write: admin B opens the rules page (or the activity
types, the teaching groups, the plan deadline), admin A takes B's role at the same moment, and
B's change still went through — every teacher's required hours, a type switched off, a
teaching group and its leader, the teachers' plan deadline. Each test reads B as a request
does, has A take B's role, then lets B write: refused with the policy's message, and nothing
changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import GroupMember, School, SchoolActivityType, TeachingGroup, User
from portal.policy import SYSTEM, Actor
from portal.services import access, groups, plans, schools, staff
from tests.support import factories as f

YEAR = "2026-2027"


@dataclass
class Scene:
    school: School
    teacher: User
    organizer: User
    group: TeachingGroup


def _state(school_id: int) -> tuple[Any, ...]:
    """What the writes below could change: the school's rules, its types, its groups and members."""
    db.session.expire_all()
    school = db.session.get_one(School, school_id)
    types = sorted(db.session.execute(
        select(SchoolActivityType.type_key, SchoolActivityType.enabled, SchoolActivityType.settings)
        .where(SchoolActivityType.school_id == school_id)).all(), key=lambda r: r[0])
    teams = sorted(db.session.execute(
        select(TeachingGroup.id, TeachingGroup.name, TeachingGroup.leader_id)
        .where(TeachingGroup.school_id == school_id)).all())
    members = sorted(db.session.execute(
        select(GroupMember.group_id, GroupMember.user_id).join(TeachingGroup, TeachingGroup.id == GroupMember.group_id)
        .where(TeachingGroup.school_id == school_id)).all())
    return dict(school.rules or {}), [tuple(t) for t in types], [tuple(t) for t in teams], [tuple(m) for m in members]


WRITES: dict[str, tuple[Callable[[Scene, Actor], object], str]] = {
    "rules": (lambda sc, by: schools.update_rules(sc.school, {"required_hours": 99}, by=by), "policy.admin_only"),
    "type switch": (lambda sc, by: schools.set_type(sc.school, "lecture", enabled=False, by=by), "policy.admin_only"),
    "new group": (lambda sc, by: groups.save_group(sc.school, "数学组", sc.organizer.id, [sc.teacher.id], by=by),
                  "policy.groups"),
    "group changed": (lambda sc, by: groups.save_group(sc.school, "改名组", None, [], by=by, group=sc.group),
                      "policy.groups"),
    "person's groups": (lambda sc, by: groups.set_person_groups(sc.school, sc.teacher.id, [], by=by),
                        "policy.groups"),
    "group deleted": (lambda sc, by: groups.delete_group(sc.group, by=by), "policy.groups"),
    "plan deadline": (lambda sc, by: plans.set_deadline(sc.school, YEAR, "2027-05-31", by=by), "policy.admin_only"),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_an_admin_whose_role_was_taken_at_the_same_moment_changes_nothing(app, write):
    do, code = WRITES[write]
    school = f.school("RR", types=("lecture",))
    a, b = (f.person(school, f"rr.adm{i}", "school_admin", "teacher") for i in (1, 2))
    organizer = f.person(school, "rr.org", "organizer", "teacher")
    teacher = f.person(school, "rr.t1", "teacher")
    group = groups.save_group(school, "语文组", organizer.id, [teacher.id], by=SYSTEM)
    scene = Scene(school, teacher, organizer, group)
    as_a, as_b = access.actor(a.id, school.id), access.actor(b.id, school.id)  # both read before either wrote
    staff.set_roles(school, b.id, ["teacher"], by=as_a)
    before = _state(school.id)
    with pytest.raises(Forbidden) as refused:
        do(scene, as_b)
    assert refused.value.msg.code == code
    assert _state(school.id) == before
    db.session.expire_all()
    do(Scene(db.session.get_one(School, school.id), teacher, organizer, db.session.get_one(TeachingGroup, group.id)),
       as_a)  # the admin who still is one: done
    assert _state(school.id) != before
