"""师徒结对 against seed 001's words: "要求师徒教师每周互听、互评一堂课，每月进行一次专业探讨，每学期
撰写、修改两篇教育文章" — the pair (师徒教师), mentor and mentee alike, write two articles a term."""

from __future__ import annotations

from datetime import datetime
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


def _articles(act, user, n, first=0):
    for i in range(first, first + n):  # each another article: the same one again is refused
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
    _articles(act, staff["t1"], 1, first=1)
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


# -- the rhythm of the meetings: "每周互听、互评一堂课，每月进行一次专业探讨" ---------------------------

#: a pairing over one past term: 8 September 2025 to 16 January 2026 (semester 1 of 2025-2026),
#: 18 whole weeks and 4 whole months
TERM_START, TERM_END = datetime(2025, 9, 8, 14, 0), datetime(2026, 1, 16, 17, 0)


def _term_pairing(s1, staff, start=TERM_START, end=TERM_END, **settings):
    """teacher3 mentoring teacher4 from ``start`` to ``end`` (the school's time), attendance recorded."""
    if settings:
        schools.set_type(s1, "mentorship", settings=settings, by=SYSTEM)
    org = staff["organizer"]
    act = activities.plan_activity(
        s1, org, "mentorship", "师徒结对一学期", start.isoformat(timespec="minutes"),
        end.isoformat(timespec="minutes"), "20",
        [{"user_id": staff["t3"].id, "role": "mentor"}, {"user_id": staff["t4"].id, "role": "mentee"}],
        DETAILS["mentorship"],
    )
    f.attend(act, org)
    return act


def _logs(act, staff, n, first=0):
    for i in range(first, first + n):
        activities.add_evidence(act, staff["organizer"], staff["t4"].id, "meeting_log", f"第{i + 1}周互听互评",
                                text=f"{TEXT}（记录{i + 1}）")


def test_a_term_long_pairing_needs_a_log_a_week_and_one_a_month(s1, staff):
    act = _term_pairing(s1, staff)
    _logs(act, staff, 4)  # the flat minimum of old: four logs for eighteen weeks
    with pytest.raises(GuardFailedError, match="4/22"):
        f.fire(act, staff["organizer"], "hold")
    assert act.state == "planned"
    _logs(act, staff, 17, first=4)
    with pytest.raises(GuardFailedError, match="21/22"):
        f.fire(act, staff["organizer"], "hold")
    _logs(act, staff, 1, first=21)
    f.fire(act, staff["organizer"], "hold")
    assert act.state == "held"


def test_a_school_may_ask_only_its_minimum(s1, staff):
    act = _term_pairing(s1, staff, logs_per_week=0, logs_per_month=0)
    _logs(act, staff, 4)
    f.fire(act, staff["organizer"], "hold")
    assert act.state == "held"


def test_the_months_of_a_pairing_are_the_schools_calendar_months(s1, staff):
    """A pairing from 1 October, midnight, to 30 October (Beijing) is four whole weeks and no
    whole month: four logs. The guard counted the months on the times as stored (UTC), where it
    began on 30 September, 16:00 and ended on 30 October: "a whole month", and a fifth log was
    asked for. The months are now counted on the school's calendar, as a teacher reads them."""
    org = staff["organizer"]
    act = activities.plan_activity(
        s1, org, "mentorship", "师徒结对十月", "2025-10-01T00:00", "2025-10-30T18:00", "20",
        [{"user_id": staff["t3"].id, "role": "mentor"}, {"user_id": staff["t4"].id, "role": "mentee"}],
        DETAILS["mentorship"],
    )
    f.attend(act, org)
    _logs(act, staff, 3)
    with pytest.raises(GuardFailedError, match="3/4"):
        f.fire(act, org, "hold")
    _logs(act, staff, 1, first=3)
    f.fire(act, org, "hold")
    assert act.state == "held"


@pytest.mark.parametrize(("start", "end", "weeks", "months"), [
    (datetime(2026, 10, 15, 14), datetime(2026, 10, 15, 17), 0, 0),  # an afternoon: the minimum decides
    (datetime(2026, 9, 1, 8), datetime(2026, 9, 7, 23), 0, 0),  # six days and some hours
    (datetime(2026, 9, 1, 8), datetime(2026, 9, 8, 8), 1, 0),
    (datetime(2027, 1, 31, 8), datetime(2027, 2, 28, 8), 4, 0),  # 31 January to 28 February: no whole month
    (datetime(2027, 2, 1, 8), datetime(2027, 3, 1, 8), 4, 1),
    (datetime(2026, 12, 20, 8), datetime(2027, 1, 20, 8), 4, 1),  # across the new year
    (datetime(2026, 10, 15, 17), datetime(2026, 10, 15, 14), 0, 0),  # never negative
])
def test_whole_weeks_and_months(start, end, weeks, months):
    from plugins.mentorship import whole_weeks_and_months

    assert whole_weeks_and_months(start, end) == (weeks, months)


@pytest.mark.parametrize("settings", [{"logs_per_week": -1}, {"logs_per_week": 8}, {"logs_per_month": 0.5},
                                      {"logs_per_month": "1"}, {"logs_per_week": False}])
def test_a_bad_rhythm_is_refused_and_changes_nothing(s1, settings):
    before = schools.type_settings(s1.id, "mentorship")
    with pytest.raises(Invalid):
        schools.set_type(s1, "mentorship", settings=settings, by=SYSTEM)
    assert schools.type_settings(s1.id, "mentorship") == before


def test_a_reviewer_who_is_the_mentor_approves_nothing_of_their_own_pairing(s1, staff):
    org, rev = staff["organizer"], staff["reviewer"]
    people = [(rev, "mentor"), (staff["t2"], "mentee")]
    act = f.plan(s1, org, "mentorship", people, DETAILS["mentorship"], hours="20")
    prepare_hold(act, org, people)
    f.attend(act, org)
    f.fire(act, org, "hold")
    _articles(act, rev, 2)
    _articles(act, staff["t2"], 2)
    with pytest.raises(Forbidden):
        f.fire(act, rev, "approve")
    db.session.expire_all()
    assert act.state == "held" and _credits(act.id) == 0
