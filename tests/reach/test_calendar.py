"""Calendar feeds: a person's and a school's activities as iCalendar (parsed back with the
``icalendar`` library), in the school's time zone, behind a secret URL that can be replaced
(the old one stops), and that stops when its owner leaves the school."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from portal.extensions import db
from portal.hours import fmt
from portal.models import Activity, DevelopmentPlan, Membership
from portal.services import calendar_feeds as feeds
from portal.services import plans
from portal.timeutil import utcnow
from tests.reach.helpers import school, user
from tests.support.sessions import forged_host, log_in


def _make(client, scope: str) -> str:
    r = client.post("/calendar", data={"scope": scope})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    html = r.get_data(as_text=True)
    found = re.search(r'value="([^"]+)" data-testid="feed-url"', html)
    assert found, html[:2000]
    return urlsplit(found.group(1)).path


def _parse(client, path: str) -> Calendar:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(r.get_data())


def _activities(cal: Calendar) -> list:
    """The feed's activities (deadlines are all-day events of their own: tests/reach/test_deadlines.py)."""
    return [e for e in cal.walk("VEVENT") if str(e["UID"]).startswith("activity-")]


def _window():
    """The feed's oldest start: activities before it (the demo's talks of the school year before
    the last, ``demo_year.CLOSED_YEAR``) have left it."""
    return utcnow() - timedelta(days=feeds.HISTORY_DAYS)


def test_a_teachers_feed_has_their_activities_in_the_schools_time_zone(make_app):
    app = make_app(demo=True)
    with app.app_context():
        teacher = user("teacher1")
        client = log_in(app.test_client(), teacher, school().id)
        theirs = db.session.execute(select(Activity).where(Activity.id.in_(
            select(Activity.id).join(Activity.participations).where(Activity.participations.any(user_id=teacher.id))
        ), Activity.starts_at >= _window())).scalars().all()  # not the demo's talks of a year long over
        titles = {a.title: a for a in theirs}
    path = _make(client, "me")
    anonymous = app.test_client()  # a calendar app: no session
    cal = _parse(anonymous, path)
    events = _activities(cal)
    assert {str(e["SUMMARY"]) for e in events} == set(titles)
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    one = events[0]
    start = one.decoded("DTSTART")
    act = titles[str(one["SUMMARY"])]
    assert start.tzinfo is not None and start.utcoffset() == timedelta(hours=8)
    assert start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) == act.starts_at
    assert str(one["UID"]).startswith(f"activity-{act.id}@")
    for e in events:  # the hours as every page writes them (3, 1.5), not as stored (3.0)
        assert f" · 活动共 {fmt(titles[str(e['SUMMARY'])].hours)} 学时" in str(e["DESCRIPTION"])
        assert ".0 学时" not in str(e["DESCRIPTION"])
    cancelled = [e for e in events if str(e["STATUS"]) == "CANCELLED"]
    assert len(cancelled) == 5  # the demo's cancelled activity of each type stays, marked cancelled


def test_the_school_feed_has_every_activity_and_replacing_the_address_stops_the_old_one(make_app):
    app = make_app(demo=True)
    with app.app_context():
        client = log_in(app.test_client(), user("teacher5"), school().id)
        total = db.session.execute(select(Activity.id).where(Activity.starts_at >= _window())).scalars().all()
    first = _make(client, f"school:{_school_id(app)}")
    assert len(_activities(_parse(app.test_client(), first))) == len(total)
    page = client.get("/calendar").get_data(as_text=True)
    assert 'data-testid="feed-exists"' in page and first not in page  # shown once only
    second = _make(client, f"school:{_school_id(app)}")
    assert second != first
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
    mine = _make(client, "me")  # the personal feed is a separate address
    # hers alone: the check-in demo lecture, the one whose sign-up list she is on (confirmed), the
    # maths group's session at its hour (the demo's clash) and the talk she waits for a seat at
    # (tentative); not the one held while she was away (demo_year), which is not hers (``stints``)
    events = _activities(_parse(app.test_client(), mine))
    assert sorted(str(e["STATUS"]) for e in events) == ["CONFIRMED"] * 3 + ["TENTATIVE"]


