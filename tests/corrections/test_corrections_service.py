"""A correction request (``services.corrections``): one whom the portal sends to someone else — their
own recorded row, a cancel withheld over their own absence — asks the school's admins; another admin
closes it, done or declined with a reason; the requester is told either way. Bad input, a request one
could do oneself, one's own request to close and another school's request change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal import jobs, policy
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.models import CorrectionRequest, Notification, OutboxJob
from portal.services import access, activities, corrections, notifications, reminders, school_todo
from portal.timeutil import to_local, utcnow
from tests.credits.helpers import credited, ledger_total
from tests.support import factories


def _talk(w, *extra):
    p = w.people
    return factories.plan(w.school, p["organizer"], "lecture",
                          [(p["organizer"], "speaker"), (p["t1"], "attendee"), *((u, "attendee") for u in extra)],
                          details={"topic": "单元整体教学"}, title="新课标专题讲座")


def _recorded_by_admin(w, act, absent_ids=()):
    """Everyone's row entered by the school admin, those of ``absent_ids`` absent without leave."""
    factories.attend(act, w.people["admin"], hours={i: "0" for i in absent_ids}, absent={i: str(act.hours) for i in absent_ids})


def _actor(user, school):
    return access.actor(user.id, school.id)


def _requests():
    db.session.expire_all()
    return db.session.execute(select(CorrectionRequest.id, CorrectionRequest.status, CorrectionRequest.close_reason,
                                     CorrectionRequest.closed_by).order_by(CorrectionRequest.id)).all()


def _notices(user, kind):
    return db.session.execute(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind)).scalar_one()


def _run_moved_on_jobs() -> int:
    """Run the queued jobs telling requesters their request closed as moved on (as a worker
    would: tests' jobs wait in memory); how many were queued."""
    queued = [t for t in jobs.queue().huey.pending() if t.name == corrections.MOVED_ON_JOB]
    for task in queued:
        corrections.tell_moved_on(*task.args)
        corrections.tell_moved_on(*task.args)  # run again (a retry): nobody is told twice
    return len(queued)


def _today(w):
    return to_local(utcnow(), w.school.timezone).date()


def test_an_organiser_asks_and_another_admin_corrects_and_tells_them(world):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    org = _actor(p["organizer"], w.school)
    # the page's offer: their recorded row, and the cancel withheld over their own absence
    assert corrections.offered_now(act, org) == [corrections.ROW, corrections.CANCEL]
    row = corrections.ask(act, org, "row", "出席 3 小时", "我当天在报告厅主讲，签到表漏签了")
    cancel = corrections.ask(act, org, "cancel", "", "讲座实际改期到下周，请取消本次")
    assert (row.status, row.wanted, cancel.wanted) == ("open", "出席 3 小时", "")
    # the admins are told, the requester is not; both admins' to-do lists count them
    assert (_notices(p["admin"], "correction_asked"), _notices(p["admin2"], "correction_asked"),
            _notices(p["organizer"], "correction_asked")) == (2, 2, 0)
    assert all(notifications.still_stands(n) for n in notifications.for_user(p["admin2"].id))
    todo = {t.kind: t for t in school_todo.for_actor(w.school, _actor(p["admin"], w.school), _today(w))}
    assert todo[school_todo.CORRECTIONS_WAITING].count == 2
    assert todo[school_todo.CORRECTIONS_WAITING].day == _today(w)

    # the same request again: refused with the first's day, nothing written
    before = _requests()
    with pytest.raises(Conflict) as e:
        corrections.ask(act, org, "row", "出席 3 小时", "再问一次")
    assert _today(w).isoformat() in e.value.message
    assert _requests() == before

    # the admin changes the row on the attendance page, then closes the request as done
    activities.record_attendance(act, p["admin"], [{"user_id": p["organizer"].id, "attended_hours": "3",
                                                    "absent_hours": "0", "excused_hours": "0"}])
    corrections.close(row, _actor(p["admin"], w.school), "done", "已按签到表改为出席")
    # declining asks a reason: refused without one, nothing changes
    before = _requests()
    with pytest.raises(Invalid) as e:
        corrections.close(cancel, _actor(p["admin"], w.school), "declined", "  ")
    assert "reason" in e.value.fields and _requests() == before
    corrections.close(cancel, _actor(p["admin"], w.school), "declined", "改期请用“移到其他时间”，不必取消")
    assert [(s, r) for _i, s, r, _b in _requests()] == [("done", "已按签到表改为出席"),
                                                        ("declined", "改期请用“移到其他时间”，不必取消")]
    assert _notices(p["organizer"], "correction_closed") == 2
    said = [notifications.text(n).english for n in notifications.for_user(p["organizer"].id)]
    assert any("was done" in t for t in said) and any("was declined: 改期请用" in t for t in said)
    assert school_todo.CORRECTIONS_WAITING not in {
        t.kind for t in school_todo.for_actor(w.school, _actor(p["admin"], w.school), _today(w))}
    # the other admin's notices, not emailed yet, tell of nothing waiting any more: not sent
    asked = [n for n in notifications.for_user(p["admin2"].id) if n.kind == "correction_asked"]
    assert len(asked) == 2 and not any(notifications.still_stands(n) for n in asked)
    # closed already: a second close is refused
    with pytest.raises(Conflict):
        corrections.close(row, _actor(p["admin2"], w.school), "declined", "再关一次")
    # the absence gone, the organiser cancels it themself: asked no more; the row asked again once
    # the first is closed is a new request
    assert corrections.offered_now(act, org) == [corrections.ROW]
    assert corrections.ask(act, org, "row", "出席 2.5 小时", "提前半小时离场").status == "open"


