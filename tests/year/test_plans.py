"""Personal development plans: written by the teacher before the school's deadline, signed
off or returned by a school admin or a reviewer (never the teacher), set against the ledger's
figures; bad input (dates outside the school year, hours out of range) changes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.errors import Conflict, Forbidden, Invalid
from portal.extensions import db
from portal.models import DevelopmentPlan, School
from portal.services import credits, plans, schools
from portal.timeutil import current_school_year
from tests.support import factories as f
from tests.support.prepared import prepared_by
from tests.year.helpers import actor

GOALS = "提高课堂提问的有效性。"


def _build_school() -> dict:
    """School PL, its staff and this school year's plan deadline (its last day): ids."""
    s = f.school("PL")
    p = f.staff(s, "pl")
    year = current_school_year(s.timezone)
    plans.set_deadline(s, year, plans.year_bounds(year)[1].isoformat(), by=actor(p["admin"], s))
    return {"school": s.id, "staff": f.ids(p), "year": year}


prepared = prepared_by(_build_school)


@pytest.fixture
def sch(app, make_app, prepared):
    ids = make_app.facts(prepared)
    return db.session.get(School, ids["school"]), f.people_of(ids["staff"]), ids["year"]


def _count() -> int:
    return len(list(db.session.execute(select(DevelopmentPlan.id)).scalars()))


def test_a_teacher_writes_hands_in_and_a_reviewer_signs_off(sch):
    s, p, year = sch
    t = p["t1"]
    plan = plans.save(s, t, year, GOALS, "《给教师的建议》\n\n 整本书阅读 ", None, {"lecture": "20", "observation": ""},
                      by=actor(t, s))
    assert plan.status == "draft" and plan.target_hours == Decimal("50")  # the school's requirement
    assert plan.studies == "《给教师的建议》\n整本书阅读" and plan.type_targets == {"lecture": "20"}
    plan = plans.save(s, t, year, GOALS, "", "60", {"lecture": "30"}, by=actor(t, s), submit=True)
    assert plan.status == "submitted" and plan.submitted_at is not None
    with pytest.raises(Conflict):  # awaiting sign-off: no changes
        plans.save(s, t, year, GOALS + "！", by=actor(t, s))
    with pytest.raises(Forbidden):  # a teacher does not sign off plans
        plans.decide(plan, "approve", by=actor(p["t2"], s))
    plans.decide(plan, "approve", "好", by=actor(p["reviewer"], s))
    assert plan.status == "approved" and plan.decided_by == p["reviewer"].id
    with pytest.raises(Conflict):
        plans.decide(plan, "return", "晚了", by=actor(p["admin"], s))


def test_nobody_signs_off_their_own_plan(sch):
    s, p, year = sch
    rev = p["reviewer"]  # a reviewer who also teaches
    plan = plans.save(s, rev, year, GOALS, by=actor(rev, s), submit=True)
    with pytest.raises(Forbidden):
        plans.decide(plan, "approve", by=actor(rev, s))
    assert db.session.get(DevelopmentPlan, plan.id).status == "submitted"


def test_only_the_teacher_writes_their_plan(sch):
    s, p, year = sch
    with pytest.raises(Forbidden):
        plans.save(s, p["t1"], year, GOALS, by=actor(p["admin"], s))
    assert _count() == 0


def test_a_returned_plan_needs_a_comment_and_can_be_revised_after_the_deadline(sch):
    s, p, year = sch
    t = p["t1"]
    plan = plans.save(s, t, year, GOALS, by=actor(t, s), submit=True)
    with pytest.raises(Invalid) as exc:
        plans.decide(plan, "return", "  ", by=actor(p["admin"], s))
    assert "comment" in exc.value.fields and plan.status == "submitted"
    plans.decide(plan, "return", "请补充读书计划", by=actor(p["admin"], s))
    first = plans.year_bounds(year)[0]
    plans.set_deadline(s, year, first.isoformat(), by=actor(p["admin"], s))  # the deadline has passed
    plan = plans.save(s, t, year, GOALS, "《课堂提问的艺术》", by=actor(t, s), submit=True)
    assert plan.status == "submitted"
    with pytest.raises(Conflict) as late:  # a new plan after the deadline
        plans.save(s, p["t2"], year, GOALS, by=actor(p["t2"], s))
    assert late.value.msg.code == "plan.deadline_passed"