def test_the_feed_address_is_on_the_public_address_whatever_the_host_header(make_app):
    """The address a person copies into their calendar app is built from ``PUBLIC_URL``."""
    app = make_app(demo=True, PUBLIC_URL="https://yanxiu.example.edu.cn")
    with app.app_context():
        client = log_in(app.test_client(), user("teacher1"), school().id)
    r = client.post("/calendar", data={"scope": "me"}, headers=forged_host(client, "evil.example"))
    assert r.status_code == 200, r.status_code
    found = re.search(r'value="([^"]+)" data-testid="feed-url"', r.get_data(as_text=True))
    assert found
    assert found.group(1).startswith("https://yanxiu.example.edu.cn/calendar/"), found.group(1)
    assert found.group(1).endswith(".ics")


def _school_id(app) -> int:
    with app.app_context():
        return school().id


def test_guessed_foreign_or_bad_feed_urls_are_not_found(make_app):
    app = make_app(demo=True)
    with app.app_context():
        teacher = log_in(app.test_client(), user("teacher1"), school().id)
    for bad in ("/calendar/short.ics", "/calendar/" + "A" * 32 + ".ics", "/calendar/%00%00.ics",
                "/calendar/" + "a" * 200 + ".ics", "/calendar/..%2Fetc.ics"):
        assert app.test_client().get(bad).status_code in (400, 404), bad  # NUL: refused by the input guard
    assert teacher.post("/calendar", data={"scope": "school:999999"}).status_code == 422  # not their school
    assert teacher.post("/calendar", data={"scope": "everyone"}).status_code == 422
    with app.app_context():
        assert feeds.feeds_of(user("teacher1").id) == {}


def test_a_feed_stops_when_its_owner_leaves_the_school(make_app):
    app = make_app(demo=True)
    with app.app_context():
        teacher = user("teacher2")
        client = log_in(app.test_client(), teacher, school().id)
    path = _make(client, f"school:{_school_id(app)}")
    assert app.test_client().get(path).status_code == 200
    with app.app_context():
        db.session.execute(update(Membership).where(Membership.user_id == user("teacher2").id).values(active=False))
        db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_a_personal_feed_drops_the_activities_of_a_school_its_owner_left(make_app):
    """A teacher who leaves the school no longer opens its activities in the portal (404): their
    personal feed stops showing them too — not the school's later changes to titles, places
    and times, nor new activities that still name them."""
    app = make_app(demo=True)
    with app.app_context():
        client = log_in(app.test_client(), user("teacher1"), school().id)
    path = _make(client, "me")
    assert _activities(_parse(app.test_client(), path))
    with app.app_context():
        db.session.execute(update(Membership).where(Membership.user_id == user("teacher1").id).values(active=False))
        db.session.commit()
    assert _activities(_parse(app.test_client(), path)) == []


