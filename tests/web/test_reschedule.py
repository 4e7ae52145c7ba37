"""Moving a planned activity to another time (``activities.reschedule``): its participants and
history stay; the new times are checked as planning checks them; the move is written whole — the
times, a history entry with the old and new times, the notice to the people taking part, the
version a calendar feed shows as its SEQUENCE — or, refused, nothing at all. The page offers it
to whoever may organise the activity while it is not yet held; the API takes it too.

The test clock is 2026-12-07 10:00 in Shanghai (``tests/support/clock``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from portal import jobs
from portal.errors import Conflict, Forbidden, Invalid
from portal.extensions import db
from portal.messages import tr
from portal.models import (
    Activity,
    CheckIn,
    Notification,
    OutboxJob,
    Participation,
    School,
    TransitionLog,
    YearLock,
    YearSubmission,
)
from portal.services import access, activities, calendar_feeds, checkin, notifications, reminders, staff
from portal.testing import log_in
from portal.timeutil import parse_iso
from tests.api.conftest import login as api_login
from tests.support import factories
from tests.support.factories import PASSWORD
from tests.support.prepared import prepared_by
from tests.support.texts import prose
from workflows.definition import RESCHEDULE

ZONE = "Asia/Shanghai"
START, END = "2026-12-15T14:00", "2026-12-15T17:00"  # a Tuesday afternoon, in the school's time
NEW_START, NEW_END = "2026-12-17T09:00", "2026-12-17T12:00"  # that Thursday morning


def utc(text: str) -> datetime:
    return parse_iso(text, ZONE)


def _build_place() -> dict[str, Any]:
    """School S1 running lectures, its staff (named) and a second organizer (built once per test
    process; each test gets a copy): their ids."""
    names = {k: factories.TEACHER_NAMES[k] for k in ("t1", "t2")}
    return factories.place_ids(factories.lecture_school_with_two_organizers(names))


prepared = prepared_by(_build_place)


@pytest.fixture
def place(app, make_app, prepared) -> dict[str, Any]:
    return factories.place_of(make_app.facts(prepared))


def _plan(p: dict[str, Any], start: str = START, end: str = END, hours: str = "3", title: str = "课堂观察") -> Activity:
    return activities.plan_activity(
        p["school"], p["organizer"], "lecture", title, start, end, hours,
        [{"user_id": p["t1"].id, "role": "attendee"}, {"user_id": p["t2"].id, "role": "attendee"}],
        {"topic": "课堂观察的方法"},
    )


def _rows(act_id: int) -> tuple:
    """Everything a move writes, to compare before and after a refusal."""
    db.session.expire_all()
    act = db.session.get(Activity, act_id)
    counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                   for model in (Activity, TransitionLog, Notification, OutboxJob, Participation))
    return (act.starts_at, act.ends_at, act.school_year, act.semester, act.version, act.updated_at, act.state) + counts


def _event(feed: bytes, act_id: int) -> dict[str, str]:
    """The VEVENT of the activity in a feed: its properties by name (unfolded)."""
    text = feed.decode().replace("\r\n ", "")
    for block in text.split("BEGIN:VEVENT")[1:]:
        lines = dict(line.split(":", 1) for line in block.split("\r\n") if ":" in line)
        props = {k.split(";")[0]: v for k, v in lines.items()}
        if props.get("UID", "").startswith(f"activity-{act_id}@"):
            return props
    raise AssertionError("no event of the activity in the feed")


def _refused(exc_type: type, act: Activity, who: Any, start: Any, end: Any) -> Any:
    before = _rows(act.id)
    with pytest.raises(exc_type) as caught:
        activities.reschedule(act, who, start, end)
    db.session.rollback()
    assert _rows(act.id) == before  # nothing written
    return caught.value


# -- the move ---------------------------------------------------------------------------------


def test_a_move_writes_the_times_history_notice_and_feed_sequence(app, place):
    act = _plan(place)
    act_id = act.id
    feed_before = _event(calendar_feeds.build(place["t1"], place["school"]), act_id)
    # the "tomorrow" reminder of the old start went out the evening before it
    evening_before_old = utc("2026-12-14T20:00")
    assert len(reminders.remind_tomorrow(evening_before_old)) == 3  # two participants and the organizer
    [told_old] = [n for n in db.session.scalars(select(Notification).where(Notification.kind == "tomorrow",
                                                                            Notification.user_id == place["t1"].id))]
    assert notifications.still_stands(told_old)
    db.session.commit()

    activities.reschedule(act, place["organizer"], NEW_START, NEW_END)
    db.session.expire_all()
    act = db.session.get(Activity, act_id)
    assert (act.starts_at, act.ends_at) == (utc(NEW_START), utc(NEW_END))
    assert (act.school_year, act.semester) == ("2026-2027", 1)
    assert {p.user_id for p in db.session.scalars(select(Participation).where(Participation.activity_id == act_id))} \
        == {place["t1"].id, place["t2"].id}  # the participants stay
    # the history: the old and the new times, the state as it was
    [log] = db.session.scalars(select(TransitionLog).where(TransitionLog.activity_id == act_id))
    assert (log.trigger, log.from_state, log.to_state, log.actor_id) == (RESCHEDULE, act.state, act.state,
                                                                         place["organizer"].id)
    assert activities.moved(log) == (utc(START), utc(END), utc(NEW_START), utc(NEW_END))
    # the notice, queued with the change: to the participants, not to who moved it; once
    assert "notifications.rescheduled" in [t.name for t in jobs.queue(app).huey.pending()]
    written = reminders.rescheduled(log.id)
    assert len(written) == 2 and reminders.rescheduled(log.id) == []
    notes = {n.user_id: n for n in db.session.scalars(select(Notification).where(Notification.kind == "rescheduled"))}
    assert set(notes) == {place["t1"].id, place["t2"].id}
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        said = tr(notifications.text(notes[place["t1"].id]))
    assert said == "课堂观察已改期：改为 2026-12-17 09:00 至 2026-12-17 12:00（原定 2026-12-15 14:00）"
    assert notifications.still_stands(notes[place["t1"].id])
    # the old start's reminder is no longer true (not sent), and none is written for it again
    assert not notifications.still_stands(db.session.get(Notification, told_old.id))
    assert reminders.remind_tomorrow(evening_before_old + timedelta(hours=1)) == []
    assert len(reminders.remind_tomorrow(utc("2026-12-16T20:00"))) == 3  # the new start's, the evening before it
    # the calendar: the new time, a higher SEQUENCE so calendar apps update the event
    feed_after = _event(calendar_feeds.build(place["t1"], place["school"]), act_id)
    assert feed_after["DTSTART"] == "20261217T090000" and feed_before["DTSTART"] == "20261215T140000"
    assert int(feed_after["SEQUENCE"]) > int(feed_before["SEQUENCE"])
    # check-in opens and closes around the new start
    opens, closes = checkin.window_times(act, place["school"])
    assert opens < utc(NEW_START) < closes and closes < utc(NEW_START) + timedelta(hours=2)


def test_a_school_admin_may_move_it_and_a_start_in_the_past_is_taken(app, place):
    """Held a day early: the organizer puts it on the day it was held (then records attendance),
    as planning it anew for that day would have allowed."""
    act = _plan(place)
    activities.reschedule(act, place["admin"], "2026-12-04T14:00", "2026-12-04T17:00")
    db.session.expire_all()
    act = db.session.get(Activity, act.id)
    assert act.starts_at == utc("2026-12-04T14:00") and activities.has_started(act)
    factories.attend(act, place["organizer"])  # now it can be recorded, as for any activity of that day


# -- refusals, each writing nothing -------------------------------------------------------------


def test_only_who_may_organise_it_moves_it(app, place):
    act = _plan(place)
    for who in (place["t1"], place["org2"], place["reviewer"]):
        exc = _refused(Forbidden, act, who, NEW_START, NEW_END)
        assert exc.msg.code == "policy.organise"


def test_an_organiser_who_lost_the_role_is_told_so_and_moves_nothing(app, place):
    """The refusal every other step gives a demoted organiser (``policy.organiser_no_more``: a
    school admin can hand it over), not the stranger's; nothing written."""
    act = _plan(place)
    staff.set_roles(place["school"], place["organizer"].id, ["teacher"],
                    by=access.actor(place["admin"].id, place["school"].id))
    exc = _refused(Forbidden, act, place["organizer"], NEW_START, NEW_END)
    assert exc.msg.code == "policy.organiser_no_more"


