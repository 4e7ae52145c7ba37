"""The same school year sent twice at the same moment (a double click, two admins): one round
is written, the other is refused as waiting for the district (``submission.pending``, 409).

Audit (PostgreSQL): both submissions read "no round yet" in their snapshots and both wrote
round 1; the second met the unique (school, year, period, round) constraint and the request
ended in a server error."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import School, SubmissionEvent, YearSubmission
from portal.services import access, submissions
from tests.district.conftest import YEAR
from tests.support import factories as f
from tests.support.at_once import hold_after_first, side_by_side


def test_two_submissions_at_once_write_one_round(app, world, monkeypatch):
    b = f.person(world.s1, "s1.adm2", "school_admin", "teacher")
    as_a, as_b = access.actor(world.staff["admin"].id, world.s1.id), access.actor(b.id, world.s1.id)
    school_id = world.s1.id
    db.session.commit()
    db.session.remove()
    # B sends while A's round is written and not yet committed
    written = hold_after_first(monkeypatch, submissions, "_event")

    def send(actor, after_a: bool):
        def action() -> None:
            if after_a:
                assert written.wait(60), "A never wrote its round"
            submissions.submit(db.session.get_one(School, school_id), YEAR, by=actor)
        return action

    outcome = side_by_side(app, send(as_a, False), send(as_b, True))
    monkeypatch.undo()
    assert outcome == ["done", "submission.pending"]
    rounds = db.session.execute(select(YearSubmission.round, YearSubmission.submitted_by)).all()
    assert rounds == [(1, as_a.user_id)]
    assert db.session.execute(select(SubmissionEvent.action)).scalars().all() == ["submit"]
