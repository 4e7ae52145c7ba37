"""The demo shows every state of every type and every step of the review (README: "keep the demo
data showing every feature"): a declaration refused (a type's own state), an activity returned
for rework with a comment and approved again with one person's hours lowered for a reason, credits
revoked (reversing ledger lines), each told to the people in it; and the district's acceptance of
its schools' annual plans told to their admins."""

from __future__ import annotations

from sqlalchemy import select

from portal.demo import sample_details
from portal.extensions import db
from portal.models import Activity, CreditEntry, Notification, Participation, School, TransitionLog, User
from portal.registry import registry
from workflows.definition import HISTORY_ONLY, Phase


def _demo_school_id() -> int:
    return db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()


def _logs(school_id: int, step) -> list[TransitionLog]:
    """The DEMO school's transition log rows whose trigger, in its type's workflow, is ``step``."""
    rows = db.session.execute(
        select(TransitionLog, Activity.type_key).join(Activity, Activity.id == TransitionLog.activity_id)
        .where(Activity.school_id == school_id).order_by(TransitionLog.id)).all()
    out = []
    for log, key in rows:
        definition = registry().types[key].engine.definition
        if log.trigger in HISTORY_ONLY:  # a line of the history that is no step (the talk tomorrow handed over)
            continue
        if step(definition.transition(log.trigger)):
            out.append(log)
    return out


def test_every_state_of_every_demo_type_has_an_activity(site):
    with site.app_context():
        school_id = _demo_school_id()
        for key, reg in registry().types.items():
            if sample_details(reg) is None:
                continue
            held = set(db.session.execute(select(Activity.state).where(
                Activity.school_id == school_id, Activity.type_key == key)).scalars())
            every = {s.name for s in reg.engine.definition.states}
            assert every <= held, (key, every - held)


def test_an_activity_returned_with_a_comment_then_approved_with_hours_lowered(site, as_user):
    with site.app_context():
        school_id = _demo_school_id()
        returned = _logs(school_id, lambda t: t.clears_adjustments)
        assert returned and returned[0].comment
        act = db.session.get_one(Activity, returned[0].activity_id)
        lowered = db.session.execute(select(Participation, User.username).join(User, User.id == Participation.user_id)
                                     .where(Participation.activity_id == act.id,
                                            Participation.adjusted_hours.is_not(None))).all()
        assert len(lowered) == 1 and lowered[0][0].adjust_reason
        assert lowered[0][0].adjusted_hours < lowered[0][0].attended_hours
        reason, comment, username = lowered[0][0].adjust_reason, returned[0].comment, lowered[0][1]
        told = db.session.execute(select(Notification.user_id).where(
            Notification.kind == "returned", Notification.school_id == school_id)).scalars().all()
        assert lowered[0][0].user_id in told
        act_id = act.id
    page = as_user("reviewer").get(f"/activities/{act_id}").get_data(as_text=True)
    assert comment in page and reason in page
    assert comment in as_user(username).get("/notifications").get_data(as_text=True)


def test_credits_revoked_with_a_reason_and_reversed_in_the_ledger(site, as_user):
    with site.app_context():
        school_id = _demo_school_id()
        revoked = _logs(school_id, lambda t: t.reverses_credits)
        assert revoked and revoked[0].comment
        act_id, comment = revoked[0].activity_id, revoked[0].comment
        lines = db.session.execute(select(CreditEntry.user_id, CreditEntry.hours)
                                   .where(CreditEntry.activity_id == act_id)).all()
        assert any(h < 0 for _u, h in lines) and sum(h for _u, h in lines) == 0  # credited, then reversed
        told = db.session.execute(select(User.username).join(Notification, Notification.user_id == User.id).where(
            Notification.kind == "revoked", Notification.school_id == school_id)).scalars().all()
        assert told
    assert comment in as_user("reviewer").get(f"/activities/{act_id}").get_data(as_text=True)
    assert comment in as_user(told[0]).get("/notifications").get_data(as_text=True)


def test_the_district_schools_admins_were_told_their_annual_plan_was_accepted(site, as_user):
    from portal.demo_district import load_district_demo

    with site.app_context():
        load_district_demo()
        admins = db.session.execute(select(User.username).join(Notification, Notification.user_id == User.id)
                                    .where(Notification.kind == "school_plan_accepted")).scalars().all()
        assert sorted(admins) == ["east1.t0", "north1.t0", "west1.t0"]
    page = as_user("east1.t0").get("/notifications").get_data(as_text=True)
    assert "区里已通过本校" in page and "年度研修计划" in page


