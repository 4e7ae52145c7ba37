"""A teacher who leaves and comes back within one school year was away in between
(``services.stints``): what was held then asks nothing of them.

Auditor: switched off in September and on again in November, a teacher kept their first join
date and no trace of the gap — an activity of October they were still listed in, recorded as
missed, voided their year (5 hours of unexcused absence), and the home promised the hours of
one still open and asked its evidence. Now the return is dated and the stretch before it kept
(``EarlierStint``); the absence of an activity held in the gap counts nowhere (home, record,
summary and its stored rows), the home leaves it out, and the plan is due 30 days after the
return (the school's deadline passed while they were away)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from portal.demo import STAFF_SINCE
from portal.extensions import db
from portal.models import Activity, EarlierStint, Membership, School, User
from portal.services import access, credits, forecast, overview, plans, teacher_years, users
from portal.services import staff as staff_service
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import DETAILS, credited, prepare_approve
from tests.support import factories as f
from tests.support.prepared import prepared_for

YEAR = "2026-2027"
LEFT, BACK = datetime(2026, 9, 20, 2, 0), datetime(2026, 11, 20, 2, 0)  # UTC: 10:00 in Beijing


def _at(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr(staff_service, "utcnow", lambda: when)
    monkeypatch.setattr(users, "utcnow", lambda: when)


def _teacher_role(user_id: int, school_id: int) -> Membership:
    return db.session.execute(select(Membership).where(
        Membership.user_id == user_id, Membership.school_id == school_id, Membership.role == "teacher")).scalar_one()


def _build_away() -> dict[str, Any]:
    """S1 and its staff; t2 missed 2 h of a September lecture while on the staff; left on 20
    September, came back on 20 November; in between, a lecture of October they were still
    listed in (missed, 5 h, reviewed) and another one still open (nothing recorded)."""
    facts = build_school_and_staff()
    s1, staff = db.session.get(School, facts["s1"]), f.people_of(facts["staff"])
    t1, t2, org, rev = staff["t1"], staff["t2"], staff["organizer"], staff["reviewer"]
    credited(s1, staff, "lecture", [(t1, "attendee"), (t2, "attendee")], hours="3",
             attended={t2.id: "1"}, absent={t2.id: "2"}, start=datetime(2026, 9, 10, 14, 0),
             title="九月讲座", until="reviewed")
    gap = f.plan(s1, org, "lecture", [(t1, "attendee"), (t2, "attendee")], DETAILS["lecture"], hours="5",
                 start=datetime(2026, 10, 15, 13, 0), title="十月讲座")
    still_open = f.plan(s1, org, "lecture", [(t2, "attendee")], DETAILS["lecture"], hours="2",
                        start=datetime(2026, 10, 22, 14, 0), title="十月沙龙")
    admin = access.actor(staff["admin"].id, s1.id)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _at(monkeypatch, LEFT)
        staff_service.deactivate(s1, t2.id, by=admin)
        _at(monkeypatch, BACK)
        staff_service.set_roles(s1, t2.id, ["teacher"], by=admin)
        f.attend(gap, org, hours={t2.id: "0"}, absent={t2.id: "5"})
        f.fire(gap, org, "hold")
        prepare_approve(gap, org, [(t1, "attendee"), (t2, "attendee")])
        f.fire(gap, rev, "approve", "材料齐全")
    return {**facts, "away": (gap.id, still_open.id)}


prepared = prepared_for("away", _build_away)


@pytest.fixture
def away(staff, monkeypatch, make_app, prepared) -> tuple[User, Activity, Activity]:
    """t2, the October lecture held while they were away and the one still open, of
    :func:`_build_away` (prepared data: built once per test process); the staff's clock stays
    on t2's return, as after recording it."""
    _at(monkeypatch, BACK)
    gap, still_open = make_app.facts(prepared)["away"]
    return staff["t2"], db.session.get(Activity, gap), db.session.get(Activity, still_open)


def test_the_return_is_dated_and_the_stretch_before_kept(s1, away):
    t2, *_ = away
    m = _teacher_role(t2.id, s1.id)
    assert (m.active, m.since, m.until) == (True, BACK, None)
    assert [(st.since, st.until) for st in db.session.execute(
        select(EarlierStint).where(EarlierStint.membership_id == m.id)).scalars()] == [(STAFF_SINCE, LEFT)]


