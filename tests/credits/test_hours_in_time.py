"""Hours fit the time an activity took, and are credited once all of it has taken place.

Holes found from outside: a 1-minute lecture planned at 999.5 hours (and credited), a lecture
running to July credited in full on its first evening, its hours all in the semester it began;
an exemption for 2099; a binary file renamed ``.txt`` kept as text evidence.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from portal.errors import Conflict, Invalid
from portal.extensions import db
from portal.hours import most_hours_between
from portal.models import Activity, CreditEntry, Evidence, Exemption, Participation, TransitionLog
from portal.services import activities, exemptions, tokens, transitions
from portal.timeutil import to_local, utcnow
from tests.credits.helpers import DETAILS, D, login, prepare_approve, prepare_hold
from tests.support import factories as f


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _plan(s1, staff, start: datetime, end: datetime, hours: str) -> Activity:
    return activities.plan_activity(
        s1, staff["organizer"], "lecture", "时长之内", start.isoformat(timespec="minutes"),
        end.isoformat(timespec="minutes"), hours, [{"user_id": staff["t1"].id, "role": "attendee"}],
        DETAILS["lecture"],
    )


# -- hours fit the activity's length ---------------------------------------------------------


@pytest.mark.parametrize(("minutes", "most"), [(0, "0"), (1, "0.5"), (45, "1"), (46, "1.5"), (90, "2"),
                                               (120, "3"), (180, "4"), (60 * 24 * 60, "999.5")])
def test_the_most_hours_are_the_length_in_45_minute_lessons_rounded_up_to_a_half(minutes, most):
    start = datetime(2026, 10, 15, 6, 0)
    assert most_hours_between(start, start + timedelta(minutes=minutes)) == D(most)


def test_a_one_minute_lecture_of_999_5_hours_is_refused_and_nothing_is_written(s1, staff):
    start = datetime(2026, 10, 15, 14, 0)
    before = _count(Activity)
    with pytest.raises(Invalid) as err:
        _plan(s1, staff, start, start + timedelta(minutes=1), "999.5")
    assert err.value.fields["hours"].english == (
        "at most 0.5 hours: the activity lasts 0 h 1 min, and an hour of training is at least a 45-minute lesson")
    db.session.rollback()
    assert _count(Activity) == before


def test_hours_up_to_the_length_are_planned_and_one_half_more_is_refused(s1, staff):
    start = datetime(2026, 10, 15, 14, 0)
    act = _plan(s1, staff, start, start + timedelta(minutes=90), "2")  # two 45-minute lessons
    assert act.hours == D("2")
    with pytest.raises(Invalid) as err:
        _plan(s1, staff, start, start + timedelta(minutes=90), "2.5")
    assert "at most 2 hours" in err.value.fields["hours"].english


def test_the_page_and_the_api_refuse_hours_longer_than_the_activity(app, s1, staff):
    org = staff["organizer"]
    before = _count(Activity)
    client = login(app.test_client(), org)
    r = client.post("/activities/new/lecture", data={
        "title": "一分钟讲座", "starts_at": "2026-10-15T14:00", "ends_at": "2026-10-15T14:01", "hours": "999.5",
        "details-topic": "时长", f"role-{staff['t1'].id}": "attendee",
    })
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "至多 0.5 学时：活动时长 0 小时 1 分钟，每学时至少为一节 45 分钟的课" in html
    token = tokens.issue(org).token
    r = app.test_client().post("/api/v1/activities", headers={"Authorization": f"Bearer {token}"}, json={
        "type": "lecture", "title": "一分钟讲座", "starts_at": "2026-10-15T14:00", "ends_at": "2026-10-15T14:01",
        "hours": 999.5, "participants": [{"user_id": staff["t1"].id, "role": "attendee"}],
        "details": DETAILS["lecture"],
    })
    assert r.status_code == 422
    assert r.get_json()["fields"]["hours"].startswith("at most 0.5 hours: the activity lasts 0 h 1 min")
    assert _count(Activity) == before


# -- an activity lies in one semester ----------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "last_day"), [
    (datetime(2027, 1, 20, 9, 0), datetime(2027, 2, 20, 9, 0), "2027-01-31"),  # into semester 2
    (datetime(2027, 6, 1, 9, 0), datetime(2027, 9, 2, 9, 0), "2027-08-31"),  # into the next year
])
def test_an_activity_ending_in_another_semester_is_refused(s1, staff, start, end, last_day):
    with pytest.raises(Invalid) as err:
        _plan(s1, staff, start, end, "2")
    assert err.value.fields["ends_at"].english.endswith(f"ends on {last_day}")
    assert "hours" not in err.value.fields
    if last_day == "2027-01-31":  # the semester and the year in words, as every page writes them
        assert "2026—2027学年第一学期于 2027-01-31 结束" in err.value.fields["ends_at"].render("zh_Hans_CN")


def test_an_activity_of_several_weeks_in_one_semester_is_planned(s1, staff):
    act = _plan(s1, staff, datetime(2026, 9, 7, 9, 0), datetime(2027, 1, 29, 17, 0), "40")
    assert (act.school_year, act.semester, act.hours) == ("2026-2027", 1, D("40"))


# -- credits wait for the end -------------------------------------------------------------------


@pytest.fixture
def running(s1, staff):
    """A lecture that began an hour ago and ends in two (by the test clock), approved."""
    org, t1 = staff["organizer"], staff["t1"]
    start = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
    local = to_local(start, s1.timezone).replace(tzinfo=None)
    act = activities.plan_activity(
        s1, org, "lecture", "进行中的讲座", local.isoformat(timespec="minutes"),
        (local + timedelta(hours=3)).isoformat(timespec="minutes"), "3", [{"user_id": t1.id, "role": "attendee"}],
        DETAILS["lecture"],
    )
    prepare_hold(act, org, [(t1, "attendee")])
    f.attend(act, org)
    f.fire(act, org, "hold")
    prepare_approve(act, org, [(t1, "attendee")])
    f.fire(act, staff["reviewer"], "approve", "材料齐全")
    return act


def test_credit_is_refused_before_the_end_with_the_local_end_and_nothing_changes(app, s1, staff, running):
    act, rev = running, staff["reviewer"]
    end = to_local(act.ends_at, s1.timezone).strftime("%Y-%m-%d %H:%M")
    logs = _count(TransitionLog)
    assert "credit" not in transitions.allowed_triggers(act, rev.id)
    with pytest.raises(Conflict) as err:
        f.fire(act, rev, "credit")
    assert err.value.message == (
        f"the activity has not ended yet: Post credits once it ends, at {end} (school time)")
    db.session.rollback()
    assert db.session.get(Activity, act.id).state == "reviewed"
    assert _count(TransitionLog) == logs and _count(CreditEntry) == 0
    token = tokens.issue(rev).token
    r = app.test_client().post(f"/api/v1/activities/{act.id}/transitions", json={"trigger": "credit"},
                               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 409 and r.get_json()["ends_at"] == end
    html = login(app.test_client(), rev).post(f"/review/{act.id}", data={"action": "credit"},
                                              follow_redirects=True).get_data(as_text=True)
    assert f"活动尚未结束：须待其结束（学校时间 {end}）后才能认定学时" in html
    assert _count(CreditEntry) == 0


def test_credit_is_offered_and_posted_once_the_activity_has_ended(s1, staff, running, time_machine):
    act, rev = running, staff["reviewer"]
    time_machine.move_to(act.ends_at.replace(tzinfo=UTC) + timedelta(minutes=1))
    assert "credit" in transitions.allowed_triggers(act, rev.id)
    f.fire(act, rev, "credit")
    assert db.session.scalar(select(CreditEntry.hours).where(CreditEntry.activity_id == act.id)) == D("3")


def test_only_the_trigger_that_posts_credits_and_the_steps_a_type_declares_wait_for_the_end(app):
    from portal.registry import registry

    for key in registry().keys():
        definition = registry().definition(key)
        declared = ["hold"] if key == "mentorship" else []  # held once its term is over
        assert [t.trigger for t in definition.transitions if definition.waits_for_end(t)] == [*declared, "credit"], key


# -- exemptions and text evidence ----------------------------------------------------------------


@pytest.mark.parametrize("year", ["2028-2029", "2099-2100"])
def test_an_exemption_after_the_next_school_year_is_refused(s1, staff, year):
    with pytest.raises(Invalid) as err:
        exemptions.set_exemption(s1, staff["admin"], staff["t1"].id, year, "临近退休")
    assert err.value.fields["year"].english == "at the latest the 2027–2028 school year, the next one"
    db.session.rollback()
    assert _count(Exemption) == 0


def test_an_exemption_for_the_next_school_year_is_kept(s1, staff):
    row = exemptions.set_exemption(s1, staff["admin"], staff["t1"].id, "2027-2028", "临近退休")
    assert row.school_year == "2027-2028"


def test_a_text_file_holding_a_nul_byte_is_refused_as_not_text(s1, staff):
    act = f.plan(s1, staff["organizer"], "lecture", [(staff["t1"], "attendee")], DETAILS["lecture"], hours="2")
    before = _count(Evidence)
    with pytest.raises(Invalid) as err:
        activities.add_evidence(act, staff["t1"], staff["t1"].id, "reflection", "反思",
                                filename="notes.txt", data="反思\x00正文".encode())
    assert err.value.fields["file"].english == "this is not a real .txt file"
    db.session.rollback()
    assert _count(Evidence) == before


def test_hours_a_speaker_would_be_credited_beyond_any_record_are_refused_at_planning(app, s1, staff):
    """Attack: 600 hours over 20 days with a speaker (× 2) planned fine, then every approval
    failed as "the plugin lecture failed". Planning now names the role and what fits."""
    start = datetime(2026, 11, 2, 0, 0)
    before = _count(Activity)
    with pytest.raises(Invalid) as err:
        _plan(s1, staff, start, start + timedelta(days=20), "600")
    with app.test_request_context():  # the role's label in the message's language
        english = err.value.fields["hours"].english
    assert english == (
        "at most 499.5 hours: the role Speaker would be credited more than 999.5 hours, the most a record holds")
    db.session.rollback()
    assert _count(Activity) == before
    assert _plan(s1, staff, start, start + timedelta(days=20), "499.5").hours == D("499.5")


def test_the_activity_page_and_the_queue_say_when_credits_can_be_posted(app, s1, staff, running, time_machine):
    act, rev = running, staff["reviewer"]
    end = to_local(act.ends_at, s1.timezone).strftime("%Y-%m-%d %H:%M")
    client = login(app.test_client(), rev)
    page = client.get(f"/activities/{act.id}").get_data(as_text=True)
    assert f"活动结束（{end}）后可认定学时。" in page and 'data-testid="trigger-credit"' not in page
    queue = client.get("/review").get_data(as_text=True)
    assert f'data-testid="after-end-{act.id}"' in queue and f'data-testid="credit-{act.id}"' not in queue
    assert f"活动结束（{end}）后可认定学时。" in queue
    english = client.get(f"/activities/{act.id}?lang=en").get_data(as_text=True)
    assert f"Post credits once the activity has ended ({end})." in english
    time_machine.move_to(act.ends_at.replace(tzinfo=UTC) + timedelta(minutes=1))
    page = client.get(f"/activities/{act.id}").get_data(as_text=True)
    assert 'data-testid="after-end"' not in page and 'data-testid="trigger-credit"' in page
    queue = client.get("/review").get_data(as_text=True)
    assert f'data-testid="after-end-{act.id}"' not in queue and f'data-testid="credit-{act.id}"' in queue


def test_a_type_whose_multiplier_is_no_number_is_planned_and_answers_for_it_when_credited(
        app, s1, staff, monkeypatch):
    """The planning check reads the plugin's ``role_multipliers`` outside its boundary: a value
    that is no number must not fail the plan (no server error); the credit rule, asked inside
    the boundary, reports it with the plugin's name as before."""
    from portal.registry import registry

    lecture = registry().get("lecture").type
    monkeypatch.setattr(lecture, "role_multipliers", {**lecture.role_multipliers, "attendee": "一倍"})
    start = datetime(2026, 10, 15, 14, 0)
    act = _plan(s1, staff, start, start + timedelta(hours=3), "3")
    assert act.hours == D("3")
    org, t1 = staff["organizer"], staff["t1"]
    prepare_hold(act, org, [(t1, "attendee")])
    f.attend(act, org)
    f.fire(act, org, "hold")
    prepare_approve(act, org, [(t1, "attendee")])
    with pytest.raises(Conflict) as err:
        f.fire(act, staff["reviewer"], "approve", "材料齐全")
    # the type named to the reader, as for any answer of its rule that is no number (the plugin in the log)
    assert "the plugin of activity type 'Lecture' failed" in err.value.message