def test_another_schools_activity_is_not_theirs_to_move(app, place):
    other = factories.school("S2", types=("lecture",))
    admin2 = factories.person(other, "adm2", "school_admin")
    db.session.commit()
    act = _plan(place)
    _refused(Forbidden, act, admin2, NEW_START, NEW_END)
    api = api_login(app.test_client(), "adm2", PASSWORD)
    r = api.post(f"/api/v1/activities/{act.id}/reschedule", json={"starts_at": NEW_START, "ends_at": NEW_END},
                 headers={"X-School": "S2"})
    assert r.status_code == 404
    page = log_in(app.test_client(), admin2, other.id).post(f"/activities/{act.id}/reschedule",
                                                             data={"starts_at": NEW_START, "ends_at": NEW_END})
    assert page.status_code == 404
    assert _rows(act.id)[0] == utc(START)


def test_a_held_or_cancelled_activity_stays_where_it_was(app, place):
    held = _plan(place, "2026-12-01T14:00", "2026-12-01T17:00")
    factories.fire(held, place["organizer"], "hold")
    exc = _refused(Conflict, held, place["organizer"], NEW_START, NEW_END)
    assert exc.msg.code == "reschedule.not_movable"
    cancelled = _plan(place, title="另一次观察", start="2026-12-20T14:00", end="2026-12-20T17:00")
    factories.fire(cancelled, place["organizer"], "cancel", "活动取消")
    assert _refused(Conflict, cancelled, place["organizer"], NEW_START, NEW_END).msg.code == "reschedule.not_movable"