def test_an_accepted_year_was_reopened_with_a_reason_and_accepted_again(site, as_user):
    """NORTH1's year: accepted, reopened by the district with a reason (its admin told), submitted
    again and accepted again — still locked, its history showing every step."""
    from portal.demo_district import load_district_demo
    from portal.models import SubmissionEvent, YearLock

    with site.app_context():
        load_district_demo()
        north = db.session.execute(select(School.id).where(School.code == "NORTH1")).scalar_one()
        steps = db.session.execute(select(SubmissionEvent.action, SubmissionEvent.comment).where(
            SubmissionEvent.school_id == north).order_by(SubmissionEvent.id)).all()
        assert [a for a, _c in steps] == ["submit", "accept", "reopen", "submit", "accept"]
        reason = steps[2][1]
        assert reason and db.session.execute(select(YearLock.id).where(YearLock.school_id == north)).first()
        told = db.session.execute(select(User.username).join(Notification, Notification.user_id == User.id)
                                  .where(Notification.kind == "submission_reopened")).scalars().all()
        assert told == ["north1.t0"]
    assert reason in as_user("north1.t0").get("/notifications").get_data(as_text=True)


def test_the_second_districts_school_had_its_annual_plan_returned_with_a_comment(site, as_user):
    from portal.demo_district import load_district_demo
    from portal.models import SchoolPlan

    with site.app_context():
        load_district_demo()
        plan = db.session.execute(select(SchoolPlan).join(School, School.id == SchoolPlan.school_id)
                                  .where(School.code == "SOUTH1")).scalar_one()
        assert plan.status == "returned" and plan.comment
        comment = plan.comment
        told = db.session.execute(select(User.username).join(Notification, Notification.user_id == User.id)
                                  .where(Notification.kind == "school_plan_returned")).scalars().all()
        assert told == ["south1.t0"]
    assert comment in as_user("south1.t0").get("/notifications").get_data(as_text=True)
    assert comment in as_user("south1.t0").get("/school-plan").get_data(as_text=True)


def test_a_talk_tomorrow_and_its_reminder(site, as_user):
    """An activity starting tomorrow by the school's calendar, its people reminded (the hourly
    ``remind_tomorrow``, written at once): the kind of notification no other demo activity makes."""
    from portal.demo_reach import tomorrow_title
    from portal.timeutil import to_local, utcnow

    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        title = tomorrow_title()
        act = db.session.execute(select(Activity).where(Activity.title == title)).scalar_one()
        assert (to_local(act.starts_at, school.timezone).date() - to_local(utcnow(), school.timezone).date()).days == 1
        told = db.session.execute(select(User.username).join(Notification, Notification.user_id == User.id)
                                  .where(Notification.kind == "tomorrow")).scalars().all()
        assert "teacher4" in told
    page = as_user("teacher4").get("/notifications").get_data(as_text=True)
    assert title in page and "明天" in page


def test_the_talk_tomorrow_had_its_list_changed_after_planning(site, as_user):
    """Its list changed after planning (``demo_reach.change_the_list``): the late joiner is on it
    and reminded as those planned in; the teacher sent on a course is off it and told so, in the
    notification centre; the organizer is offered the participants page."""
    from portal.demo_reach import LATE_JOINER, SENT_AWAY, tomorrow_title

    with site.app_context():
        act = db.session.execute(select(Activity).where(Activity.title == tomorrow_title())).scalar_one()
        listed = set(db.session.execute(select(User.username).join(Participation, Participation.user_id == User.id)
                                        .where(Participation.activity_id == act.id)).scalars())
        told = {(kind, name) for kind, name in db.session.execute(
            select(Notification.kind, User.username).join(User, User.id == Notification.user_id)
            .where(Notification.link == f"/activities/{act.id}"))}
        act_id = act.id
    assert LATE_JOINER in listed and SENT_AWAY not in listed
    assert ("tomorrow", LATE_JOINER) in told and ("removed", SENT_AWAY) in told
    assert ("tomorrow", SENT_AWAY) not in told
    assert "您已不在" in as_user(SENT_AWAY).get("/notifications").get_data(as_text=True)
    assert 'data-testid="participants-link"' in as_user("organizer").get(f"/activities/{act_id}").get_data(as_text=True)
    assert as_user("organizer").get(f"/activities/{act_id}/participants").status_code == 200