# -- a multiplier raised after planning ------------------------------------------------------


def _lecture_of(s1, staff, hours: str) -> Activity:
    start = datetime(2026, 11, 2, 0, 0)  # 20 days: up to 640 hours fit the length
    return _plan(s1, staff, start, start + timedelta(days=20), hours)


def _speaker_multiplier(s1) -> object:
    from portal.services import schools

    return schools.type_settings(s1.id, "lecture")["speaker_multiplier"]


def test_a_multiplier_that_would_credit_a_standing_activity_past_a_record_is_refused(app, s1, staff):
    """Attack: planning refuses 600 hours with a speaker at × 2, but a school admin raising the
    multiplier afterwards took a planned 400-hour lecture's speaker to 1,200 hours; every approval
    then failed as "the plugin lecture failed". The settings are refused, naming the activity."""
    from portal.policy import SYSTEM
    from portal.services import schools

    act = _lecture_of(s1, staff, "400")
    with pytest.raises(Invalid) as err:
        schools.set_type(s1, "lecture", settings={"speaker_multiplier": 2.5}, by=SYSTEM)  # 1,000 hours
    with app.test_request_context():
        english = err.value.fields["settings.speaker_multiplier"].english
    assert english == ("“时长之内” still to be credited has 400 hours: with these settings the role Speaker would be "
                       "credited more than 999.5 hours, the most a record holds")
    db.session.rollback()
    assert _speaker_multiplier(s1) == 2  # nothing written
    schools.set_type(s1, "lecture", settings={"speaker_multiplier": 2.4}, by=SYSTEM)  # 960 hours fit
    assert _speaker_multiplier(s1) == 2.4
    f.fire(act, staff["organizer"], "cancel", "改期")  # no longer to be credited: it no longer holds the setting back
    schools.set_type(s1, "lecture", settings={"speaker_multiplier": 3}, by=SYSTEM)
    assert _speaker_multiplier(s1) == 3


