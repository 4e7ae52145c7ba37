"""The admin's to-do list reads the plans waiting and the teachers not sent in one statement
(``plans.waiting_and_unsent``) and the year's accepted periods with its rounds
(``submissions.rounds_and_locks``), a whole year's comparison no semester's hours: the same items
as asked one read each (the plans, ``plans.unsent``, ``submissions.rounds``,
``submissions.changed_since`` reading the locks itself) — for every demo school, and for a test
school with each kind of item, a closing semester's round compared too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from portal import policy
from portal.extensions import db
from portal.models import DevelopmentPlan, Membership, School
from portal.models.user import REVIEWER, SCHOOL_ADMIN
from portal.services import access, corrections, district_notices, plans, school_todo, submissions
from portal.timeutil import current_school_year, to_local, utcnow, zone_of
from tests.credits.helpers import credited
from tests.district.conftest import YEAR, first_accepted_second_returned, submit_semester

Todo = school_todo.Todo


def _asked_one_by_one(school: School, actor: policy.Actor, today: date) -> list[Todo]:
    """The to-do list as each part's own service asks it, a read each."""
    year, zone, out = current_school_year(school.timezone), zone_of(school), []
    if policy.may_review_plans(actor):
        waiting = [(uid, at) for uid, at in db.session.execute(
            select(DevelopmentPlan.user_id, DevelopmentPlan.submitted_at).where(
                DevelopmentPlan.school_id == school.id, DevelopmentPlan.school_year == year,
                DevelopmentPlan.status == plans.SUBMITTED)) if policy.may_decide_plan(actor, uid)]
        if waiting:
            days = [to_local(at, zone).date() for _uid, at in waiting if at is not None]
            out.append(Todo(school_todo.PLANS_WAITING, len(waiting), min(days) if days else today, year))
    if policy.may_set_plan_deadline(actor):
        dues = [due for _uid, since in plans.unsent(school.id, year)
                if 0 <= ((due := plans.own_deadline(school, year, since)) - today).days <= district_notices.SOON]
        if dues:
            out.append(Todo(school_todo.PLANS_NOT_SENT, len(dues), min(dues), year))
    if policy.may_submit_year(actor):
        for sub in submissions.latest_of_each_period(submissions.rounds(school.id, year)[0]).values():
            if sub.status == submissions.SUBMITTED and (n := submissions.changed_since(sub)):
                out.append(Todo(school_todo.FIGURES_CHANGED, n, to_local(sub.submitted_at, zone).date(), year,
                                sub.semester))
            elif sub.status == submissions.RETURNED:
                out.append(Todo(school_todo.ROUND_RETURNED, 1, to_local(sub.decided_at or sub.submitted_at, zone).date(),
                                year, sub.semester))
    if policy.may_see_corrections(actor):  # one read either way (hEY's correction requests)
        n, oldest = corrections.waiting_on(school.id, actor)
        if n:
            out.append(Todo(school_todo.CORRECTIONS_WAITING, n, to_local(oldest, zone).date() if oldest else today,
                            year))
    return out


def _same_for_admins_and_reviewers(school: School) -> list[Todo]:
    """Each of the school's admins' and reviewers' lists, both ways: the admin's (the first)."""
    today = to_local(utcnow(), school.timezone).date()
    lists = []
    for uid in db.session.execute(select(Membership.user_id).where(
            Membership.school_id == school.id, Membership.role.in_((SCHOOL_ADMIN, REVIEWER)),
            Membership.active.is_(True)).order_by(Membership.role.desc(), Membership.user_id)).scalars():
        actor = access.actor(uid, school.id)
        mine = school_todo.for_actor(school, actor, today)
        assert mine == _asked_one_by_one(school, actor, today), (school.code, uid)
        lists.append(mine)
    return lists[0] if lists else []


def test_every_demo_schools_list_is_the_same_read_at_once(app, demo):
    from portal.demo_district import load_district_demo

    load_district_demo()
    db.session.commit()
    schools = db.session.execute(select(School).order_by(School.id)).scalars().all()
    assert len(schools) > 1
    kinds = {t.kind for s in schools for t in _same_for_admins_and_reviewers(s)}
    assert kinds, "a demo school has something to do"


def test_each_kind_of_item_is_the_same_read_at_once(app, world):
    staff, school = world.staff, world.s1
    today = to_local(utcnow(), school.timezone).date()
    plans.set_deadline(school, YEAR, (today + timedelta(days=3)).isoformat(), by=policy.SYSTEM)
    t1 = staff["t1"]
    plans.save(school, t1, YEAR, "每月听课两节并写评课稿。", "", "200", by=access.actor(t1.id, school.id), submit=True)
    submissions.submit(school, YEAR, by=access.actor(staff["admin"].id, school.id))
    credited(school, staff, "lecture", [(staff["t2"], "attendee")], hours="1.5")
    db.session.commit()
    assert {t.kind for t in _same_for_admins_and_reviewers(school)} == {
        school_todo.PLANS_WAITING, school_todo.PLANS_NOT_SENT, school_todo.FIGURES_CHANGED}


def test_a_returned_and_a_closing_semesters_round_are_the_same_read_at_once(app, by_semester):
    world = by_semester
    first_accepted_second_returned(world, "第二学期的缺勤记录请核对。")
    assert [(t.kind, t.semester) for t in _same_for_admins_and_reviewers(world.s1)] == [
        (school_todo.ROUND_RETURNED, 2)]
    # sent again, then changed: its acceptance would close the year (the first semester accepted)
    submit_semester(world, 2)
    credited(world.s1, world.staff, "lecture", [(world.staff["t2"], "attendee")], hours="1.5",
             start=datetime(2027, 6, 20, 1, 0, tzinfo=UTC))  # the second semester's (the first is locked)
    db.session.commit()
    assert [(t.kind, t.semester) for t in _same_for_admins_and_reviewers(world.s1)] == [
        (school_todo.FIGURES_CHANGED, 2)]
