"""Notifications: review decisions, reminders and absence warnings reach people in the app and
by email (a real local SMTP server, the real worker); retried jobs send nothing twice; an SMTP
server that is down delays email without the web request waiting; quiet hours hold email."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from portal import jobs
from portal.errors import Invalid
from portal.extensions import db
from portal.models import Evidence, Notification, Participation, TransitionLog
from portal.services import activities, notifications, reminders, transitions
from portal.services.delivery import DeliveryFailed, deliver_now, delivered, quiet_until
from portal.timeutil import to_local, utcnow
from tests.reach.conftest import wait_for
from tests.reach.helpers import activity, no_quiet_hours, notes, school, user
from tests.support.queued import waiting_jobs
from tests.support.sessions import log_in
from workflows.definition import Phase

NOON_UTC = datetime(2026, 12, 1, 4, 0)  # 12:00 in Shanghai: outside the default quiet hours




def _return_held_lecture(comment: str = "请补充听课反思") -> int:
    act = activity("lecture", Phase.AWAITING_REVIEW)
    transitions.fire(act.id, school().id, user("reviewer"), "return", comment)
    return db.session.execute(
        select(TransitionLog.id).where(TransitionLog.activity_id == act.id).order_by(TransitionLog.id.desc())
    ).scalars().first()


def test_a_returned_activity_reaches_organizer_and_participants_by_app_and_email(queued_app, smtp, worker):
    no_quiet_hours()
    notifications.save_setting(user("teacher2").id, "wang@school.test", list(notifications.KINDS))
    notifications.save_setting(user("organizer").id, "chen@school.test", list(notifications.KINDS))
    demo = {n.id for n in notes("returned")}  # the demo's returned declaration told its declarer
    _return_held_lecture()
    wait_for(lambda: len(smtp.inbox.messages) >= 2)
    returned = [n for n in notes("returned") if n.id not in demo]
    names = sorted(user_id for user_id in (n.user_id for n in returned))
    expected = sorted(user(u).id for u in ("organizer", "teacher1", "teacher2", "teacher3", "teacher4"))
    assert names == expected  # the reviewer who decided is not told
    [mail] = smtp.inbox.to("wang@school.test")
    subject = str(mail["Subject"])
    body = mail.get_content()
    assert "请补充听课反思" in body and "被退回修改" in body and "赵子涵" in body  # in Chinese, the default
    assert body.startswith(f"{user('teacher2').display_name}：\n")  # the Chinese colon after the name
    # through the activity's school (a person of two schools may have the other chosen)
    assert re.search(r"https://yanxiu\.test/school/\d+/open\?next=/activities/\d+", body) and "被退回修改" in subject
    assert subject
    assert len(smtp.inbox.to("chen@school.test")) == 1


def test_email_comes_in_the_language_the_person_chose(queued_app, smtp, worker):
    no_quiet_hours()
    notifications.save_setting(user("teacher2").id, "wang@school.test", list(notifications.KINDS), "en")
    notifications.save_setting(user("teacher3").id, "li@school.test", list(notifications.KINDS))
    _return_held_lecture("请补充听课反思")
    wait_for(lambda: len(smtp.inbox.messages) >= 2)
    [english] = smtp.inbox.to("wang@school.test")
    assert "was returned for rework: 请补充听课反思" in english.get_content()
    assert "Notification settings:" in english.get_content() and "被退回修改" not in str(english["Subject"])
    assert english.get_content().startswith(f"{user('teacher2').display_name}:\n")
    [chinese] = smtp.inbox.to("li@school.test")  # no language chosen: the portal's default
    assert "被退回修改" in chinese.get_content()


def test_a_credit_tells_each_participant_their_own_hours(queued_app):
    """The credit's notice said "the hours have been credited" to every participant, one absent
    without leave and credited nothing included: each is now told their own hours, or none."""
    act = activity("lecture", Phase.CONFIRMED)
    parts = {p.user_id: p for p in db.session.execute(
        select(Participation).where(Participation.activity_id == act.id)).scalars()}
    absent_id = next(uid for uid, p in parts.items() if p.attended_hours)
    db.session.execute(update(Participation).where(Participation.activity_id == act.id,
                                                   Participation.user_id == absent_id)
                       .values(absent_hours=Participation.attended_hours, attended_hours=0))
    db.session.commit()
    transitions.fire(act.id, school().id, user("reviewer"), "credit", "")
    log = db.session.execute(select(TransitionLog).where(TransitionLog.activity_id == act.id)
                             .order_by(TransitionLog.id.desc())).scalars().first()
    reminders.review_decision(log.id)
    told = {n.user_id: notifications.text(n) for n in notes("credited") if n.link == f"/activities/{act.id}"}
    credited = {int(k): v for k, v in log.payload["credited"].items()}
    assert absent_id not in credited and set(credited) & set(told)
    assert told[absent_id].render("en").endswith("none to you (absence, or nothing of yours to credit)")
    assert "您未获认定学时" in told[absent_id].render("zh_Hans_CN")
    for uid, hours in credited.items():
        if uid in told:
            assert told[uid].render("en").endswith(f": {Decimal(hours).normalize():f} hours to you"), told[uid].render("en")


def test_a_retried_job_sends_nothing_twice(queued_app, smtp):
    notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
    log_id = _return_held_lecture()
    first = reminders.review_decision(log_id)
    assert len(first) == 5
    assert reminders.review_decision(log_id) == []  # the job run again: no new notification
    mine = [n for n in notes("returned", "teacher1")]
    assert len(mine) == 1
    assert deliver_now(mine[0].id, NOON_UTC) == ["email"]
    assert deliver_now(mine[0].id, NOON_UTC) == []  # retried: already sent
    assert len(smtp.inbox.to("t1@school.test")) == 1
    assert delivered(mine[0].id)["email"] is not None


def test_smtp_down_fails_the_job_keeps_nothing_claimed_and_a_retry_sends_once(queued_app, smtp):
    notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
    reminders.review_decision(_return_held_lecture())
    [note] = notes("returned", "teacher1")
    smtp.stop()
    with pytest.raises(DeliveryFailed):
        deliver_now(note.id, NOON_UTC)
    assert delivered(note.id) == {}  # the claim was given back: a retry will send
    smtp.start()
    assert deliver_now(note.id, NOON_UTC) == ["email"]
    assert len(smtp.inbox.to("t1@school.test")) == 1


def test_the_request_never_waits_for_smtp_and_the_worker_retries_until_it_is_back(make_app, tmp_path, smtp):
    from tests.reach.conftest import queued_config

    app = make_app(demo=True, **{**queued_config(tmp_path, smtp.port), "JOBS_RETRY_DELAY": 1})
    smtp.stop()
    with app.app_context():
        no_quiet_hours()
        notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
        act = activity("lecture", Phase.AWAITING_REVIEW)
        reviewer = user("reviewer")
        client = log_in(app.test_client(), reviewer, school().id)
        response = client.post(f"/activities/{act.id}/trigger", data={"trigger": "return", "comment": "补充材料"})
        assert response.status_code == 302  # answered while SMTP is down: the job is queued
        assert jobs.queue(app).huey.pending_count() >= 1 and notes("returned", "teacher1") == []
        with jobs.running_worker(app):
            wait_for(lambda: notes("returned", "teacher1"))
            [note] = notes("returned", "teacher1")
            # the delivery job failed (SMTP down) and is waiting for its retry
            wait_for(lambda: jobs.queue(app).huey.scheduled_count() >= 1)
            assert smtp.inbox.messages == []
            smtp.start()
            wait_for(lambda: smtp.inbox.to("t1@school.test"))
            wait_for(lambda: db.session.commit() or delivered(note.id).get("email"))
        assert len(smtp.inbox.to("t1@school.test")) == 1


def test_quiet_hours_hold_email_until_they_end(queued_app, smtp):
    demo = school()
    assert (demo.rule("quiet_hours_start"), demo.rule("quiet_hours_end")) == (22, 7)
    night = datetime(2026, 12, 1, 15, 30)  # 23:30 in Shanghai
    assert quiet_until(demo, night) == datetime(2026, 12, 1, 23, 0)  # 07:00 the next morning
    assert quiet_until(demo, datetime(2026, 12, 1, 22, 59)) == datetime(2026, 12, 1, 23, 0)  # 06:59
    assert quiet_until(demo, datetime(2026, 12, 1, 23, 0)) is None  # 07:00
    assert quiet_until(demo, NOON_UTC) is None
    notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
    reminders.review_decision(_return_held_lecture())
    [note] = notes("returned", "teacher1")
    huey = jobs.queue(queued_app).huey
    assert deliver_now(note.id, night) == []
    held = [t for t in huey.pending() if t.name == "notifications.deliver" and t.args == (note.id,) and t.eta]
    assert [t.eta for t in held] == [datetime(2026, 12, 1, 23, 0)]  # queued again for 07:00
    assert smtp.inbox.messages == [] and delivered(note.id) == {}


def test_a_kind_switched_off_is_not_emailed_but_stays_in_the_app(queued_app, smtp):
    kinds = [k for k in notifications.KINDS if k != "returned"]
    notifications.save_setting(user("teacher1").id, "t1@school.test", kinds)
    reminders.review_decision(_return_held_lecture())
    [note] = notes("returned", "teacher1")
    assert deliver_now(note.id, NOON_UTC) == []
    assert smtp.inbox.messages == [] and note.read_at is None


def test_activity_tomorrow_is_told_once_by_the_schools_calendar(queued_app):
    act = activity("lecture", Phase.OPEN)
    day_before = act.starts_at - timedelta(days=1)
    reminders.remind_tomorrow(act.starts_at - timedelta(days=3))  # another type's activity may be tomorrow then
    assert not [n for n in notes("tomorrow") if n.params["title"] == act.title]  # not this one's
    made = reminders.remind_tomorrow(day_before)
    mine = [n for n in notes("tomorrow") if n.params["title"] == act.title]
    assert sorted(n.id for n in mine) == sorted(i for i in made if i in {n.id for n in mine})
    assert len(mine) == 5  # four participants and the organizer
    assert reminders.remind_tomorrow(day_before + timedelta(hours=1)) == []  # the next hourly run
    [n] = [n for n in notes("tomorrow", "teacher1") if n.params["title"] == act.title]
    assert n.params["time"] == to_local(act.starts_at, "Asia/Shanghai").strftime("%H:%M")
    assert str(notifications.text(n)).startswith(act.title)


def test_evidence_due_names_what_each_participant_still_owes(queued_app):
    act = activity("observation", Phase.AWAITING_REVIEW)
    observers = [p for p in db.session.execute(select(Participation).where(Participation.activity_id == act.id)).scalars()
                 if p.role == "observer"]
    assert observers
    demo_told = [n for n in notes("evidence_due") if n.params["title"] == act.title]
    assert sorted(n.user_id for n in demo_told) == sorted(p.user_id for p in observers)  # the demo's run
    db.session.execute(delete(Notification).where(Notification.id.in_([n.id for n in demo_told])))
    # one observer hands in the evaluation: they are not reminded
    db.session.add(Evidence(activity_id=act.id, user_id=observers[0].user_id, kind="evaluation", title="评课稿",
                            text="x" * 50, char_count=50, uploaded_by=observers[0].user_id))
    db.session.commit()
    reminders.remind_evidence(utcnow())
    due = [n for n in notes("evidence_due") if n.params["title"] == act.title]
    assert sorted(n.user_id for n in due) == sorted(p.user_id for p in observers[1:])
    assert [k["zh"] for k in due[0].params["kinds"]] == ["评课稿"]
    assert "评课稿" in str(notifications.text(due[0]))
    assert reminders.remind_evidence(utcnow()) == []


def test_absence_warning_at_the_threshold_and_again_at_the_limit(queued_app):
    act = activity("lecture", Phase.CONFIRMED)
    teacher = user("teacher3")

    def absent(hours: str) -> None:
        db.session.execute(update(Participation).where(
            Participation.activity_id == act.id, Participation.user_id == teacher.id
        ).values(absent_hours=Decimal(hours), attended_hours=Decimal("0")))
        db.session.commit()

    absent("2")
    assert [n for n in notes("absence_warning", "teacher3")] == []
    reminders.remind_absence(utcnow())
    assert notes("absence_warning", "teacher3") == []  # below the school's warning threshold (3)
    absent("3")
    reminders.remind_absence(utcnow())
    [warn] = notes("absence_warning", "teacher3")
    assert warn.params["hours"] == "3" and warn.params["limit"] == "5"
    assert re.match(r"(第一|第二)学期：", notifications.text(warn).render("zh_Hans_CN"))  # the semester in words
    assert re.match(r"Unexcused absence in the (first|second) semester: 3 hours", notifications.text(warn).english)
    reminders.remind_absence(utcnow())
    assert len(notes("absence_warning", "teacher3")) == 1
    db.session.execute(update(Participation).where(Participation.activity_id == act.id,
                                                   Participation.user_id == teacher.id).values(absent_hours=Decimal("3")))
    db.session.commit()


def test_a_teacher_who_left_is_on_the_years_summary_but_told_nothing_more(queued_app):
    """teacher3, absent 3 h without leave from a confirmed lecture (the warning threshold), leaves
    the school: her year is still on its summary (the absence counts there, as on her record),
    but the school she left sends her no absence warning."""
    from portal.services import access, credits, staff

    act = activity("lecture", Phase.CONFIRMED)
    teacher, demo = user("teacher3"), school()
    db.session.execute(update(Participation).where(
        Participation.activity_id == act.id, Participation.user_id == teacher.id
    ).values(absent_hours=Decimal("3"), attended_hours=Decimal("0")))
    db.session.commit()
    staff.deactivate(demo, teacher.id, by=access.actor(user("admin").id, demo.id))
    [row] = [r for r in credits.school_summary(demo, act.school_year) if r.user.id == teacher.id]
    assert row.facts.absent_hours[act.semester] == 3
    reminders.remind_absence(utcnow())
    assert notes("absence_warning", "teacher3") == []


def test_the_nav_shows_the_unread_count_and_marking_read_updates_it(make_app):
    app = make_app(demo=True)
    with app.app_context():
        teacher = user("teacher1")
        mine = notes(username="teacher1")
        assert len(mine) >= 2
        client = log_in(app.test_client(), teacher, school().id)
    page = client.get("/").get_data(as_text=True)
    assert f'data-testid="unread-count">{len(mine)}<' in page
    listing = client.get("/notifications").get_data(as_text=True)
    assert f'data-testid="notification-{mine[0].id}"' in listing and 'data-unread="1"' in listing
    assert client.post("/notifications/read", data={"id": str(mine[0].id)}).status_code == 302
    page = client.get("/").get_data(as_text=True)  # the cached bar is keyed on the count
    assert f'data-testid="unread-count">{len(mine) - 1}<' in page
    client.post("/notifications/read", data={"id": ["abc", "99999999999", "-1"]})  # ignored, no error
    client.post("/notifications/read", data={})  # an empty post: nothing
    assert f'data-testid="unread-count">{len(mine) - 1}<' in client.get("/").get_data(as_text=True)
    client.post("/notifications/read", data={"all": "1"})
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="unread-count"' not in page
    with app.app_context():
        assert all(n.read_at is not None for n in notes(username="teacher1"))
        assert any(n.read_at is None for n in notes(username="teacher2"))  # others' untouched


def test_email_settings_page_refuses_a_bad_address_and_saves_a_good_one(make_app):
    app = make_app(demo=True)
    with app.app_context():
        teacher = user("teacher1")
        client = log_in(app.test_client(), teacher, school().id)
    page = client.get("/notifications/settings")
    assert page.status_code == 200 and "settings-kind-tomorrow" in page.get_data(as_text=True)
    bad = client.post("/notifications/settings", data={"email": "not an address", "email_kinds": ["tomorrow"]})
    assert bad.status_code == 422 and 'data-testid="error-email"' in bad.get_data(as_text=True)
    bad = client.post("/notifications/settings", data={"email": "a@b.cn", "email_kinds": ["nonsense"]})
    assert bad.status_code == 422
    with app.app_context():
        assert notifications.setting(teacher.id).email == ""
    ok = client.post("/notifications/settings", data={"email": " wang@school.cn ", "email_kinds": ["tomorrow", "returned"]})
    assert ok.status_code == 302
    with app.app_context():
        row = notifications.setting(teacher.id)
        assert row.email == "wang@school.cn"
        assert notifications.wants_email(row, "returned") and not notifications.wants_email(row, "credited")


def test_absence_reminders_follow_the_warnings_the_home_page_shows(queued_app):
    """A school that turns absence warnings off (threshold 0: never) shows no warning on its
    teachers' homes, but the daily reminder told every teacher of a confirmed activity "0 hours
    of unexcused absence" (its own test read 0 as a threshold reached). The reminders are now the
    home page's warnings (forecast.warnings): none below the limit, one at it."""
    from portal.policy import SYSTEM
    from portal.services import credits, forecast, schools
    from portal.timeutil import current_school_year

    s = school()
    schools.update_rules(s, {"absence_warning_hours": 0}, by=SYSTEM)
    db.session.commit()
    today = to_local(utcnow(), s.timezone).date()
    shown = {(ty.user.id, w.semester) for ty in credits.school_summary(s, current_school_year(s.timezone))
             for w in forecast.warnings(ty.facts, today, status=ty.assessment.status, accepted=()) if w.kind == "absence"}
    before = {n.id for n in notes("absence_warning")}  # the demo's own
    reminders.remind_absence(utcnow())
    new = [n for n in notes("absence_warning") if n.id not in before]
    assert {(n.user_id, n.params["semester"]) for n in new} == shown
    assert all(n.params["hours"] != "0" for n in new)


