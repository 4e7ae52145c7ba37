"""师徒结对 against seed 001's words: "要求师徒教师每周互听、互评一堂课，每月进行一次专业探讨，每学期
撰写、修改两篇教育文章" — the pair (师徒教师), mentor and mentee alike, write two articles a term."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.errors import Forbidden, GuardFailedError, Invalid
from portal.extensions import db
from portal.models import CreditEntry, School
from portal.policy import SYSTEM
from portal.services import access, activities, schools
from tests.credits.helpers import DETAILS, TEXT, prepare_hold
from tests.support import factories as f


def _held_pairing(s1, staff):
    org = staff["organizer"]
    people = [(staff["t1"], "mentor"), (staff["t2"], "mentee")]
    act = f.plan(s1, org, "mentorship", people, DETAILS["mentorship"], hours="20")
    prepare_hold(act, org, people)
    f.attend(act, org)
    f.fire(act, org, "hold")
    return act


def _articles(act, user, n):
    for i in range(n):
        activities.add_evidence(act, user, user.id, "article", f"文章{user.id}-{i}", text=f"{TEXT}（第{i + 1}篇）")


def _credits(act_id: int) -> int:
    return db.session.scalar(select(func.count(CreditEntry.id)).where(CreditEntry.activity_id == act_id))


def test_the_mentor_writes_two_articles_a_term_too(s1, staff):
    act = _held_pairing(s1, staff)
    _articles(act, staff["t2"], 2)  # the mentee's two
    with pytest.raises(GuardFailedError) as err:  # the mentor's two are missing: nobody is credited
        f.fire(act, staff["reviewer"], "approve")
    assert any("文章 0/2" in m for m in err.value.extra["missing"])
    assert act.state == "held" and _credits(act.id) == 0
    _articles(act, staff["t1"], 1)
    with pytest.raises(GuardFailedError, match="文章 1/2"):
        f.fire(act, staff["reviewer"], "approve")
    _articles(act, staff["t1"], 1)
    f.fire(act, staff["reviewer"], "approve")
    f.fire(act, staff["reviewer"], "credit")
    assert db.session.scalar(select(func.sum(CreditEntry.hours)).where(CreditEntry.activity_id == act.id)) == Decimal(40)


def test_a_school_reading_the_articles_as_the_mentees_alone_sets_the_mentors_to_0(s1, staff):
    schools.set_type(s1, "mentorship", settings={"mentor_articles_per_term": 0}, by=SYSTEM)
    act = _held_pairing(s1, staff)
    _articles(act, staff["t2"], 2)
    f.fire(act, staff["reviewer"], "approve")
    assert act.state == "reviewed"


@pytest.mark.parametrize("value", [-1, 21, 1.5, "2", True, None, float("inf"), 10**30])
def test_a_bad_number_of_mentor_articles_is_refused_and_changes_nothing(s1, value):
    before = schools.type_settings(s1.id, "mentorship")
    with pytest.raises(Invalid) as err:
        schools.set_type(s1, "mentorship", settings={"mentor_articles_per_term": value}, by=SYSTEM)
    assert "mentor_articles_per_term" in str(err.value.fields)
    db.session.expire_all()
    assert schools.type_settings(db.session.get(School, s1.id).id, "mentorship") == before
    assert before["mentor_articles_per_term"] == 2


def test_a_teacher_may_not_lower_the_mentors_articles(s1, staff):
    with pytest.raises(Forbidden):
        schools.set_type(s1, "mentorship", settings={"mentor_articles_per_term": 0}, by=access.actor(staff["t1"].id, s1.id))
    assert schools.type_settings(s1.id, "mentorship")["mentor_articles_per_term"] == 2
