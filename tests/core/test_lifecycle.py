"""Every built-in type through its whole life, with its guards, via the service layer."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict, Forbidden, GuardFailedError, IllegalTransitionError, Invalid
from portal.extensions import db
from portal.models import Activity, CreditEntry, Evidence, TransitionLog
from portal.services import activities
from tests.support import factories as f
from tests.support.texts import prose
from workflows.definition import ATTENDANCE_RECORDED

START = datetime(2026, 10, 15, 14, 0)


@pytest.fixture
def world(app):
    s = f.school()
    return s, f.staff(s)


def _evidence(act, people, kind, n=1):
    for u in people:
        for i in range(n):  # each another piece: the same one again is refused (evidence.handed_in_again)
            have = len([e for e in activities.evidence_of(act.id) if e.user_id == u.id and e.kind == kind])
            activities.add_evidence(act, u, u.id, kind, f"{kind}{i}", text=prose(100, f"内容{have or ''}"))


def _counts(act_id):
    return (
        db.session.scalar(select(func.count(TransitionLog.id)).where(TransitionLog.activity_id == act_id)),
        db.session.scalar(select(func.count(CreditEntry.id)).where(CreditEntry.activity_id == act_id)),
    )


def test_lecture_full_life(world):
    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "speaker"), (p["t2"], "attendee"), (p["t3"], "attendee")],
                 {"topic": "单元整体教学"})
    assert act.state == "planned" and act.school_year == "2026-2027" and act.semester == 1
    with pytest.raises(GuardFailedError):  # attendance missing at approval is checked later; hold is free
        f.fire(f.fire(act, p["organizer"], "hold"), p["reviewer"], "approve")
    f.attend(act, p["organizer"], hours={p["t3"].id: "2"}, absent={p["t3"].id: "1"})
    f.fire(act, p["reviewer"], "approve")
    f.fire(act, p["reviewer"], "credit")
    rows = {e.user_id: e.hours for e in db.session.scalars(select(CreditEntry).where(CreditEntry.activity_id == act.id))}
    assert rows == {p["t1"].id: Decimal("6.0"), p["t2"].id: Decimal("3.0"), p["t3"].id: Decimal("2.0")}
    assert [log.trigger for log in db.session.scalars(select(TransitionLog).order_by(TransitionLog.id))] == [
        "hold", ATTENDANCE_RECORDED, "approve", "credit"]  # the attendance recorded is an entry of its own


def test_observation_three_stage_protocol(world):
    s, p = world
    details = {"subject": "语文", "lesson_1": "课一", "lesson_2": "课二", "topic_report": "报告"}
    act = f.plan(s, p["organizer"], "observation",
                 [(p["t1"], "lesson_teacher"), (p["t2"], "observer"), (p["t3"], "observer")], details, start=START)
    with pytest.raises(GuardFailedError) as err:
        f.fire(act, p["organizer"], "hold")
    missing = " ".join(err.value.extra["missing"])
    assert "观摩手册" in missing and "discussion_focus" in missing  # zh outside a request
    ev = activities.add_evidence(act, p["organizer"], p["organizer"].id, "handbook", "手册", filename="手册.pdf",
                                 data=b"%PDF-1.4 handbook")
    # uploaded one day before: too late
    from portal.database import write_transaction
    with write_transaction():
        ev.uploaded_at = act.starts_at - timedelta(days=1)
    with pytest.raises(GuardFailedError, match="不足 2 天"):
        f.fire(act, p["organizer"], "hold")
    with write_transaction():
        ev.uploaded_at = act.starts_at - timedelta(days=2)
        act.details = {**details, "discussion_focus": "语言运用"}
    f.attend(act, p["organizer"])
    f.fire(act, p["organizer"], "hold")
    _evidence(act, [p["t2"]], "evaluation")
    with pytest.raises(GuardFailedError, match="评课稿 0/1"):
        f.fire(act, p["reviewer"], "approve")
    _evidence(act, [p["t3"]], "evaluation")
    f.fire(act, p["reviewer"], "approve")
    f.fire(act, p["reviewer"], "credit")
    rows = {e.user_id: e.hours for e in db.session.scalars(select(CreditEntry))}
    assert rows == {p["t1"].id: Decimal("6.0"), p["t2"].id: Decimal("3.0"), p["t3"].id: Decimal("3.0")}


def test_mentorship_needs_pair_meetings_and_articles(world):
    s, p = world
    act = f.plan(s, p["organizer"], "mentorship", [(p["t1"], "mentor")], {"subject": "数学"}, hours="20")
    with pytest.raises(GuardFailedError) as err:
        f.fire(act, p["organizer"], "hold")
    assert "须有一位徒弟" in err.value.extra["missing"]
    assert "活动记录：0/4 次" in err.value.extra["missing"]
    activities.set_participants(act, p["organizer"], [{"user_id": p["t2"].id, "role": "mentee"}])
    _evidence(act, [p["t1"]], "meeting_log", 4)
    f.attend(act, p["organizer"])
    f.fire(act, p["organizer"], "hold")
    _evidence(act, [p["t2"]], "article", 1)
    with pytest.raises(GuardFailedError, match="文章 1/2"):
        f.fire(act, p["reviewer"], "approve")
    _evidence(act, [p["t2"]], "article", 1)
    with pytest.raises(GuardFailedError, match="文章 0/2"):  # seed 001: the pair, 师徒教师, both write two
        f.fire(act, p["reviewer"], "approve")
    _evidence(act, [p["t1"]], "article", 2)
    f.fire(act, p["reviewer"], "approve")
    f.fire(act, p["reviewer"], "credit")
    assert db.session.scalar(select(func.sum(CreditEntry.hours))) == pytest.approx(40)


def test_research_final_report_and_leader_rule(world):
    s, p = world
    act = f.plan(s, p["organizer"], "research", [(p["t1"], "member"), (p["t2"], "member")],
                 {"project_title": "作业分层", "level": "school"}, hours="5")
    with pytest.raises(GuardFailedError, match="须有一位负责人"):
        f.fire(act, p["organizer"], "hold")
    activities.set_participants(act, p["organizer"], [{"user_id": p["t1"].id, "role": "leader"}])
    f.attend(act, p["organizer"])
    f.fire(act, p["organizer"], "hold")
    with pytest.raises(GuardFailedError, match="结题报告"):
        f.fire(act, p["reviewer"], "approve")
    _evidence(act, [p["t1"]], "final_report")
    f.fire(act, p["reviewer"], "approve")
    f.fire(act, p["reviewer"], "credit")
    rows = {e.user_id: e.hours for e in db.session.scalars(select(CreditEntry))}
    assert rows == {p["t1"].id: Decimal("7.5"), p["t2"].id: Decimal("5.0")}  # 5 × 1.5 = 7.5


def test_school_visit_report_and_report_back_lesson(world):
    s, p = world
    act = f.plan(s, p["organizer"], "school_visit", [(p["t1"], "participant"), (p["t2"], "participant")],
                 {"destination": "实验小学"})
    f.attend(act, p["organizer"])
    f.fire(act, p["organizer"], "hold")
    with pytest.raises(GuardFailedError) as err:
        f.fire(act, p["reviewer"], "approve")
    assert len(err.value.extra["missing"]) == 3  # two reports + the report-back lesson
    _evidence(act, [p["t1"], p["t2"]], "visit_report")
    _evidence(act, [p["t1"]], "report_lesson")
    f.fire(act, p["reviewer"], "approve")
    f.fire(act, p["reviewer"], "credit")
    assert db.session.scalar(select(func.count(CreditEntry.id))) == 2


def test_return_revoke_and_recredit(world):
    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
    f.attend(act, p["organizer"])
    f.fire(act, p["organizer"], "hold")
    with pytest.raises(Invalid):
        f.fire(act, p["reviewer"], "return")  # comment required
    f.fire(act, p["reviewer"], "return", "请补充反思")
    assert act.state == "held"
    f.fire(act, p["reviewer"], "approve")
    f.fire(act, p["reviewer"], "return", "学时有误")
    f.attend(act, p["organizer"], hours={p["t1"].id: "2.5"})  # open again after a return
    f.fire(act, p["reviewer"], "approve")
    f.fire(act, p["reviewer"], "credit")
    f.fire(act, p["reviewer"], "revoke", "重复认定")
    assert act.state == "reviewed"
    total = db.session.scalar(select(func.sum(CreditEntry.hours)).where(CreditEntry.user_id == p["t1"].id))
    assert Decimal(str(total)) == 0
    f.fire(act, p["reviewer"], "credit")
    entries = db.session.scalars(select(CreditEntry).order_by(CreditEntry.id)).all()
    assert [(e.kind, e.round, e.hours) for e in entries] == [
        ("credit", 1, Decimal("2.5")), ("reversal", 1, Decimal("-2.5")), ("credit", 2, Decimal("2.5"))]


def test_adjustment_needs_reason_and_is_kept(world):
    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee"), (p["t2"], "attendee")], {"topic": "x"})
    f.attend(act, p["organizer"])
    f.fire(act, p["organizer"], "hold")
    with pytest.raises(Invalid, match="reason"):
        f.fire(act, p["reviewer"], "approve", "", hours={p["t1"].id: 1.5})
    with pytest.raises(Invalid):
        f.fire(act, p["reviewer"], "approve", "x", hours={p["t1"].id: -1})
    with pytest.raises(Invalid):
        f.fire(act, p["reviewer"], "approve", "x", hours={"999999": 1})
    assert act.state == "held"
    f.fire(act, p["reviewer"], "approve", "提前离场", hours={str(p["t1"].id): 1.5})
    f.fire(act, p["reviewer"], "credit")
    rows = {e.user_id: (e.hours, e.reason) for e in db.session.scalars(select(CreditEntry))}
    assert rows == {p["t1"].id: (Decimal("1.5"), "提前离场"), p["t2"].id: (Decimal("3.0"), "")}


def test_hold_is_not_allowed_before_the_start_where_it_is_refused(world):
    """The page and the API offered "mark held" on an activity that had not started, and firing
    it was refused (409, not started): what is allowed now leaves it out until the start."""
    from portal.services import transitions

    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"},
                 start=datetime.now() + timedelta(days=10))
    assert transitions.allowed_triggers(act, p["organizer"].id) == ["cancel"]
    with pytest.raises(Conflict):
        f.fire(act, p["organizer"], "hold")
    started = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
    assert transitions.allowed_triggers(started, p["organizer"].id) == ["hold", "cancel"]


def test_refusals_are_ordered_illegal_then_permission(world):
    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
    with pytest.raises(IllegalTransitionError) as err:
        f.fire(act, p["t1"], "credit")  # a teacher: still "illegal", with what is allowed
    assert err.value.extra["allowed"] == ["hold", "cancel"]
    with pytest.raises(Forbidden):
        f.fire(act, p["t1"], "hold")
    with pytest.raises(Forbidden):
        f.fire(act, p["reviewer"], "hold")  # reviewer is not the organizer
    with pytest.raises(Invalid, match="unknown trigger") as unknown:
        f.fire(act, p["organizer"], "to_credited")
    # the keys one may send, in English (the API, the command line); labels only in Chinese
    assert "Mark held (hold), Cancel (cancel)" in unknown.value.to_dict("en")["message"]
    assert "hold" not in unknown.value.to_dict("zh")["message"]
    f.attend(act, p["organizer"])
    f.fire(act, p["organizer"], "hold")
    with pytest.raises(Forbidden, match="may only be fired by: reviewer"):
        f.fire(act, p["organizer"], "approve")
    reviewer_participant = f.person(s, "revpart", "reviewer", "teacher")
    activities.set_participants(act, p["organizer"], [{"user_id": reviewer_participant.id, "role": "attendee"}])
    with pytest.raises(Forbidden, match="neither organized nor took part"):
        f.fire(act, reviewer_participant, "approve")


def test_attendance_and_evidence_frozen_once_reviewed(world):
    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
    f.attend(act, p["organizer"])
    f.fire(act, p["organizer"], "hold")
    f.fire(act, p["reviewer"], "approve")
    with pytest.raises(Conflict):
        f.attend(act, p["organizer"], hours={p["t1"].id: "1"})
    with pytest.raises(Conflict):
        activities.add_evidence(act, p["t1"], p["t1"].id, "reflection", "r", text="x")


def test_failure_inside_a_trigger_changes_nothing(make_app):
    """A credit rule that raises mid-credit: refused with the type named (the plugin in the log),
    and state, log and ledger stay as they were."""
    from portal.activity_types import ActivityType, Role
    from portal.hookspecs import hookimpl

    class Boom(ActivityType):
        key = "boom"
        name_zh, name_en = "爆炸", "Boom"
        roles = {"attendee": Role("参加", "Attendee")}

        def credit_hours(self, participant, activity, settings):
            # approve asks the rule too (the hours approved); it explodes only while crediting
            if participant.user_id % 2 == 0 and activity.state == "credited":
                raise RuntimeError("credit rule exploded")
            return participant.attended_hours

    class Plugin:
        @hookimpl
        def portal_activity_types(self):
            return [Boom()]

    app = make_app(EXTRA_PLUGINS=[("boom", Plugin())])
    with app.app_context():
        s = f.school(types=("boom",))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "boom", [(p["t1"], "attendee"), (p["t2"], "attendee")])
        f.attend(act, p["organizer"])
        f.fire(act, p["organizer"], "hold")
        f.fire(act, p["reviewer"], "approve")
        before = _counts(act.id)
        with pytest.raises(Conflict, match="plugin of activity type 'Boom' failed"):  # the plugin's error is logged
            f.fire(act, p["reviewer"], "credit")
        db.session.expire_all()
        fresh = db.session.get(Activity, act.id)
        assert fresh.state == "reviewed" and fresh.credit_round == 0
        assert _counts(act.id) == before


def test_stale_version_is_refused(make_app):
    """Another writer bumps the row's version after we read it: our UPDATE matches no row,
    the trigger is refused as a conflict and nothing is written."""
    from sqlalchemy import update

    from portal.activity_types import ActivityType, Role
    from portal.hookspecs import hookimpl
    from workflows import WorkflowExtension

    def someone_else_wins(ctx):
        db.session.execute(
            update(Activity).where(Activity.id == ctx.activity.id).values(version=Activity.version + 1),
            execution_options={"synchronize_session": False},
        )
        return []

    class Racy(ActivityType):
        key = "racy"
        name_zh, name_en = "竞争", "Racy"
        roles = {"attendee": Role("参加", "Attendee")}

        def workflow(self):
            return WorkflowExtension(guards={"credit": (someone_else_wins,)})

    class Plugin:
        @hookimpl
        def portal_activity_types(self):
            return [Racy()]

    app = make_app(EXTRA_PLUGINS=[("racy", Plugin())])
    with app.app_context():
        s = f.school(types=("racy",))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "racy", [(p["t1"], "attendee")])
        f.attend(act, p["organizer"])
        f.fire(act, p["organizer"], "hold")
        f.fire(act, p["reviewer"], "approve")
        with pytest.raises(Conflict, match="changed by someone else"):
            f.fire(act, p["reviewer"], "credit")
        db.session.expire_all()
        assert db.session.get(Activity, act.id).state == "reviewed"
        assert _counts(act.id) == (3, 0)  # the attendance recorded, hold, approve: no credit


def test_transition_hook_fires_after_commit(make_app):
    from portal.hookspecs import hookimpl

    seen = []

    class Listener:
        @hookimpl
        def portal_activity_transitioned(self, activity, trigger, from_state, to_state, school_code):
            from sqlalchemy import create_engine  # noqa: F401
            seen.append((activity.id, trigger, from_state, to_state, school_code))

    class Broken:
        @hookimpl
        def portal_activity_transitioned(self, trigger):
            raise ValueError("listener bug")

    app = make_app(EXTRA_PLUGINS=[("listener", Listener()), ("broken", Broken())])
    with app.app_context():
        s = f.school()
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
        f.fire(act, p["organizer"], "cancel", "活动取消")
        assert seen == [(act.id, "cancel", "planned", "cancelled", "S1")]
        failures = app.extensions["yanxiu.registry"].plugins.failures
        assert any(x.plugin == "broken" and "listener bug" in x.error for x in failures)
        assert db.session.get(Activity, act.id).state == "cancelled"


def test_evidence_counts(world):
    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
    ev = activities.add_evidence(act, p["t1"], None, "reflection", "反思", text="今天 学到 很多")
    assert ev.user_id == p["t1"].id and ev.char_count == 6
    assert db.session.scalar(select(func.count(Evidence.id))) == 1
