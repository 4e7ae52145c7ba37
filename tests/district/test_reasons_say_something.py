"""The district's return and reopen of a school's year and its return of a school's annual plan, and
a school admin's exemption, ask for a reason: one of spaces, punctuation or invisible characters only ("。", U+200B) is none — the
district would unlock an accepted year, or a teacher be 免于考核, with nothing said why — and is
refused, changing nothing, as a review step's reason is (``textcount.says_something``)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Exemption, SchoolPlan, YearSubmission
from portal.policy import Actor
from portal.services import access, exemptions, school_plans, submissions
from tests.district.conftest import YEAR

SAY_NOTHING = ("\u200b", "。", "...", "\u3000——")


def _status(sub_id: int) -> str:
    db.session.expire_all()
    return db.session.get_one(YearSubmission, sub_id).status


def test_a_return_or_reopen_without_words_is_refused(world):
    reviewer = Actor.of(world.reviewer1.id, ["district_reviewer"])
    admin = Actor.of(world.admin1.id, ["district_admin"])
    sub = submissions.submit(world.s1, YEAR, None, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    t1 = str(world.staff["t1"].id)
    for nothing in SAY_NOTHING:
        with pytest.raises(Invalid):
            submissions.decide(sub.id, False, nothing, by=reviewer, district_id=world.d1.id)
        db.session.rollback()
        with pytest.raises(Invalid):  # nor on a teacher's row
            submissions.decide(sub.id, False, "", {t1: nothing}, by=reviewer, district_id=world.d1.id)
        db.session.rollback()
    assert _status(sub.id) == "submitted"
    submissions.decide(sub.id, True, "。", by=reviewer, district_id=world.d1.id)  # accepting asks no reason
    db.session.commit()
    for nothing in SAY_NOTHING:
        with pytest.raises(Invalid):
            submissions.reopen(sub.id, nothing, by=admin, district_id=world.d1.id)
        db.session.rollback()
    assert _status(sub.id) == "accepted"
    submissions.reopen(sub.id, "更正请假记录", by=admin, district_id=world.d1.id)
    assert _status(sub.id) == "reopened"


def test_an_exemption_without_words_is_refused(world):
    admin, t1 = world.staff["admin"], world.staff["t1"]
    for nothing in SAY_NOTHING:
        with pytest.raises(Invalid) as err:
            exemptions.set_exemption(world.s1, admin, t1.id, YEAR, nothing)
        assert "reason" in err.value.fields
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Exemption)) == 0
    exemptions.set_exemption(world.s1, admin, t1.id, YEAR, "借调外校")
    assert db.session.scalar(select(func.count()).select_from(Exemption)) == 1


def test_a_school_plans_return_without_words_is_refused(world):
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    reviewer = Actor.of(world.reviewer1.id, ["district_reviewer"])
    lines = [{"type": "lecture", "month": 10, "title": "专题讲座：作业设计", "hours": "4", "responsible": "教科室"}]
    plan = school_plans.save_plan(world.s1, YEAR, "提升作业设计能力", "50", lines, by=admin)
    school_plans.submit_plan(world.s1, YEAR, by=admin)
    db.session.commit()
    for nothing in SAY_NOTHING:
        with pytest.raises(Invalid):
            school_plans.decide_plan(plan.id, False, nothing, by=reviewer, district_id=world.d1.id)
        db.session.rollback()
    db.session.expire_all()
    assert db.session.get_one(SchoolPlan, plan.id).status == "submitted"
    school_plans.decide_plan(plan.id, False, "请补充师徒结对安排", by=reviewer, district_id=world.d1.id)
    assert db.session.get_one(SchoolPlan, plan.id).status == "returned"
