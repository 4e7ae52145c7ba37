"""Deadlines the district announces: the district admin's page and API (refusals change nothing,
only the district admin of the same district edits or withdraws), the dashboard and the homes
of the people concerned, notifications when announced and 7 and 1 days before (the real worker
and SMTP; a second run tells nobody twice), and all-day events in the calendar feeds."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import DeadlineAnnouncement
from portal.policy import Actor
from portal.services import (
    announcements,
    calendar_feeds,
    district_notices,
    districts,
    notifications,
    plans,
    tokens,
)
from portal.services import users as users_service
from portal.timeutil import current_school_year
from tests.reach.conftest import wait_for
from tests.reach.helpers import no_quiet_hours, notes, school, user
from tests.support.sessions import log_in


def _admin() -> Actor:
    return Actor.of(user("district").id, ["district_admin"])


def _district_id() -> int:
    return int(school().district_id)


def _count() -> int:
    db.session.commit()
    return int(db.session.execute(select(func.count(DeadlineAnnouncement.id))).scalar_one())


def _soon(days: int = 30) -> str:
    return (announcements.district_today() + timedelta(days=days)).isoformat()


def _bearer(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.issue(user(username)).token}"}


def test_the_district_admin_announces_on_the_page_and_the_schools_see_it(make_app):
    app = make_app(demo=True)
    with app.app_context():
        district = log_in(app.test_client(), user("district"))
        reviewer = log_in(app.test_client(), user("dreviewer"))
        admin = log_in(app.test_client(), user("admin"), school().id)
        teacher = log_in(app.test_client(), user("teacher1"), school().id)
        before = _count()
        for bad in ({"title": "", "due_on": _soon(), "audience": "all_staff"},
                    {"title": "学时汇总上报", "due_on": "2026-02-30", "audience": "all_staff"},
                    {"title": "学时汇总上报", "due_on": "2020-01-01", "audience": "all_staff"},
                    {"title": "学时汇总上报", "due_on": _soon(), "audience": "everyone"},
                    {"title": "x" * 201, "due_on": _soon(), "audience": "all_staff"}):
            r = district.post("/district/deadlines", data=bad)
            assert r.status_code == 422 and 'data-testid="deadline-error"' in r.get_data(as_text=True)
            assert "the deadline could not be saved" not in r.get_data(as_text=True)  # Chinese page
        assert _count() == before
        assert reviewer.post("/district/deadlines", data={"title": "x", "due_on": _soon(),
                                                          "audience": "all_staff"}).status_code == 403
        assert teacher.get("/district/deadlines").status_code == 403
        r = district.post("/district/deadlines", data={"title": "学时汇总上报", "due_on": _soon(), "note": "请各校按时报送",
                                                       "audience": "all_staff"})
        assert r.status_code == 303
        r = district.post("/district/deadlines", data={"title": "年度研修计划", "due_on": _soon(40),
                                                       "audience": "school_admins"})
        assert r.status_code == 303 and _count() == before + 2
        rows = announcements.of_district(_district_id())
        everyone, admins_only = rows[-2], rows[-1]
        gone = admins_only.id
        assert 'data-testid="district-deadlines"' in district.get("/district/dashboard").get_data(as_text=True)
        listing = reviewer.get("/district/deadlines").get_data(as_text=True)  # staff read, do not change
        assert f'data-testid="deadline-{everyone.id}"' in listing and 'data-testid="deadline-edit"' not in listing
        home = admin.get("/").get_data(as_text=True)
        assert f'district-deadline-{everyone.id}"' in home and f'district-deadline-{admins_only.id}"' in home
        home = teacher.get("/").get_data(as_text=True)
        assert f'district-deadline-{everyone.id}"' in home and f'district-deadline-{admins_only.id}"' not in home
        # change and withdraw: the district admin only
        assert reviewer.post(f"/district/deadlines/{everyone.id}/delete").status_code == 403
        r = district.post(f"/district/deadlines/{everyone.id}", data={"title": "学时汇总上报（延期）", "due_on": _soon(35),
                                                                      "audience": "all_staff"})
        assert r.status_code == 303
        db.session.expire_all()
        assert announcements.get(everyone.id, _district_id()).title == "学时汇总上报（延期）"
        assert district.post(f"/district/deadlines/{gone}/delete").status_code == 303
        assert _count() == before + 1
        assert district.post(f"/district/deadlines/{gone}/delete").status_code == 404
        # the homes were cached before the change: they show it at once, the withdrawn one gone
        home = teacher.get("/").get_data(as_text=True)
        assert "学时汇总上报（延期）" in home
        assert f'district-deadline-{gone}"' not in admin.get("/").get_data(as_text=True)


def test_the_api_announces_changes_and_withdraws_in_the_own_district_only(make_app):
    app = make_app(demo=True)
    with app.app_context():
        other = districts.create_district("OTHER9", "另一区")
        users_service.create_user("adm.other", "demo-password-1", "外区管理员", None, ["district_admin"],
                                  district_id=other.id)
        admin_h, reviewer_h, other_h = _bearer("district"), _bearer("dreviewer"), _bearer("adm.other")
        teacher_h = {**_bearer("teacher1"), "X-School": "DEMO"}
        db.session.commit()
        client = app.test_client()
        before = _count()
        body = {"title": "学时汇总上报", "due_on": _soon(), "note": "", "audience": "all_staff"}
        for bad in ({**body, "due_on": "2026-13-01"}, {**body, "due_on": "2020-01-01"}, {**body, "audience": "all"},
                    {**body, "title": " "}, {**body, "extra": 1}, {**body, "due_on": 20270101}):
            r = client.post("/api/v1/district/deadlines", json=bad, headers=admin_h)
            assert r.status_code == 422, (bad, r.get_json())
        assert client.post("/api/v1/district/deadlines", json=body, headers=reviewer_h).status_code == 403
        assert client.post("/api/v1/district/deadlines", json=body, headers=teacher_h).status_code == 403
        assert _count() == before
        r = client.post("/api/v1/district/deadlines", json=body, headers=admin_h)
        assert r.status_code == 201, r.get_json()
        made = r.get_json()
        assert made["due_on"] == body["due_on"] and made["audience"] == "all_staff"
        listed = client.get("/api/v1/district/deadlines", headers=reviewer_h).get_json()["items"]
        assert made["id"] in [i["id"] for i in listed]
        assert client.get("/api/v1/district/deadlines", headers=other_h).get_json()["items"] == []
        path = f"/api/v1/district/deadlines/{made['id']}"
        assert client.put(path, json={**body, "title": "外区"}, headers=other_h).status_code == 404
        assert client.delete(path, headers=other_h).status_code == 404
        assert client.delete(path, headers=reviewer_h).status_code == 403
        r = client.put(path, json={**body, "due_on": _soon(10)}, headers=admin_h)
        assert r.status_code == 200 and r.get_json()["due_on"] == _soon(10)
        assert client.delete(path, headers=admin_h).status_code == 204
        assert client.delete(path, headers=admin_h).status_code == 404
        assert _count() == before


def test_announced_deadlines_reach_people_by_app_and_email_and_remind_once(queued_app, smtp, worker):
    def _mails(address: str) -> list:  # the worker may run the hourly reminders meanwhile: only these
        return [m for m in smtp.inbox.to(address) if "寒假研修总结报送" in m.get_content()]

    no_quiet_hours()
    notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
    notifications.save_setting(user("admin").id, "admin@school.test", list(notifications.KINDS))
    due = announcements.district_today() + timedelta(days=23)  # not the demo's days
    row = announcements.announce(_district_id(), "寒假研修总结报送", due.isoformat(), "请各校按时报送", "all_staff",
                                 by=_admin())
    wait_for(lambda: _mails("t1@school.test") and _mails("admin@school.test"))
    [mail] = _mails("t1@school.test")
    assert due.isoformat() in mail.get_content()
    told = [n for n in notes("deadline_announced") if n.key.startswith(f"deadline:{row.id}:")]
    assert user("teacher1").id in {n.user_id for n in told} and user("district").id not in {n.user_id for n in told}
    assert district_notices.deadline_announced(row.id) == []  # the job again: nobody twice
    # seven days before (08:27 in Shanghai), once; the day before, once more
    week_before = datetime.combine(due - timedelta(days=7), datetime.min.time()) + timedelta(minutes=27)

    def reminded(now: datetime) -> list:  # this deadline's reminders (the demo's deadlines have their own)
        made = set(district_notices.remind_deadlines(now))
        return [n for n in notes("deadline_due") if n.id in made and n.key.startswith(f"deadline:{row.id}:")]

    assert {n.user_id for n in reminded(week_before)} == {n.user_id for n in told}
    assert reminded(week_before) == []
    assert reminded(week_before + timedelta(days=1)) == []  # 6 days: the 7-day one was sent
    last = reminded(week_before + timedelta(days=6))
    assert len(last) == len(told)
    [n_last] = [n for n in last if n.user_id == user("teacher1").id]
    assert n_last.params["days"] == 1 and "1" in str(notifications.text(n_last))
    wait_for(lambda: len(_mails("t1@school.test")) == 3)


def test_a_deadline_for_school_admins_is_not_sent_to_teachers(queued_app):
    row = announcements.announce(_district_id(), "年度研修计划", _soon(), "", "school_admins", by=_admin())
    made = district_notices.deadline_announced(row.id)
    told = {n.user_id for n in notes("deadline_announced") if n.id in made}
    assert district_notices.deadline_announced(row.id) == []
    assert told == {user("admin").id, user("deputy").id}  # the demo's two school admins (demo_declarations)


def _feed(client, scope: str) -> Calendar:
    import re
    from urllib.parse import urlsplit

    html = client.post("/calendar", data={"scope": scope}).get_data(as_text=True)
    path = urlsplit(re.search(r'value="([^"]+)" data-testid="feed-url"', html).group(1)).path
    return Calendar.from_ical(client.application.test_client().get(path).get_data())


def test_calendar_feeds_have_the_deadlines_as_all_day_events(make_app):
    app = make_app(demo=True)
    with app.app_context():
        demo = school()
        year = current_school_year(demo.timezone)
        everyone = announcements.announce(_district_id(), "学时汇总上报", _soon(), "请按时报送", "all_staff", by=_admin()).id
        admins = announcements.announce(_district_id(), "年度研修计划", _soon(40), "", "school_admins", by=_admin()).id
        teacher = log_in(app.test_client(), user("teacher1"), demo.id)
        admin = log_in(app.test_client(), user("admin"), demo.id)
        plan_due = plans.deadline(demo, year)
    mine = {str(e["UID"]).split("@")[0]: e for e in _feed(teacher, "me").walk("VEVENT")}
    assert f"deadline-{everyone}" in mine and f"deadline-{admins}" not in mine
    event = mine[f"deadline-{everyone}"]
    assert event.decoded("DTSTART") == date.fromisoformat(_soon_in(app, 30))
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(days=1)
    assert not isinstance(event.decoded("DTSTART"), datetime)  # all day
    assert str(event["SUMMARY"]).endswith("学时汇总上报") and str(event["TRANSP"]) == "TRANSPARENT"
    # teacher1's plan is signed off (the demo's): its deadline is no longer hers, as the reminders
    # skip it (plans.SENT); teacher2's was returned to her: still due
    assert plans.APPROVED == _plan_status(app, "teacher1") and f"plan-deadline-{demo.id}-{year}" not in mine
    assert plans.RETURNED == _plan_status(app, "teacher2")
    with app.app_context():
        returned = log_in(app.test_client(), user("teacher2"), demo.id)
    theirs = {str(e["UID"]).split("@")[0]: e for e in _feed(returned, "me").walk("VEVENT")}
    plan = theirs[f"plan-deadline-{demo.id}-{year}"]
    assert plan.decoded("DTSTART") == plan_due
    admin_feed = {str(e["UID"]).split("@")[0] for e in _feed(admin, "me").walk("VEVENT")}
    assert f"deadline-{admins}" in admin_feed and f"deadline-{everyone}" in admin_feed
    with app.app_context():
        from portal.services import school_plans

        plan_year = school_plans.next_year(demo.timezone)
    assert f"school-plan-deadline-{demo.id}-{plan_year}" in admin_feed  # the annual plan, for the school admin
    assert not any(uid.startswith("school-plan-deadline-") for uid in mine)  # not for a teacher
    school_feed = {str(e["UID"]).split("@")[0] for e in _feed(teacher, f"school:{demo.id}").walk("VEVENT")}
    assert f"plan-deadline-{demo.id}-{year}" not in school_feed and f"deadline-{everyone}" in school_feed
    theirs_too = {str(e["UID"]).split("@")[0] for e in _feed(returned, f"school:{demo.id}").walk("VEVENT")}
    assert f"plan-deadline-{demo.id}-{year}" in theirs_too
    assert f"deadline-{admins}" not in school_feed  # the subscriber is a teacher
    with app.app_context():  # a feed asked twice has the same UIDs (calendars update, not duplicate)
        again = Calendar.from_ical(calendar_feeds.build(user("teacher1"), None))
        assert {str(e["UID"]).split("@")[0] for e in again.walk("VEVENT")} == set(mine)


def _plan_status(app, username: str) -> str | None:
    with app.app_context():
        demo = school()
        plan = plans.plan_of(demo.id, user(username).id, current_school_year(demo.timezone))
        return None if plan is None else plan.status


def _soon_in(app, days: int) -> str:
    with app.app_context():
        return _soon(days)


def test_a_deadline_withdrawn_or_moved_while_its_email_waited_is_not_sent(queued_app, smtp):
    """The district announces a deadline at 23:00; the quiet hours hold the emails until 07:00.
    It withdraws one announcement and moves another before then. Before: both morning emails
    went out, one for a deadline that no longer was, one with the old day beside the new day's.
    Now neither stale one is sent; the new day's is."""
    from portal.services.delivery import deliver_now

    notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
    noon = datetime(2026, 12, 1, 4, 0)  # 12:00 in Shanghai
    kept = announcements.announce(_district_id(), "教研组工作总结", _soon(20), "", "all_staff", by=_admin())
    gone = announcements.announce(_district_id(), "撤回的通知", _soon(21), "", "all_staff", by=_admin())
    moved = announcements.announce(_district_id(), "改期的报送", _soon(22), "", "all_staff", by=_admin())
    made = {}
    for row in (kept, gone, moved):
        made[row.id] = district_notices.deadline_announced(row.id)
    mine = {n.params["announcement"]: n for n in notes("deadline_announced", "teacher1")
            if n.params.get("announcement") in made}
    announcements.remove(gone.id, by=_admin(), district_id=_district_id())
    announcements.update(moved.id, "改期的报送", _soon(25), "", "all_staff", by=_admin(), district_id=_district_id())
    assert deliver_now(mine[kept.id].id, noon) == ["email"]  # the control: a deadline that stands
    assert deliver_now(mine[gone.id].id, noon) == []
    assert deliver_now(mine[moved.id].id, noon) == []
    district_notices.deadline_announced(moved.id)  # the update's job: the new day
    [again] = [n for n in notes("deadline_announced", "teacher1")
               if n.params.get("announcement") == moved.id and n.params["date"] == _soon(25)]
    assert deliver_now(again.id, noon) == ["email"]
    subjects = [m["Subject"] for m in smtp.inbox.to("t1@school.test")]
    assert len(subjects) == 2 and not any("撤回的通知" in s for s in subjects)
    assert [s for s in subjects if "改期的报送" in s] and all(_soon(22) not in s for s in subjects)