@pytest.mark.parametrize(("kind", "wanted", "reason", "field"), [
    ("fix", "出席 3 小时", "理由", "kind"),
    ("", "", "理由", "kind"),
    ("row", "出席 3 小时", "", "reason"),
    ("row", "出席 3 小时", "   ", "reason"),
    ("row", "出席 3 小时", "长" * (corrections.REASON_MAX + 1), "reason"),
    ("row", "出席 3 小时", ["理由"], "reason"),
    ("row", "", "理由", "wanted"),
    ("row", "出" * (corrections.WANTED_MAX + 1), "理由", "wanted"),
    ("row", 3, "理由", "wanted"),
])
def test_bad_input_is_refused_clearly_and_changes_nothing(world, kind, wanted, reason, field):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act)
    before, told = _requests(), _notices(p["admin"], "correction_asked")
    with pytest.raises(Invalid) as e:
        corrections.ask(act, _actor(p["organizer"], w.school), kind, wanted, reason)
    assert field in e.value.fields
    assert _requests() == before and _notices(p["admin"], "correction_asked") == told


def test_what_one_may_do_oneself_is_done_not_asked(world):
    w, p = world, world.people
    act = _talk(w)
    org, t4 = _actor(p["organizer"], w.school), _actor(p["t4"], w.school)
    # before any row is recorded the organiser enters their own, and may cancel it themself
    assert corrections.offered_now(act, org) == []
    for kind in ("row", "cancel"):
        with pytest.raises(Forbidden):
            corrections.ask(act, org, kind, "出席 3 小时", "理由")
        with pytest.raises(Forbidden):  # not on it, does not run it
            corrections.ask(act, t4, kind, "出席 3 小时", "理由")
    assert _requests() == []
    # a teacher on it asks for their row once it is recorded (the organiser records it), never for a cancel
    t1 = _actor(p["t1"], w.school)
    assert corrections.offered_now(act, t1) == []
    with pytest.raises(Forbidden):
        corrections.ask(act, t1, "row", "请假 3 小时", "当天病假，有假条")
    factories.attend(act, p["organizer"], hours={p["t1"].id: "0"}, absent={p["t1"].id: str(act.hours)})
    assert corrections.offered_now(act, t1) == [corrections.ROW]
    with pytest.raises(Forbidden):
        corrections.ask(act, t1, "cancel", "", "理由")
    assert corrections.ask(act, t1, "row", "请假 3 小时", "当天病假，有假条").kind == "row"


def test_nobody_closes_their_own_request(world):
    w, p = world, world.people
    act = _talk(w, p["admin"])
    factories.attend(act, p["organizer"])
    mine = _actor(p["admin"], w.school)
    req = corrections.ask(act, mine, "row", "请假 3 小时", "当天外出开会，已报备")
    # the other admin is told, she is not; her to-do list does not count her own request
    assert (_notices(p["admin2"], "correction_asked"), _notices(p["admin"], "correction_asked")) == (1, 0)
    assert school_todo.CORRECTIONS_WAITING not in {t.kind for t in school_todo.for_actor(w.school, mine, _today(w))}
    assert not policy.may_close_correction(mine, req.requester_id)
    before = _requests()
    for outcome in ("done", "declined"):
        with pytest.raises(Forbidden):
            corrections.close(req, mine, outcome, "自己关闭")
    assert _requests() == before
    corrections.close(req, _actor(p["admin2"], w.school), "done", "已改为请假")
    assert _requests()[0][1:] == ("done", "已改为请假", p["admin2"].id)


