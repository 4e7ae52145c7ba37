"""What a year the district accepted freezes beyond hours: its personal development plans are no
longer written, handed in, signed off or returned (``year.locked``, nothing changes; the pages
offer no form but say why; one semester's acceptance leaves the year's plans open, both close
them), and the review
queue leaves out its held activities, on which nothing can be decided. Reopening the year opens
both again."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from portal.errors import Conflict
from portal.extensions import db
from portal.models import DevelopmentPlan, Notification
from portal.policy import SYSTEM, Actor
from portal.services import (
    access,
    district_notices,
    districts,
    overview,
    plans,
    reminders,
    schools,
    submissions,
)
from portal.timeutil import utcnow
from tests.credits.helpers import credited, login
from tests.district.conftest import YEAR
from workflows.definition import Phase

GOALS = "提高课堂提问的有效性。"


def _actor(world, name: str):
    return access.actor(world.staff[name].id, world.s1.id)


def _accept(world, semester=None):
    sub = submissions.submit(world.s1, YEAR, semester, by=_actor(world, "admin"))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    return sub


@pytest.fixture
def handed_in(world):
    """t1's plan handed in and t2's draft, the deadline at the year's end."""
    s = world.s1
    plans.set_deadline(s, YEAR, plans.year_bounds(YEAR)[1].isoformat(), by=_actor(world, "admin"))
    submitted = plans.save(s, world.staff["t1"], YEAR, GOALS, by=_actor(world, "t1"), submit=True)
    draft = plans.save(s, world.staff["t2"], YEAR, GOALS, by=_actor(world, "t2"))
    db.session.commit()
    return submitted.id, draft.id


def _plans() -> set[tuple]:
    return set(db.session.execute(select(DevelopmentPlan.id, DevelopmentPlan.status, DevelopmentPlan.goals)).all())


