"""A school's plan saved by one admin while another sends it: the save either lands before the
plan is sent (and is what the district reads) or is refused; it never rewrites a sent plan.

On PostgreSQL (read committed) a save reads the plan's state and writes after it: a send committed
between the two would have its plan rewritten. Two locks keep them apart, each enough alone (tried
by taking the other out): the save's recheck of the admin's right locks the school's admins' roles,
which the send's recheck locks too, and the save reads the plan's row ``FOR UPDATE``. Without
both, the send came back first and the save then rewrote the sent plan (this test failed on
PostgreSQL). SQLite's writes take the database's one write lock."""

from __future__ import annotations

import threading

from sqlalchemy import select

from portal.extensions import db
from portal.models import School, SchoolPlan
from portal.services import access, school_plans
from tests.district.conftest import YEAR
from tests.district.test_school_plans import LINES
from tests.support import factories as f
from tests.support.at_once import side_by_side


def test_a_save_never_rewrites_a_plan_sent_while_it_was_written(app, world, monkeypatch):
    other = f.person(world.s1, "s1.adm2", "school_admin", "teacher")
    writer, sender = access.actor(world.staff["admin"].id, world.s1.id), access.actor(other.id, world.s1.id)
    school_id = world.s1.id
    school_plans.save_plan(world.s1, YEAR, "初稿", "50", LINES, by=writer)
    db.session.commit()
    db.session.remove()

    read, sent, order = threading.Event(), threading.Event(), []
    real_get, saving = school_plans.get_plan, threading.local()

    def get_then_hold(*args, **kwargs):
        plan = real_get(*args, **kwargs)
        if getattr(saving, "on", False):  # the save has read the plan's state: let the send try now
            read.set()
            sent.wait(1.5)  # a send that must wait for the save does not come back in time
            order.append("save writes")
        return plan

    monkeypatch.setattr(school_plans, "get_plan", get_then_hold)

    def save() -> None:
        saving.on = True
        school_plans.save_plan(db.session.get_one(School, school_id), YEAR, "改稿", "40", LINES[:1], by=writer)

    def send() -> None:
        assert read.wait(60), "the save never read the plan"
        try:
            school_plans.submit_plan(db.session.get_one(School, school_id), YEAR, by=sender)
            order.append("sent")
        finally:
            sent.set()

    outcome = side_by_side(app, save, send)
    monkeypatch.undo()
    plan = db.session.execute(select(SchoolPlan).where(SchoolPlan.school_id == school_id)).scalar_one()
    lines = [line.title for line in school_plans.lines_of(plan.id)]
    assert plan.status == "submitted"
    if outcome == ["done", "done"]:  # the save went first, and the district reads what it wrote
        assert order == ["save writes", "sent"], order
        assert (plan.aims, plan.target_hours, lines) == ("改稿", 40, [LINES[0]["title"]])
    else:  # the send went first: the save is refused and the plan is the one sent
        assert outcome == ["school_plan.not_editable", "done"], outcome
        assert (plan.aims, plan.target_hours, len(lines)) == ("初稿", 50, 3)
