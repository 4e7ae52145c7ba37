"""The demo shows the review queue's section of a school year closed to credits: a talk of the
year before the last approved and never credited, listed apart with why, and one held and
never reviewed, whose card says approving it posts no hours. Both dated in their own year, the
dating rule untouched (a new one of that year is still refused)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from portal import policy
from portal.demo_year import CLOSED_YEAR, closed_year_title
from portal.errors import Invalid
from portal.extensions import db
from portal.models import Activity, Evidence, School, User
from portal.registry import registry
from portal.services import activities, notifications, reminders, transitions
from portal.services.activities import school_year_now
from portal.timeutil import school_year_after, utcnow
from workflows.definition import Phase


def _closed(site) -> list[Activity]:
    """The demo's talks of :data:`CLOSED_YEAR`, in its order (approved, held)."""
    with site.app_context():
        titles = [closed_year_title(subject) for _p, subject, _d in CLOSED_YEAR]
        rows = {a.title: a for a in db.session.execute(select(Activity).where(Activity.title.in_(titles))).scalars()}
        db.session.expunge_all()
    return [rows[t] for t in titles]


def test_the_demos_reviewer_sees_the_closed_year_section_and_the_held_cards_note(site, as_user):
    acts = _closed(site)
    assert len(acts) == len(CLOSED_YEAR) == 2
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        this_year = school_year_now(school)
        year = school_year_after(policy.first_year_to_date(this_year), -1)
        # dated in their own year, their evidence with them
        for act in acts:
            assert act.school_year == year and not policy.may_date_in_year(act.school_year, this_year)
            stamps = db.session.execute(select(Evidence.uploaded_at).where(Evidence.activity_id == act.id)).scalars()
            assert all(act.starts_at - timedelta(days=60) < at < act.ends_at + timedelta(days=1) for at in stamps)
    approved, waiting = acts
    said = year.replace("-", "—")
    page = as_user("reviewer").get("/review?lang=zh").get_data(as_text=True)
    assert 'data-testid="closed-table"' in page
    row = page.split(f'data-testid="closed-{approved.id}"', 1)[1].split("</tr>", 1)[0]
    assert approved.title in row and f"{said}学年已结束" in row
    assert f'data-testid="reviewed-{approved.id}"' not in page
    note = page.split(f'data-testid="closed-year-{waiting.id}"', 1)[1].split("</p>", 1)[0]
    assert f"{said}学年已结束" in note
    en = as_user("reviewer").get("/review?lang=en").get_data(as_text=True)
    note = en.split(f'data-testid="closed-year-{waiting.id}"', 1)[1].split("</p>", 1)[0]
    assert "Approving it posts no hours" in note


def test_the_dating_rule_still_refuses_that_year(site):
    acts = _closed(site)
    start = min(a.starts_at for a in acts)
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        organizer = db.session.execute(select(User).where(User.username == "organizer")).scalar_one()
        before = db.session.scalar(select(func.count(Activity.id)))
        with pytest.raises(Invalid) as refused:
            activities.plan_activity(school, organizer, "lecture", "再补一场前年的讲座", start.isoformat() + "+00:00",
                                     start.replace(hour=start.hour + 1).isoformat() + "+00:00", "1", [],
                                     {"topic": "作业设计"})
        assert refused.value.fields["starts_at"].code == "plan.year_over"
        assert db.session.scalar(select(func.count(Activity.id))) == before
        assert utcnow() > start


def test_their_history_carries_the_days_the_demo_gives_them(site, as_user):
    """Each talk's steps (attendance, held, approved) are dated an hour after it ended, with its
    evidence, in the order taken; the timeline a reader opens says that day. Before, the talk of
    2025 read "reviewed" today: the demo dated the talk back, its history, append-only, stayed."""
    from portal.models import TransitionLog
    from portal.timeutil import local_text

    acts = _closed(site)
    steps = []
    with site.app_context():
        for act in acts:
            lines = list(db.session.execute(select(TransitionLog).where(TransitionLog.activity_id == act.id)
                                            .order_by(TransitionLog.id)).scalars())
            assert len(lines) >= 2
            steps.append(len(lines))
            stamps = [line.created_at for line in lines]
            assert stamps == sorted(stamps)
            assert all(act.ends_at < at < act.ends_at + timedelta(hours=2) for at in stamps), (act.title, stamps)
            evidence = db.session.execute(select(Evidence.uploaded_at).where(Evidence.activity_id == act.id)).scalars()
            assert all(at < act.ends_at + timedelta(hours=2) for at in evidence)
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        day, today = local_text(acts[0].ends_at, school.timezone, False), local_text(utcnow(), school.timezone, False)
    assert day != today
    page = as_user("reviewer").get(f"/activities/{acts[0].id}?lang=zh").get_data(as_text=True)
    timeline = page.split('data-testid="timeline"', 1)[1].split("</section>", 1)[0]
    assert timeline.count(day) == steps[0], timeline  # every line of its timeline, that day
    assert today not in timeline


