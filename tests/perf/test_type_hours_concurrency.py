"""Simultaneous credits in one school: every one goes through and the school's type totals
(``school_year_type_hours``, rewritten whole by each) end as the sum of its teachers' rows.

Runs on PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set, on a SQLite file otherwise (one
writer at a time). On PostgreSQL the writers of one school take turns already: the ledger
rows they insert first make the ``data_version`` trigger update the school's row, which stays
locked until commit, so each refresh reads what the one before committed and no two rewrite
the totals at once. Each credit is its own thread with its own connection, released by a
barrier."""

from __future__ import annotations

import threading
from decimal import Decimal

from portal.extensions import db
from portal.models import User
from portal.services import teacher_years, transitions
from tests.support import factories as f

ACTIVITIES = 6


def _reviewed(n: int) -> tuple[int, list[int], int]:
    s = f.school("TC")
    p = f.staff(s, "tc")
    ids = []
    for i in range(n + 1):
        people = [(f.person(s, f"tc-x{i}-{k}", "teacher"), "attendee") for k in range(3)]
        act = f.plan(s, p["organizer"], "lecture", people, {"topic": f"并发{i}"}, hours="1.5")
        f.fire(act, p["organizer"], "hold")
        f.attend(act, p["organizer"])
        f.fire(act, p["reviewer"], "approve")
        ids.append(act.id)
    f.fire(db.session.get_one(type(act), ids[0]), p["reviewer"], "credit")  # the school's year has rows
    db.session.remove()
    return s.id, ids[1:], p["reviewer"].id


def test_simultaneous_credits_keep_the_type_totals(app):
    school_id, ids, reviewer_id = _reviewed(ACTIVITIES)
    barrier = threading.Barrier(len(ids))
    outcomes: list[str] = []

    def credit(activity_id: int) -> None:
        with app.app_context():
            reviewer = db.session.get_one(User, reviewer_id)
            barrier.wait()
            try:
                transitions.fire(activity_id, school_id, reviewer, "credit")
                outcomes.append("ok")
            except Exception as exc:  # noqa: BLE001 - the outcome is what is asserted
                outcomes.append(f"{type(exc).__name__}: {exc}"[:300])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=credit, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert outcomes == ["ok"] * len(ids), outcomes
    rows = teacher_years.stored()
    totals = teacher_years.stored_type_hours()
    lecture = sum((Decimal(r[4].get("lecture", "0")) for r in rows if r[0] == school_id), Decimal("0"))
    assert lecture == Decimal("1.5") * 3 * (ACTIVITIES + 1)
    assert [t for t in totals if t[0] == school_id] == [(school_id, rows[0][1], "lecture", lecture)]
    teacher_years.rebuild()
    db.session.commit()
    assert teacher_years.stored() == rows and teacher_years.stored_type_hours() == totals
