"""Dates as a Chinese user writes them (2026-12-04 or 2026年12月4日), whatever the browser's
locale: the forms use text inputs (no datetime-local, which shows 12/04/2026 in en-US) and the
server reads both spellings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal import timeutil
from portal.extensions import db
from portal.models import Activity, School, User
from portal.services.credits import parse_year
from portal.timeutil import (
    BIRTH_YEARS,
    DEFAULT_ZONE,
    current_school_year,
    default_zone,
    iso_local_text,
    local_text,
    parse_day,
    zone_of,
)


@pytest.mark.parametrize("text", ["2026-12-04", "2026/12/4", "2026.12.04", "2026年12月4日", " 2026 年 12 月 4 日 "])
def test_days_written_several_ways(text):
    assert parse_day(text) == date(2026, 12, 4)


@pytest.mark.parametrize("text", ["", "2026-13-01", "2026年2月30日", "04/12/2026", "1970-05-01", "明天", None, 20261204])
def test_not_a_day(text):
    assert parse_day(text) is None


def test_birth_dates_reach_back():
    assert parse_day("1970年5月1日", BIRTH_YEARS) == date(1970, 5, 1)


@pytest.mark.parametrize("text", ["2026年12月4日 14:00", "2026-12-04 14:00", "2026/12/4 14:00", "2026-12-04T14:00",
                                  "2026年12月4日14时00分"])
def test_date_and_time(text):
    assert iso_local_text(text) == "2026-12-04T14:00"


@pytest.mark.parametrize(("tz", "with_time", "text"), [
    ("Asia/Shanghai", True, "2027-01-01 07:05"),  # UTC+8: the next day, the next year
    ("Asia/Shanghai", False, "2027-01-01"),
    ("UTC", True, "2026-12-31 23:05"),
    ("America/New_York", False, "2026-12-31"),
])
def test_stored_times_read_in_the_schools_zone(tz, with_time, text):
    """Every page, message and export writes a stored (UTC) time one way, as strftime would."""
    stored = datetime(2026, 12, 31, 23, 5)
    assert local_text(stored, tz, with_time) == text
    as_strftime = stored.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    assert text == as_strftime


def test_one_rule_for_the_zone_of_what_has_no_school(make_app):
    """A school's own zone; without a school (the district's pages, a user with none) the
    deployment's ``DEFAULT_TIMEZONE``; outside any app the built-in default."""
    assert default_zone() == DEFAULT_ZONE == zone_of(None)
    app = make_app(DEFAULT_TIMEZONE="Asia/Urumqi")
    with app.app_context():
        assert default_zone() == "Asia/Urumqi" == zone_of(None)
        assert zone_of(School(code="Z1", name="乌鲁木齐一中", timezone="Asia/Kashgar")) == "Asia/Kashgar"
        assert zone_of(School(code="Z2", name="未设时区", timezone="")) == "Asia/Urumqi"
        assert local_text(datetime(2026, 12, 31, 23, 5), zone_of(None)) == "2027-01-01 05:05"  # UTC+6


def test_the_current_school_year_without_a_school_is_the_deployments(make_app, monkeypatch):
    """31 August 12:00 UTC is 20:00 that day in Shanghai but 02:00 on 1 September in Kiritimati:
    what belongs to no school (the year pickers, the rebuild's years) takes the configured zone."""
    monkeypatch.setattr(timeutil, "utcnow", lambda: datetime(2026, 8, 31, 12, 0))
    assert current_school_year() == "2025-2026"  # outside any app: the built-in Asia/Shanghai
    with make_app(DEFAULT_TIMEZONE="Pacific/Kiritimati").app_context():
        assert current_school_year() == "2026-2027" == parse_year("")
        assert current_school_year("Asia/Shanghai") == "2025-2026"


def test_plan_form_takes_chinese_dates(site, as_user):
    c = as_user("organizer")
    page = c.get("/activities/new/lecture").get_data(as_text=True)
    assert 'type="datetime-local"' not in page and 'placeholder="2026-12-04 14:00"' in page
    with site.app_context():
        t5 = db.session.execute(select(User.id).where(User.username == "teacher5")).scalar_one()
    r = c.post("/activities/new/lecture", data={
        "title": "日期测试讲座", "starts_at": "2026年12月4日 14:00", "ends_at": "2026/12/4 16:00", "hours": "2",
        "details-topic": "作业设计", f"role-{t5}": "attendee",
    })
    assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    with site.app_context():
        act = db.session.execute(select(Activity).where(Activity.title == "日期测试讲座")).scalar_one()
        assert (act.starts_at.month, act.starts_at.day, act.starts_at.hour) == (12, 4, 6)  # 14:00 in Shanghai
    r = c.post("/activities/new/lecture", data={"title": "坏日期", "starts_at": "12月4日下午", "ends_at": "", "hours": "2"})
    assert r.status_code == 422 and 'data-testid="error-starts_at"' in r.get_data(as_text=True)


