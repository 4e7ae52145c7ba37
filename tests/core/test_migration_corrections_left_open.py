"""Correction requests the older code left open (revision ``c3e8a5f1b7d9``), on a database with the
DEMO school in it: one on an activity credited and one on an activity cancelled before the step
closed them, one in a semester the district accepted, one of a school year that is over (the
demo's held talk of the year before the last) — each waited on the admins' list and to-do count
until an admin opened it, the year's for ever. The upgrade closes each as the services would
(moved on, locked, year over), by nobody, its asker, reason and day kept; one still to be handled
stays open, the only one the admins' list says is waiting."""

from __future__ import annotations

import re
from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from portal.demo_year import CLOSED_YEAR, closed_year_title
from portal.extensions import db
from portal.models import CorrectionRequest, School, User, YearLock, YearSubmission
from portal.services import access, corrections
from tests.credits.helpers import login

BEFORE = "b8e2d4f6a1c3"  # the revision before the open requests were closed
ASKED_AT = datetime(2026, 10, 12, 8, 30)


def _one(conn, sql: str, **params) -> int:
    found = conn.execute(text(sql + " ORDER BY id"), params).first()
    assert found is not None, sql
    return int(found[0])


def test_the_requests_left_open_close_as_the_services_close_them(app, demo):
    school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
    people = {u.username: u for u in db.session.execute(select(User)).scalars()}
    school_id, asker, admin_id = school.id, people["teacher1"].id, people["admin"].id
    open_before = set(db.session.execute(select(CorrectionRequest.id).where(
        CorrectionRequest.status == corrections.OPEN)).scalars())
    db.session.remove()
    downgrade(revision=BEFORE)
    with db.engine.begin() as conn:
        this_year = "2026-2027"
        acts = {
            corrections.MOVED_ON + ":credited": _one(conn, "SELECT id FROM activity WHERE state = 'credited'"
                                                     " AND school_year = :y", y=this_year),
            corrections.MOVED_ON + ":cancelled": _one(conn, "SELECT id FROM activity WHERE state = 'cancelled'"
                                                      " AND school_year = :y", y=this_year),
            corrections.LOCKED: _one(conn, "SELECT id FROM activity WHERE state = 'planned' AND school_year = :y",
                                     y=this_year),
            corrections.YEAR_OVER: _one(conn, "SELECT id FROM activity WHERE title = :t",
                                        t=closed_year_title(CLOSED_YEAR[1][1])),
            corrections.OPEN: _one(conn, "SELECT id FROM activity WHERE state = 'held' AND school_year = :y",
                                   y=this_year),
        }
        # the locked one: moved to the second semester, which the district accepted (nothing else is there)
        conn.execute(text("UPDATE activity SET semester = 2 WHERE id = :a"), {"a": acts[corrections.LOCKED]})
        made = {}
        for what, act_id in acts.items():
            made[what] = conn.execute(text(
                "INSERT INTO correction_request (school_id, activity_id, requester_id, kind, wanted, reason, status,"
                " created_at, close_reason) VALUES (:s, :a, :u, 'row', '出席 2 小时', :why, 'open', :at, '')"
                " RETURNING id"), {"s": school_id, "a": act_id, "u": asker, "why": f"签到表漏签（{what}）",
                                   "at": ASKED_AT}).scalar_one()
    sub = YearSubmission(district_id=school.district_id, school_id=school_id, school_year=this_year, semester=2,
                         status="accepted", submitted_by=admin_id)
    db.session.add(sub)
    db.session.flush()
    db.session.add(YearLock(school_id=school_id, school_year=this_year, semester=2, submission_id=sub.id,
                            locked_by=admin_id))
    db.session.commit()
    db.session.remove()  # no read transaction left open across the upgrade
    upgrade()
    rows = {r.id: r for r in db.session.execute(select(CorrectionRequest).order_by(CorrectionRequest.id)).scalars()}
    for what, request_id in made.items():
        req = rows[request_id]
        assert req.status == what.split(":")[0], (what, req.status)
        assert (req.requester_id, req.reason, req.created_at) == (asker, f"签到表漏签（{what}）", ASKED_AT)
        assert req.closed_by is None and req.close_reason == ""
        assert (req.closed_at is None) == (what == corrections.OPEN), what
    assert {i for i, r in rows.items() if r.status == corrections.OPEN} == open_before | {made[corrections.OPEN]}
    # the admins' list and to-do count: only what is still to be handled is waiting
    n, _oldest = corrections.waiting_on(school_id, access.actor(admin_id, school_id))
    assert n == len(open_before) + 1
    page = login(app.test_client(), people["admin"], school).get("/corrections?lang=zh_CN").get_data(as_text=True)
    waiting = page.split('data-testid="corrections-waiting"', 1)[1].split("</section>", 1)[0]
    listed = {int(i) for i in re.findall(r'data-testid="correction-(\d+)"', waiting)}
    assert listed == open_before | {made[corrections.OPEN]}, waiting