def test_an_activity_held_while_they_were_away_counts_no_absence(s1, away):
    t2, gap, _open = away
    mine = credits.teacher_year(t2, s1, YEAR)  # the home, the record, the API
    assert mine.facts.absent_hours == {1: Decimal("2")}  # September's, not October's 5
    assert mine.assessment.status != "not_recognised"
    row = next(ty for ty in credits.school_summary(s1, YEAR) if ty.user.id == t2.id)  # the summary, computed
    assert row.facts.absent_hours == {1: Decimal("2")} and row.assessment.status == mine.assessment.status
    teacher_years.refresh_people(s1.id, [t2.id])
    stored = next(r for r in teacher_years.summary_rows(s1, YEAR) or [] if r.user.id == t2.id)  # the stored row
    assert stored.facts.absent_hours == {1: Decimal("2")}
    assert [a.title for _p, a in credits.absences_for(t2.id, s1.id, YEAR)] == ["九月讲座"]  # the record's list
    assert gap.id not in {a.id for _p, a in credits.absences_for(t2.id, s1.id)}


def test_the_home_neither_promises_nor_asks_for_what_was_held_while_away(s1, away):
    t2, gap, still_open = away
    rows = overview.participations(t2.id, s1.id, forecast.OUTLOOK_PHASES, YEAR)
    assert {a.id for _p, a in rows}.isdisjoint({gap.id, still_open.id})
    assert still_open.id not in {w.activity.id for w in overview.waiting_on(t2.id, s1.id)}


def test_the_certification_form_says_the_absence_while_away_does_not_count(s1, staff, away):
    """The 学分认定表 of the October lecture printed "unexcused absence 5 h" beside the teacher
    who was off the staff then, though no figure counts it: it says so now. A teacher on the
    staff keeps the absence in words (the September lecture's form)."""
    t2, gap, _open = away
    f.fire(gap, staff["reviewer"], "credit")
    lines = {line.user.id: line for line in credits.certificate(gap.id, s1.id).lines}
    assert lines[t2.id].away and lines[t2.id].remarks("zh") == "当时不在本校任教：缺勤不计"
    assert "5" not in lines[t2.id].remarks("en") and "does not count" in lines[t2.id].remarks("en")
    assert not lines[staff["t1"].id].away


def test_their_plan_is_due_thirty_days_after_they_came_back(s1, away):
    t2, *_ = away
    assert plans.deadline_for(s1, YEAR, t2.id) == date(2026, 12, 20)  # the school's (31 October) passed while away


def test_a_role_switched_off_and_on_the_same_day_changes_nothing(s1, staff, monkeypatch):
    t3 = staff["t3"]
    admin = access.actor(staff["admin"].id, s1.id)
    _at(monkeypatch, LEFT)
    staff_service.deactivate(s1, t3.id, by=admin)
    _at(monkeypatch, datetime(2026, 9, 20, 9, 0))  # a slip put right that afternoon
    staff_service.set_roles(s1, t3.id, ["teacher"], by=admin)
    m = _teacher_role(t3.id, s1.id)
    assert (m.active, m.since, m.until) == (True, STAFF_SINCE, None)
    assert db.session.execute(select(EarlierStint).where(EarlierStint.membership_id == m.id)).first() is None


