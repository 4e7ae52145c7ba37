"""Hours credited per role for every built-in type, adjustments, revoke and re-credit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import CreditEntry, Participation, TransitionLog
from portal.policy import SYSTEM
from portal.services import credits
from tests.credits.helpers import D, credited, ledger_total

YEAR = "2026-2027"


def _entries(act_id: int) -> dict[tuple[int, str], Decimal]:
    rows = db.session.execute(
        select(CreditEntry.user_id, CreditEntry.kind, CreditEntry.hours).where(CreditEntry.activity_id == act_id)
    ).all()
    return {(uid, kind): hours for uid, kind, hours in rows}


@pytest.mark.parametrize(
    ("type_key", "roles", "attended", "expected"),
    [
        # lecture: attendee = attended, speaker ×2
        ("lecture", ["speaker", "attendee", "attendee"], ["3", "3", "2.5"], ["6", "3", "2.5"]),
        # observation: lesson teacher and topic speaker ×2, observer ×1
        ("observation", ["lesson_teacher", "speaker", "observer", "observer"], ["3", "3", "3", "1.5"], ["6", "6", "3", "1.5"]),
        # mentorship: mentor and mentee ×1
        ("mentorship", ["mentor", "mentee"], ["20", "18.5"], ["20", "18.5"]),
        # research: leader ×1.5 floored to a half hour, member ×1
        ("research", ["leader", "member", "member"], ["3.5", "3.5", "2"], ["5", "3.5", "2"]),
        # school visit: ×1 for everyone
        ("school_visit", ["leader", "participant", "participant"], ["8", "8", "6"], ["8", "8", "6"]),
    ],
)
def test_credit_per_role(s1, staff, type_key, roles, attended, expected):
    teachers = [staff["t1"], staff["t2"], staff["t3"], staff["t4"]]
    people = list(zip(teachers, roles, strict=False))
    hours = max(attended, key=Decimal)
    attended_by = {u.id: a for (u, _), a in zip(people, attended, strict=True)}
    act = credited(s1, staff, type_key, people, hours=hours, attended=attended_by)
    got = _entries(act.id)
    assert got == {(u.id, "credit"): D(e) for (u, _), e in zip(people, expected, strict=True)}
    for (u, _), e in zip(people, expected, strict=True):
        assert credits.teacher_year(u, s1, YEAR).facts.by_type == {type_key: D(e)}


def test_research_leader_floor_on_whole_hours(s1, staff):
    act = credited(s1, staff, "research", [(staff["t1"], "leader"), (staff["t2"], "member")], hours="3")
    assert _entries(act.id) == {(staff["t1"].id, "credit"): D("4.5"), (staff["t2"].id, "credit"): D("3")}


def test_school_setting_changes_the_multiplier(s1, staff):
    from portal.services import schools

    schools.set_type(s1, "lecture", enabled=True, settings={"speaker_multiplier": 3}, by=SYSTEM)
    act = credited(s1, staff, "lecture", [(staff["t1"], "speaker"), (staff["t2"], "attendee")], hours="2")
    assert _entries(act.id) == {(staff["t1"].id, "credit"): D("6"), (staff["t2"].id, "credit"): D("2")}


def test_absent_participant_gets_no_entry(s1, staff):
    act = credited(
        s1, staff, "lecture", [(staff["t1"], "attendee"), (staff["t2"], "attendee")], hours="3",
        attended={staff["t2"].id: "0"}, absent={staff["t2"].id: "3"},
    )
    assert _entries(act.id) == {(staff["t1"].id, "credit"): D("3")}


def test_reviewer_adjustment_is_credited_and_its_reason_kept(s1, staff):
    t1, t2 = staff["t1"], staff["t2"]
    act = credited(
        s1, staff, "lecture", [(t1, "speaker"), (t2, "attendee")], hours="3",
        adjust={t1.id: "4"}, adjust_reason="讲稿未按时提交，酌减",
    )
    assert _entries(act.id) == {(t1.id, "credit"): D("4"), (t2.id, "credit"): D("3")}
    entry = db.session.execute(select(CreditEntry).where(CreditEntry.user_id == t1.id)).scalar_one()
    assert entry.reason == "讲稿未按时提交，酌减"
    p = db.session.execute(select(Participation).where(Participation.user_id == t1.id)).scalar_one()
    assert (p.adjusted_hours, p.adjust_reason, p.adjusted_by) == (D("4"), "讲稿未按时提交，酌减", staff["reviewer"].id)
    log = db.session.execute(select(TransitionLog).where(TransitionLog.trigger == "approve")).scalar_one()
    assert log.payload["adjusted"] == {str(t1.id): "4.0"}
    assert log.comment == "讲稿未按时提交，酌减"
    cert = credits.certificate(act.id, s1.id)
    assert [(ln.user.id, ln.hours, ln.remark) for ln in cert.lines] == [  # the speaker first
        (t1.id, D("4"), "讲稿未按时提交，酌减"),
        (t2.id, D("3"), ""),
    ]


def test_revoke_writes_reversals_and_recredit_counts_once(s1, staff):
    from tests.support import factories as f

    t1, t2 = staff["t1"], staff["t2"]
    act = credited(s1, staff, "lecture", [(t1, "speaker"), (t2, "attendee")], hours="3")
    assert (ledger_total(t1.id), ledger_total(t2.id)) == (D("6"), D("3"))

    f.fire(act, staff["reviewer"], "revoke", "学时有误")
    rows = db.session.execute(
        select(CreditEntry.user_id, CreditEntry.kind, CreditEntry.hours, CreditEntry.round, CreditEntry.reason)
        .order_by(CreditEntry.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        (t1.id, "credit", D("6"), 1, ""),
        (t2.id, "credit", D("3"), 1, ""),
        (t1.id, "reversal", D("-6"), 1, "学时有误"),
        (t2.id, "reversal", D("-3"), 1, "学时有误"),
    ]
    assert (ledger_total(t1.id), ledger_total(t2.id)) == (D("0"), D("0"))
    assert credits.teacher_year(t1, s1, YEAR).facts.total_hours == D("0")

    f.fire(act, staff["reviewer"], "credit")
    assert db.session.scalar(select(db.func.count(CreditEntry.id))) == 6
    assert (ledger_total(t1.id), ledger_total(t2.id)) == (D("6"), D("3"))
    summary = {ty.user.id: ty.facts.total_hours for ty in credits.school_summary(s1, YEAR)}
    assert (summary[t1.id], summary[t2.id]) == (D("6"), D("3"))


def test_revoke_then_return_and_adjust_then_recredit(s1, staff):
    from tests.support import factories as f

    t1 = staff["t1"]
    act = credited(s1, staff, "lecture", [(t1, "attendee")], hours="3")
    f.fire(act, staff["reviewer"], "revoke", "出勤记录有误")
    f.fire(act, staff["reviewer"], "return", "请更正出勤")
    f.attend(act, staff["organizer"], {t1.id: "2"}, {t1.id: "1"})
    f.fire(act, staff["reviewer"], "approve", "已更正")
    f.fire(act, staff["reviewer"], "credit")
    assert ledger_total(t1.id) == D("2")
    ty = credits.teacher_year(t1, s1, YEAR)
    assert ty.facts.absent_hours == {1: D("1")}


def test_ledger_rows_cannot_be_changed(s1, staff):
    from portal.database import write_transaction
    from portal.services.ledger import AppendOnlyViolation

    credited(s1, staff, "lecture", [(staff["t1"], "attendee")], hours="3")
    entry = db.session.execute(select(CreditEntry)).scalar_one()
    with pytest.raises(AppendOnlyViolation):
        with write_transaction():
            entry.hours = D("30")
    db.session.rollback()
    assert ledger_total(staff["t1"].id) == D("3")