@pytest.mark.parametrize("blank", ["\u200b\u200b", "。。。", "\u3000\u2060\ufeff", "……！？"])
def test_invisible_or_punctuation_only_goals_and_comments_are_refused(sch, blank):
    """Attack: ``str.strip`` keeps zero-width characters, so a plan of goals "\u200b" (or only
    punctuation) was handed in with nothing written, and a reviewer returned a plan with a
    "comment" the teacher sees as empty. Goals and a return's comment need a character that
    counts (``textcount``); nothing changes."""
    s, p, year = sch
    t = p["t1"]
    with pytest.raises(Invalid) as exc:
        plans.save(s, t, year, blank, by=actor(t, s), submit=True)
    assert exc.value.fields["goals"].code == "plan.goals" and _count() == 0
    plan = plans.save(s, t, year, GOALS, by=actor(t, s), submit=True)
    with pytest.raises(Invalid) as exc:
        plans.decide(plan, "return", blank, by=actor(p["reviewer"], s))
    assert exc.value.fields["comment"].code == "plan.comment_required"
    db.session.refresh(plan)
    assert plan.status == "submitted" and plan.comment == "" and plan.decided_by is None


@pytest.mark.parametrize(
    ("goals", "studies", "target", "types", "field"),
    [
        ("", "", None, None, "goals"),
        ("x" * 2001, "", None, None, "goals"),
        (GOALS, "\n".join(["书"] * 31), None, None, "studies"),
        (GOALS, "书" * 201, None, None, "studies"),
        (GOALS, 5, None, None, "studies"),
        (GOALS, "", "49.5", None, "target_hours"),  # below the school's requirement
        (GOALS, "", "301", None, "target_hours"),
        (GOALS, "", "-1", None, "target_hours"),
        (GOALS, "", "50.3", None, "target_hours"),
        (GOALS, "", "1e400", None, "target_hours"),
        (GOALS, "", "abc", None, "target_hours"),
        (GOALS, "", "50", {"lecture": "-2"}, "type_targets"),
        (GOALS, "", "50", {"lecture": "400"}, "type_targets"),
        (GOALS, "", "50", {"lecture": "30", "observation": "30"}, "type_targets"),  # more than the target
        (GOALS, "", "50", {"no_such_type": "3"}, "type_targets"),
        (GOALS, "", "50", ["lecture"], "type_targets"),
    ],
)
def test_bad_plans_are_refused_and_change_nothing(sch, goals, studies, target, types, field):
    s, p, year = sch
    with pytest.raises(Invalid) as exc:
        plans.save(s, p["t1"], year, goals, studies, target, types, by=actor(p["t1"], s))
    assert field in exc.value.fields
    assert _count() == 0


@pytest.mark.parametrize("year", ["2026", "2026-2028", "", None, 2026])
def test_a_plan_for_no_school_year_is_refused(sch, year):
    s, p, _year = sch
    if year in ("", None):
        return  # empty means the current year (the pages' default)
    with pytest.raises(Invalid) as exc:
        plans.save(s, p["t1"], year, GOALS, by=actor(p["t1"], s))
    assert "year" in exc.value.fields and _count() == 0


@pytest.mark.parametrize(
    ("value", "ok"),
    [("first", True), ("last", True), ("before", False), ("after", False), ("2026-02-30", False), ("soon", False), (None, False)],
)
def test_the_deadline_is_a_date_within_the_school_year(sch, value, ok):
    s, p, year = sch
    first, last = plans.year_bounds(year)
    text = {"first": first, "last": last, "before": first - timedelta(days=1), "after": last + timedelta(days=1)}.get(value)
    given = text.isoformat() if isinstance(text, date) else value
    before = dict(s.rules or {})
    if ok:
        assert plans.set_deadline(s, year, given, by=actor(p["admin"], s)).isoformat() == given
        return
    with pytest.raises(Invalid) as exc:
        plans.set_deadline(s, year, given, by=actor(p["admin"], s))
    assert "deadline" in exc.value.fields and db.session.get(School, s.id).rules == before
    with pytest.raises(Forbidden):
        plans.set_deadline(s, year, last.isoformat(), by=actor(p["reviewer"], s))