def _told(kind: str, activity_id: int) -> dict[int, Any]:
    """The notices of ``kind`` about the activity, by whom they are for (written now, run inline):
    each person's latest (the demo credited and revoked the talk the test credits again, so its
    first credit's notice is there too; unordered, PostgreSQL handed that one back last)."""
    from portal.models import Notification

    return {n.user_id: notifications.text(n) for n in db.session.execute(select(Notification).where(
        Notification.kind == kind, Notification.link == f"/activities/{activity_id}").order_by(Notification.id)).scalars()}


def _decided(act_id: int, school: School, who: User, trigger: str) -> int:
    """``trigger`` fired by ``who``, its notices written (the job the outbox queues, run here)."""
    from portal.models import TransitionLog

    transitions.fire(act_id, school.id, who, trigger, "")
    log_id = db.session.execute(select(TransitionLog.id).where(TransitionLog.activity_id == act_id)
                                .order_by(TransitionLog.id.desc())).scalars().first()
    reminders.review_decision(log_id)
    db.session.commit()
    return int(log_id)


def test_an_approval_of_another_years_activity_names_the_year_its_hours_count_in(site, time_machine):
    """The reviewer approving the demo's held talk of a year closed to credits today told its
    teachers "…已审核通过", dated today: read as this year's hours, which it posts none of. Its
    notice says no hours are credited, the year being closed; and a credit of last year's
    activity, made in the new school year, names the year and semester its hours count in."""
    _approved, waiting = _closed(site)
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        reviewer = db.session.execute(select(User).where(User.username == "reviewer")).scalar_one()
        closed_year = waiting.school_year
        _decided(waiting.id, school, reviewer, "approve")
        told = _told("approved", waiting.id)
        assert told, "nobody told of the approval"
        said = closed_year.replace("-", "—")
        for text in told.values():
            assert text.render("zh_Hans_CN") == f"{waiting.title}已审核通过，但不计学时：{said}学年已不再认定学时"
            assert text.render("en").endswith(
                f"was approved by the reviewer; no hours are credited for it: the {closed_year.replace('-', '–')} "
                "school year is closed to credits")
        # an approved activity of this year, credited once the next school year has begun: last year's hours
        this_year = school_year_now(school)
        confirmed = registry().states_in(Phase.CONFIRMED)
        act = db.session.execute(select(Activity).where(
            Activity.school_id == school.id, Activity.school_year == this_year, Activity.state.in_(confirmed),
            Activity.type_key == "lecture").order_by(Activity.id)).scalars().first()
        assert act is not None
        act_id, semester, title = act.id, act.semester, act.title
        now_told = _told("approved", act_id)  # approved this year: the notice as it always was
        assert all(t.render("en").endswith("was approved by the reviewer") for t in now_told.values()), now_told
        db.session.remove()
    time_machine.move_to(datetime.fromisoformat(f"{this_year[5:]}-09-15T02:00:00+00:00"))
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        reviewer = db.session.execute(select(User).where(User.username == "reviewer")).scalar_one()
        assert school_year_now(school) != this_year
        log_id = _decided(act_id, school, reviewer, "credit")
        from portal.models import TransitionLog

        credited = (db.session.get_one(TransitionLog, log_id).payload or {}).get("credited") or {}
        told = _told("credited", act_id)
        zh_year, zh_sem = this_year.replace("-", "—") + "学年", ("第一学期", "第二学期")[semester - 1]
        got = [(uid, told[int(uid)].render("zh_Hans_CN"), told[int(uid)].render("en"))
               for uid, hours in credited.items() if int(uid) in told and float(hours) > 0]
        assert got, (credited, told)
        for _uid, zh, en in got:
            assert zh.startswith(f"{title}的学时已认定：您获认定 ") and zh.endswith(f"学时，计入{zh_year}{zh_sem}"), zh
            assert en.endswith(f"hours to you, in the {('first', 'second')[semester - 1]} semester of the "
                               f"{this_year.replace('-', '–')} school year"), en
        # the approval of last year's activity, and a credit told to its organiser taking no part: the year named too
        from portal.models import Notification

        about = {"title": "讲座", "year": this_year, "semester": 2, "closed": False}
        approved_text = notifications.text(Notification(kind="approved", params=about))
        assert approved_text.render("zh_Hans_CN") == f"讲座已审核通过，其学时计入{zh_year}第二学期"
        credited_text = notifications.text(Notification(kind="credited", params=about))
        assert credited_text.render("en") == ("The hours of 讲座 have been credited, in the second semester of the "
                                              f"{this_year.replace('-', '–')} school year")


