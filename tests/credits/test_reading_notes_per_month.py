"""Reading notes every month (``reading_notes_per_month``; seed 004: 每月必须记2—3篇读书笔记).

Before it, a teacher who wrote all the year's notes in one month met the quota. Now, with the
rule on, each whole month of teaching that is over (in the school's time; not the summer holiday,
not a month before the teacher joined, nor one they were away in or had left by) must hold the
notes asked, counted in the quota SQL, so the teacher's home, the writing page, the summary and
the API read one figure; the teacher is told which months are short, in Chinese (2026年10月) and
in English (October 2026); the API keeps them as data (2026-10).

Every test sets the day it needs on the test clock (``tests/support/clock.py``): what the
quota asks depends on which months are over.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Membership, OwnWriting, School, SchoolChange
from portal.policy import SYSTEM
from portal.services import access, credits, quotas, schools, staff, writing
from portal.timeutil import first_day, parse_iso
from tests.credits.helpers import assert_school_rule_refused
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.support.texts import prose
from tests.web.test_settings_in_audit import _rules_form

YEAR = "2026-2027"
#: 15 December 2026, 12:00 in Beijing: September, October and November are over
MID_DECEMBER = datetime(2026, 12, 15, 4, 0, tzinfo=UTC)


def _at(time_machine, when: datetime) -> None:
    time_machine.move_to(when, tick=False)


def _note(school, user, title: str, month: int, day: int = 10, chars: int = 320, at: str = "12:00") -> OwnWriting:
    piece = writing.add_writing(school, user, "reading_notes", title, prose(chars, title))
    written = first_day(YEAR, month).replace(day=day)
    piece.created_at = parse_iso(f"{written.isoformat()}T{at}", school.timezone)
    db.session.commit()
    return piece


def _monthly(user, school):
    facts = credits.teacher_year(user, school, YEAR).facts
    return next(q for q in facts.quotas if q.key == "notes_monthly")


def _summary(school, username: str):
    row = next(ty for ty in credits.school_summary(school, YEAR) if ty.user.username == username)
    return next(q for q in row.facts.quotas if q.key == "notes_monthly")


def _asking(school, n: int, **more) -> None:
    schools.update_rules(school, {"reading_notes_per_month": n, **more}, by=SYSTEM)
    db.session.commit()


def test_all_notes_in_one_month_is_short_and_n_a_month_meets_it(client, s1, staff, time_machine):
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _asking(s1, 2)
    for i in range(6):  # all the year's notes in September
        _note(s1, t1, f"《书{i}》", 9)
    q = _monthly(t1, s1)
    assert (q.done, q.target, q.short, q.met) == (1, 3, ("2026-10", "2026-11"), False)
    assert _summary(s1, "t1") == q
    log_in(client, t1, s1.id)
    home = client.get("/?lang=zh_Hans_CN").text
    # the months in words; the one date of the month on the page is the plan's deadline (a day: ISO, decided)
    assert "未达标月份：2026年10月、11月" in home and "2026-10" not in home.replace("2026-10-31", "")
    page = client.get("/writing?lang=en").text
    assert "Months short: October, November 2026" in page and "2026-10" not in page
    assert "读书笔记达标月数" in client.get("/writing?lang=zh_Hans_CN").text
    token = client.post("/api/v1/auth/token", json={"username": "t1", "password": f.PASSWORD}).get_json()["token"]
    got = client.get("/api/v1/me/writing", headers={"Authorization": f"Bearer {token}"}).get_json()
    monthly = next(q for q in got["quotas"] if q["key"] == "notes_monthly")
    assert (monthly["done"], monthly["target"], monthly["unit"], monthly["short"]) == (1, 3, "months", ["2026-10", "2026-11"])
    for m in (10, 11):
        _note(s1, t1, f"《{m}月甲》", m)
        _note(s1, t1, f"《{m}月乙》", m)
    q = _monthly(t1, s1)
    assert (q.done, q.target, q.short, q.met) == (3, 3, (), True)
    assert _summary(s1, "t1") == q
    assert 'data-testid="quota-short"' not in client.get("/").text


def test_a_short_note_fills_no_month(s1, staff, time_machine):
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _asking(s1, 1, reading_note_chars=300)
    for m in (9, 10, 11):
        _note(s1, t1, f"《{m}》", m, chars=250)
    assert _monthly(t1, s1).done == 0
    _note(s1, t1, "《够长》", 9, chars=300)
    assert _monthly(t1, s1).done == 1


def test_a_note_belongs_to_the_month_of_the_school_clock(s1, staff, time_machine):
    """1 October 00:30 in Beijing is 30 September in UTC: the note is October's, and on 2 October
    00:30 in Beijing (still 1 October in UTC) September is over and asked: short."""
    _at(time_machine, parse_iso("2026-10-02T00:30", "Asia/Shanghai").replace(tzinfo=UTC))
    t1 = staff["t1"]
    _asking(s1, 1)
    piece = _note(s1, t1, "《午夜》", 10, day=1, at="00:30")
    assert (piece.created_at.month, piece.created_at.day) == (9, 30) and s1.timezone == "Asia/Shanghai"
    q = _monthly(t1, s1)
    assert (q.done, q.target, q.short) == (0, 1, ("2026-09",))
    _at(time_machine, MID_DECEMBER)
    q = _monthly(t1, s1)
    assert (q.done, q.target, q.short) == (1, 3, ("2026-09", "2026-11"))


def test_september_with_no_whole_month_over_asks_nothing(client, s1, staff, time_machine):
    _at(time_machine, datetime(2026, 9, 20, 4, 0, tzinfo=UTC))
    t1 = staff["t1"]
    _asking(s1, 2)
    q = _monthly(t1, s1)
    assert (q.done, q.target, q.short, q.met) == (0, 0, (), True)
    log_in(client, t1, s1.id)
    assert 'data-testid="quota-short"' not in client.get("/").text


def test_the_summer_holiday_is_not_asked():
    """August is wholly outside both semesters' teaching (seed 004's training year: September to
    July): a year over asks eleven months, August not among them."""
    asked = quotas.months_asked("2025-2026", None)
    assert [m for m, _ in asked] == [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7]
    assert asked[0] == (9, "2025-09") and asked[-1] == (7, "2026-07")
    # today in August: all of them; on 1 July, June's is the last whole month
    assert quotas.months_asked("2025-2026", date(2026, 8, 20)) == asked
    assert quotas.months_asked("2025-2026", date(2026, 7, 1))[-1] == (6, "2026-06")


def _role(user, school) -> Membership:
    return db.session.scalars(select(Membership).where(Membership.user_id == user.id, Membership.school_id == school.id,
                                                       Membership.role == "teacher")).one()


def test_a_month_before_joining_is_not_asked(s1, staff, time_machine):
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _asking(s1, 1)
    _role(t1, s1).since = parse_iso("2026-10-01T00:00", s1.timezone)  # on the staff from 1 October
    db.session.commit()
    q = _monthly(t1, s1)
    assert (q.target, q.short) == (2, ("2026-10", "2026-11"))
    assert _summary(s1, "t1") == q
    # one who joined on its second day is not asked that month either
    assert (10, "2026-10") not in quotas.months_asked(YEAR, None, date(2026, 10, 2))


def _set_roles(school, user, roles: list[str], by, at: str) -> None:
    staff.set_roles(school, user.id, roles, by=access.actor(by.id, school.id), at=parse_iso(at, school.timezone))
    db.session.commit()


def test_months_after_leaving_are_not_asked(s1, staff, time_machine):
    """org (an organizer who taught too) stopped teaching on 15 October: October (not whole) and
    November are not theirs to fill, on their year and on the summary (one who left is still on
    the year's summary while something of theirs counts)."""
    _at(time_machine, MID_DECEMBER)
    t2, org = staff["t2"], staff["organizer"]
    _asking(s1, 1)
    _note(s1, t2, "《九月》", 9)
    _note(s1, org, "《十月》", 10)  # written before leaving: October's, on the summary
    _set_roles(s1, org, ["organizer"], staff["admin"], "2026-10-15T09:00")  # org teaches no more
    q = _monthly(org, s1)
    assert (q.done, q.target, q.short, q.met) == (0, 1, ("2026-09",), False)
    assert _summary(s1, "org") == q
    assert _monthly(t2, s1).target == 3  # who stays is asked every month


def test_months_away_are_not_asked_and_those_before_are(s1, staff, time_machine):
    """org left on 15 October and came back on 5 November: asked September (on the staff all
    of it), not October nor November (away part of each), and December on."""
    _at(time_machine, datetime(2027, 2, 15, 4, 0, tzinfo=UTC))
    org = staff["organizer"]
    _asking(s1, 1)
    _set_roles(s1, org, ["organizer"], staff["admin"], "2026-10-15T09:00")
    _set_roles(s1, org, ["organizer", "teacher"], staff["admin"], "2026-11-05T09:00")
    q = _monthly(org, s1)
    assert (q.target, q.short) == (3, ("2026-09", "2026-12", "2027-01"))
    assert _summary(s1, "org") == q
    _note(s1, org, "《九月》", 9)
    assert _monthly(org, s1).short == ("2026-12", "2027-01")


def test_an_accepted_year_keeps_its_monthly_rule(s1, staff, time_machine):
    """Accepted with one note a month (as an accepted year is: the months over when it was sent,
    ``credits.COUNTED_TO``; sent in mid-December, three); the school asks three since: the
    accepted year's figures stay those it was accepted with."""
    from portal.models import User
    from portal.policy import Actor
    from portal.services import submissions, users

    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _asking(s1, 1)
    for m in (9, 10, 11):
        _note(s1, t1, f"《{m}月》", m)
    reviewer: User = users.create_user("qu.shenhe", f.PASSWORD, "区审核员", None, ["district_reviewer"],
                                       district_id=s1.district_id)
    sub = submissions.submit(s1, YEAR, by=access.actor(staff["admin"].id, s1.id))
    submissions.decide(sub.id, True, by=Actor.of(reviewer.id, ["district_reviewer"]), district_id=s1.district_id)
    db.session.commit()
    accepted = _monthly(t1, s1)
    assert (accepted.done, accepted.target) == (3, 3)
    _asking(s1, 3)
    assert db.session.get_one(School, s1.id).rule("reading_notes_per_month") == 3
    assert _monthly(t1, s1) == accepted and _summary(s1, "t1") == accepted
    _asking(s1, 0)
    assert _monthly(t1, s1) == accepted


def test_off_by_default_no_monthly_quota(s1, staff):
    assert s1.rule("reading_notes_per_month") == 0
    facts = credits.teacher_year(staff["t1"], s1, YEAR).facts
    assert all(q.key != "notes_monthly" for q in facts.quotas)


@pytest.mark.parametrize("bad", [-1, 11, 2.5, "2", None, True])
def test_bad_values_are_refused_and_change_nothing(s1, bad):
    assert_school_rule_refused(s1.id, "reading_notes_per_month", bad)


def _school_rows(school_id: int) -> tuple:
    db.session.expire_all()
    school = db.session.get_one(School, school_id)
    return dict(school.rules or {}), db.session.scalar(select(func.count()).select_from(SchoolChange))


@pytest.mark.parametrize(("bad", "zh", "en"), [
    ("-1", "必须是 0 到 10 之间的整数", "must be a whole number from 0 to 10"),
    ("11", "必须是 0 到 10 之间的整数", "must be a whole number from 0 to 10"),
    ("2.5", "必须是 0 到 10 之间的整数", "must be a whole number from 0 to 10"),
    ("两篇", "请输入数字。", "Enter a number."),
])
def test_bad_values_on_the_rules_page_are_refused_in_both_languages(client, s1, staff, bad, zh, en):
    """The rules page offers the rule (it did not: only the service took it); a bad value is
    refused beside its field in the page's language, and the school's rules and its audit
    trail stay as they were, the other rules sent with it not saved either."""
    log_in(client, staff["admin"], s1.id)
    form = _rules_form(client)
    assert form["reading_notes_per_month"] == "0"
    before = _school_rows(s1.id)
    for lang, word in (("zh_Hans_CN", zh), ("en", en)):
        sent = {**form, "reading_notes_per_month": bad, "reading_notes_chars": "5000"}
        r = client.post(f"/admin/rules?lang={lang}", data=sent)
        assert r.status_code == 422
        error = r.text.split('data-testid="error-reading_notes_per_month">')[1].split("<")[0]
        assert error == word
        assert r.text.count('class="invalid-feedback"') == 1
        assert _school_rows(s1.id) == before
    assert client.post("/admin/rules", data={**form, "reading_notes_per_month": "2"}).status_code == 302
    assert db.session.get_one(School, s1.id).rule("reading_notes_per_month") == 2
