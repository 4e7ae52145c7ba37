"""No one attends two things at once (``services.overlaps``): the hours a teacher is recorded
attending in activities whose times overlap — school activities and their own declarations
alike — fit the time those cover together. Attack: two lectures of 14:00–17:00 on one afternoon
and a declared online course of the same hours each credited the same teacher 3 hours (9 hours
of one afternoon); the demo itself credited a teacher in five activities of one afternoon."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Participation
from portal.services import activities
from tests.credits.helpers import DETAILS as TYPE_DETAILS
from tests.plugins.test_declared_hours import declare, past_start, s1, staff  # noqa: F401
from tests.support import factories as f

AFTERNOON = datetime(2026, 10, 15, 14, 0)  # 14:00–17:00: at most 4 hours (180 minutes over 45)


def _lecture(school, crew, people, title, start=AFTERNOON, hours="3"):
    return f.plan(school, crew["organizer"], "lecture", people, TYPE_DETAILS["lecture"], hours=hours, start=start,
                  title=title)


def _attended(act, user) -> object:
    db.session.expire_all()
    return db.session.execute(select(Participation.attended_hours).where(
        Participation.activity_id == act.id, Participation.user_id == user.id)).scalar_one()


def _refused(call) -> dict:
    with pytest.raises(Invalid) as err:
        call()
    return err.value.fields


def test_two_lectures_of_one_afternoon_give_no_more_than_the_afternoon(s1, staff):  # noqa: F811
    t1, t2, org = staff["t1"], staff["t2"], staff["organizer"]
    first = _lecture(s1, staff, [(t1, "attendee"), (t2, "attendee")], "讲座甲")
    second = _lecture(s1, staff, [(t2, "attendee"), (t1, "attendee")], "讲座乙")
    f.attend(first, org, {t1.id: "3", t2.id: "1"})
    fields = _refused(lambda: f.attend(second, org, {t1.id: "3", t2.id: "3"}))
    # t1's row is named, with what is left of the afternoon; t2's (1 + 3 hours) fits
    rows = [p.user_id for p, _u in activities.participants_with_users(second.id)]  # the rows f.attend sent
    assert set(fields["attendance"]) == {str(rows.index(t1.id))}
    said = fields["attendance"][str(rows.index(t1.id))]["attended_hours"]
    assert said.code == "attendance.overlap" and dict(said.params) == {"title": "讲座甲", "n": "1", "most": "4"}
    assert _attended(second, t1) is None and _attended(second, t2) is None  # nothing written
    f.attend(second, org, {t1.id: "1", t2.id: "3"})  # 3 + 1 and 1 + 3: the afternoon's 4 hours
    assert _attended(second, t1) == 1 and _attended(second, t2) == 3


def test_what_does_not_overlap_is_left_alone(s1, staff):  # noqa: F811
    """The next afternoon, a cancelled activity's attendance, and a week-long declared course
    holding an afternoon's lecture: each is taken."""
    t1, org = staff["t1"], staff["organizer"]
    first = _lecture(s1, staff, [(t1, "attendee")], "讲座甲")
    f.attend(first, org)
    f.attend(_lecture(s1, staff, [(t1, "attendee")], "讲座丙", start=AFTERNOON + timedelta(days=1)), org)
    dropped = _lecture(s1, staff, [(t1, "attendee")], "讲座乙", start=AFTERNOON + timedelta(days=2))
    f.attend(dropped, org)
    f.fire(dropped, org, "cancel", "活动取消")
    f.attend(_lecture(s1, staff, [(t1, "attendee")], "讲座丁", start=AFTERNOON + timedelta(days=2)), org)
    inside = _lecture(s1, staff, [(t1, "attendee")], "周中讲座", start=past_start(9) + timedelta(hours=14))
    f.attend(inside, org)
    week = declare(s1, t1, hours="20", start=past_start(12), days=7, title="暑期网络研修周")  # holds it too
    assert _attended(week, t1) == 20 and _attended(inside, t1) == 3


