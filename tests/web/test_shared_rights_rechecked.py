"""The writes of organisers, reviewers and teachers ask their right again inside the write
(``access.require_still``, the rule the school admin's and the district's writes ask).

The right was read once, before the write: a school admin changing an activity's roster,
attendance or evidence, or opening and confirming its sign-up, whose admin role another admin
took at that moment, still wrote it; so did an organiser planning an activity without the
organiser role any more, a reviewer signing off a teacher's development plan after losing the
reviewer role, a teacher signing up (or withdrawing, writing their plan or their own writing)
who was no teacher any more, and an organiser who had left the school (every role ended) still
recording their activity's attendance. Each test lets the request read and ask as it does, has
the role taken just as its write begins (``just_before_the_write``), then: refused with the
policy's message, and nothing of the activity, its sign-up, the plans, the writing, the log or
the ledger changed. Given the role back, the same write is done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import select

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import (
    Activity,
    CreditEntry,
    DevelopmentPlan,
    Evidence,
    OwnWriting,
    Participation,
    School,
    Signup,
    SignupWindow,
    TransitionLog,
    User,
)
from portal.policy import SYSTEM, Actor
from portal.services import access, activities, plans, signup, staff, transitions, writing
from portal.timeutil import current_school_year, utcnow
from tests.credits.helpers import DETAILS, credited, prepare_approve
from tests.support import factories as f
from tests.support.at_once import just_before_the_write

GOALS = "本学年精读两本教育专著，上好三节公开课。"
NOTE = "读《给教师的建议》有感：课堂要留给学生思考的时间。"
OTHER_NOTE = "读《教育的情调》：教师的一个眼神、一句话，都可能影响学生的一天。"  # a piece of its own (not NOTE again)


@dataclass
class Scene:
    school: School
    admin: User  # takes the roles
    other_admin: User  # a school admin, not the organiser
    organizer: User
    reviewer: User
    t1: User
    t2: User
    past: Activity  # started, t1 and t2 attending
    future: Activity  # a fortnight ahead, open for sign-up
    held: Activity  # held, waiting for the reviewer's approval
    plan: DevelopmentPlan  # t2's, submitted
    piece: OwnWriting  # t1's reading notes

    def actor(self, user: User) -> Actor:
        return access.actor(user.id, self.school.id)


def _scene() -> Scene:
    s = f.school("SR", types=("lecture",))
    admin = f.person(s, "sr.adm1", "school_admin", "teacher")
    other = f.person(s, "sr.adm2", "school_admin", "teacher")
    org = f.person(s, "sr.org", "organizer", "teacher")
    rev = f.person(s, "sr.rev", "reviewer", "teacher")
    t1, t2 = f.person(s, "sr.t1", "teacher"), f.person(s, "sr.t2", "teacher")
    people = [(t1, "attendee"), (t2, "attendee")]
    past = f.plan(s, org, "lecture", people, DETAILS["lecture"], start=utcnow() - timedelta(days=2), title="已开讲座")
    future = f.plan(s, org, "lecture", [], DETAILS["lecture"], start=utcnow() + timedelta(days=14), title="报名讲座")
    signup.open_signup(future, 10, utcnow() + timedelta(days=7), by=access.actor(org.id, s.id), tz=s.timezone)
    signup.sign_up(future, t2, by=access.actor(t2.id, s.id))
    held = credited(s, {"organizer": org, "reviewer": rev}, "lecture", people, until="held", title="待审讲座")
    prepare_approve(held, org, people)
    year = current_school_year(s.timezone)
    plans.set_deadline(s, year, f"{year[5:]}-08-31", by=SYSTEM)  # the last day of the year: still ahead
    plan = plans.save(s, t2, year, GOALS, by=access.actor(t2.id, s.id), submit=True)
    piece = writing.add_writing(s, t1, "reading_notes", "读书笔记", NOTE)
    return Scene(s, admin, other, org, rev, t1, t2, past, future, held, plan, piece)


TABLES = (Activity, Participation, Evidence, SignupWindow, Signup, DevelopmentPlan, OwnWriting, TransitionLog,
          CreditEntry)


def _state() -> list[list[tuple[Any, ...]]]:
    """What the writes below could change: the activities, their rosters, evidence and sign-up,
    the development plans, the teachers' writing, the transition log and the ledger."""
    db.session.expire_all()
    return [[tuple(r) for r in db.session.execute(select(*t.__table__.columns).order_by(*t.__table__.primary_key))]
            for t in TABLES]