def test_planned_against_done_reads_the_ledger_figures(sch):
    s, p, year = sch
    t = p["t1"]
    plan = plans.save(s, t, year, GOALS, "", "60", {"lecture": "20", "research": "10"}, by=actor(t, s))
    record = credits.teacher_year(t, s, year)
    lines = {line.key: line for line in plans.against(plan, record)}
    assert lines[None].planned == Decimal("60") and lines[None].done == record.facts.total_hours
    assert lines["lecture"].planned == Decimal("20") and lines["lecture"].done == record.facts.by_type.get("lecture", 0)
    assert set(lines) == {None, "lecture", "research", *record.facts.by_type}


@pytest.mark.parametrize(("zone", "at", "in_time"), [
    ("Asia/Shanghai", datetime(2026, 10, 31, 15, 30), True),  # 31 October 23:30 in Beijing
    ("Asia/Shanghai", datetime(2026, 10, 31, 16, 30), False),  # 1 November 00:30 in Beijing, 31 October in UTC
    ("America/New_York", datetime(2026, 11, 1, 3, 30), True),  # 31 October 23:30 in New York, 1 November in UTC
])
def test_the_deadline_passes_at_the_end_of_its_day_in_the_schools_time(app, monkeypatch, zone, at, in_time):
    # the plan's "today" asks the app's clock (plans.utcnow) in the school's zone, as every other deadline
    s = schools.create_school("TZ1", "时区学校", zone)
    p = f.staff(s, "tz")
    plans.set_deadline(s, "2026-2027", "2026-10-31", by=actor(p["admin"], s))
    monkeypatch.setattr(plans, "utcnow", lambda: at)
    if in_time:
        assert plans.save(s, p["t1"], "2026-2027", GOALS, by=actor(p["t1"], s), submit=True).status == "submitted"
    else:
        with pytest.raises(Conflict) as late:
            plans.save(s, p["t1"], "2026-2027", GOALS, by=actor(p["t1"], s), submit=True)
        assert late.value.msg.code == "plan.deadline_passed"


def test_the_teacher_is_told_when_their_plan_is_returned_or_approved(sch):
    """teacher2's plan was returned with a comment and nothing told her: no notice in the app,
    no email; she learnt it only on opening /plan. Each decision is now a notice of hers (a kind
    she may have emailed), with the comment, leading to that year's plan."""
    from flask_babel import force_locale

    from portal.models import Notification
    from portal.services import notifications

    s, p, year = sch
    t = p["t1"]

    def told() -> list[Notification]:
        return list(db.session.execute(select(Notification).where(Notification.user_id == t.id)
                                       .order_by(Notification.id)).scalars())

    plan = plans.save(s, t, year, GOALS, by=actor(t, s), submit=True)
    assert told() == []
    plans.decide(plan, "return", "请补充读书计划", by=actor(p["admin"], s))
    plan = plans.save(s, t, year, GOALS, "《课堂提问的艺术》", by=actor(t, s), submit=True)
    plans.decide(plan, "approve", "", by=actor(p["reviewer"], s))
    returned, approved = told()
    assert (returned.kind, approved.kind) == ("plan_returned", "plan_approved")
    assert returned.link == approved.link == f"/plan?year={year}" and returned.school_id == s.id
    said = year.replace("-", "—") + "学年"
    with force_locale("zh_Hans_CN"):
        assert str(notifications.text(returned)) == f"您{said}的个人发展计划被退回：请补充读书计划"
        assert str(notifications.text(approved)) == f"您{said}的个人发展计划已同意"
    with force_locale("en"):
        assert str(notifications.text(returned)).startswith("Your personal development plan for the ")
    assert {"plan_approved", "plan_returned"} <= set(notifications.KINDS)  # on the settings page, to email