@pytest.mark.parametrize("recorded", ["attendance", "excused", "evidence", "checkin"])
def test_nothing_recorded_for_its_time_may_be_moved_away_from_it(app, place, recorded):
    act = _plan(place, "2026-12-01T14:00", "2026-12-01T17:00")
    if recorded == "attendance":
        factories.attend(act, place["organizer"])
    elif recorded == "excused":  # only hours missed, none attended: still recorded for that day
        factories.attend(act, place["organizer"], hours={place["t1"].id: "0", place["t2"].id: "0"},
                         excused={place["t1"].id: "3"})
    elif recorded == "evidence":
        activities.add_evidence(act, place["t1"], None, "reflection", "反思", text=prose(300, "reschedule"))
    else:
        db.session.add(CheckIn(activity_id=act.id, user_id=place["t1"].id, checked_in_at=utc("2026-12-01T13:55")))
        db.session.commit()
    exc = _refused(Conflict, act, place["organizer"], NEW_START, NEW_END)
    code = {"attendance": "attendance_recorded", "excused": "attendance_recorded", "evidence": "evidence_recorded",
            "checkin": "checked_in"}[recorded]
    assert exc.msg.code == f"reschedule.{code}"


@pytest.mark.parametrize(("start", "end", "field", "code"), [
    (NEW_END, NEW_START, "ends_at", "plan.end_before_start"),
    ("2026-12-17T09:00", "2026-12-17T10:00", "ends_at", "reschedule.too_short"),  # 3 hours need 135 minutes
    ("2027-01-30T09:00", "2027-02-02T12:00", "ends_at", "plan.other_semester"),
    (START, END, "starts_at", "reschedule.same_time"),
    ("下周四", NEW_END, "starts_at", "time.not_iso"),
    ("2027-02-30T09:00", NEW_END, "starts_at", "time.no_such_day"),
    (None, NEW_END, "starts_at", "time.expected"),
    (12345, [1], "starts_at", "time.expected"),
    ("9999-12-31T09:00", NEW_END, "starts_at", "time.year_range"),
])
def test_times_planning_refuses_are_refused(app, place, start, end, field, code):
    act = _plan(place)
    exc = _refused(Invalid, act, place["organizer"], start, end)
    assert exc.msg.code == "reschedule.refused"
    assert exc.fields[field].code == code


def test_a_period_the_district_accepted_is_neither_left_nor_entered(app, place):
    act = _plan(place)
    school = db.session.get(School, place["school"].id)
    sub = YearSubmission(district_id=school.district_id, school_id=school.id, school_year="2026-2027", semester=2,
                         status="accepted", submitted_by=place["admin"].id)
    db.session.add(sub)
    db.session.flush()
    db.session.add(YearLock(school_id=school.id, school_year="2026-2027", semester=2, submission_id=sub.id,
                            locked_by=place["admin"].id))
    db.session.commit()
    exc = _refused(Invalid, act, place["organizer"], "2027-03-10T14:00", "2027-03-10T17:00")
    assert exc.fields["starts_at"].code == "year.locked"
    # and one of the accepted semester stays in it
    db.session.execute(YearLock.__table__.update().values(semester=1))
    db.session.commit()
    assert _refused(Conflict, act, place["organizer"], NEW_START, NEW_END).msg.code == "year.locked"


