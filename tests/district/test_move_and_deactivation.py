"""A teacher's move (``moves.move_teacher``) and the old school's admin ending their roles
(``staff.deactivate``) at the same moment, and one after the other.

Audit: the deactivation read the roles it ends before its write and logged them whatever it then
ended. A move that committed meanwhile had ended them already: the old school's staff log said
twice that the teacher's role ended (the district's line, dated the move's day, and the school
admin's, dated now). The other way round on PostgreSQL the move asked its rules before the
deactivation committed, found the role ended, gave the new school's role from the move's day and
logged its end again: the teacher taught at both schools from the move's day until the
deactivation. And a deactivation after the move (an admin's page opened before it) revoked the
API tokens and calendar feeds the teacher had made at the new school, while it ended nothing.

Now the two queue on the old school's administering memberships and the person's (locked as
every change of roles locks them, :func:`access.roles_now`), and each reads, under those locks,
the roles it ends: whichever comes second finds them ended. The move, second, is refused (they
teach at no school of the district: nothing written); the deactivation, second, ends nothing and
writes nothing. The log says each change once, as the memberships say it."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ApiToken, Membership, School, StaffChange, User
from portal.policy import Actor
from portal.services import moves, staff, tokens
from tests.credits.helpers import login
from tests.district.test_teacher_moves import today  # noqa: F401 (fixture)
from tests.support.at_once import hold_after_first, side_by_side

DAY = "2026-11-02"
MOVED_AT = datetime(2026, 11, 1, 16, 0)  # 2026-11-02 00:00 in Beijing, as naive UTC


def _log(school_id: int, user_id: int) -> list[tuple]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(StaffChange.changed_by, StaffChange.before, StaffChange.after, StaffChange.created_at)
        .where(StaffChange.school_id == school_id, StaffChange.user_id == user_id, StaffChange.what == "roles")
        .order_by(StaffChange.id)).all()]


def _memberships(user_id: int) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(
        select(Membership.school_id, Membership.role, Membership.active, Membership.until)
        .where(Membership.user_id == user_id).order_by(Membership.id)).all()]


@pytest.mark.parametrize("first", ["move", "deactivation"])
def test_a_move_and_a_deactivation_at_once_say_each_change_once(app, today, monkeypatch, first):  # noqa: F811
    world = today
    t1, s1, s2 = world.staff["t1"].id, world.s1.id, world.s2.id
    district_admin, school_admin = world.admin1.id, world.staff["admin"].id
    by_district, by_school = Actor.of(district_admin, ["district_admin"]), Actor.of(school_admin, ["school_admin"])
    district = world.d1.id
    db.session.commit()
    db.session.remove()
    # the second meets the first half done: it has ended the roles and not yet committed
    ended = hold_after_first(monkeypatch, staff, "end_roles")

    def move() -> None:
        if first != "move":
            assert ended.wait(60), "the deactivation never ended the roles"
        moves.move_teacher(t1, s2, DAY, by=by_district, district_id=district, from_school_id=s1)

    def deactivate() -> None:
        if first != "deactivation":
            assert ended.wait(60), "the move never ended the roles"
        staff.deactivate(db.session.get_one(School, s1), t1, by=by_school)

    outcome = side_by_side(app, move, deactivate)
    monkeypatch.undo()
    old_log, new_log, held = _log(s1, t1), _log(s2, t1), _memberships(t1)
    if first == "move":
        assert outcome == ["done", "done"]
        assert old_log == [(district_admin, ["teacher"], [], MOVED_AT)]  # once, the move's
        assert new_log == [(district_admin, [], ["teacher"], MOVED_AT)]
        assert held == [(s1, "teacher", False, MOVED_AT), (s2, "teacher", True, None)]
    else:
        assert outcome == ["move.refused", "done"]
        assert [line[:3] for line in old_log] == [(school_admin, ["teacher"], [])]
        assert new_log == []
        assert [m[:3] for m in held] == [(s1, "teacher", False)]  # taught at no new school
        assert held[0][3] == old_log[0][3] > MOVED_AT  # left when the admin ended it, not from the move's day


def test_a_deactivation_after_the_move_ends_nothing_and_revokes_nothing(app, today):  # noqa: F811
    """The old school's admin, on a staff page opened before the move, ends the roles of a teacher
    who now teaches at another school: nothing of theirs at the old school is left to end, and the
    API token they made since at the new school keeps working."""
    world = today
    person = world.staff["t1"]
    moves.move_teacher(person.id, world.s2.id, DAY, by=Actor.of(world.admin1.id, ["district_admin"]),
                       district_id=world.d1.id, from_school_id=world.s1.id)
    issued = tokens.issue(db.session.get_one(User, person.id))
    db.session.commit()
    before = _log(world.s1.id, person.id), _memberships(person.id)
    ended = staff.deactivate(world.s1, person.id, by=Actor.of(world.staff["admin"].id, ["school_admin"]))
    db.session.commit()
    assert ended == 0
    assert (_log(world.s1.id, person.id), _memberships(person.id)) == before
    assert db.session.get_one(ApiToken, issued.row.id).revoked is False
    # the staff page's button says so, rather than that it deactivated them
    page = login(app.test_client(), world.staff["admin"])
    said = page.post(f"/admin/staff/{person.id}/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "此人在本校已没有任何角色，未作任何更改" in said and "已在本校停用该人员" not in said
    assert (_log(world.s1.id, person.id), _memberships(person.id)) == before