def test_the_plan_deadline_is_near_and_the_teachers_without_a_sent_plan_were_reminded(site, as_user):
    """The school's deadline for this year's development plans is days away: every teacher on the
    staff whose plan is not sent was reminded (``district_notices.remind_plan_deadline``, in the
    demo's clock) — not teacher1, whose plan the reviewer signed off, nor teacher7, who left."""
    from portal.demo import STAFF
    from portal.demo_year import PLAN_DEADLINE_DAYS
    from portal.services import plans
    from portal.timeutil import current_school_year, to_local, utcnow

    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        year = current_school_year(school.timezone)
        today = to_local(utcnow(), school.timezone).date()
        told = db.session.execute(select(User.username).join(Notification, Notification.user_id == User.id).where(
            Notification.kind == "plan_deadline", Notification.school_id == school.id)).scalars().all()
        if not _plan_deadline_can_be_near(school):  # the school year's last day: no deadline after it
            assert told == []
            return
        due = plans.deadline(school, year)
        assert 0 < (due - today).days <= PLAN_DEADLINE_DAYS
        sent = {"teacher1"}  # her plan signed off
        assert sorted(told) == sorted(u for u, _n, roles, *_ in STAFF if "teacher" in roles and u not in sent)
    teacher2 = as_user("teacher2").get("/notifications").get_data(as_text=True)
    assert f"将于 {due.isoformat()} 截止" in teacher2
    assert "的个人发展计划被退回：" in teacher2  # the reviewer's return, told with its comment
    for username in sent:
        page = as_user(username).get("/notifications").get_data(as_text=True)
        assert f"将于 {due.isoformat()} 截止" not in page  # not reminded of the deadline
        assert "的个人发展计划已同意" in page  # told of the sign-off instead


def test_a_talk_awaiting_review_was_sent_back_with_a_comment(site, as_user):
    """WEST1's reviewer sent its talk awaiting review back (the return whose source awaits review,
    as its workflow has it): it still waits, its organizer (the school admin) and people told,
    the comment on its page."""
    from portal.demo_district import SENT_BACK, load_district_demo

    with site.app_context():
        load_district_demo()
        west = db.session.execute(select(School.id).where(School.code == "WEST1")).scalar_one()
        [back] = _logs(west, lambda t: t.clears_adjustments)
        act = db.session.get_one(Activity, back.activity_id)
        definition = registry().types[act.type_key].engine.definition
        assert back.comment == SENT_BACK
        assert definition.phase(back.from_state) is definition.phase(act.state) is Phase.AWAITING_REVIEW
        told = set(db.session.execute(select(User.username).join(Notification, Notification.user_id == User.id).where(
            Notification.kind == "returned", Notification.school_id == west)).scalars())
        people = set(db.session.execute(select(User.username).join(Participation, Participation.user_id == User.id)
                                        .where(Participation.activity_id == act.id)).scalars())
        assert told == people - {"west1.t1"} and "west1.t0" in told  # not the reviewer who sent it back
        act_id = act.id
    assert SENT_BACK in as_user("west1.t0").get(f"/activities/{act_id}").get_data(as_text=True)
    assert SENT_BACK in as_user("west1.t0").get("/notifications").get_data(as_text=True)


def test_the_second_districts_school_was_reminded_of_its_annual_plans_deadline(site, as_user):
    """南山区's deadline for annual plans is days away: SOUTH1's admin, whose plan was returned and
    not sent again, was reminded (``district_notices.remind_school_plan_deadline``). In January
    and February the plan written for is the current year's, its deadline over: none then."""
    from portal.demo_district import load_district_demo
    from portal.models import District
    from portal.services import school_plans
    from portal.timeutil import to_local, utcnow

    with site.app_context():
        load_district_demo()
        school = db.session.execute(select(School).where(School.code == "SOUTH1")).scalar_one()
        today = to_local(utcnow(), school.timezone).date()
        year = school_plans.next_year(school.timezone)
        told = db.session.execute(select(User.username).join(Notification, Notification.user_id == User.id)
                                  .where(Notification.kind == "school_plan_deadline")).scalars().all()
        if not _school_plan_deadline_can_be_near(school):  # no day of the plan's first calendar year left
            assert told == []
            return
        due = school_plans.deadline(db.session.get_one(District, school.district_id), year)
        assert 0 < (due - today).days <= 5
        assert told == ["south1.t0"]
    assert due.isoformat() in as_user("south1.t0").get("/notifications").get_data(as_text=True)