def test_a_return_comment_of_several_lines_is_emailed_with_a_one_line_subject(queued_app, smtp):
    """A reviewer's comment with line breaks (a textarea: CR LF) or a forged header after them
    once made the subject a header with a line break: Python's email refused it, the delivery
    failed and was retried for ever — the teacher was never emailed. The subject is one line;
    the body keeps the lines; no header comes from the comment."""
    notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
    comment = "第一行\r\nBcc: victim@evil.example\r\n\r\n<img src=x onerror=alert(1)>"
    reminders.review_decision(_return_held_lecture(comment))
    [note] = notes("returned", "teacher1")
    assert deliver_now(note.id, NOON_UTC) == ["email"]
    [mail] = smtp.inbox.to("t1@school.test")
    subject = str(mail["Subject"])
    assert "\n" not in subject and "\r" not in subject and "第一行" in subject
    assert mail["Bcc"] is None and set(k.lower() for k in mail.keys()) <= {
        "from", "to", "subject", "date", "message-id", "content-type", "content-transfer-encoding", "mime-version",
        "list-unsubscribe", "list-unsubscribe-post"}  # the portal's own one-click link (RFC 8058)
    assert "evil" not in mail["List-Unsubscribe"]
    assert mail.get_content_type() == "text/plain"  # the comment's HTML stays text
    body = mail.get_content()
    assert "Bcc: victim@evil.example" in body and "<img src=x onerror=alert(1)>" in body


