"""``flask credits repair-away``: credits posted, before the rule, for an activity held while
the teacher was away from the school's teaching staff are reversed, never deleted.

District auditor: since the rule (``services.stints``) a teacher away gets no hours for what was
held then, but a database from before it still credits t2 the October lecture held between
their leaving in September and their return in November. The command lists such credits (a
dry run), and with ``--apply --as`` district staff writes one reversing entry each (the
catalogue's reason, the district staff member as its author) with the teacher-year rows, in one
transaction; a second run finds nothing; a credit in a year the district accepted is listed as
locked and left; bad arguments are an ``Error:`` line and change nothing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, CreditEntry, School, TeacherYearRow, User
from portal.policy import Actor
from portal.services import access, submissions, teacher_years, users
from portal.services import staff as staff_service
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import credited, ledger_total, rows_are_a_rebuild
from tests.support import factories as f
from tests.support.prepared import prepared_for

YEAR = "2026-2027"
LEFT, BACK = datetime(2026, 9, 20, 2, 0), datetime(2026, 11, 20, 2, 0)  # UTC: 10:00 in Beijing
REASON = "区里冲销：此学时在“活动举行时不在本校任教的教师不计学时”这一规则实施之前记入"


def _build_planted() -> dict[str, Any]:
    """S1, its staff, a September lecture (t1, t2: both on the staff then) and an October one
    (t1, t2), both credited 3 hours as a database from before the rule credited them; then t2's
    stint away (20 September to 20 November) recorded. October's credit of t2 is the pre-rule one."""
    facts = build_school_and_staff()
    s1, staff = db.session.get(School, facts["s1"]), f.people_of(facts["staff"])
    people = [(staff["t1"], "attendee"), (staff["t2"], "attendee")]
    september = credited(s1, staff, "lecture", people, hours="3", start=datetime(2026, 9, 10, 14, 0), title="九月讲座")
    october = credited(s1, staff, "lecture", people, hours="3", start=datetime(2026, 10, 15, 13, 0), title="十月讲座")
    admin = access.actor(staff["admin"].id, s1.id)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _at(monkeypatch, LEFT)
        staff_service.deactivate(s1, staff["t2"].id, by=admin)
        _at(monkeypatch, BACK)
        staff_service.set_roles(s1, staff["t2"].id, ["teacher"], by=admin)
        teacher_years.refresh_people(s1.id)
        db.session.commit()
    return {**facts, "planted": (september.id, october.id)}


def _at(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    monkeypatch.setattr(staff_service, "utcnow", lambda: when)
    monkeypatch.setattr(users, "utcnow", lambda: when)


prepared = prepared_for("planted", _build_planted)


@pytest.fixture
def planted(s1, staff, monkeypatch, make_app, prepared) -> tuple[Activity, Activity]:
    """The September and October lectures of :func:`_build_planted` (prepared data: built once
    per test process); the staff's clock stays on t2's return, as after recording it."""
    _at(monkeypatch, BACK)
    september, october = make_app.facts(prepared)["planted"]
    return db.session.get(Activity, september), db.session.get(Activity, october)


@pytest.fixture
def auditor(s1) -> User:
    return users.create_user("qu.shenji", f.PASSWORD, "区审计员", None, ["district_reviewer"],
                             district_id=s1.district_id)


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["credits", "repair-away", *args])


def _ledger() -> list[tuple]:
    db.session.expire_all()
    return list(db.session.execute(select(CreditEntry.id, CreditEntry.user_id, CreditEntry.activity_id,
                                          CreditEntry.hours, CreditEntry.kind).order_by(CreditEntry.id)).all())


def _rows(s1: School) -> list[tuple]:
    db.session.expire_all()
    return list(db.session.execute(select(TeacherYearRow.user_id, TeacherYearRow.total_hours, TeacherYearRow.status)
                                   .where(TeacherYearRow.school_id == s1.id).order_by(TeacherYearRow.user_id)).all())


def test_a_dry_run_lists_the_credit_and_changes_nothing(app, s1, staff, planted):
    _september, october = planted
    ledger, rows = _ledger(), _rows(s1)
    result = _run(app)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "would reverse 1 credit(s) of activities held while the teacher was away"
    assert lines[1] == (f"  S1 {YEAR} semester 1 {staff['t2'].username} ({staff['t2'].display_name}) activity "
                        f"{october.id} '十月讲座' held 2026-10-15 13:00, credited {lines[1].split('credited ')[1][:10]}"
                        ": 3 hours")
    assert lines[-1].startswith("dry run: nothing was written")
    assert _ledger() == ledger and _rows(s1) == rows


def test_apply_reverses_it_with_the_rows_and_a_second_run_finds_nothing(app, s1, staff, planted, auditor):
    september, october = planted
    t1, t2 = staff["t1"], staff["t2"]
    assert ledger_total(t2.id, s1.id, YEAR) == Decimal("6.0")
    result = _run(app, "--apply", "--as", auditor.username)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "reversed 1 credit(s) of activities held while the teacher was away"
    db.session.expire_all()
    reversal = db.session.execute(select(CreditEntry).where(CreditEntry.kind == "reversal")).scalar_one()
    assert (reversal.user_id, reversal.activity_id, reversal.hours, reversal.created_by, reversal.reason) == (
        t2.id, october.id, Decimal("-3"), auditor.id, REASON)
    assert (ledger_total(t2.id, s1.id, YEAR), ledger_total(t1.id, s1.id, YEAR)) == (Decimal("3.0"), Decimal("6.0"))
    assert dict((uid, hours) for uid, hours, _s in _rows(s1))[t2.id] == Decimal("3")  # September's only
    rows_are_a_rebuild(s1, (YEAR,))  # the stored rows are what a rebuild from scratch computes
    ledger = _ledger()
    again = _run(app, "--apply", "--as", auditor.username)
    assert again.exit_code == 0 and again.output.splitlines()[0].startswith("reversed 0 credit(s)"), again.output
    assert _ledger() == ledger
    assert _run(app).output.splitlines()[0].startswith("would reverse 0 credit(s)")
    assert september.id not in {a for _i, _u, a, _h, kind in ledger if kind == "reversal"}