def test_a_deadline_narrowed_to_school_admins_while_its_email_waited_goes_to_them_only(queued_app, smtp):
    """The district announces a deadline to all staff at 23:00, then narrows it to school admins
    before the quiet hours end. Before: the teacher's held email still went out in the morning,
    for a deadline no longer theirs (the check asked the day, not the audience)."""
    from portal.services.delivery import deliver_now

    teacher, admin = user("teacher1"), user("admin")
    notifications.save_setting(teacher.id, "t1@school.test", list(notifications.KINDS))
    notifications.save_setting(admin.id, "admin@school.test", list(notifications.KINDS))
    noon = datetime(2026, 12, 1, 4, 0)  # 12:00 in Shanghai
    row = announcements.announce(_district_id(), "校本培训台账自查", _soon(20), "", "all_staff", by=_admin())
    district_notices.deadline_announced(row.id)
    held = {who: next(n for n in notes("deadline_announced", who) if n.params.get("announcement") == row.id)
            for who in ("teacher1", "admin")}
    announcements.update(row.id, "校本培训台账自查", _soon(20), "", "school_admins", by=_admin(),
                         district_id=_district_id())
    assert deliver_now(held["teacher1"].id, noon) == []
    assert deliver_now(held["admin"].id, noon) == ["email"]
    assert smtp.inbox.to("t1@school.test") == [] and len(smtp.inbox.to("admin@school.test")) == 1