def test_the_feed_speaks_the_language_chosen_in_the_settings(make_app):
    """A calendar app has no session: the feed's words follow the language the person chose for
    what reaches them outside the portal (their email settings), Chinese until they choose."""
    from portal.models import User

    app = make_app(demo=True)
    with app.app_context():
        teacher = user("teacher1")
        # her plan, signed off in the demo, is returned to her: its deadline is in the feed again
        # (a sent plan's is not: plans.SENT)
        db.session.execute(update(DevelopmentPlan).where(DevelopmentPlan.user_id == teacher.id)
                           .values(status=plans.RETURNED))
        db.session.commit()
        client = log_in(app.test_client(), teacher, school().id)
    path = _make(client, "me")
    anonymous = app.test_client()
    chinese = _parse(anonymous, path)
    assert str(chinese["X-WR-CALNAME"]).endswith(" · 研修活动")
    assert all(" 学时" in str(e["DESCRIPTION"]) for e in _activities(chinese))
    assert any(str(e["SUMMARY"]) == "个人发展计划截止" for e in chinese.walk("VEVENT"))

    bad = client.post("/notifications/settings", data={"email": "t1@school.cn", "language": "fr"})
    assert bad.status_code == 422 and 'data-testid="error-language"' in bad.get_data(as_text=True)
    with app.app_context():  # all or nothing: the address was not saved either
        assert db.session.get(User, teacher.id).locale is None
        from portal.services import notifications
        assert notifications.setting(teacher.id).email == ""
    ok = client.post("/notifications/settings", data={"email": "t1@school.cn", "language": "en"})
    assert ok.status_code == 302
    english = _parse(anonymous, path)
    assert str(english["X-WR-CALNAME"]).endswith(" · training activities")
    for e in _activities(english):
        assert re.search(r" · an activity of [\d.]+ hours$", str(e["DESCRIPTION"]).splitlines()[0]), e["DESCRIPTION"]
        assert "学时" not in str(e["DESCRIPTION"]) and "讲座" not in str(e["DESCRIPTION"])
    assert any(str(e["SUMMARY"]) == "Personal development plan due" for e in english.walk("VEVENT"))
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert re.search(r'<option selected value="en">|<option value="en" selected>', page), page[-3000:]


# Every line break Python's str.splitlines() knows besides CR and LF, and C0/C1 controls:
# RFC 5545 allows none of them in a TEXT value (HTAB alone), and a reader that splits lines
# on them reads what follows as properties of its own.
_BREAKS_AND_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def test_a_title_or_place_cannot_write_lines_of_its_own_into_the_feed(make_app):
    """Attack: an organiser plans an activity whose title carries NEL (U+0085), a line or
    paragraph separator, a vertical tab or a file separator between forged lines ("END:VEVENT",
    "BEGIN:VEVENT" …), and a place with a bare CR and other controls. The icalendar library
    escapes CR and LF but wrote the others as they were: the school feed every colleague
    subscribes to was no valid iCalendar, and a reader splitting lines on them found an event
    the school never planned. Now the feed holds no control character and no line break but
    its CRLF line ends; the words stay, a break in a one-line value read as a space."""
    app = make_app(demo=True)
    with app.app_context():
        from portal.services import activities

        organizer, demo = user("organizer"), school()
        start = db.session.execute(select(Activity.starts_at).order_by(Activity.starts_at.desc())).scalars().first()
        forged = "\x85END:VEVENT\u2028BEGIN:VEVENT\u2029UID:forged@evil\x0bSUMMARY:假活动\x1cDTSTART:20270101T000000Z"
        act = activities.plan_activity(
            demo, organizer, "lecture", "课堂提问" + forged, start + timedelta(days=1),
            start + timedelta(days=1, hours=2), "2", [{"user_id": user("teacher1").id, "role": "attendee"}],
            {"topic": "提问"}, location="报告厅\r二楼\x1d\x7f\x9f;东,侧",
        )
        act_id = act.id
        client = log_in(app.test_client(), user("teacher5"), demo.id)
    path = _make(client, f"school:{_school_id(app)}")
    body = app.test_client().get(path).get_data(as_text=True)
    assert body.endswith("\r\n")
    lines = body[:-2].split("\r\n")
    assert body.splitlines() == lines  # no line break but the CRLF line ends
    bad = [line for line in lines if _BREAKS_AND_CONTROLS.search(line)]
    assert bad == [], bad
    events = _activities(Calendar.from_ical(body.encode()))
    assert not any("forged" in str(e["UID"]) for e in events)
    ours = next(e for e in events if str(e["UID"]).startswith(f"activity-{act_id}@"))
    assert str(ours["SUMMARY"]) == ("课堂提问 END:VEVENT BEGIN:VEVENT UID:forged@evil SUMMARY:假活动 "
                                    "DTSTART:20270101T000000Z")
    assert str(ours["LOCATION"]) == "报告厅 二楼 ;东,侧"  # ; and , escaped by the library, read back