def test_the_districts_announcements_agree_with_the_annual_plans_deadline(site, as_user):
    """The demo district announced 「下学年年度校本研修计划报送 2026-12-12」 to the school admins while
    /school-plan said the plan was due 2027-06-30 (the district's setting). An announcement that
    names sending the annual plan is on the district's deadline for it; the admins' announcement
    days away (its reminders are sent) asks for something else, and the plan page keeps its day."""
    from portal.models import DeadlineAnnouncement, District
    from portal.services import school_plans
    from portal.timeutil import current_school_year, school_year_after, to_local, utcnow

    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        district = db.session.get_one(District, school.district_id)
        today = to_local(utcnow(), school.timezone).date()
        this_year = current_school_year(school.timezone)
        plan_days = {school_plans.deadline(district, y) for y in (this_year, school_year_after(this_year))}
        rows = db.session.execute(select(DeadlineAnnouncement).where(
            DeadlineAnnouncement.district_id == district.id)).scalars().all()
        for row in rows:
            if "计划报送" in row.title:
                assert row.due_on in plan_days, (row.title, row.due_on, plan_days)
        admins = [r for r in rows if r.audience == "school_admins"]
        assert admins and all(0 < (r.due_on - today).days <= 7 for r in admins)  # reminded days before
        year = school_plans.next_year(school.timezone)
        due = school_plans.deadline(district, year).isoformat()
    page = as_user("admin").get(f"/school-plan?year={year}").get_data(as_text=True)
    assert due in page


def test_the_admins_home_lists_the_schools_work(site, as_user):
    """The demo admin's home keeps the school's to-do list: while a day of the school year is left
    for it, the teachers who have not sent their plan, due days away (the reminders' deadline)."""
    page = as_user("admin").get("/").get_data(as_text=True)
    todo = page.split('data-testid="school-todo"')[1].split("</section>")[0]
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        near = _plan_deadline_can_be_near(school)
    assert ('data-testid="todo-plans_not_sent"' in todo) == near
    assert "名教师尚未提交个人发展计划" in todo or not near


def test_every_kind_of_notification_was_sent(site):
    """The notifications page of some demo person shows each kind the portal sends (but a
    deadline reminder on the days it cannot be: see the two tests above)."""
    from portal.demo_district import load_district_demo
    from portal.services.notifications import KINDS

    with site.app_context():
        load_district_demo()
        sent = set(db.session.execute(select(Notification.kind)).scalars())
        schools = {school.code: school for school in db.session.execute(select(School)).scalars()}
        cannot = {kind for kind, can in (("plan_deadline", _plan_deadline_can_be_near(schools["DEMO"])),
                                         ("school_plan_deadline", _school_plan_deadline_can_be_near(schools["SOUTH1"])))
                  if not can}
    assert set(KINDS) - sent == cannot


def _plan_deadline_can_be_near(school: School) -> bool:
    """Whether a day of this school year is left for the plan deadline to be near (not its last)."""
    from portal.timeutil import current_school_year, to_local, utcnow, year_bounds

    return to_local(utcnow(), school.timezone).date() < year_bounds(current_school_year(school.timezone))[1]


def _school_plan_deadline_can_be_near(school: School) -> bool:
    """Whether a day of the calendar year an annual plan's deadline falls in (the first of the
    school year written for) is left after today."""
    from portal.services import school_plans
    from portal.timeutil import first_calendar_year, to_local, utcnow

    today = to_local(utcnow(), school.timezone).date()
    return today.year == first_calendar_year(school_plans.next_year(school.timezone)) and (today.month, today.day) != (12, 31)


def test_a_personal_plan_returned_with_a_comment(site, as_user):
    """teacher2's development plan, sent and returned by the reviewer with a comment: her plan
    page and her home show what to mend; she may write it again."""
    from portal.demo_year import RETURNED_PLAN
    from portal.models import DevelopmentPlan
    from portal.services import plans

    username, comment = RETURNED_PLAN
    with site.app_context():
        plan = db.session.execute(select(DevelopmentPlan).join(User, User.id == DevelopmentPlan.user_id)
                                  .where(User.username == username)).scalar_one()
        assert (plan.status, plan.comment) == (plans.RETURNED, comment)
        assert db.session.get_one(User, plan.decided_by).username == "reviewer"
    client = as_user(username)
    page = client.get("/plan").get_data(as_text=True)
    assert 'data-testid="plan-comment"' in page and comment in page
    assert comment in client.get("/").get_data(as_text=True)