def test_the_migration_finds_a_gap_within_a_year_in_the_staff_log(app, s1, away):
    """A leave and a return within the year made before ``f1c7a3e9b250`` (the role kept its
    first date, no stretch): the upgrade finds the gap in the staff log, keeps the stretch
    before it, dates the role from the return and removes the year's stored rows (their
    absence counted the gap); the year computed again counts none of it."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from portal.models import StaffChange

    t2, *_ = away
    lines = db.session.execute(select(StaffChange.id).where(StaffChange.user_id == t2.id)
                               .order_by(StaffChange.id)).scalars().all()
    for line, when in zip(lines, (LEFT, BACK), strict=True):  # dated as the changes were
        db.session.execute(text("UPDATE staff_change SET created_at = :at WHERE id = :id"), {"at": when, "id": line})
    m = _teacher_role(t2.id, s1.id)
    db.session.execute(text("DELETE FROM membership_stint"))
    db.session.execute(text("UPDATE membership SET since = :at WHERE id = :m"), {"at": STAFF_SINCE, "m": m.id})
    db.session.commit()
    teacher_years.refresh(s1, YEAR)
    assert db.session.execute(text("SELECT count(*) FROM teacher_year WHERE school_year = :y"), {"y": YEAR}).scalar()
    school_id, mid = s1.id, m.id
    db.session.remove()
    downgrade(revision="b5e1d7c3a9f2")
    upgrade()
    assert db.session.execute(select(EarlierStint.since, EarlierStint.until).where(
        EarlierStint.membership_id == mid)).all() == [(STAFF_SINCE, LEFT)]
    assert db.session.execute(select(Membership.since).where(Membership.id == mid)).scalar_one() == BACK
    assert not db.session.execute(text("SELECT count(*) FROM teacher_year WHERE school_year = :y"), {"y": YEAR}).scalar()
    school = db.session.get_one(type(s1), school_id)
    row = next(ty for ty in credits.school_summary(school, YEAR) if ty.user.id == t2.id)
    assert row.facts.absent_hours == {1: Decimal("2")}


def test_no_hour_is_recorded_attended_by_someone_away_when_it_was_held(s1, staff, away):
    """An activity held while the teacher was off the staff is not theirs: recording them
    attending it was taken, and crediting then posted its hours to their year (the API's
    ``PUT …/attendance`` and the page alike). Refused on their row, nothing recorded; their
    missed hours may still be written down (they count nowhere)."""
    from portal.errors import Invalid
    from portal.models import Participation

    t2, _gap, still_open = away
    with pytest.raises(Invalid) as refused:
        f.attend(still_open, staff["organizer"], hours={t2.id: "2"})
    fields = refused.value.to_dict("en")["fields"]["attendance"]
    assert "not on the school's teaching staff" in fields["0"]["attended_hours"]
    row = db.session.execute(select(Participation).where(Participation.activity_id == still_open.id)).scalar_one()
    db.session.refresh(row)
    assert row.attended_hours is None
    f.attend(still_open, staff["organizer"], hours={t2.id: "0"}, absent={t2.id: "2"})  # missed: taken


def test_a_reviewer_cannot_raise_the_hours_of_someone_away_when_it_was_held(s1, staff, away):
    """Approving with adjusted hours credits what the adjustment says: one away at the time
    may be given none (a raise says they were there)."""
    from portal.errors import Invalid

    t2, _gap, still_open = away
    org, rev = staff["organizer"], staff["reviewer"]
    f.attend(still_open, org, hours={t2.id: "0"})
    f.fire(still_open, org, "hold")
    prepare_approve(still_open, org, [(t2, "attendee")])
    with pytest.raises(Invalid) as refused:
        f.fire(still_open, rev, "approve", "他其实来了", hours={t2.id: "2"})
    said = refused.value.to_dict("zh_Hans_CN")["fields"]["hours"][str(t2.id)]
    assert "不在本校任教" in said and "不能为其认定学时" in said
    db.session.refresh(still_open)
    assert still_open.state == "held"
    f.fire(still_open, rev, "approve", "未出席", hours={t2.id: "0"})  # none: taken


def _held_in_the_gap_with_hours_recorded_before_the_rule(s1, staff):
    """A lecture of October (t2 away) for t1 and t2, held, its evidence in; t2's 3 hours
    attended written as the attendance sheet took them before ``attendance.away`` refused them."""
    from portal.database import write_transaction
    from portal.models import Participation

    t1, t2, org = staff["t1"], staff["t2"], staff["organizer"]
    act = f.plan(s1, org, "lecture", [(t1, "attendee")], DETAILS["lecture"], hours="3",
                 start=datetime(2026, 10, 28, 14, 0), title="十月下旬讲座")
    with write_transaction() as s:  # listed, as planning took them before it refused someone away
        s.add(Participation(activity_id=act.id, user_id=t2.id, role="attendee"))
    f.attend(act, org, hours={t2.id: "0"})
    with write_transaction() as s:
        row = s.execute(select(Participation).where(
            Participation.activity_id == act.id, Participation.user_id == t2.id)).scalar_one()
        row.attended_hours = Decimal("3")
    f.fire(act, org, "hold")
    prepare_approve(act, org, [(t1, "attendee"), (t2, "attendee")])
    return act


def _hours_of(user_id: int, activity_id: int) -> Decimal:
    from sqlalchemy import func

    from portal.models import CreditEntry

    return db.session.execute(select(func.coalesce(func.sum(CreditEntry.hours), 0)).where(
        CreditEntry.user_id == user_id, CreditEntry.activity_id == activity_id)).scalar_one()


def test_hours_recorded_for_someone_away_before_the_rule_are_not_approved(s1, staff, away):
    """Auditor: attendance recorded for a teacher off the staff before ``attendance.away``
    refused it was approved as it stood, and crediting posted its 3 hours to their year.
    Approval now names them and is refused; approving with their hours adjusted to 0 (or the
    attendance corrected) goes through, and only the teacher on the staff is credited."""
    from portal.errors import Invalid

    t1, t2, rev = staff["t1"], staff["t2"], staff["reviewer"]
    act = _held_in_the_gap_with_hours_recorded_before_the_rule(s1, staff)
    with pytest.raises(Invalid) as refused:
        f.fire(act, rev, "approve", "材料齐全")
    zh = refused.value.to_dict("zh_Hans_CN")
    assert t2.display_name in zh["message"] and "不在本校任教" in zh["message"]
    assert "不在本校任教" in zh["fields"]["hours"][str(t2.id)]
    en = refused.value.to_dict("en")
    assert t2.display_name in en["message"] and "adjusted to 0" in en["message"]
    db.session.refresh(act)
    assert act.state == "held"
    f.fire(act, rev, "approve", "当时不在本校任教", hours={t2.id: "0"})
    f.fire(act, rev, "credit")
    assert (_hours_of(t1.id, act.id), _hours_of(t2.id, act.id)) == (Decimal("3"), Decimal("0"))


def test_hours_approved_for_someone_away_before_the_rule_are_not_credited(s1, staff, away, monkeypatch):
    """An activity approved before the rule (the approval gave the away teacher 3 hours):
    crediting names them and is refused, nothing posted; the reviewer returns it and approves
    it again with their hours at 0."""
    from portal.errors import Conflict
    from portal.services import transitions

    t1, t2, rev = staff["t1"], staff["t2"], staff["reviewer"]
    act = _held_in_the_gap_with_hours_recorded_before_the_rule(s1, staff)
    with monkeypatch.context() as before_the_rule:
        before_the_rule.setattr(transitions.stints, "away_at", lambda *_a, **_k: set())
        f.fire(act, rev, "approve", "材料齐全")
    with pytest.raises(Conflict) as refused:
        f.fire(act, rev, "credit")
    en = refused.value.to_dict("en")
    assert t2.display_name in en["message"] and "return the activity" in en["message"]
    assert t2.display_name in refused.value.to_dict("zh_Hans_CN")["message"]
    db.session.refresh(act)
    assert act.state == "reviewed" and _hours_of(t1.id, act.id) == _hours_of(t2.id, act.id) == 0
    f.fire(act, rev, "return", "当时不在本校任教")
    f.fire(act, rev, "approve", "当时不在本校任教", hours={t2.id: "0"})
    f.fire(act, rev, "credit")
    assert (_hours_of(t1.id, act.id), _hours_of(t2.id, act.id)) == (Decimal("3"), Decimal("0"))


def test_nothing_is_handed_in_by_someone_away_when_it_was_held(s1, staff, away):
    """Attack: the home asks no evidence of an activity held while the teacher was away, yet a
    reflection handed in for it (still listed, ``POST …/evidence``) counted toward their
    semester's reflections. Refused on the person, nothing stored, nothing counted."""
    from portal.errors import Invalid
    from portal.models import Evidence
    from portal.services import activities
    from tests.support.texts import prose

    t2, _gap, still_open = away
    with pytest.raises(Invalid) as refused:
        activities.add_evidence(still_open, t2, t2.id, "reflection", "反思", text=prose(400, 3))
    assert "不在本校任教" in refused.value.to_dict("zh_Hans_CN")["fields"]["user_id"]
    assert db.session.execute(select(Evidence).where(Evidence.activity_id == still_open.id)).first() is None
    reflections = [q.done for q in credits.teacher_year(t2, s1, YEAR).facts.quotas if q.key == "reflections"]
    assert reflections == [0, 0]