def test_a_declaration_and_a_lecture_at_once_fit_the_time_together(s1, staff):  # noqa: F811
    """A declaration's hours are its declarer's attendance: refused beside a lecture they are
    recorded attending at the same time, and a lecture's attendance beside a declaration."""
    t1, t2, org = staff["t1"], staff["t2"], staff["organizer"]
    day = past_start(5)  # a declaration of 00:00–08:00: at most 11 hours (480 minutes over 45)
    lecture = _lecture(s1, staff, [(t1, "attendee"), (t2, "attendee")], "晚间讲座", start=day + timedelta(hours=1),
                       hours="4")
    f.attend(lecture, org)  # 4 hours each, 01:00–04:00
    fields = _refused(lambda: declare(s1, t1, hours="8", start=day, title="网络研修"))
    assert fields["hours"].code == "declared.overlap_attended" and dict(fields["hours"].params)["n"] == "7"
    declare(s1, t1, hours="7", start=day, title="网络研修")  # 7 + 4: the 11 hours the night holds
    declare(s1, t2, hours="7", start=day, title="网络研修")
    other = _lecture(s1, staff, [(t2, "attendee")], "又一讲座", start=day + timedelta(hours=2), hours="3")
    fields = _refused(lambda: f.attend(other, org))
    assert fields["attendance"]["0"]["attended_hours"].code == "attendance.overlap"
    assert _attended(other, t2) is None


def test_a_reviewers_raise_is_no_way_round_it(s1, staff):  # noqa: F811
    """The organizer records the teacher present 0 hours (nothing missed) in the second lecture of
    the afternoon and the reviewer raises them to 3 "by the sign-in sheet": a raise says they
    were there, and they are recorded elsewhere at that time, so no raise past their recorded
    attendance is taken (the record goes back to the organizer, whose correction is asked the
    same question); lowering stays the reviewer's."""
    t1, t2, org, rev = staff["t1"], staff["t2"], staff["organizer"], staff["reviewer"]
    first = _lecture(s1, staff, [(t1, "attendee")], "讲座甲")
    f.attend(first, org)
    second = _lecture(s1, staff, [(t1, "attendee"), (t2, "attendee")], "讲座乙")
    f.attend(second, org, {t1.id: "0"})
    f.fire(second, org, "hold")
    for raise_to in ("3", "1"):
        fields = _refused(lambda raise_to=raise_to: f.fire(second, rev, "approve", "按签到表补记",
                                                           hours={t1.id: raise_to}))
        said = fields["hours"][str(t1.id)]
        assert said.code == "hours.at_most" and dict(said.params)["n"] == "0"
    f.fire(second, rev, "approve", "材料不全，酌减", hours={t2.id: "2"})  # t2 was nowhere else: lowered
    db.session.expire_all()
    assert db.session.execute(select(Participation.adjusted_hours).where(
        Participation.activity_id == second.id, Participation.user_id == t2.id)).scalar_one() == 2


def test_a_speakers_raise_is_no_way_round_it_either(s1, staff):  # noqa: F811
    """Third attack: 2 hours in one lecture, 1 as the speaker of another at the same time, and the
    reviewer raised the speaker to 3 credited hours (within ×2 of the hour left); the record then
    held 5 hours of a 4-hour afternoon. Recorded elsewhere at that time: no raise."""
    t2, org, rev = staff["t2"], staff["organizer"], staff["reviewer"]
    listen = _lecture(s1, staff, [(t2, "attendee")], "听讲")
    f.attend(listen, org, {t2.id: "2"})
    speak = _lecture(s1, staff, [(t2, "speaker"), (staff["t3"], "attendee")], "主讲")
    f.attend(speak, org, {t2.id: "1"})
    f.fire(speak, org, "hold")
    said = _refused(lambda: f.fire(speak, rev, "approve", "补记", hours={t2.id: "3"}))["hours"][str(t2.id)]
    assert dict(said.params)["n"] == "2"  # 1 hour spoken, counted twice: what the record gives


def _span(school, crew, people, title, start, end, hours):
    return activities.plan_activity(
        school, crew["organizer"], "lecture", title, start.isoformat(timespec="minutes"),
        end.isoformat(timespec="minutes"), hours, [{"user_id": u.id, "role": r} for u, r in people],
        TYPE_DETAILS["lecture"])


