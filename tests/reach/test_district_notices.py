"""Notices about the school's own deadlines and the district's decisions: the personal-plan
deadline to teachers whose plan is not sent, writing quotas behind schedule (once per quota and
month), and the district's decisions on the annual plan and the submitted year to the school's
admins — through the real worker and a real SMTP server, nobody told twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    DevelopmentPlan,
    Membership,
    Notification,
    SchoolPlan,
    SubmissionEvent,
    YearSubmission,
)
from portal.policy import Actor
from portal.services import credits, district_notices, forecast, notifications, plans, submissions
from portal.timeutil import current_school_year, to_local
from tests.reach.conftest import wait_for
from tests.reach.helpers import no_quiet_hours, notes, school, user
from tests.support.sessions import log_in


def _at(day, hour_utc: int = 0) -> datetime:
    """08:27 in Shanghai on ``day`` (00:27 UTC), when the daily job runs."""
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour_utc, minutes=27)


def test_the_plan_deadline_reaches_teachers_whose_plan_is_not_sent_seven_and_one_days_before(queued_app):
    from portal import policy
    from portal.timeutil import year_bounds

    demo = school()
    year = current_school_year(demo.timezone)
    # the demo's deadline is days away and its teachers were reminded of it (demo_year): another
    # one, so that each reminder of this one is made here
    last = year_bounds(year)[1]
    due = plans.set_deadline(demo, year, (last if plans.deadline(demo, year) != last else last - timedelta(days=10))
                             .isoformat(), by=policy.SYSTEM)
    teachers = set(db.session.execute(select(Membership.user_id).where(
        Membership.school_id == demo.id, Membership.role == "teacher", Membership.active.is_(True))).scalars())
    sent = set(db.session.execute(select(DevelopmentPlan.user_id).where(
        DevelopmentPlan.school_id == demo.id, DevelopmentPlan.school_year == year,
        DevelopmentPlan.status.in_(("submitted", "approved")))).scalars())
    assert teachers - sent and sent  # the demo has both
    assert district_notices.remind_plan_deadline(_at(due - timedelta(days=8))) == []  # too early
    made = district_notices.remind_plan_deadline(_at(due - timedelta(days=7)))
    told = [n for n in notes("plan_deadline") if n.id in made]
    assert {n.user_id for n in told} == teachers - sent
    assert told[0].params == {"year": year, "date": due.isoformat(), "days": 7}
    assert "个人发展计划" in str(notifications.text(told[0])) and told[0].link == "/plan"
    assert district_notices.remind_plan_deadline(_at(due - timedelta(days=7))) == []  # the job again
    assert district_notices.remind_plan_deadline(_at(due - timedelta(days=3))) == []  # 7-day one was sent
    last = district_notices.remind_plan_deadline(_at(due - timedelta(days=1)))
    assert len(last) == len(teachers - sent)
    # how far it is, in words in both languages: not "in 1 days"
    week, day = told[0], db.session.get_one(Notification, last[0])
    assert notifications.text(week).render("en").endswith(f"due on {due.isoformat()}, in 7 days, and has not been sent")
    assert notifications.text(day).render("en").endswith(f"due on {due.isoformat()}, tomorrow, and has not been sent")
    assert "（明天）" in notifications.text(day).render("zh_Hans_CN") and "（还有 7 天）" in notifications.text(week).render(
        "zh_Hans_CN")
    assert district_notices.remind_plan_deadline(_at(due)) == []  # the day itself: nothing more


def test_the_annual_plan_deadline_reaches_the_admins_of_a_school_that_has_not_sent_it(queued_app):
    from sqlalchemy import update

    from portal.models import District
    from portal.services import school_plans

    demo = school()
    year = school_plans.next_year(demo.timezone)
    due = school_plans.deadline(db.session.get_one(District, demo.district_id), year)
    week_before = _at(due - timedelta(days=7))
    plan = school_plans.get_plan(demo.id, year)
    if plan is not None and plan.status in ("submitted", "accepted"):  # the demo sent it: nobody is told
        assert district_notices.remind_school_plan_deadline(week_before) == []
        db.session.execute(update(SchoolPlan).where(SchoolPlan.id == plan.id).values(status="returned"))
        db.session.commit()
    made = district_notices.remind_school_plan_deadline(week_before)
    told = [n for n in notes("school_plan_deadline") if n.id in made]
    assert {n.user_id for n in told} == set(district_notices.school_admins(demo.id)) == {user("admin").id,
                                                                                           user("deputy").id}
    assert told[0].params == {"year": year, "date": due.isoformat(), "days": 7}
    assert "年度研修计划" in str(notifications.text(told[0]))
    assert district_notices.remind_school_plan_deadline(week_before) == []
    assert len(district_notices.remind_school_plan_deadline(_at(due - timedelta(days=1)))) == 2  # each admin once


def test_a_quota_behind_schedule_is_told_once_a_month(queued_app):
    demo = school()
    year = current_school_year(demo.timezone)
    march = _at(datetime(int(year[:4]) + 1, 3, 15).date(), 4)
    today = to_local(march, demo.timezone).date()
    expected = {(row.user.id, q.key, q.semester) for row in credits.year_rows([demo], year)[demo.id]
                for q in forecast.behind(row.facts, today, status=row.assessment.status, accepted=())}
    assert expected  # the demo's teachers are behind on some quota in March
    made = district_notices.remind_quotas(march)
    told = [n for n in notes("quota_behind") if n.id in made]
    assert {(n.user_id, n.params["quota"]["en"]) for n in told} == {
        (uid, district_notices.quota_label(q)["en"])
        for row in credits.year_rows([demo], year)[demo.id]
        for q in forecast.behind(row.facts, today, status=row.assessment.status, accepted=()) for uid in [row.user.id]}
    for one in told:  # the figures as the home writes them: thousands marked, characters counted
        figures = {k: int(one.params[k]["en"].split()[0].replace(",", "")) for k in ("done", "target", "expected")}
        assert figures["done"] < figures["expected"] <= figures["target"]
        said = str(notifications.text(one))
        assert said.startswith(f"{one.params['quota']['zh']}进度落后：已完成 {figures['done']:,} / {figures['target']:,}")
        if one.params["quota"]["en"] == "Reading notes":
            assert said.endswith(f"按进度此时应完成 {figures['expected']:,} 字") and figures["target"] >= 1000
    assert any(n.params["quota"]["en"] == "Reading notes" for n in told)
    assert district_notices.remind_quotas(march) == []
    later = district_notices.remind_quotas(march + timedelta(days=10))  # the same month: only quotas newly behind
    pairs = [(n.user_id, n.params["quota"]["en"]) for n in notes("quota_behind") if n.id in made or n.id in later]
    assert len(pairs) == len(set(pairs))
    april = district_notices.remind_quotas(march + timedelta(days=31))
    assert april and len(april) >= len(made)  # still behind in April: told again, once


def test_district_decisions_reach_the_school_admins_by_app_and_email(queued_app, smtp, worker):
    no_quiet_hours()
    demo = school()
    admin = user("admin")
    notifications.save_setting(admin.id, "admin@school.test", list(notifications.KINDS))
    reviewer = user("dreviewer")
    plan = db.session.execute(select(SchoolPlan).where(SchoolPlan.school_id == demo.id,
                                                       SchoolPlan.status == "submitted")).scalar_one()
    client = log_in(queued_app.test_client(), reviewer)
    r = client.post(f"/district/plans/{plan.id}", data={"decision": "return", "comment": "请补充师徒结对安排"})
    assert r.status_code == 303
    def from_district() -> list:  # the worker may run the hourly reminders meanwhile: only the district's
        return [m for m in smtp.inbox.to("admin@school.test") if "区里" in m.get_content()]

    wait_for(from_district)
    [mail] = from_district()
    assert "请补充师徒结对安排" in mail.get_content() and "年度研修计划" in mail.get_content()
    [returned] = notes("school_plan_returned", "admin")
    assert returned.link == "/school-plan"
    # the year: accepted (locked), then reopened with a reason
    sub = db.session.execute(select(YearSubmission).where(YearSubmission.school_id == demo.id,
                                                          YearSubmission.status == "submitted")).scalar_one()
    seat = Actor.of(reviewer.id, ["district_reviewer"])
    submissions.decide(sub.id, True, "数据完整", by=seat, district_id=demo.district_id)
    submissions.reopen(sub.id, "第二学期补录一次讲座", by=seat, district_id=demo.district_id)
    wait_for(lambda: len(from_district()) == 3)
    wait_for(lambda: notes("submission_reopened", "admin"))
    [accepted] = notes("submission_accepted", "admin")
    [reopened] = notes("submission_reopened", "admin")
    assert "已锁定" in str(notifications.text(accepted))
    assert "第二学期补录一次讲座" in str(notifications.text(reopened))
    admins = set(district_notices.school_admins(demo.id))  # the admin and the deputy head
    teachers_told = [n for n in notes("submission_accepted") if n.user_id not in admins]
    assert teachers_told == []  # the school's admins only
    events = db.session.execute(select(SubmissionEvent.id).where(SubmissionEvent.submission_id == sub.id,
                                                                 SubmissionEvent.action != "submit")).scalars().all()
    assert all(district_notices.submission_job(e) == [] for e in events)  # the jobs again: nobody twice
    assert len(from_district()) == 3


def test_the_reminders_command_runs_the_deadline_and_quota_reminders_too(queued_app):
    out = queued_app.test_cli_runner().invoke(args=["reminders", "run"])
    assert out.exit_code == 0, out.output
    for kind in ("tomorrow", "deadline_due", "plan_deadline", "school_plan_deadline", "quota_behind"):
        assert f"{kind}: " in out.output


def test_the_demo_shows_the_district_decisions_to_the_schools_admins(make_app):
    from portal.demo_district import load_district_demo

    app = make_app(demo=True)
    with app.app_context():
        load_district_demo()
        [returned] = notes("submission_returned", "west1.t0")  # WEST1 was returned
        assert "请核对两位教师的请假记录" in str(notifications.text(returned))
        assert notes("submission_accepted", "north1.t0")
        assert notes("submission_returned", "east1.t0") == []  # still waiting
        assert {n.kind for n in notes(username="admin")} >= {"deadline_announced", "deadline_due"}


def test_the_settings_page_offers_the_schools_notices_to_its_admins_only(make_app):
    app = make_app(demo=True)
    with app.app_context():
        teacher = log_in(app.test_client(), user("teacher1"), school().id)
        admin_user = user("admin")
        admin = log_in(app.test_client(), admin_user, school().id)
    page = teacher.get("/notifications/settings").get_data(as_text=True)
    assert "settings-kind-deadline_due" in page and "settings-kind-submission_returned" not in page
    page = admin.get("/notifications/settings").get_data(as_text=True)
    assert "settings-kind-submission_returned" in page
    # the admin switches one off; a teacher's save keeps the kinds it was not offered as they were
    kinds = [k for k in notifications.KINDS if k != "submission_reopened"]
    assert admin.post("/notifications/settings", data={"email": "a@school.cn", "email_kinds": kinds}).status_code == 302
    offered = [k for k in notifications.KINDS if k not in notifications.FOR_SCHOOL_ADMINS]
    assert teacher.post("/notifications/settings", data={"email": "t@school.cn", "email_kinds": offered}).status_code == 302
    with app.app_context():
        assert notifications.setting(admin_user.id).email_off == ["submission_reopened"]
        assert notifications.setting(user("teacher1").id).email_off == []