def test_a_teacher_away_and_back_whose_absence_meanwhile_does_not_count(site, as_user):
    """teacher5 was taken off the staff (study leave) and given her role back since: the stretch
    before is kept, her record shows the time away, and the activity held meanwhile, which she
    missed whole, is approved with her absent — and counts no absence of her year."""
    from portal.demo_year import AWAY, away_title
    from portal.models import EarlierStint, Membership
    from portal.reports.exports import local_day
    from portal.services import credits

    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        teacher = db.session.execute(select(User).where(User.username == AWAY)).scalar_one()
        role = db.session.execute(select(Membership).where(
            Membership.user_id == teacher.id, Membership.school_id == school.id, Membership.role == "teacher")).scalar_one()
        [stint] = db.session.execute(select(EarlierStint).where(EarlierStint.membership_id == role.id)).scalars()
        assert role.active and stint.until < role.since
        act = db.session.execute(select(Activity).where(Activity.title == away_title())).scalar_one()
        assert stint.until < act.starts_at < role.since
        assert registry().types[act.type_key].engine.definition.phase(act.state) is Phase.CONFIRMED
        part = db.session.execute(select(Participation).where(
            Participation.activity_id == act.id, Participation.user_id == teacher.id)).scalar_one()
        assert part.absent_hours == act.hours and not part.attended_hours
        assert not credits.teacher_year(teacher, school, act.school_year).facts.absent_hours.get(act.semester)
        left, back = local_day(stint.until, school.timezone), local_day(role.since, school.timezone)
        teacher_id, act_id = teacher.id, act.id
    page = as_user(AWAY).get(f"/teachers/{teacher_id}/record").get_data(as_text=True)
    [line] = [p.split("</p>")[0] for p in page.split('data-testid="record-away">')[1:]]
    assert left in line and back in line and "不计" in line
    assert f'data-testid="record-absence-of-{act_id}"' not in page  # missed while away: not listed