def test_marking_read_goes_back_only_to_a_local_page(make_app):
    """The form's ``next`` once passed as local when it started with one slash: ``/<TAB>/evil``
    went to //evil.example (a browser drops the tab), and a line break in it was a 500 (a
    header with a newline). Now it is the login's rule: not a local path, the list."""
    app = make_app(demo=True)
    with app.app_context():
        client = log_in(app.test_client(), user("teacher1"), school().id)
    for target in ("/\t/evil.example", "/\n/evil.example", "//evil.example", "https://evil.example/"):
        r = client.post("/notifications/read", data={"all": "1", "next": target})
        assert r.status_code == 302 and r.headers["Location"] == "/notifications", repr(target)
    r = client.post("/notifications/read", data={"all": "1", "next": "/activities?page=2"})
    assert r.headers["Location"] == "/activities?page=2"


def test_saved_is_said_in_the_language_of_the_page_that_follows(make_app):
    """Choosing a language on the settings page changes the pages too (they fall back to it):
    the "saved" message shown on the next page is in that page's language, not in the one the
    form was posted in (an English message on a Chinese page, and the reverse)."""
    import re

    app = make_app(demo=True)
    with app.app_context():
        client = log_in(app.test_client(), user("teacher1"), school().id)

    def saved(language: str) -> tuple[str, str]:
        r = client.post("/notifications/settings", data={"email": "", "language": language}, follow_redirects=True)
        html = r.get_data(as_text=True)
        page = re.search(r'<html lang="([^"]+)"', html)
        flash = re.search(r'data-testid="flash-success">\s*([^<]*?)\s*<', html)
        assert page and flash, html[:3000]
        return page.group(1), flash.group(1)

    assert saved("en") == ("en", "Your notification settings have been saved.")
    assert saved("zh_Hans_CN") == ("zh-CN", "通知设置已保存。")
    with client.session_transaction() as session:  # the header's switch chose English for the pages
        session["lang"] = "en"
    assert saved("zh_Hans_CN") == ("en", "Your notification settings have been saved.")