def test_a_time_no_clock_shows_is_refused_as_it_was_typed(site, as_user):
    """``2026-11-20 25:00`` was read into ISO text first and refused as “2026-11-20T25:00”: a
    teacher read back a T she never typed. Refused as typed, nothing saved."""
    c = as_user("teacher3")
    with site.app_context():
        before = db.session.execute(select(func.count(Activity.id))).scalar_one()
    for typed in ("2026-11-20 25:00", "2026年11月20日 14:60"):
        r = c.post("/activities/new/declared?lang=zh_Hans_CN", data={
            "title": "网络课程", "starts_at": typed, "ends_at": typed, "hours": "3",
            "details-provider": "国家中小学智慧教育平台", "details-category": "online"})
        page = r.get_data(as_text=True)
        assert r.status_code == 422 and f"日期时间格式有误：“{typed}”" in page, typed
        assert "T25:00" not in page and "T14:60" not in page
    with site.app_context():
        assert db.session.execute(select(func.count(Activity.id))).scalar_one() == before


def test_staff_birth_date_and_audit_filter(site, as_user):
    c = as_user("admin")
    page = c.get("/admin/staff").get_data(as_text=True)
    assert 'type="date"' not in page
    r = c.post("/admin/staff", data={"username": "date.person", "name": "日期人", "password": "password-123",
                                     "gender": "F", "birth_date": "1976年3月8日", "roles": ["teacher"]})
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    with site.app_context():
        born = db.session.execute(select(User.birth_date).where(User.username == "date.person")).scalar_one()
    assert born == date(1976, 3, 8)
    r = c.post("/admin/staff", data={"username": "date.bad", "name": "坏", "password": "password-123",
                                     "birth_date": "3/8/1976", "roles": ["teacher"]})
    assert r.status_code == 422 and "2026年12月4日" in r.get_data(as_text=True)
    audit = c.get("/admin/audit?from=2026年1月1日&to=2099-12-31")
    assert audit.status_code == 200 and 'type="date"' not in audit.get_data(as_text=True)
    assert c.get("/admin/audit?from=2026年13月1日").status_code == 422


def test_no_form_uses_the_browsers_own_date_inputs():
    """type="date" / "datetime-local" show 12/04/2026 in an English browser: every form of the
    core and the built-in plugins uses a text input read by the server in both spellings."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = [f"{p.relative_to(root)}:{n}" for folder in ("portal/templates", "plugins")
             for p in sorted((root / folder).rglob("*.html"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if 'type="date"' in line or "datetime-local" in line]
    assert found == []


def test_plan_deadline_and_signup_closing_take_chinese_dates(site):
    from datetime import timedelta

    from portal.models import SignupWindow
    from portal.policy import SYSTEM
    from portal.services import plans, signup
    from portal.timeutil import current_school_year, to_local

    with site.app_context():
        window = db.session.execute(select(SignupWindow)).scalars().first()
        act = db.session.get(Activity, window.activity_id)
        school = db.session.get(School, act.school_id)
        year = current_school_year(school.timezone)
        last = plans.year_bounds(year)[1]
        assert plans.set_deadline(school, year, f"{last.year}年{last.month}月{last.day}日", by=SYSTEM) == last
        day = to_local(act.starts_at, school.timezone).date() - timedelta(days=1)
        signup.open_signup(act, window.capacity, f"{day.year}年{day.month}月{day.day}日 09:30", by=SYSTEM,
                           tz=school.timezone)
        closes = to_local(db.session.get(SignupWindow, act.id).closes_at, school.timezone)
        assert (closes.date(), closes.hour, closes.minute) == (day, 9, 30)


def test_a_birth_date_no_member_of_staff_can_have_is_refused_everywhere_it_is_written(site, as_user):
    """A birth date decides the retirement-age exemption: 1900-01-01 made a teacher exempt at
    once, and 2099-01-01 was accepted. Staff are 16 to 80 on the day they are added (the test
    clock: 2026-12-07), on the staff page, in the roster import and at the command line."""
    from portal.services import users

    assert users.birth_date_problem(date(1946, 12, 7), date(2026, 12, 7)) is None
    assert users.birth_date_problem(date(2010, 12, 7), date(2026, 12, 7)) is None
    assert users.birth_date_problem(date(1946, 12, 6), date(2026, 12, 7)) is not None
    assert users.birth_date_problem(date(2010, 12, 8), date(2026, 12, 7)) is not None
    assert users.birth_date_problem(date(2008, 2, 29), date(2024, 2, 29)) is None  # 16 on the 28th

    c = as_user("admin")
    with site.app_context():
        before = db.session.execute(select(func.count(User.id))).scalar_one()
    for born in ("1900-01-01", "2099-01-01", "2020-05-01"):
        r = c.post("/admin/staff", data={"username": f"born.{born[:4]}", "name": "年龄", "password": "password-123",
                                         "birth_date": born, "roles": ["teacher"]})
        assert r.status_code == 422, born
        assert "出生日期须在 1946-12-07 至 2010-12-07 之间" in r.get_data(as_text=True), born
    runner = site.test_cli_runner()
    out = runner.invoke(args=["user", "create", "born.cli", "--school", "DEMO", "--password", "password-123",
                              "--name", "命令行", "--role", "teacher", "--birth-date", "1900-01-01"])
    assert out.exit_code != 0 and "16 to 80 years old" in out.output, out.output
    with site.app_context():
        assert db.session.execute(select(func.count(User.id))).scalar_one() == before