Write = Callable[[Scene], object]
# a write, the module whose transaction it opens, who loses which roles (None: every role ends), the refusal
WRITES: dict[str, tuple[Write, ModuleType, Callable[[Scene], User], list[str] | None, str]] = {
    "roster by an admin": (
        lambda sc: activities.set_participants(sc.future, sc.other_admin, [{"user_id": sc.t1.id, "role": "attendee"}]),
        activities, lambda sc: sc.other_admin, ["teacher"], "policy.organise"),
    "participant removed by an admin": (
        lambda sc: activities.remove_participant(sc.past, sc.other_admin, sc.t1.id),
        activities, lambda sc: sc.other_admin, ["teacher"], "policy.organise"),
    "attendance by an admin": (
        lambda sc: f.attend(sc.past, sc.other_admin),
        activities, lambda sc: sc.other_admin, ["teacher"], "policy.organise"),
    "attendance by an organiser who left": (
        lambda sc: f.attend(sc.past, sc.organizer),
        activities, lambda sc: sc.organizer, None, "policy.organiser_no_more"),
    "evidence by an admin": (
        lambda sc: activities.add_evidence(sc.past, sc.other_admin, sc.t1.id, "report", "记录", text="讲座记录一份"),
        activities, lambda sc: sc.other_admin, ["teacher"], "policy.own_evidence"),
    "activity planned": (
        lambda sc: f.plan(sc.school, sc.organizer, "lecture", [], DETAILS["lecture"], title="新讲座"),
        activities, lambda sc: sc.organizer, ["teacher"], "policy.plan"),
    "sign-up changed by an admin": (
        lambda sc: signup.open_signup(sc.future, 12, utcnow() + timedelta(days=8), by=sc.actor(sc.other_admin),
                                      tz=sc.school.timezone),
        signup, lambda sc: sc.other_admin, ["teacher"], "policy.run_signup"),
    "sign-up confirmed by an admin": (
        lambda sc: signup.confirm(sc.future, by=sc.actor(sc.other_admin)),
        signup, lambda sc: sc.other_admin, ["teacher"], "policy.run_signup"),
    "signed up": (
        lambda sc: signup.sign_up(sc.future, sc.t1, by=sc.actor(sc.t1)),
        signup, lambda sc: sc.t1, ["reviewer"], "policy.sign_up"),
    "withdrawn": (
        lambda sc: signup.withdraw(sc.future, sc.t2, by=sc.actor(sc.t2)),
        signup, lambda sc: sc.t2, ["reviewer"], "policy.sign_up"),
    "development plan signed off": (
        lambda sc: plans.decide(sc.plan, "approve", "好", by=sc.actor(sc.reviewer)),
        plans, lambda sc: sc.reviewer, ["teacher"], "policy.decide_plan"),
    "own development plan written": (
        lambda sc: plans.save(sc.school, sc.t1, current_school_year(sc.school.timezone), GOALS, by=sc.actor(sc.t1)),
        plans, lambda sc: sc.t1, ["reviewer"], "policy.write_plan"),
    "own writing added": (
        lambda sc: writing.add_writing(sc.school, sc.t1, "reading_notes", "又一篇", OTHER_NOTE),
        writing, lambda sc: sc.t1, ["reviewer"], "policy.own_writing"),
    "own writing corrected": (
        lambda sc: writing.edit_writing(sc.school, sc.piece, "reading_notes", "改题", NOTE + "改", by=sc.actor(sc.t1)),
        writing, lambda sc: sc.t1, ["reviewer"], "policy.own_writing_change"),
    "own writing deleted": (
        lambda sc: writing.delete_writing(sc.school, sc.piece, by=sc.actor(sc.t1)),
        writing, lambda sc: sc.t1, ["reviewer"], "policy.own_writing_change"),
    "approved by a reviewer": (
        lambda sc: f.fire(sc.held, sc.reviewer, "approve", "材料齐全"),
        transitions, lambda sc: sc.reviewer, ["teacher"], "trigger.roles"),
}


def _take(sc: Scene, person: User, roles: list[str] | None) -> None:
    by = sc.actor(sc.admin)
    if roles is None:
        staff.deactivate(sc.school, person.id, by=by)
    else:
        staff.set_roles(sc.school, person.id, roles, by=by)


@pytest.mark.parametrize("write", list(WRITES))
def test_a_right_taken_as_the_write_begins_changes_nothing(app, monkeypatch, write):
    do, module, whose, left, code = WRITES[write]
    sc = _scene()
    person = whose(sc)
    held_before = sorted(access.school_roles(person.id, sc.school.id))
    before = _state()
    just_before_the_write(monkeypatch, module, lambda: _take(sc, person, left))
    with pytest.raises(Forbidden) as refused:
        do(sc)
    assert refused.value.msg.code == code
    assert _state() == before
    monkeypatch.undo()
    staff.set_roles(sc.school, person.id, held_before, by=sc.actor(sc.admin))  # given back: done
    db.session.expire_all()
    do(sc)
    assert _state() != before


def test_a_reviewer_whose_role_is_being_taken_approves_nothing(app, monkeypatch):
    """Really at once (the race is PostgreSQL's; SQLite runs one write at a time): admin A's
    change of the reviewer's roles holds the school's administering memberships while the
    reviewer's approval reads the roles it fires with. Read unlocked, they were the roles before
    A's commit: the approval went through as A took the role. Read locked (``access.roles_now``),
    it waits for A and sees the role gone: refused with the workflow's message, nothing logged."""
    from portal.services import staff_log
    from tests.support.at_once import meanwhile, side_by_side

    sc = _scene()
    school_id, held_id, rev_id, by = sc.school.id, sc.held.id, sc.reviewer.id, sc.actor(sc.admin)
    before = _state()
    db.session.commit()
    db.session.remove()
    # A holds the lock, then commits; the approval comes meanwhile
    meanwhile(monkeypatch, (staff_log, "record"), (transitions, "write_transaction"))

    def take() -> None:
        staff.set_roles(db.session.get_one(School, school_id), rev_id, ["teacher"], by=by)

    def approve() -> None:
        transitions.fire(held_id, school_id, db.session.get_one(User, rev_id), "approve", "材料齐全")

    outcome = side_by_side(app, take, approve)
    monkeypatch.undo()
    assert outcome == ["done", "trigger.roles"]
    assert _state() == before