def test_one_who_left_is_told_nothing_more_of_the_schools_activities(queued_app, smtp):
    """Attack: a teacher who left stays on the rosters of the school's activities (history stays):
    the school went on telling them — in the app and by email — of an activity tomorrow (time,
    place) and of each review decision, and an email queued before they left was sent after.
    A notice of a school is for those who still belong to it; one who left the school but
    teaches at another of the district still hears from that one."""
    from portal.services import access, staff
    from portal.services.notifications import NewNotification
    from tests.support import factories as f

    demo, admin = school(), user("admin")
    notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
    reminders.review_decision(_return_held_lecture())
    [queued] = notes("returned", "teacher1")  # made while they were there, not yet sent
    other = f.school("LEFT-B", types=("lecture",))
    f.person(other, "teacher1", "teacher")  # teacher1 teaches at another school too
    for who in ("teacher1", "teacher2"):
        staff.deactivate(demo, user(who).id, by=access.actor(admin.id, demo.id))
    db.session.commit()
    assert deliver_now(queued.id, NOON_UTC) == [] and smtp.inbox.messages == []
    act = activity("lecture", Phase.OPEN)
    reminders.remind_tomorrow(act.starts_at - timedelta(days=1))
    told = {n.user_id for n in notes("tomorrow") if n.params["title"] == act.title}
    assert told == {user(u).id for u in ("organizer", "teacher3", "teacher4")}
    reminders.review_decision(_return_held_lecture("再补充一次"))
    assert {n.user_id for n in notes("returned") if n.params["comment"] == "再补充一次"} == told
    # the other school still reaches them
    [made] = notifications.notify_many([NewNotification(user("teacher1").id, "tomorrow", "left-b:1",
                                                        {"title": "乙校讲座", "time": "09:00", "location": ""},
                                                        "/", other.id)])
    assert deliver_now(made, NOON_UTC) == ["email"] and len(smtp.inbox.to("t1@school.test")) == 1