def test_an_accepted_year_takes_no_plan_change(app, world, handed_in):
    submitted_id, draft_id = handed_in
    sub = _accept(world)
    before = _plans()
    s, t2 = world.s1, world.staff["t2"]
    for change in (lambda: plans.save(s, t2, YEAR, GOALS + "！", by=_actor(world, "t2")),
                   lambda: plans.save(s, t2, YEAR, GOALS, by=_actor(world, "t2"), submit=True),
                   lambda: plans.decide(db.session.get(DevelopmentPlan, submitted_id), "approve",
                                        by=_actor(world, "reviewer")),
                   lambda: plans.decide(db.session.get(DevelopmentPlan, submitted_id), "return", "再想想",
                                        by=_actor(world, "reviewer"))):
        with pytest.raises(Conflict) as info:
            change()
        assert info.value.msg.code == "year.locked"
        db.session.rollback()
    assert _plans() == before

    # the pages: no form, the reason instead; a post is refused the same way
    teacher = login(app.test_client(), t2, s)
    page = teacher.get(f"/plan?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="plan-year-locked"' in page and 'data-testid="plan-form"' not in page
    assert "区里已验收本学年" in page
    r = teacher.post(f"/plan?year={YEAR}", data={"goals": GOALS + "？", "target_hours": "50", "action": "save"})
    assert r.status_code == 409 and "审核通过并锁定" in r.get_data(as_text=True)
    reviewer = login(app.test_client(), world.staff["reviewer"], s)
    page = reviewer.get(f"/plans/{submitted_id}").get_data(as_text=True)
    assert 'data-testid="plan-year-locked"' in page and 'data-testid="decision-form"' not in page
    assert reviewer.post(f"/plans/{submitted_id}", data={"decision": "approve", "comment": ""}).status_code == 409
    assert _plans() == before

    # reopened: the plans are open again
    submissions.reopen(sub.id, "更正请假记录", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    assert 'data-testid="plan-form"' in teacher.get(f"/plan?year={YEAR}").get_data(as_text=True)
    assert plans.decide(db.session.get(DevelopmentPlan, submitted_id), "approve",
                        by=_actor(world, "reviewer")).status == "approved"


def test_a_semesters_acceptance_leaves_the_years_plans_open(app, world, handed_in):
    submitted_id, _draft_id = handed_in
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    _accept(world, semester=1)
    assert plans.year_open(world.s1.id, YEAR)
    plans.save(world.s1, world.staff["t2"], YEAR, GOALS + "！", by=_actor(world, "t2"))
    assert plans.decide(db.session.get(DevelopmentPlan, submitted_id), "approve",
                        by=_actor(world, "reviewer")).status == "approved"


def test_both_semesters_accepted_close_the_years_plans_as_the_year_accepted_whole(app, world, handed_in,
                                                                                   time_machine):
    """A district that collects semesters never locks the year whole; once it has accepted both,
    nothing more is written in the year (``locks.covers``), its plans included — they stayed
    open. Reopening a semester opens them again."""
    from datetime import UTC, datetime

    _submitted_id, _draft_id = handed_in
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    time_machine.move_to(datetime(2027, 7, 5, 2, 0, tzinfo=UTC))
    _accept(world, semester=1)
    sub2 = _accept(world, semester=2)
    assert not plans.year_open(world.s1.id, YEAR)
    before = _plans()
    with pytest.raises(Conflict) as info:
        plans.save(world.s1, world.staff["t2"], YEAR, GOALS + "！", by=_actor(world, "t2"))
    assert info.value.msg.code == "year.locked"
    db.session.rollback()
    assert _plans() == before
    submissions.reopen(sub2.id, "更正请假记录", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    assert plans.year_open(world.s1.id, YEAR)
    plans.save(world.s1, world.staff["t2"], YEAR, GOALS + "！", by=_actor(world, "t2"))


def test_the_review_queue_leaves_out_what_an_accepted_year_froze(app, world):
    """A held activity of a year the district accepted can be neither approved nor returned
    (``year.locked``); oldest first, it would sit on the queue's first page for good. The queue
    and its counts leave it out; its own page still shows it with the lock; reopened, it is back."""
    held = world.held.id
    reviewer = login(app.test_client(), world.staff["reviewer"], world.s1)
    before = reviewer.get("/review").get_data(as_text=True)
    assert f'data-testid="queue-item-{held}"' in before and "待审核（1）" in before
    sub = _accept(world)
    queue = reviewer.get("/review").get_data(as_text=True)
    assert f'data-testid="queue-item-{held}"' not in queue and 'data-testid="queue-empty"' in queue
    assert overview.queue_counts(world.s1.id, (Phase.AWAITING_REVIEW,)) == {Phase.AWAITING_REVIEW: 0}
    page = reviewer.get(f"/activities/{held}").get_data(as_text=True)
    assert page.count("待审活动") >= 1
    submissions.reopen(sub.id, "更正请假记录", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    assert f'data-testid="queue-item-{held}"' in reviewer.get("/review").get_data(as_text=True)


def test_a_semesters_acceptance_leaves_its_activities_out_of_the_outlook(app, world):
    """Once the district has accepted a semester, nothing of it can be credited any more (its
    held activity can be neither approved nor credited: ``year.locked``), so the teacher's outlook
    — the home page and ``GET /api/v1/me/outlook`` — no longer counts that activity's hours as
    coming nor lists it: it said "the activities you are in can bring 2 hours" for one that
    never will. Reopened, it is counted again."""
    t3 = world.staff["t3"]
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": t3.username, "password": "test-password-1"}
                        ).get_json()["token"]

    def outlook() -> dict:
        return client.get("/api/v1/me/outlook", headers={"Authorization": f"Bearer {token}"}).get_json()

    home = login(app.test_client(), t3, world.s1)
    assert outlook()["pending_hours"] == 2 and [p["activity_id"] for p in outlook()["pending"]] == [world.held.id]
    assert 'data-testid="forecast-pending"' in home.get("/").text
    sub = _accept(world, semester=1)
    got = outlook()
    assert got["pending"] == [] and got["pending_hours"] == 0 and got["beyond_planned"] == got["needed"]
    assert "待审活动" not in home.get("/").text
    submissions.reopen(sub.id, "更正请假记录", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    assert outlook()["pending_hours"] == 2 and "待审活动" in home.get("/").text


class _Surfaces:
    """What the teacher's and the school admin's surfaces say of the teacher: ``outlook()`` (``GET
    /api/v1/me/outlook``), the teacher's row of ``GET /api/v1/reports/credits``, the home page and
    the teacher's warnings cell of the summary page and of its CSV."""

    def __init__(self, app, world, teacher) -> None:
        self.app, self.teacher = app, teacher
        self.api = app.test_client()
        self.token, self.admin_token = (
            self.api.post("/api/v1/auth/token", json={"username": u.username, "password": "test-password-1"}
                          ).get_json()["token"] for u in (teacher, world.staff["admin"]))
        self.home = login(app.test_client(), teacher, world.s1)
        self.admin = login(app.test_client(), world.staff["admin"], world.s1)

    def outlook(self) -> dict:
        return self.api.get("/api/v1/me/outlook", headers={"Authorization": f"Bearer {self.token}"}).get_json()

    def report_row(self) -> dict:
        report = self.api.get("/api/v1/reports/credits", headers={"Authorization": f"Bearer {self.admin_token}"})
        return next(r for r in report.get_json()["teachers"] if r["username"] == self.teacher.username)

    def home_page(self) -> str:
        return self.home.get("/").text

    def summary_cell(self) -> str:
        page = self.admin.get("/reports/summary").text
        return page.split(f'data-testid="warnings-{self.teacher.username}"')[1].split("</td>")[0]

    def csv_cell(self) -> str:
        return next(row for row in csv.reader(io.StringIO(self.admin.get("/reports/summary.csv").text))
                    if row[0] == self.teacher.username)[-1]


def test_a_semesters_acceptance_ends_its_warnings(app, world):
    """A semester the district accepted takes nothing more — no writing is filed in it, no
    absence recorded (``year.locked``) — as a semester that is over by the calendar: its quotas
    are not met rather than "behind schedule", and its absence no longer "nears" the limit. The
    home, ``GET /api/v1/me/outlook``, the school summary (page, CSV) and
    ``GET /api/v1/reports/credits`` said "第1学期教学反思进度落后" for the semester just accepted,
    urging writing the writing page no longer takes, and the reminders sent it as notifications
    (absence nearing the limit, quota behind); the year's own quota still warns."""
    t3 = world.staff["t3"]
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    schools.update_rules(world.s1, {"absence_warning_hours": 1}, by=SYSTEM)
    absent_lecture = credited(world.s1, world.staff, "lecture", [(t3, "attendee")], hours="2",
                              attended={t3.id: "0"}, absent={t3.id: "2"}, title="缺席活动")
    assert absent_lecture.semester == 1
    said = _Surfaces(app, world, t3)

    def warned() -> dict[str, set]:
        outlook, row, home, summary, csv_warnings = (said.outlook(), said.report_row(), said.home_page(),
                                                     said.summary_cell(), said.csv_cell())
        return {
            "outlook": {(w["kind"], w.get("quota", {}).get("key", ""), w["semester"]) for w in outlook["warnings"]},
            "report": {(w["kind"], w.get("quota", {}).get("key", ""), w["semester"]) for w in row["warnings"]},
            "home": {"reflections-1" if "第一学期教学反思进度落后" in home else "",
                     "absence" if 'data-testid="warning-absence"' in home else ""} - {""},
            "summary": {"absence" if 'data-warning="absence"' in summary else "",
                        "reflections-1" if "第一学期教学反思进度落后" in summary else ""} - {""},
            "csv": {"absence" if "第一学期：未请假缺席" in csv_warnings else "",
                    "reflections-1" if "第一学期教学反思进度落后" in csv_warnings else ""} - {""},
        }

    before = warned()
    assert ("quota", "reflections", 1) in before["outlook"] and ("absence", "", 1) in before["outlook"]
    assert before["outlook"] == before["report"]
    assert before["home"] == before["summary"] == before["csv"] == {"reflections-1", "absence"}
    _accept(world, semester=1)
    after = warned()
    assert after["outlook"] == after["report"] == {w for w in before["outlook"] if w[2] != 1}  # none of semester 1
    assert ("quota", "reading_notes", 0) in after["outlook"]  # the year's quota: the year goes on
    assert after["home"] == after["summary"] == after["csv"] == set()
    # nor do the reminders (absence nearing its limit, a quota behind) tell of semester 1
    reminders.remind_absence(utcnow())
    district_notices.remind_quotas(utcnow())
    told = db.session.execute(select(Notification).where(Notification.user_id == t3.id)).scalars().all()
    assert [n.params for n in told if n.kind == "absence_warning"] == []
    assert {n.params["quota"]["zh"] for n in told if n.kind == "quota_behind"} == {"读书笔记"}


def test_an_accepted_years_activity_offers_no_evidence_form(app, world):
    """An activity of a year the district accepted takes no evidence (``year.locked``): its page
    offers its participant neither the upload form nor a "to upload" reminder (it offered both,
    and a piece sent was refused). Reopened, the form is back."""
    t3 = world.staff["t3"]
    page = login(app.test_client(), t3, world.s1)
    url = f"/activities/{world.held.id}"
    assert 'data-testid="evidence-kind"' in page.get(url).text
    sub = _accept(world)
    shown = page.get(url).text
    assert 'data-testid="evidence-kind"' not in shown and 'data-testid="todo-missing"' not in shown
    assert page.post(url + "/evidence", data={"kind": "reflection", "title": "反思", "text": "收获很多。" * 10,
                                              "user_id": str(t3.id)}).status_code in (409, 422)
    submissions.reopen(sub.id, "更正请假记录", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    assert 'data-testid="evidence-kind"' in page.get(url).text


def test_both_semesters_accepted_end_the_years_own_quota_and_outlook(app, world, time_machine):
    """A district that collects semesters never locks the year whole: it accepts semester 1, then
    semester 2 (in July, before the year's end). Then nothing more can be written or credited in
    the year (the writing page files under semester 2: ``year.locked``), yet the year's own quota
    (reading notes) was still "behind schedule" on the home, ``GET /api/v1/me/outlook``, the
    summary (page, CSV), ``GET /api/v1/reports/credits`` and as a monthly notification, and the
    outlook said "needs more" hours to find in activities the year no longer takes. Reopened, the
    year goes on again."""
    from datetime import UTC, datetime

    from portal.services import credits, forecast

    t3 = world.staff["t3"]
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    time_machine.move_to(datetime(2027, 7, 5, 2, 0, tzinfo=UTC))
    _accept(world, semester=1)
    said = _Surfaces(app, world, t3)

    def reading_notes_behind() -> dict[str, bool]:
        return {
            "outlook": any(w.get("quota", {}).get("key") == "reading_notes" for w in said.outlook()["warnings"]),
            "report": any(w.get("quota", {}).get("key") == "reading_notes" for w in said.report_row()["warnings"]),
            "home": "读书笔记进度落后" in said.home_page(),
            "summary": "读书笔记进度落后" in said.summary_cell(),
            "csv": "读书笔记进度落后" in said.csv_cell(),
        }

    def outlook() -> str:
        return said.outlook()["outlook"]

    assert set(reading_notes_behind().values()) == {True}  # semester 2 goes on: the year's quota is behind
    assert outlook() == "needs_more"
    sub2 = _accept(world, semester=2)
    assert set(reading_notes_behind().values()) == {False}
    assert outlook() == "unreachable"
    ty = credits.teacher_year(t3, world.s1, YEAR)
    assert forecast.forecast(ty.facts, ty.assessment.status, [], utcnow().date(),
                             accepted=ty.accepted_periods, open_to_credits=True).outlook == "unreachable"
    district_notices.remind_quotas(utcnow())
    told = db.session.execute(select(Notification).where(Notification.user_id == t3.id,
                                                         Notification.kind == "quota_behind")).scalars().all()
    assert told == []
    submissions.reopen(sub2.id, "更正请假记录", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    assert set(reading_notes_behind().values()) == {True} and outlook() == "needs_more"