def test_a_standing_activity_already_past_a_record_does_not_block_other_settings_or_lowering(app, s1, staff):
    """An activity planned before the check (written directly here) keeps its speaker past the
    limit at × 2: the admin may still change another setting, and lower the multiplier to mend it."""
    from portal.policy import SYSTEM
    from portal.services import schools

    act = _lecture_of(s1, staff, "400")
    act.hours = D("600")
    db.session.commit()
    schools.set_type(s1, "lecture", settings={"attendee_reflection": True}, by=SYSTEM)
    assert schools.type_settings(s1.id, "lecture")["attendee_reflection"] is True
    schools.set_type(s1, "lecture", settings={"speaker_multiplier": 1.5}, by=SYSTEM)  # 900 hours: mended
    assert _speaker_multiplier(s1) == 1.5
    with pytest.raises(Invalid) as err:
        schools.set_type(s1, "lecture", settings={"speaker_multiplier": 2}, by=SYSTEM)  # past again: refused
    assert "settings.speaker_multiplier" in err.value.fields


def test_the_settings_page_and_the_api_refuse_a_multiplier_past_a_record(app, s1, staff):
    _lecture_of(s1, staff, "400")
    client = login(app.test_client(), staff["admin"])
    r = client.post("/admin/types/lecture", data={"enabled": "y", "setting-speaker_multiplier": "3"})
    assert r.status_code == 422
    assert ("尚待认定学时的「时长之内」计划 400 学时：按此设置，主讲人认定的学时将超过单项记录上限 999.5 学时"
            in r.get_data(as_text=True))
    token = tokens.issue(staff["admin"]).token
    r = app.test_client().put("/api/v1/activity-types/lecture", headers={"Authorization": f"Bearer {token}"},
                              json={"settings": {"speaker_multiplier": 3}})
    assert r.status_code == 422
    assert r.get_json()["fields"]["settings.speaker_multiplier"].startswith("“时长之内” still to be credited has 400 hours")
    assert _speaker_multiplier(s1) == 2