def test_no_evidence_is_asked_for_in_a_year_the_district_accepted(queued_app):
    """Once the district has accepted the year, an activity of it takes no evidence
    (``year.locked``): the reminder does not ask for any."""
    from portal.models import District, School
    from portal.policy import Actor
    from portal.services import submissions

    act = activity("observation", Phase.AWAITING_REVIEW)
    db.session.execute(delete(Notification).where(Notification.kind == "evidence_due"))
    db.session.commit()
    s = db.session.get(School, act.school_id)
    sub = submissions.latest(s.id, act.school_year, 0)  # the demo school's year waits for the district
    assert sub is not None and sub.status == "submitted"
    district = db.session.get(District, s.district_id)
    submissions.decide(sub.id, True, by=Actor.of(user("dreviewer").id, ["district_reviewer"]), district_id=district.id)
    db.session.commit()
    reminders.remind_evidence(utcnow())
    assert [n for n in notes("evidence_due") if n.params["title"] == act.title] == []


def test_a_job_that_failed_to_queue_the_deliveries_queues_them_when_retried(queued_app, smtp):
    """Failure half-way: the review decision's job wrote the notifications, then could not put
    their delivery on the queue (its SQLite file locked by another process past the busy
    timeout; a worker killed at that moment is the same). huey retried the job, which found
    every notification written and did nothing: they stayed in the app, but no email was ever
    sent. Now a notification remembers whether its delivery was queued, and a run that finds
    one written but not queued queues it (the deliveries' claims still send each channel once)."""
    import sqlite3

    no_quiet_hours()
    notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
    log_id = _return_held_lecture()
    huey = jobs.queue(queued_app).huey
    huey.flush()  # the decision's own queued job: this test runs it by hand
    holder = sqlite3.connect(queued_app.config["JOBS_SQLITE_PATH"], isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing the queue file
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            reminders.review_decision(log_id)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    [note] = notes("returned", "teacher1")  # written: it is in the app
    assert reminders.review_decision(log_id) == []  # huey's retry writes nothing new ...
    with jobs.running_worker(queued_app):  # ... but queues what was not queued
        wait_for(lambda: smtp.inbox.to("t1@school.test"))
    assert len(smtp.inbox.to("t1@school.test")) == 1
    assert reminders.review_decision(log_id) == []
    assert waiting_jobs(huey) == []  # queued once: a later run queues nothing again


def test_no_activity_tomorrow_is_told_of_in_a_year_the_district_accepted(queued_app):
    """Once the district has accepted the year, an activity of it takes no check-in, attendance
    or credit (``year.locked``; the teacher's outlook counts none of it): the reminder told its
    participants to come tomorrow all the same, to hours that can no longer be theirs. The
    activity-tomorrow reminder skips a period the district accepted, as the evidence one does."""
    from portal.models import District, School
    from portal.policy import Actor
    from portal.services import checkin, submissions

    act = activity("lecture", Phase.OPEN)
    s = db.session.get(School, act.school_id)
    sub = submissions.latest(s.id, act.school_year, 0)
    assert sub is not None and sub.status == "submitted"  # the demo school's year waits for the district
    submissions.decide(sub.id, True, by=Actor.of(user("dreviewer").id, ["district_reviewer"]),
                       district_id=db.session.get(District, s.district_id).id)
    db.session.commit()
    from portal.errors import Conflict

    with pytest.raises(Conflict) as refused:  # what the participants would meet at the door
        checkin.require_open(act, s, act.starts_at)
    assert refused.value.msg.code == "year.locked"
    reminders.remind_tomorrow(act.starts_at - timedelta(days=1))
    assert [n for n in notes("tomorrow") if n.params["title"] == act.title] == []


@pytest.mark.parametrize("address", [
    "wang@school.cn\u200b",  # a zero-width space copied along with the address: shows as the address itself
    "\u200bwang@school.cn",
    "wang@mail.school\u3002cn",  # the ideographic full stop a Chinese input method types
    "wang@mail.school\uff0ecn",  # a full-width full stop
    "ｗａｎｇ@school.cn",  # full-width letters
    "wa\x01ng@school.cn",  # control characters
    "wang\x7f@school.cn",
    "wang@school..cn", "wang@school.cn.", ".wang@school.cn", "wang.@school.cn", "wang@-school.cn",
])
def test_an_address_mail_cannot_reach_is_refused_and_nothing_is_saved(make_app, address):
    """An address that looks right and cannot be reached — an invisible character copied with
    it, a full stop or letters typed by a Chinese input method in full width, a control
    character, two dots in a row — was saved: every email went to a domain that does not
    exist (bounced to the portal's sender, never to the person), and the settings page showed
    the address as the person's own. It is refused on the field, and nothing changes."""
    app = make_app(demo=True)
    with app.app_context():
        teacher = user("teacher1")
        client = log_in(app.test_client(), teacher, school().id)
    r = client.post("/notifications/settings", data={"email": address, "email_kinds": ["returned"], "language": "en"})
    assert r.status_code == 422 and 'data-testid="error-email"' in r.get_data(as_text=True), address
    with app.app_context():
        assert notifications.setting(teacher.id).email == ""
        assert db.session.get(type(teacher), teacher.id).locale is None  # all or nothing
    with app.app_context():  # and the service, whoever calls it
        with pytest.raises(Invalid):
            notifications.save_setting(teacher.id, address, ["returned"])


@pytest.mark.parametrize("address", ["wang@school.cn", "Wang.Ya-qin+yanxiu@mail.school.edu.cn", "12345678@qq.com",
                                     "li_1@school-7.cn", "wang@xn--fiqs8s.xn--fiqs8s"])
def test_usual_addresses_are_saved(make_app, address):
    app = make_app(demo=True)
    with app.app_context():
        teacher = user("teacher1")
        notifications.save_setting(teacher.id, address, ["returned"])
        assert notifications.setting(teacher.id).email == address


def _reminded_the_evening_before():
    """The demo's open lecture, and the "tomorrow" reminders of teacher1 and teacher3 (who take
    every kind by email), written the evening before it."""
    for who in ("teacher1", "teacher3"):
        notifications.save_setting(user(who).id, f"{who}@school.test", list(notifications.KINDS))
    act = activity("lecture", Phase.OPEN)
    reminders.remind_tomorrow(act.starts_at - timedelta(days=1))
    mine = {n.user_id: n for n in notes("tomorrow") if n.params["title"] == act.title}
    return act, mine[user("teacher1").id], mine[user("teacher3").id]


def test_a_reminder_held_overnight_is_not_sent_for_an_activity_cancelled_meanwhile(queued_app, smtp):
    """The activity-tomorrow reminder is written in the evening and its email held by the quiet
    hours until 07:00; the organizer cancels the activity at 21:00. Before: the morning's email
    told everyone to come all the same. Now it is not sent; the app keeps the note as said then."""
    act, first, second = _reminded_the_evening_before()
    assert deliver_now(first.id, NOON_UTC) == ["email"]  # before the cancellation: sent
    transitions.fire(act.id, school().id, user("organizer"), "cancel", "主讲人临时出差")
    assert deliver_now(second.id, NOON_UTC) == []
    assert smtp.inbox.to("teacher3@school.test") == [] and len(smtp.inbox.to("teacher1@school.test")) == 1
    assert second.id in {n.id for n in notes("tomorrow", "teacher3")}  # still in the app


def test_a_reminder_held_overnight_is_not_sent_to_someone_taken_off_the_list_meanwhile(queued_app, smtp):
    """The reminder is written in the evening and held by the quiet hours; at 21:00 the organizer
    takes a teacher off the activity's list. Before: the morning's email still told them to come
    tomorrow. Now it is not sent to them (the others' is); the app keeps the note as said then."""
    act, kept, dropped = _reminded_the_evening_before()
    activities.remove_participant(act, user("organizer"), user("teacher3").id)
    assert deliver_now(dropped.id, NOON_UTC) == []
    assert deliver_now(kept.id, NOON_UTC) == ["email"]
    assert smtp.inbox.to("teacher3@school.test") == [] and len(smtp.inbox.to("teacher1@school.test")) == 1
    assert dropped.id in {n.id for n in notes("tomorrow", "teacher3")}  # still in the app