def test_the_service_gives_a_school_feed_only_to_staff_of_that_school(make_app):
    """``regenerate`` asks the policy about the school its scope names (it took the caller's
    actor of their current school): the admin of DEMO asking for another school's feed is
    refused and nothing is stored."""
    from portal.errors import Invalid
    from portal.services import schools

    app = make_app(demo=True)
    with app.app_context():
        admin, other = user("admin"), schools.create_school("CAL2", "日历第二小学")
        db.session.commit()
        for scope in (feeds.school_scope(other.id), "school:999999"):
            with pytest.raises(Invalid):
                feeds.regenerate(admin, scope)
        assert feeds.feeds_of(admin.id) == {}
        assert feeds.regenerate(admin, feeds.school_scope(school().id))  # their own school's
        assert set(feeds.feeds_of(admin.id)) == {feeds.school_scope(school().id)}


def test_a_new_password_or_leaving_the_school_stops_every_feed_address_for_good(make_app):
    """Attack: a feed address is a credential of its own, opened without a login. One who had
    a teacher's password (or the teacher's phone) made feed addresses — the school's every
    activity, the teacher's own — and kept reading them after the teacher changed the password
    or the admin gave a new one: the password change stopped sessions and API tokens but no
    feed. Nor did leaving the school: given a role again later, the old school feed address
    worked again. A new password and a deactivation now end every feed address of the person,
    as they end API tokens; a new address is made on the calendar page."""
    from portal.services import access, staff, users

    app = make_app(demo=True)
    with app.app_context():
        demo = school()
        t1 = log_in(app.test_client(), user("teacher1"), demo.id)
        t2 = log_in(app.test_client(), user("teacher2"), demo.id)
    paths = {who: [_make(c, "me"), _make(c, f"school:{_school_id(app)}")] for who, c in (("teacher1", t1), ("teacher2", t2))}
    assert all(app.test_client().get(p).status_code == 200 for ps in paths.values() for p in ps)
    with app.app_context():
        users.set_password(user("teacher1"), "a-New-passw0rd-2026")  # the teacher's own change
        staff.reset_password(school(), user("teacher2").id, by=access.actor(user("admin").id, school().id))
        db.session.commit()
        assert feeds.feeds_of(user("teacher1").id) == {} and feeds.feeds_of(user("teacher2").id) == {}
    for p in paths["teacher1"] + paths["teacher2"]:
        assert app.test_client().get(p).status_code == 404, p

    with app.app_context():
        t3 = log_in(app.test_client(), user("teacher3"), school().id)
    old = _make(t3, f"school:{_school_id(app)}")
    with app.app_context():
        demo, by = school(), access.actor(user("admin").id, school().id)
        staff.deactivate(demo, user("teacher3").id, by=by)
        staff.set_roles(demo, user("teacher3").id, ["teacher"], by=by)  # back at the school later
        db.session.commit()
    assert app.test_client().get(old).status_code == 404


def test_a_cancelled_activity_stays_as_cancelled_with_a_later_sequence(make_app, time_machine):
    """A calendar replaces an event only for a later ``SEQUENCE``: the cancellation must be one
    (and a second change in the same instant, another), never a tie with what it had."""
    from datetime import UTC, datetime

    from portal.services import transitions
    from tests.reach.helpers import activity
    from workflows.definition import Phase

    app = make_app(demo=True)
    with app.app_context():
        time_machine.move_to(datetime.now(UTC), tick=False)  # everything below in the same instant
        act = activity("lecture", Phase.OPEN)
        client = log_in(app.test_client(), user("teacher1"), school().id)
        path = _make(client, f"school:{school().id}")

        def event():
            [found] = [e for e in _activities(_parse(app.test_client(), path))
                       if str(e["UID"]).startswith(f"activity-{act.id}@")]
            return found

        before = event()
        assert str(before["STATUS"]) == "CONFIRMED"
        transitions.fire(act.id, school().id, user("organizer"), "cancel", "主讲人临时出差")
        after = event()
    assert str(after["STATUS"]) == "CANCELLED" and int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("DTSTART") == before.decoded("DTSTART")  # the same event, in the school's zone
    assert after.decoded("DTSTART").utcoffset() == timedelta(hours=8)