# -- what is read of their activities: held while away, none of it is theirs ----------------------


def _told(made: list[int]) -> dict[int, set[str]]:
    """user id → the kinds of the notifications ``made`` (ids) told them."""
    from portal.models import Notification

    told: dict[int, set[str]] = {}
    for uid, kind in db.session.execute(select(Notification.user_id, Notification.kind)
                                        .where(Notification.id.in_(made))):
        told.setdefault(uid, set()).add(kind)
    return told


def test_no_decision_on_it_is_told_to_them(s1, staff, away):
    """The approval of the October lecture told t2 it was approved — an activity held while she
    was off the staff, hers neither to attend nor to be approved for. Her colleague and the
    organizer are told; so is she of the September lecture she was there for."""
    from portal.models import Notification, TransitionLog
    from portal.services import reminders

    t2, gap, _open = away
    db.session.execute(db.delete(Notification))  # what the fixture's own transitions wrote
    approved = db.session.execute(select(TransitionLog.id).where(
        TransitionLog.activity_id == gap.id, TransitionLog.trigger == "approve")).scalar_one()
    told = _told(reminders.review_decision(approved))
    assert t2.id not in told
    assert told[staff["t1"].id] == {"approved"} and told[staff["organizer"].id] == {"approved"}
    f.fire(gap, staff["reviewer"], "credit")
    credit = db.session.execute(select(TransitionLog.id).where(
        TransitionLog.activity_id == gap.id, TransitionLog.trigger == "credit")).scalar_one()
    told = _told(reminders.review_decision(credit))
    assert t2.id not in told and told[staff["t1"].id] == {"credited"}