# -- the operator's check of activities planned before the bounds ------------------------------


def _check_hours(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["credits", "check-hours"])
    return result.exit_code, result.output


def test_the_check_lists_stored_activities_outside_the_bounds_and_writes_nothing(app, s1, staff):
    """Activities planned before the bounds (written directly here, as an older version stored
    them) are listed with what planning would say today; a cancelled one is not."""
    assert _check_hours(app) == (0, "0 activities outside today's bounds on hours\n"
                                    "0 attendance records of people at two activities at once\n")
    start = datetime(2026, 11, 2, 6, 0)
    long_hours = _plan(s1, staff, start, start + timedelta(hours=3), "4")
    next_term = _plan(s1, staff, start, start + timedelta(hours=3), "4")
    speaker = _lecture_of(s1, staff, "400")
    cancelled = _plan(s1, staff, start, start + timedelta(hours=3), "4")
    f.fire(cancelled, staff["organizer"], "cancel", "改期")
    fine = _plan(s1, staff, start, start + timedelta(hours=3), "4")
    long_hours.hours = cancelled.hours = D("10")
    next_term.ends_at = datetime(2027, 3, 1, 6, 0)
    speaker.hours = D("600")
    db.session.commit()
    versions = {a.id: a.version for a in (long_hours, next_term, speaker, cancelled, fine)}
    code, out = _check_hours(app)
    assert code == 1
    assert out.splitlines() == [
        f"S1 activity {long_hours.id} '时长之内' (planned, 10 hours)",
        "  hours: at most 4 hours: the activity lasts 3 h 0 min, and an hour of training is at least a 45-minute lesson",
        f"S1 activity {next_term.id} '时长之内' (planned, 4 hours)",
        "  ends_at: must be in the same semester as the start: the first semester of the 2026–2027 school year ends "
        "on 2027-01-31",
        f"S1 activity {speaker.id} '时长之内' (planned, 600 hours)",
        "  hours: at most 499.5 hours: the role Speaker would be credited more than 999.5 hours, the most a record holds",
        "3 activities outside today's bounds on hours",
        "0 attendance records of people at two activities at once",
    ]
    db.session.expire_all()
    assert {a.id: a.version for a in db.session.scalars(select(Activity))} == versions  # nothing written