def test_the_activity_can_still_be_revoked_after_the_repair(app, s1, staff, planted, auditor):
    """A revoke reverses what is standing: t1's credit, not t2's a second time (which the
    ledger's unique key refused, so the revoke failed for good)."""
    _september, october = planted
    assert _run(app, "--apply", "--as", auditor.username).exit_code == 0
    f.fire(db.session.get_one(Activity, october.id), staff["reviewer"], "revoke", "学时有误，撤销后重新认定")
    assert (ledger_total(staff["t1"].id, s1.id, YEAR), ledger_total(staff["t2"].id, s1.id, YEAR)) == (
        Decimal("3.0"), Decimal("3.0"))
    rows_are_a_rebuild(s1, (YEAR,))


def test_a_credit_in_a_year_the_district_accepted_is_listed_as_locked_and_left(app, s1, staff, planted, auditor):
    sub = submissions.submit(s1, YEAR, by=access.actor(staff["admin"].id, s1.id))
    submissions.decide(sub.id, True, by=Actor.of(auditor.id, ["district_reviewer"]), district_id=s1.district_id)
    db.session.commit()
    ledger, rows = _ledger(), _rows(s1)
    result = _run(app, "--apply", "--as", auditor.username)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("reversed 0 credit(s)")
    assert lines[1].startswith("locked, not changed: 1 in periods the district accepted")
    assert f"{staff['t2'].username} ({staff['t2'].display_name}) activity {planted[1].id}" in lines[2]
    assert _ledger() == ledger and _rows(s1) == rows


def test_school_and_year_narrow_it(app, s1, staff, planted, auditor):
    assert _run(app, "--year", "2025-2026").output.splitlines()[0].startswith("would reverse 0")
    assert _run(app, "--school", "S1", "--year", YEAR).output.splitlines()[0].startswith("would reverse 1")
    f.school("S2", types=("lecture",))
    assert _run(app, "--school", "S2").output.splitlines()[0].startswith("would reverse 0")
    assert _run(app, "--apply", "--as", auditor.username, "--school", "S2").output.splitlines()[0].startswith(
        "reversed 0")
    assert ledger_total(staff["t2"].id, s1.id, YEAR) == Decimal("6.0")


@pytest.mark.parametrize("args,error", [
    (["--year", "2026"], "not a school year"),
    (["--school", "NOPE"], "NOPE"),
    (["--apply"], "give --as USERNAME"),
    (["--apply", "--as", "nobody.here"], "no user 'nobody.here'"),
    (["--apply", "--as", "t1"], "holds no district role"),
    (["--apply", "--as", "other.district", "--school", "S1"], "is not in the district of 'other.district'"),
])
def test_bad_arguments_are_one_line_and_change_nothing(app, s1, staff, planted, auditor, args, error):
    from portal.services import districts

    other = districts.create_district("D9", "另一个区")
    users.create_user("other.district", f.PASSWORD, "外区审核员", None, ["district_reviewer"], district_id=other.id)
    db.session.commit()
    args = [staff["t1"].username if a == "t1" else a for a in args]
    ledger, rows = _ledger(), _rows(s1)
    result = _run(app, *args)
    assert result.exit_code == 1, result.output
    headline, *detail = result.output.strip().splitlines()  # as every command's: a field's detail indented
    assert headline.startswith("Error: ") and error in headline and all(d.startswith("  ") for d in detail), result.output
    assert _ledger() == ledger and _rows(s1) == rows
    assert db.session.scalar(select(func.count()).select_from(CreditEntry).where(CreditEntry.kind == "reversal")) == 0


def test_district_staff_reverse_no_credit_of_their_own(app, s1, staff, planted, auditor):
    """A district reviewer who also teaches at the school (t2, away in October) does not reverse
    their own credit: the repair is refused, naming them, and nothing is written; another
    district staff member runs it. The dry run still lists it."""
    from portal.models import Membership

    t2 = staff["t2"]
    db.session.add(Membership(user_id=t2.id, role="district_reviewer", district_id=s1.district_id, school_id=None,
                              active=True))
    db.session.commit()
    ledger, rows = _ledger(), _rows(s1)
    assert _run(app, "--as", t2.username).output.splitlines()[0].startswith("would reverse 1")
    result = _run(app, "--apply", "--as", t2.username)
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error: "), result.output
    assert t2.display_name in result.output and "another district staff member" in result.output, result.output
    assert _ledger() == ledger and _rows(s1) == rows
    assert _run(app, "--apply", "--as", auditor.username).output.splitlines()[0].startswith("reversed 1")
    assert ledger_total(t2.id, s1.id, YEAR) == Decimal("3.0")
