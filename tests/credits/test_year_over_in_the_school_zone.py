"""A school year is over at midnight of 1 September in the *school's* zone (``credits.year_over_at``).

Auditor: the end of the year was taken in the deployment's zone (Asia/Shanghai) for every school,
so a teacher of a school in Urumqi who joined at 23:30 on 31 August, local time (01:30 on
1 September in Shanghai), was left off that year's 学时汇总表 as one who joined after it, and one
who joined at 00:30 on 1 September was not. The summaries (one school, a district's schools in
two zones, the export's count) and the teacher's own year all read the school's zone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import EarlierStint, Membership, School, User
from portal.services import credits, schools, users
from tests.credits.helpers import hold_year
from tests.support import factories as f

PAST = "2025-2026"
# naive UTC, as times are stored
URUMQI_LATE_31_AUGUST = datetime(2026, 8, 31, 17, 30)  # 23:30 in Urumqi, 01:30 on 1 September in Shanghai
URUMQI_EARLY_1_SEPTEMBER = datetime(2026, 8, 31, 18, 30)  # 00:30 on 1 September in Urumqi
SHANGHAI_LATE_31_AUGUST = datetime(2026, 8, 31, 15, 30)  # 23:30 in Shanghai
SHANGHAI_EARLY_1_SEPTEMBER = datetime(2026, 8, 31, 16, 30)  # 00:30 on 1 September in Shanghai


def test_the_year_ends_at_midnight_in_the_schools_zone(app, make_app, prepared):
    s1 = db.session.get_one(School, make_app.facts(prepared)["s1"])  # Asia/Shanghai
    west = schools.create_school("W1", "测试学校W1", timezone="Asia/Urumqi", district_id=s1.district_id)
    f.person(west, "w_in", "teacher", name="西部在册", since=URUMQI_LATE_31_AUGUST)
    f.person(west, "w_out", "teacher", name="西部新来", since=URUMQI_EARLY_1_SEPTEMBER)
    f.person(s1, "e_in", "teacher", name="东部在册", since=SHANGHAI_LATE_31_AUGUST)
    f.person(s1, "e_out", "teacher", name="东部新来", since=SHANGHAI_EARLY_1_SEPTEMBER)
    for school in (s1, west):  # both hold something of the year: on their records
        hold_year(school, db.session.execute(select(User).where(User.username == "e_in")).scalar_one(), PAST)
    db.session.commit()

    def names(rows) -> set[str]:
        return {ty.user.username for ty in rows}

    assert names(credits.school_summary(west, PAST)) == {"w_in"}
    assert names(credits.school_summary(s1, PAST)) == {"e_in"}
    both = credits.year_rows([s1, west], PAST)  # one statement for schools of two zones
    assert names(both[west.id]) == {"w_in"} and names(both[s1.id]) == {"e_in"}
    assert credits.summary_row_count(PAST, school_id=west.id) == 1
    assert credits.summary_row_count(PAST, district_id=west.district_id) == 2
    assert credits.summary_row_count(PAST) == 2
    for username, school, theirs in (("w_in", west, True), ("w_out", west, False),
                                     ("e_in", s1, True), ("e_out", s1, False)):
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        assert credits.teacher_year(user, school, PAST).joined_after_year is not theirs, username
        assert credits.on_summary(school.id, PAST, user.id) is theirs, username
    assert credits.year_over_at(PAST, "Asia/Urumqi") == datetime(2026, 8, 31, 18, 0)
    assert credits.year_over_at(PAST, None) == credits.year_over_at(PAST) == datetime(2026, 8, 31, 16, 0)


def test_a_role_given_back_the_next_day_in_the_schools_zone_keeps_the_stretch_before(app):
    """Taken off at 23:30 on 31 August in Urumqi and given back at 00:30 on 1 September: a gap
    over the year's end, so the stretch before it is kept and the role dates from its return —
    though both instants fall on 1 September in Shanghai, where it was taken for a slip."""
    west = schools.create_school("W2", "测试学校W2", timezone="Asia/Urumqi")
    teacher = f.person(west, "w_back", "teacher", name="西部回来")
    m = db.session.execute(select(Membership).where(Membership.user_id == teacher.id)).scalar_one()
    m.active, m.until = False, URUMQI_LATE_31_AUGUST
    users.give_back(m, URUMQI_EARLY_1_SEPTEMBER)
    db.session.commit()
    kept = db.session.execute(select(EarlierStint).where(EarlierStint.membership_id == m.id)).scalars().all()
    assert [s.until for s in kept] == [URUMQI_LATE_31_AUGUST] and m.since == URUMQI_EARLY_1_SEPTEMBER