def test_a_personal_feed_has_what_they_signed_up_for_a_waiting_place_tentative(make_app):
    """A teacher who signed up for a talk and holds a seat (teacher4, moved up from the waiting
    list) did not find it in the phone calendar they subscribed to: the feed had only the
    activities they were already on the list of. Now a seat is in it as any activity of theirs,
    a place on the waiting list tentative (候补中), a withdrawn sign-up (teacher1's) not at all;
    once the list is confirmed, the seats are its participants and whoever still waits has no
    place."""
    from portal.demo_year import SEATS, WAITING, WITHDRAWS, signup_title
    from portal.services import access, signup

    app = make_app(demo=True)
    feeds_of = {}
    with app.app_context():
        for username in (SEATS[-1], WAITING[0], WITHDRAWS):
            feeds_of[username] = _make(log_in(app.test_client(), user(username), school().id), "me")
        act = db.session.execute(select(Activity).where(Activity.title == signup_title())).scalar_one()
        act_id = act.id

    def event(username: str):
        found = [e for e in _activities(_parse(app.test_client(), feeds_of[username]))
                 if str(e["UID"]).startswith(f"activity-{act_id}@")]
        assert len(found) <= 1
        return found[0] if found else None

    seat, waits, withdrew = event(SEATS[-1]), event(WAITING[0]), event(WITHDRAWS)
    assert seat is not None and str(seat["STATUS"]) == "CONFIRMED" and "候补" not in str(seat["DESCRIPTION"])
    assert waits is not None and str(waits["STATUS"]) == "TENTATIVE"
    assert str(waits["DESCRIPTION"]).startswith("候补中\n专题讲座 · 活动共 2 学时")
    assert withdrew is None
    with app.app_context():
        act = db.session.get(Activity, act_id)
        organizer = user("organizer")
        signup.confirm(act, by=access.actor(organizer.id, school().id))
    seat = event(SEATS[-1])
    assert seat is not None and str(seat["STATUS"]) == "CONFIRMED"  # a participant now
    assert event(WAITING[0]) is None


@pytest.mark.parametrize(("address", "warned"), [
    ("http://127.0.0.1:5000", True),
    ("http://localhost:8000/yanxiu", True),
    ("https://yanxiu.example.edu.cn", False),
])
def test_the_feed_page_says_when_its_address_leads_to_this_computer_only(make_app, address, warned):
    """A feed address is shown once and copied into a phone's calendar: on the default public
    address (this computer) the phone opens nothing, and the teacher learned it only from an
    empty calendar. The page says so before the address is made — to a teacher in their words
    (whom to ask, not the setting or this computer's address), to the school admin with the setting."""
    app = make_app(demo=True, PUBLIC_URL=address)
    with app.app_context():
        teacher = log_in(app.test_client(), user("teacher1"), school().id)
        admin = log_in(app.test_client(), user("admin"), school().id)
    page = teacher.get("/calendar?lang=zh_Hans_CN").get_data(as_text=True)
    assert ('data-testid="feed-local-address"' in page) is warned
    if warned:
        assert "请先联系学校管理员" in page
        assert "YANXIU_PUBLIC_URL" not in page and address not in page
    said = admin.get("/calendar?lang=en").get_data(as_text=True)
    assert ('data-testid="feed-local-address"' in said) is warned
    if warned:
        assert address in said and "YANXIU_PUBLIC_URL" in said and "this computer only" in said