def test_the_check_lists_people_recorded_at_two_activities_at_once(app, s1, staff):
    """Attendance recorded before "no one attends two things at once" (written directly here, as
    an older version stored it): two lectures of one afternoon, 3 hours each for t1, are listed
    — each with what the afternoon leaves beside the other; a cancelled one is not; nothing is
    written."""
    t1, org = staff["t1"], staff["organizer"]
    start = datetime(2026, 11, 2, 14, 0)
    first = f.plan(s1, org, "lecture", [(t1, "attendee")], {"topic": "甲"}, start=start, title="讲座甲")
    second = f.plan(s1, org, "lecture", [(t1, "attendee")], {"topic": "乙"}, start=start, title="讲座乙")
    dropped = f.plan(s1, org, "lecture", [(t1, "attendee")], {"topic": "丙"}, start=start, title="讲座丙")
    f.fire(dropped, org, "cancel", "改期")
    for act in (first, second, dropped):
        db.session.execute(update(Participation).where(Participation.activity_id == act.id).values(attended_hours=3))
    db.session.commit()
    code, out = _check_hours(app)
    assert code == 1
    assert out.splitlines()[1:] == [
        f"S1 {t1.username} in activity {first.id} '讲座甲': 3 hours there, at most 1 fit beside '讲座乙' "
        "(the time they take up holds 4)",
        f"S1 {t1.username} in activity {second.id} '讲座乙': 3 hours there, at most 1 fit beside '讲座甲' "
        "(the time they take up holds 4)",
        "2 attendance records of people at two activities at once",
    ]


def test_the_check_reads_a_long_activitys_two_ends(app, s1, staff):
    """As recording attendance does (``overlaps.attended_elsewhere``): a 9-day activity holding
    287 of its 288 hours for t1, and an hour at each end, stored directly (as an older version
    could): 289 hours in 288. The check compared each end only with the week around it, so
    neither end saw the other and nothing was listed; it now widens to the long one's span."""
    t1, org = staff["t1"], staff["organizer"]
    start = datetime(2026, 10, 5, 0, 0)
    end = start + timedelta(days=9)

    def span(title: str, since: datetime, until: datetime, hours: str):
        return activities.plan_activity(s1, org, "lecture", title, since.isoformat(timespec="minutes"),
                                        until.isoformat(timespec="minutes"), hours, [{"user_id": t1.id, "role": "attendee"}],
                                        DETAILS["lecture"])

    long_one = span("九日研修", start, end, "287")
    first = span("开班讲座", start, start + timedelta(hours=3), "1")
    last = span("结业讲座", end - timedelta(hours=3), end, "1")
    for act, hours in ((long_one, 287), (first, 1), (last, 1)):
        db.session.execute(update(Participation).where(Participation.activity_id == act.id).values(attended_hours=hours))
    db.session.commit()
    code, out = _check_hours(app)
    assert code == 1, out
    listed = {line.split(" in activity ", 1)[1].split(" ", 1)[0] for line in out.splitlines() if " in activity " in line}
    assert {str(first.id), str(last.id)} <= listed, out