def test_a_participant_recorded_elsewhere_at_the_new_time_is_named(app, place):
    other = activities.plan_activity(place["school"], place["org2"], "lecture", "教研沙龙", "2026-12-03T14:00",
                                     "2026-12-03T17:00", "3", [{"user_id": place["t1"].id, "role": "attendee"}],
                                     {"topic": "教研沙龙"})
    factories.attend(other, place["org2"])
    act = _plan(place)
    exc = _refused(Invalid, act, place["organizer"], "2026-12-03T14:00", "2026-12-03T17:00")
    assert exc.fields["starts_at"].code == "reschedule.overlap"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        said = tr(exc.fields["starts_at"])
    assert "张伟" in said and "艾静" not in said and "教研沙龙" in said
    # an evening nobody is recorded in is free
    activities.reschedule(act, place["organizer"], "2026-12-03T18:00", "2026-12-03T21:00")


# -- the page and the API ----------------------------------------------------------------------


def test_the_page_offers_the_move_to_who_may_make_it_and_shows_it_in_the_timeline(app, place):
    act = _plan(place)
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    page = org.get(f"/activities/{act.id}").get_data(as_text=True)
    assert 'data-testid="reschedule-form"' in page and 'value="2026-12-15 14:00"' in page
    teacher = log_in(app.test_client(), place["t1"], place["school"].id)
    assert 'data-testid="reschedule-form"' not in teacher.get(f"/activities/{act.id}").get_data(as_text=True)
    r = teacher.post(f"/activities/{act.id}/reschedule", data={"starts_at": "2026-12-17 09:00", "ends_at": "2026-12-17 12:00"})
    assert r.status_code == 403
    # a refusal in place, in Chinese, the form open with what was typed
    r = org.post(f"/activities/{act.id}/reschedule", data={"starts_at": "2026年12月17日 12:00", "ends_at": "2026-12-17 09:00"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "不能早于开始时间" in html and "活动未能改期" in html
    assert re.search(r'data-testid="reschedule"\s+open', html)
    assert "must not be before" not in html
    r = org.post(f"/activities/{act.id}/reschedule", data={"starts_at": "2026年12月17日 9:00", "ends_at": "2026-12-17 12:00"})
    assert r.status_code == 302
    html = org.get(f"/activities/{act.id}").get_data(as_text=True)
    assert "活动已改期" in html and "改期" in html
    assert "由 2026-12-15 14:00 改为 2026-12-17 09:00" in html
    assert "2026-12-17 09:00–12:00" in html  # one day, named once


def test_the_api_moves_it_and_refuses_as_it_refuses_elsewhere(app, place):
    act = _plan(place)
    api = api_login(app.test_client(), "org", PASSWORD)
    path = f"/api/v1/activities/{act.id}/reschedule"
    r = api.post(path, json={"starts_at": NEW_END, "ends_at": NEW_START}, headers={"X-School": "S1"})
    assert r.status_code == 422 and "ends_at" in r.get_json()["fields"]
    r = api.post(path, json={"starts_at": "tomorrow", "ends_at": NEW_END}, headers={"X-School": "S1"})
    assert r.status_code == 422 and "starts_at" in r.get_json()["fields"]
    r = api.post(path, json={"starts_at": NEW_START, "ends_at": NEW_END}, headers={"X-School": "S1"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["starts_at"].startswith("2026-12-17")
    history = api.get(f"/api/v1/activities/{act.id}/history", headers={"X-School": "S1"}).get_json()
    assert [h["trigger"] for h in history] == [RESCHEDULE]
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "post" in doc["paths"]["/api/v1/activities/{activity_id}/reschedule"]
    teacher = api_login(app.test_client(), "t1", PASSWORD)
    assert teacher.post(path, json={"starts_at": START, "ends_at": END}, headers={"X-School": "S1"}).status_code == 403
