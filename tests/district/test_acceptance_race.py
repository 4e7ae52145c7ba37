"""A credit and the district's acceptance of the same school year, at the same moment. The race
is PostgreSQL's (SQLite runs one write transaction at a time); both backends must end the same way.

The acceptance compares the submitted figures with the current ones and locks the year; a credit
asks whether the year is locked and writes. Without one lock both take (``locks.hold``: the
school's row, FOR UPDATE by the acceptance, FOR KEY SHARE by every write into the year), a credit
that found the year open and committed after the comparison slipped into the accepted year, and
both succeeded. Now one of them is refused: the credit (``year.locked``) or the acceptance
(``submission.changed``). Pauses inside the window make the interleaving certain.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, CreditEntry, User, YearLock, YearSubmission
from portal.policy import Actor
from portal.services import access, submissions, teacher_years, transitions
from tests.credits.helpers import DETAILS, prepare_approve
from tests.district.conftest import YEAR
from tests.support import factories as f
from tests.support.at_once import side_by_side, slowed

ONE_WINS = ({"credit": "done", "accept": "submission.changed"}, {"credit": "year.locked", "accept": "done"})



@pytest.mark.parametrize("first", ["credit", "acceptance"])
def test_a_credit_and_the_acceptance_at_once_never_both_succeed(app, world, monkeypatch, first):
    held, staff = world.held, world.staff
    prepare_approve(held, staff["organizer"], [(staff["t3"], "attendee")])
    f.fire(held, staff["reviewer"], "approve", "材料齐全")  # before the submission: it moves t3's absence
    sub = submissions.submit(world.s1, YEAR, by=access.actor(staff["admin"].id, world.s1.id))
    ids = {"act": held.id, "school": world.s1.id, "reviewer": staff["reviewer"].id, "sub": sub.id,
           "district": world.d1.id, "district_reviewer": world.reviewer1.id, "t3": staff["t3"].id}
    db.session.commit()
    db.session.remove()

    # the credit's ledger rows are written, then it lingers before its commit: the window
    slowed(monkeypatch, teacher_years, "refresh", after=0.6)
    if first == "credit":  # the acceptance comes while the credit lingers
        slowed(monkeypatch, submissions, "teacher_ids", before=0.2)
    else:  # the acceptance has begun; it compares while the credit writes
        slowed(monkeypatch, submissions, "changed_since", before=0.3)

    def credit() -> None:
        transitions.fire(ids["act"], ids["school"], db.session.get_one(User, ids["reviewer"]), "credit", "")

    def accept() -> None:
        submissions.decide(ids["sub"], True, by=Actor.of(ids["district_reviewer"], ["district_reviewer"]),
                           district_id=ids["district"])

    credit_went, accept_went = side_by_side(app, credit, accept)
    assert {"credit": credit_went, "accept": accept_went} in ONE_WINS

    monkeypatch.undo()
    credited = db.session.scalar(select(func.count()).select_from(CreditEntry).where(
        CreditEntry.activity_id == ids["act"], CreditEntry.user_id == ids["t3"]))
    locked = db.session.scalar(select(func.count()).select_from(YearLock).where(YearLock.school_id == ids["school"]))
    status = db.session.get_one(YearSubmission, ids["sub"]).status
    assert (credited, locked, status) == ((1, 0, "submitted") if credit_went == "done" else (0, 1, "accepted"))
    if accept_went == "done":  # the year the district accepted is the year as it stands
        assert submissions.changed_since(db.session.get_one(YearSubmission, ids["sub"])) == 0
        assert db.session.get_one(Activity, ids["act"]).state != "credited"


def test_evidence_that_found_the_year_open_is_not_written_after_the_acceptance(app, world, monkeypatch):
    """Evidence asks whether the year is locked, checks the person and the text, then writes. On
    SQLite the question used to be asked only before the write began: an acceptance committed in
    between, and the evidence (which the writing quotas count) was written into the accepted year.
    Now the write asks again; on PostgreSQL the first question already holds the school's row."""
    from portal import policy
    from portal.services import activities

    staff = world.staff
    planned = f.plan(world.s1, staff["organizer"], "lecture", [(staff["t3"], "attendee")], DETAILS["lecture"],
                     title="开放的活动")
    sub = submissions.submit(world.s1, YEAR, by=access.actor(staff["admin"].id, world.s1.id))
    ids = {"act": planned.id, "t3": staff["t3"].id, "sub": sub.id, "district": world.d1.id,
           "district_reviewer": world.reviewer1.id}
    db.session.commit()
    db.session.remove()
    slowed(monkeypatch, policy, "may_add_evidence", before=0.5)  # between the first question and the write
    ended: dict[str, float] = {}

    def evidence() -> None:
        try:
            activities.add_evidence(db.session.get_one(Activity, ids["act"]), db.session.get_one(User, ids["t3"]),
                                    None, "reflection", "听课反思", text="一篇听课反思，写了好几句。")
        finally:
            ended["evidence"] = time.monotonic()

    def accept() -> None:
        try:
            submissions.decide(ids["sub"], True, by=Actor.of(ids["district_reviewer"], ["district_reviewer"]),
                               district_id=ids["district"])
        finally:
            ended["accept"] = time.monotonic()

    went = dict(zip(("evidence", "accept"), side_by_side(app, evidence, accept), strict=True))
    # Three endings are right, and which one comes depends on who reaches the school's row first:
    # the acceptance waited for the evidence and then accepted the year as it stands (PostgreSQL),
    # or it found the figures changed by the evidence and refused (PostgreSQL, when the evidence
    # moves a writing quota); or the write found the year accepted (SQLite).
    assert went in ({"evidence": "done", "accept": "done"}, {"evidence": "done", "accept": "submission.changed"},
                    {"evidence": "year.locked", "accept": "done"}), went
    if went == {"evidence": "done", "accept": "done"}:
        assert ended["evidence"] < ended["accept"], (went, ended)
    monkeypatch.undo()
    db.session.remove()
    submission = db.session.get_one(YearSubmission, ids["sub"])
    if went["accept"] == "done":  # the year the district accepted is the year as it stands
        assert submission.status == "accepted"
        assert submissions.changed_since(submission) == 0
    else:
        assert submission.status == "submitted"