def test_background_exports_one_written_one_waiting_one_failed(site, as_user):
    """The district admin's exports (``portal.demo_exports``): the ledger workbook written as the
    worker writes it, its page offering the download; the summary waiting for the worker; the
    ledger as CSV failed for good, its page saying so and why, in words — and the worker, handed
    it, leaves it failed (asked again, it is a new export)."""
    from portal.demo_exports import ASKED_BY
    from portal.models import ExportJob
    from portal.services import export_jobs
    from portal.timeutil import utcnow

    with site.app_context():
        jobs = db.session.execute(select(ExportJob).join(User, User.id == ExportJob.user_id)
                                  .where(User.username == ASKED_BY).order_by(ExportJob.id)).scalars().all()
        assert [(j.kind, j.status) for j in jobs] == [(export_jobs.DISTRICT_LEDGER, "done"),
                                                      (export_jobs.DISTRICT_SUMMARY, "queued"),
                                                      (export_jobs.DISTRICT_LEDGER, "failed")]
        assert jobs[0].done_rows > 0 and export_jobs.file_of(jobs[0], utcnow()) is not None
        done, waiting, failed = (j.id for j in jobs)
        assert 0 < jobs[2].done_rows < jobs[2].total_rows and jobs[2].download_name.endswith(".csv")
        export_jobs.run(failed)  # the worker, handed it by its request, leaves it
        db.session.expire_all()
        row = db.session.get(ExportJob, failed)
        assert (row.status, row.stored_name, row.failure) == ("failed", None, "export.failed_disk_full")
    client = as_user(ASKED_BY)
    page = client.get(f"/exports/{done}").get_data(as_text=True)
    assert 'data-status="done"' in page and f'href="/exports/{done}/file"' in page
    assert client.get(f"/exports/{done}/file").status_code == 200
    page = client.get(f"/exports/{waiting}").get_data(as_text=True)
    assert 'data-status="queued"' in page and 'data-export-rows>0<' in page
    assert as_user("admin").get(f"/exports/{done}").status_code == 404  # the district admin's alone
    page = client.get(f"/exports/{failed}").get_data(as_text=True)
    said = page.split('data-testid="export-failed"')[1].split("</p>")[0]
    assert 'data-status="failed"' in page and "hidden" not in said.split(">")[0]
    assert "不会再自动重试" in said and "原因：<span data-export-reason>写入文件时服务器磁盘已满。<" in said
    assert 'data-testid="export-download" hidden' in page and client.get(f"/exports/{failed}/file").status_code == 404
    assert client.get(f"/exports/{failed}.json").get_json()["reason"] == "写入文件时服务器磁盘已满。"
    page = client.get(f"/exports/{failed}?lang=en", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Reason: <span data-export-reason>The server&#39;s disk was full while the file was being written." in page


def test_a_sign_up_list_the_organizer_confirmed(site, as_user):
    """An activity whose sign-up list the organizer confirmed: its seats are its participants,
    its page says the list is confirmed, and nobody may sign up any more."""
    from portal.demo_year import CONFIRMED_SEATS, confirmed_title
    from portal.models import SignupWindow

    with site.app_context():
        act = db.session.execute(select(Activity).where(Activity.title == confirmed_title())).scalar_one()
        window = db.session.execute(select(SignupWindow).where(SignupWindow.activity_id == act.id)).scalar_one()
        assert window.confirmed_at is not None
        assert db.session.get_one(User, window.confirmed_by).username == "organizer"
        people = db.session.execute(select(User.username).join(Participation, Participation.user_id == User.id)
                                    .where(Participation.activity_id == act.id)).scalars().all()
        assert sorted(people) == sorted(CONFIRMED_SEATS)
        act_id = act.id
    for username in ("organizer", CONFIRMED_SEATS[0], "teacher4"):
        page = as_user(username).get(f"/activities/{act_id}").get_data(as_text=True)
        assert "名单已确认" in page.split('data-testid="signup-state">')[1][:20]
        assert f"/activities/{act_id}/signup/join" not in page  # closed: nobody signs up now


def test_a_refused_declaration_declared_again_is_said_on_its_card(site, as_user):
    """teacher2 declared the refused training again: the reviewer's card of it says it was
    refused before, by whom, when and why (``transitions.refused_before``)."""
    page = as_user("reviewer").get("/review").get_data(as_text=True)
    assert page.count('data-testid="refused-before-') == 1
    note = page.split('data-testid="refused-before-', 1)[1].split("</div>", 1)[0]
    assert "此前申报过并被不予认定" in note and "审核人周明轩" in note and "所附证书与申报的培训不符，不予认定。" in note


def test_a_certificate_on_two_teachers_declarations_is_told_to_the_reviewer(site, as_user):
    """孙嘉怡 (teacher3) declared a training with the file of 王雅琴's credited declaration, and it
    waits for review (``portal.demo_shared``): the reviewer's page of it names 王雅琴's declaration
    and hers names it back; the two teachers are told nothing; no hour of hers counts yet."""
    from portal.demo_shared import ALSO, HOLDER

    with site.app_context():
        school_id = _demo_school_id()
        rows = db.session.execute(
            select(Activity.id, Activity.state, Activity.type_key, User.username)
            .join(User, User.id == Activity.organizer_id)
            .where(Activity.school_id == school_id, Activity.title.endswith("（补报）"))).all()
        assert len(rows) == 1
        act_id, state, key, username = rows[0]
        assert username in ALSO and registry().types[key].engine.definition.phase(state) is Phase.AWAITING_REVIEW
        assert not db.session.execute(select(CreditEntry.id).where(CreditEntry.activity_id == act_id)).first()
    page = as_user("reviewer").get(f"/activities/{act_id}").get_data(as_text=True)
    note = page.split('data-testid="shared-certificate">', 1)[1].split("</div>", 1)[0]
    assert "王雅琴" in note and "同一文件" in note
    theirs = int(note.split('href="/activities/', 1)[1].split('"', 1)[0])
    back = as_user("reviewer").get(f"/activities/{theirs}").get_data(as_text=True)
    assert 'data-testid="shared-certificate"' in back and "（补报）" in back
    assert 'data-testid="shared-certificate"' not in as_user(username).get(f"/activities/{act_id}").get_data(as_text=True)
    assert 'data-testid="shared-certificate"' not in as_user(HOLDER).get(f"/activities/{theirs}").get_data(as_text=True)
