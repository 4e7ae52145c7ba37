"""Reading notes every month (``reading_notes_per_month``; seed 004: 每月必须记2—3篇读书笔记).

Before it, a teacher who wrote all the year's notes in one month met the quota. Now, with the
rule on, each whole month of teaching that is over (in the school's time; not the summer holiday,
not a month before the teacher joined) must hold the notes asked, counted in the quota SQL, so
the teacher's home, the writing page, the summary and the API read one figure; the teacher is
told which months are short, in Chinese and in English.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Membership, OwnWriting, School, SchoolChange
from portal.policy import SYSTEM
from portal.services import credits, quotas, schools, writing
from portal.timeutil import current_school_year, first_day, parse_iso, to_local, utcnow
from tests.support.sessions import log_in
from tests.support.texts import prose


def _year(school) -> str:
    return current_school_year(school.timezone)


def _ended(school) -> list[tuple[int, str]]:
    """The months of this year asked today (every whole month over, not August)."""
    return list(quotas.months_asked(_year(school), to_local(utcnow(), school.timezone).date()))


def _note(school, user, title: str, month: int, day: int = 10, chars: int = 320) -> OwnWriting:
    piece = writing.add_writing(school, user, "reading_notes", title, prose(chars, title))
    written = first_day(_year(school), month).replace(day=day)
    piece.created_at = parse_iso(f"{written.isoformat()}T12:00", school.timezone)
    db.session.commit()
    return piece


def _monthly(user, school):
    facts = credits.teacher_year(user, school, _year(school)).facts
    return next(q for q in facts.quotas if q.key == "notes_monthly")


def _summary(school, username: str):
    row = next(ty for ty in credits.school_summary(school, _year(school)) if ty.user.username == username)
    return next(q for q in row.facts.quotas if q.key == "notes_monthly")


def test_all_notes_in_one_month_is_short_and_n_a_month_meets_it(client, s1, staff):
    t1 = staff["t1"]
    asked = _ended(s1)
    if len(asked) < 2:
        pytest.skip("needs two whole months of this school year over")
    schools.update_rules(s1, {"reading_notes_per_month": 2}, by=SYSTEM)
    db.session.commit()
    first = asked[0][0]
    for i in range(2 * len(asked)):  # all the year's notes in its first month
        _note(s1, t1, f"《书{i}》", first)
    q = _monthly(t1, s1)
    short = tuple(name for _m, name in asked[1:])
    assert (q.done, q.target, q.short, q.met) == (1, len(asked), short, False)
    assert _summary(s1, "t1") == q
    log_in(client, t1, s1.id)
    home = client.get("/?lang=zh_Hans_CN").text
    assert f"未达标月份：{'、'.join(short)}" in home
    assert f"Months short: {', '.join(short)}" in client.get("/writing?lang=en").text
    assert "读书笔记达标月数" in client.get("/writing?lang=zh_Hans_CN").text
    for m, _name in asked[1:]:
        _note(s1, t1, f"《{m}月甲》", m)
        _note(s1, t1, f"《{m}月乙》", m)
    q = _monthly(t1, s1)
    assert (q.done, q.target, q.short, q.met) == (len(asked), len(asked), (), True)
    assert _summary(s1, "t1") == q
    assert 'data-testid="quota-short"' not in client.get("/").text


def test_a_short_note_fills_no_month(s1, staff):
    t1 = staff["t1"]
    asked = _ended(s1)
    if not asked:
        pytest.skip("needs a whole month of this school year over")
    schools.update_rules(s1, {"reading_notes_per_month": 1, "reading_note_chars": 300}, by=SYSTEM)
    db.session.commit()
    for m, _name in asked:
        _note(s1, t1, f"《{m}》", m, chars=250)
    assert _monthly(t1, s1).done == 0
    _note(s1, t1, "《够长》", asked[0][0], chars=300)
    assert _monthly(t1, s1).done == 1


def test_a_note_belongs_to_the_month_of_the_school_clock(s1, staff):
    """1 October 00:30 in Beijing is 30 September in UTC: the note is October's."""
    t1 = staff["t1"]
    asked = dict(_ended(s1))
    if 10 not in asked:
        pytest.skip("needs October of this school year over")
    schools.update_rules(s1, {"reading_notes_per_month": 1}, by=SYSTEM)
    db.session.commit()
    piece = _note(s1, t1, "《午夜》", 10)
    piece.created_at = parse_iso(f"{first_day(_year(s1), 10).isoformat()}T00:30", "Asia/Shanghai")
    db.session.commit()
    assert piece.created_at.day == 30 and s1.timezone == "Asia/Shanghai"
    assert asked[10] not in _monthly(t1, s1).short
    assert asked[9] in _monthly(t1, s1).short


def test_the_summer_holiday_is_not_asked():
    """August is wholly outside both semesters' teaching (seed 004's training year: September to
    July): a year over asks eleven months, August not among them."""
    asked = quotas.months_asked("2025-2026", None)
    assert [m for m, _ in asked] == [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7]
    assert asked[0] == (9, "2025-09") and asked[-1] == (7, "2026-07")
    # today in August: all of them; on 1 July, June's is the last whole month
    assert quotas.months_asked("2025-2026", date(2026, 8, 20)) == asked
    assert quotas.months_asked("2025-2026", date(2026, 7, 1))[-1] == (6, "2026-06")


def test_a_month_before_joining_is_not_asked(s1, staff):
    t1 = staff["t1"]
    asked = _ended(s1)
    if len(asked) < 2:
        pytest.skip("needs two whole months of this school year over")
    schools.update_rules(s1, {"reading_notes_per_month": 1}, by=SYSTEM)
    joined = first_day(_year(s1), asked[1][0])  # on the staff from the second month's first day
    m = db.session.scalars(select(Membership).where(Membership.user_id == t1.id, Membership.school_id == s1.id,
                                                    Membership.role == "teacher")).one()
    m.since = parse_iso(datetime.combine(joined, datetime.min.time()).isoformat(), s1.timezone)
    db.session.commit()
    q = _monthly(t1, s1)
    assert q.target == len(asked) - 1 and asked[0][1] not in q.short
    # one who joined on its second day is not asked that month either
    assert asked[1] not in quotas.months_asked(_year(s1), None, joined.replace(day=2))


def test_off_by_default_no_monthly_quota(s1, staff):
    assert s1.rule("reading_notes_per_month") == 0
    facts = credits.teacher_year(staff["t1"], s1, _year(s1)).facts
    assert all(q.key != "notes_monthly" for q in facts.quotas)


@pytest.mark.parametrize("bad", [-1, 11, 2.5, "2", None, True])
def test_bad_values_are_refused_and_change_nothing(s1, bad):
    before = db.session.scalar(select(SchoolChange.id).order_by(SchoolChange.id.desc()).limit(1))
    with pytest.raises(Invalid) as err:
        schools.update_rules(s1, {"reading_notes_per_month": bad, "reading_notes_chars": 5000}, by=SYSTEM)
    assert "reading_notes_per_month" in err.value.fields
    db.session.rollback()
    school = db.session.get_one(School, s1.id)
    assert school.rule("reading_notes_per_month") == 0 and school.rule("reading_notes_chars") == 10000
    assert db.session.scalar(select(SchoolChange.id).order_by(SchoolChange.id.desc()).limit(1)) == before
