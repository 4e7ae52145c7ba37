"""What a teacher's move (``moves.move_teacher``) left: two moves of the same teacher at the same
moment, and the activities an organiser who moves leaves at the old school.

Audit (PostgreSQL): the move asked its rules again inside the write, but read the person's
memberships unlocked — a second move at the same moment read them before the first committed,
passed, ended nothing (the first had) and gave a second teacher role: the teacher taught at two
new schools. And a move ended an organiser's roles at the old school without a word of the
activities they organise there, still to be run: its school admins run them (``policy.may_organise``)
and hand them over (``handover``), but nobody was told."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Membership, School
from portal.policy import SYSTEM, Actor
from portal.services import districts, handover, locks, moves, staff
from tests.credits.helpers import login
from tests.district.test_teacher_moves import _rows, today  # noqa: F401 (fixture)
from tests.support import factories as f
from tests.support.at_once import hold_after_first, side_by_side


def test_two_moves_of_one_teacher_at_once_end_in_one_move(app, today, monkeypatch):  # noqa: F811
    world = today
    s3 = districts.move_school(f.school("S3", types=("lecture",)), world.d1)
    t1, s1, s2 = world.staff["t1"].id, world.s1.id, world.s2.id
    s3_id, by = s3.id, Actor.of(world.admin1.id, ["district_admin"])
    district = world.d1.id
    db.session.commit()
    db.session.remove()
    # the second move asks while the first has ended the roles and not yet committed
    ended = hold_after_first(monkeypatch, staff, "end_roles")

    def move(to: int, after_first: bool, who: Actor, district_id: int | None):
        def action() -> None:
            if after_first:
                assert ended.wait(60), "the first move never ended the roles"
            moves.move_teacher(t1, to, "2026-11-02", by=who, district_id=district_id, from_school_id=s1)
        return action

    # the district admin on the page, the operator at the command line (``flask user move``): two
    # district admins already queue on their roles (``access.require_still``), the operator asks none
    outcome = side_by_side(app, move(s2, False, by, district), move(s3_id, True, SYSTEM, None))
    monkeypatch.undo()
    assert outcome == ["done", "move.refused"]
    teaching = db.session.execute(select(Membership.school_id).where(
        Membership.user_id == t1, Membership.role == "teacher", Membership.active.is_(True))).scalars().all()
    assert teaching == [s2]
    assert db.session.execute(select(Membership.id).where(
        Membership.user_id == t1, Membership.school_id == s3_id)).first() is None


def test_an_organiser_who_moves_is_told_what_they_leave_and_who_hands_it_over(app, today):  # noqa: F811
    world = today
    org, s1_admin = world.staff["organizer"], world.staff["admin"]
    s1_admin.display_name = "石校长"
    db.session.commit()
    page = login(app.test_client(), world.admin1)
    form = {"teacher": f"{world.s1.id}:{org.id}", "school": str(world.s2.id), "day": "2026-11-02"}
    before = _rows()
    said = page.post("/district/move?lang=zh_Hans_CN", data=form).get_data(as_text=True)
    assert _rows() == before  # checking writes nothing
    left = said.split('data-testid="move-organised">', 1)[1].split("</li>", 1)[0]
    assert world.held.title in left and "石校长" in left, left
    assert world.act.title not in left  # credited: nothing left to run
    english = page.post("/district/move?lang=en", data=form).get_data(as_text=True)
    assert "hand each over" in english.split('data-testid="move-organised">', 1)[1].split("</li>", 1)[0]
    # a teacher who organises nothing there is told nothing of it
    plain = page.post("/district/move", data={**form, "teacher": f"{world.s1.id}:{world.staff['t4'].id}"})
    assert 'data-testid="move-organised"' not in plain.get_data(as_text=True)
    assert page.post("/district/move", data={**form, "confirm": "1"}).status_code == 303
    # after the move the old school's admin is the one who may still run it and hand it over
    db.session.expire_all()
    assert [a.id for a in handover.organised_open(world.s1.id, org.id)] == [world.held.id]
    assert handover.left_behind(world.s1.id, org.id, []) == 1


def test_a_move_and_the_old_schools_admin_ending_their_roles_at_once_do_not_deadlock(app, today, monkeypatch):  # noqa: F811,E501
    """The person also administers the old school; its other admin ends their roles there while the
    move has locked the person and not yet ended them. The deactivation locks the school's admin
    memberships (theirs too) and writes its staff log line, which refers to the person's row: had
    the move locked that row FOR UPDATE, each would wait for the other (PostgreSQL's deadlock)."""
    world = today
    both = f.person(world.s1, "s1.both", "school_admin", "teacher", name="郑两职")
    person, s1, s2 = both.id, world.s1.id, world.s2.id
    by, admin = Actor.of(world.admin1.id, ["district_admin"]), Actor.of(world.staff["admin"].id, ["school_admin"])
    district = world.d1.id
    db.session.commit()
    db.session.remove()
    locked = hold_after_first(monkeypatch, locks, "hold")

    def move() -> None:
        moves.move_teacher(person, s2, "2026-11-02", by=by, district_id=district, from_school_id=s1)

    def deactivate() -> None:
        assert locked.wait(60), "the move never locked the person"
        staff.deactivate(db.session.get_one(School, s1), person, by=admin)

    outcome = side_by_side(app, move, deactivate)
    monkeypatch.undo()
    assert outcome[1] == "done" and outcome[0] in ("done", "move.refused"), outcome
    assert not db.session.execute(select(Membership.id).where(
        Membership.user_id == person, Membership.school_id == s1, Membership.active.is_(True))).first()