def test_no_reminder_of_it_reaches_them(s1, staff, away):
    """The day before the lecture still open in October t2 (off the staff) was reminded of it,
    and once it had ended was asked its reflection; the organizer is reminded, and a lecture of
    September, before she left, asks her reflection as before."""
    from portal.policy import SYSTEM
    from portal.services import reminders, schools

    t2, _gap, still_open = away
    org = staff["organizer"]
    told = _told(reminders.remind_tomorrow(datetime(2026, 10, 21, 4, 0)))  # noon in Beijing, the day before
    assert t2.id not in told and told[org.id] == {"tomorrow"}
    schools.set_type(s1, "lecture", settings={**schools.type_settings(s1.id, "lecture"), "attendee_reflection": True},
                     by=SYSTEM)
    before = f.plan(s1, org, "lecture", [(t2, "attendee")], DETAILS["lecture"], hours="2",
                    start=datetime(2026, 9, 18, 6, 0), title="九月沙龙")  # before she left: hers

    def asked(now: datetime) -> set[tuple[int, str]]:
        from portal.models import Notification

        made = reminders.remind_evidence(now)
        return {(uid, link) for uid, link in db.session.execute(
            select(Notification.user_id, Notification.link).where(Notification.id.in_(made)))}

    assert (t2.id, f"/activities/{before.id}#evidence") in asked(datetime(2026, 9, 19, 4, 0))
    assert (t2.id, f"/activities/{still_open.id}#evidence") not in asked(datetime(2026, 10, 23, 4, 0))


def test_their_calendar_feed_leaves_it_out(s1, staff, away):
    """t2's own calendar feed listed the October lectures, held while she was off the staff
    (one marked as held, one still open); the September lecture stays, and the school's feed
    shows every activity of the school as before."""
    from icalendar import Calendar

    from portal.services import calendar_feeds

    t2, gap, still_open = away

    def titles(school) -> set[str]:
        cal = Calendar.from_ical(calendar_feeds.build(t2, school, datetime(2026, 12, 1, 4, 0)))
        return {str(e.get("summary")) for e in cal.walk("VEVENT")}

    mine = titles(None)
    assert "九月讲座" in mine and gap.title not in mine and still_open.title not in mine
    assert {gap.title, still_open.title} <= titles(s1)


def test_their_sign_ups_leave_out_one_held_while_they_were_away(s1, staff, away):
    """A seat taken before leaving, for the October lecture held while t2 was off the staff,
    stayed on her list of sign-ups (the page and ``GET /api/v1/me/signups``); one of September
    stays."""
    from portal.models import Signup
    from portal.services import signup

    t2, _gap, still_open = away
    september = db.session.execute(select(Activity).where(Activity.title == "九月讲座")).scalar_one()
    for act in (september, still_open):
        db.session.add(Signup(activity_id=act.id, user_id=t2.id, status="seat", signed_at=datetime(2026, 9, 1),
                              changed_at=datetime(2026, 9, 1)))
    db.session.commit()
    assert [a.id for _row, a in signup.signups_of(t2.id, s1.id, YEAR)] == [september.id]