def test_a_deadline_moved_is_a_later_revision_in_the_calendar(make_app, time_machine):
    """A calendar that has an event keeps it unless the feed says it was revised (``SEQUENCE``):
    the district's announcement moved to another day kept revision 0, so a calendar could go
    on showing the old day. Each change is a later revision now."""
    from datetime import UTC

    app = make_app(demo=True)
    with app.app_context():
        row = announcements.announce(_district_id(), "学时汇总上报", _soon(), "", "all_staff", by=_admin())
        teacher = log_in(app.test_client(), user("teacher1"), school().id)
        uid = f"deadline-{row.id}"

        def event():
            return next(e for e in calendar_feeds_events(teacher) if str(e["UID"]).split("@")[0] == uid)

        first = event()
        assert int(first["SEQUENCE"]) == 0
        time_machine.move_to(datetime.now(UTC) + timedelta(minutes=5))
        announcements.update(row.id, "学时汇总上报", _soon(35), "", "all_staff", by=_admin(), district_id=_district_id())
        moved = event()
        assert moved.decoded("DTSTART") == date.fromisoformat(_soon(35)) and int(moved["SEQUENCE"]) >= 300
        time_machine.move_to(datetime.now(UTC) + timedelta(minutes=1))
        announcements.update(row.id, "学时汇总上报", _soon(30), "改回原来的日期", "all_staff", by=_admin(),
                             district_id=_district_id())
        assert int(event()["SEQUENCE"]) > int(moved["SEQUENCE"])