def test_nobody_rewrites_the_attendance_of_a_year_before_the_last(site, as_user):
    """The organiser of the demo's held talk of a year closed to credits turned a teacher's row into
    two hours of absence without leave, on the page and by the service; its approval (posting no
    hours there) put that absence on the teacher's record of the year, two years on; and a teacher
    handed in a reflection on it, raising that year's count of her reflections. Attendance,
    participants and evidence are entered in this school year and the last one only, as
    activities are dated: refused (409), the rows, the list and the year's writing as they were;
    the attendance page says why and offers no save."""
    from portal.errors import Conflict
    from portal.models import Participation
    from portal.services import credits

    _approved, waiting = _closed(site)

    def rows() -> list[tuple]:
        return list(db.session.execute(select(
            Participation.user_id, Participation.attended_hours, Participation.absent_hours,
            Participation.excused_hours).where(Participation.activity_id == waiting.id)
            .order_by(Participation.user_id)).all())

    with site.app_context():
        organizer = db.session.execute(select(User).where(User.username == "organizer")).scalar_one()
        teacher = db.session.execute(select(User).where(User.username == "teacher2")).scalar_one()
        before = rows()
        assert before and all(attended is not None for _u, attended, _a, _e in before)
        with pytest.raises(Conflict) as refused:
            activities.record_attendance(waiting, organizer, [
                {"user_id": teacher.id, "attended_hours": "0", "absent_hours": str(waiting.hours)}])
        db.session.rollback()
        assert refused.value.msg.code == "activity.year_over"
        assert rows() == before
        school = db.session.get_one(School, waiting.school_id)
        reflections = [q.done for q in credits.teacher_year(teacher, school, waiting.school_year).facts.quotas]
        pieces = len(activities.evidence_of(waiting.id))
        with pytest.raises(Conflict) as refused:
            activities.add_evidence(waiting, teacher, teacher.id, "reflection", "两年后补写的反思", text=(
                "那节课上我发现自己提问太快，学生来不及思考。后来我改用小组讨论，先让每个组写下猜想，再请代表发言。"
                "评价时不只看答案对错，而是看推理是否完整。有两个平时沉默的孩子主动举手，这让我很意外。"))
        db.session.rollback()
        assert refused.value.msg.code == "activity.year_over"
        with pytest.raises(Conflict) as refused:
            activities.remove_participant(waiting, organizer, teacher.id)
        db.session.rollback()
        assert refused.value.msg.code == "activity.year_over"
        assert len(activities.evidence_of(waiting.id)) == pieces and rows() == before
        assert [q.done for q in credits.teacher_year(teacher, school, waiting.school_year).facts.quotas] == reflections
        teacher_id = teacher.id
    said = waiting.school_year.replace("-", "—")
    web = as_user("organizer")
    page = web.get(f"/activities/{waiting.id}/attendance?lang=zh").get_data(as_text=True)
    note = page.split('data-testid="attendance-year-over"', 1)[1].split("</div>", 1)[0]
    assert f"{said}学年已结束" in note
    assert 'data-testid="attendance-submit" disabled' in page
    assert 'data-testid="fill-attendance"' not in page  # nothing offered that cannot be saved
    sent = web.post(f"/activities/{waiting.id}/attendance", data={
        f"attended-{teacher_id}": "0", f"absent-{teacher_id}": str(waiting.hours), f"excused-{teacher_id}": "0"})
    assert sent.status_code == 409
    with site.app_context():
        assert rows() == before