def test_a_long_day_around_the_evening_makes_no_room_in_it(s1, staff):  # noqa: F811
    """Second attack: a day-long activity (08:00–22:00, half an hour) stretched "the time they
    cover together" to 14 hours, and four lectures of 18:00–21:00 were each recorded 4 hours: 16
    hours of one evening. Every stretch holding the new activity is asked, not only the span of
    those overlapping it."""
    t1, org = staff["t1"], staff["organizer"]
    day = AFTERNOON.replace(hour=8)
    f.attend(_span(s1, staff, [(t1, "attendee")], "全天活动", day, day.replace(hour=22), "0.5"), org)
    first = _span(s1, staff, [(t1, "attendee")], "晚间讲座一", day.replace(hour=18), day.replace(hour=21), "4")
    f.attend(first, org)
    second = _span(s1, staff, [(t1, "attendee")], "晚间讲座二", day.replace(hour=18), day.replace(hour=21), "4")
    fields = _refused(lambda: f.attend(second, org))
    said = fields["attendance"]["0"]["attended_hours"]
    assert said.code == "attendance.overlap" and dict(said.params) == {"title": "晚间讲座一", "n": "0", "most": "4"}


def test_a_chain_of_overlapping_activities_fits_the_time_it_takes_up(s1, staff):  # noqa: F811
    """Second attack: 09–12, 11–14 and 13–16, each asked only beside its neighbour, took 4 + 3 +
    4 = 11 hours of a 09:00–16:00 that holds 9.5."""
    t1, org = staff["t1"], staff["organizer"]
    day = AFTERNOON.replace(hour=9)
    chain = [_span(s1, staff, [(t1, "attendee")], f"连环{i}", day.replace(hour=9 + 2 * i),
                   day.replace(hour=12 + 2 * i), "4") for i in range(3)]
    f.attend(chain[0], org)
    assert dict(_refused(lambda: f.attend(chain[1], org))["attendance"]["0"]["attended_hours"].params)["n"] == "3"
    f.attend(chain[1], org, {t1.id: "3"})
    said = _refused(lambda: f.attend(chain[2], org))["attendance"]["0"]["attended_hours"]
    assert dict(said.params) == {"title": "连环0", "n": "2.5", "most": "9.5"}
    f.attend(chain[2], org, {t1.id: "2.5"})


def test_a_raise_counts_as_being_there_for_what_comes_after(s1, staff):  # noqa: F811
    """Second attack: attendance recorded 0 and a reviewer's raise to the full hours; the raise
    was then invisible to the next attendance record of the same afternoon."""
    t1, t2, org, rev = staff["t1"], staff["t2"], staff["organizer"], staff["reviewer"]
    first = _lecture(s1, staff, [(t1, "attendee"), (t2, "attendee")], "讲座甲")
    f.attend(first, org, {t1.id: "0"})
    f.fire(first, org, "hold")
    f.fire(first, rev, "approve", "按签到表补记", hours={t1.id: "3"})
    second = _lecture(s1, staff, [(t1, "attendee")], "讲座乙")
    said = _refused(lambda: f.attend(second, org))["attendance"]["0"]["attended_hours"]
    assert dict(said.params) == {"title": "讲座甲", "n": "1", "most": "4"}


def test_a_long_activity_reads_both_its_ends(s1, staff):  # noqa: F811
    """Attack: a 9-day activity holding 287 of its 288 hours, then an hour at its first day and
    an hour at its last. Each end was asked only beside the week around it, so the last day's
    hour did not see the first day's: 289 hours in 288. An activity read that reaches past the
    week around the new one widens what is read to its own span."""
    t1, org = staff["t1"], staff["organizer"]
    start = AFTERNOON.replace(hour=0) - timedelta(days=20)
    end = start + timedelta(days=9)  # 12,960 minutes: at most 288 hours
    f.attend(_span(s1, staff, [(t1, "attendee")], "九日研修", start, end, "287"), org)
    f.attend(_span(s1, staff, [(t1, "attendee")], "开班讲座", start, start + timedelta(hours=3), "1"), org)
    last = _span(s1, staff, [(t1, "attendee")], "结业讲座", end - timedelta(hours=3), end, "1")
    said = _refused(lambda: f.attend(last, org))["attendance"]["0"]["attended_hours"]
    assert said.code == "attendance.overlap" and dict(said.params) == {"title": "九日研修", "n": "0", "most": "288"}
    assert _attended(last, t1) is None