def calendar_feeds_events(client) -> list:
    return list(_feed(client, "me").walk("VEVENT"))


def test_a_deadline_moved_and_moved_back_is_told_again(queued_app):
    """Announced for one day, moved to another, moved back: everyone was told the second day
    last, and the first day's notice was not written again (its key was taken), so they kept
    the wrong day. Told again now; the job run twice tells nobody twice."""
    first, second = _soon(20), _soon(27)
    row = announcements.announce(_district_id(), "往返改期的报送", first, "", "all_staff", by=_admin())
    told = district_notices.deadline_announced(row.id)
    assert told and district_notices.deadline_announced(row.id) == []
    for day in (second, first):
        announcements.update(row.id, "往返改期的报送", day, "", "all_staff", by=_admin(), district_id=_district_id())
        made = district_notices.deadline_announced(row.id)
        assert len(made) == len(told) and district_notices.deadline_announced(row.id) == []
    said = [n.params["date"] for n in notes("deadline_announced", "teacher1") if n.params.get("announcement") == row.id]
    assert said == [first, second, first]
    announcements.update(row.id, "往返改期的报送", first, "请各校按时报送", "all_staff", by=_admin(),
                         district_id=_district_id())
    assert district_notices.deadline_announced(row.id) == []  # the note changed, not the day


def test_each_change_of_a_deadline_is_a_later_revision_even_within_one_second(make_app, time_machine):
    """The revision was the whole seconds from announcing to the last change: a deadline moved
    twice within a second, or moved and moved back, or changed within its first second, kept the
    revision its calendars had, so they kept the old day. Each change is a later revision now."""
    from datetime import UTC

    app = make_app(demo=True)
    with app.app_context():
        time_machine.move_to(datetime.now(UTC), tick=False)  # every change below in the same instant
        row = announcements.announce(_district_id(), "学时汇总上报", _soon(), "", "all_staff", by=_admin())
        teacher = log_in(app.test_client(), user("teacher1"), school().id)

        def sequence() -> int:
            [event] = [e for e in calendar_feeds_events(teacher) if str(e["UID"]).split("@")[0] == f"deadline-{row.id}"]
            return int(event["SEQUENCE"])

        seen = [sequence()]
        for day in (_soon(35), _soon(30), _soon(35)):
            announcements.update(row.id, "学时汇总上报", day, "", "all_staff", by=_admin(), district_id=_district_id())
            seen.append(sequence())
        assert seen == sorted(set(seen)) and len(seen) == 4  # each later than the one before