def test_another_schools_admin_neither_reads_nor_closes_it(world):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act)
    req = corrections.ask(act, _actor(p["t1"], w.school), "row", "请假 3 小时", "当天病假")
    other = access.actor(w.people2["admin"].id, w.school2.id)
    with pytest.raises(NotFound):
        corrections.get(w.school2.id, req.id)
    with pytest.raises(NotFound):
        access.get_activity(act.id, w.school2.id)
    before = _requests()
    with pytest.raises(Forbidden):  # a school admin elsewhere holds no role here
        corrections.close(req, other, "declined", "不是本校")
    assert _requests() == before
    assert corrections.waiting_on(w.school2.id, other) == (0, None)


def test_a_request_on_an_activity_that_moved_on_says_so_and_closes(world):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    org = _actor(p["organizer"], w.school)
    req = corrections.ask(act, org, "row", "出席 3 小时", "漏签")
    factories.fire(act, p["admin2"], "cancel", "场地冲突")
    assert corrections.moved_on(db.session.get_one(type(act), act.id)) and _run_moved_on_jobs() == 1
    # closed by the cancel itself (nobody closed it), its requester told once; no admin closes it again
    assert _requests()[0][1:] == ("moved_on", "", None)
    with pytest.raises(Conflict):
        corrections.close(req, _actor(p["admin"], w.school), "declined", "")
    assert _requests()[0][1] == "moved_on"
    assert _notices(p["organizer"], "correction_closed") == 1
    assert "credited or cancelled first" in notifications.text(notifications.for_user(p["organizer"].id)[0]).english
    before = _requests()
    with pytest.raises(Conflict):
        corrections.ask(db.session.get_one(type(act), act.id), org, "cancel", "", "请取消")
    assert _requests() == before


def _reviewed_with_a_request(w):
    """A lecture approved (its rows recorded by its organiser), t1 asking for their row, the
    organiser for a cancel they may not do; the reviewer credits it next."""
    p = w.people
    act = credited(w.school, p, "lecture", [(p["organizer"], "speaker"), (p["t1"], "attendee")], until="reviewed",
                   title="新课标专题讲座")
    req = corrections.ask(act, _actor(p["t1"], w.school), "row", "请假 3 小时", "当天病假，已交假条")
    return act, req


def test_crediting_an_activity_closes_its_open_requests_and_tells_each_requester_once(app, world):
    """A request did not close by itself when its activity was credited: it waited on the admins'
    to-do list until one opened it. The step that credits closes it, in its own transaction."""
    w, p = world, world.people
    act, req = _reviewed_with_a_request(w)
    admin = _actor(p["admin"], w.school)
    assert school_todo.for_actor(w.school, admin, _today(w))  # waiting on the to-do list
    factories.fire(act, p["reviewer"], "credit")
    assert _requests()[0][1:] == ("moved_on", "", None) and _run_moved_on_jobs() == 1
    assert _notices(p["t1"], "correction_closed") == 1
    told = notifications.text(notifications.for_user(p["t1"].id)[0]).english
    assert "credited or cancelled first" in told and "新课标专题讲座" in told
    assert not any(t.kind == school_todo.CORRECTIONS_WAITING
                   for t in school_todo.for_actor(w.school, admin, _today(w)))
    with pytest.raises(Conflict):  # an admin opening it after: closed already, nobody told twice
        corrections.close(req, admin, "done", "")
    assert _notices(p["t1"], "correction_closed") == 1


def test_a_credit_that_fails_leaves_its_requests_open(world, monkeypatch):
    """The step, its log, its ledger and its requests: whole or not at all (a failure after the
    requests were closed, inside the step's transaction, rolls all of it back)."""
    w, p = world, world.people
    act, _req = _reviewed_with_a_request(w)
    state = act.state

    def fails(*_args):
        raise RuntimeError("after the requests were closed")

    monkeypatch.setattr(reminders, "transition_recorded", fails)
    with pytest.raises(RuntimeError):
        factories.fire(act, p["reviewer"], "credit")
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get_one(type(act), act.id).state == state
    assert ledger_total(p["t1"].id, w.school.id) == 0
    assert _requests()[0][1] == "open" and _run_moved_on_jobs() == 0
    assert db.session.execute(select(func.count()).select_from(OutboxJob)).scalar_one() == 0
