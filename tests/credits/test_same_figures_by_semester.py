"""The auditor's check of ``test_same_figures_everywhere`` for a district that collects semesters
(``submission_period`` = "semester": the school submits semester 1, the district accepts it — a
``YearLock`` of semester 1 — and later semester 2; the year is never locked whole).

A small world — one school of such a district, six teachers — walked through the year:

1. January: semester 1 submitted and accepted (an exemption, hours credited, an unexcused
   absence, an activity reviewed but not credited yet, one held);
2. March: semester 2 goes on — new credits and a new unexcused absence; a teacher joins, one who
   was credited in semester 1 leaves; every write into semester 1 is refused (``year.locked``:
   a credit posted or revoked, attendance, a new activity, an exemption given or taken);
3. July: semester 2 submitted and accepted; nothing more is written in either (a revocation in
   semester 2 refused);
4. the district reopens semester 1: its reviewed activity is credited now, semester 2 stays
   accepted (and closed to writes);
5. semester 1 submitted again and accepted (the second round).

At each step every surface the big audit reads (its own functions) must show the reference
figures of every teacher-year — read live from the ledger and attendance, judged by today's
rules (a semester's acceptance keeps no year's rules) — and every round the district received
must still show exactly what it froze when submitted (its page, its teachers' pages, the API;
the dashboard and ``submitted.csv`` the latest round); an accepted semester's own figures
(its hours, its unexcused absence) are today's figures of that semester, since nothing more can
be written in it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.assessment import IN_PROGRESS
from portal.demo import DEMO_PASSWORD, STAFF_SINCE
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Activity, CreditEntry, School, User, YearSubmission
from portal.policy import DISTRICT_ADMIN, DISTRICT_REVIEWER, Actor
from portal.services import access, activities, districts, exemptions, staff, submissions, transitions, users
from portal.timeutil import current_school_year
from tests.credits.helpers import credited
from tests.credits.test_same_figures_everywhere import (
    LANGS,
    ZERO,
    Audit,
    Key,
    Reference,
    Words,
    api_token,
    as_person,
    by_testid,
    csv_rows,
    frozen,
    get_ok,
    hours,
    page,
    reference,
    school_surfaces,
    submitted,
    summary_page,
    table,
    teacher_surfaces,
    text_of,
    verified,
    xlsx_rows,
)
from tests.support import factories

YEAR = "2026-2027"
STEPS = ("semester 1 accepted", "semester 2 goes on", "both accepted", "semester 1 reopened",
         "semester 1 accepted again")


def _person(school: School, username: str, *roles: str, since: datetime | None = STAFF_SINCE) -> User:
    """A person of the school (the audit's clients ask tokens with the demo's password)."""
    return users.create_user(username, DEMO_PASSWORD, f"教师{username}", school, list(roles), joined=since)


class Walk:
    """The world and what the district received: each round's figures as they were submitted."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        district = districts.create_district(
            "SEM", "学期区", {"submission_period": "semester", "required_hours": 12, "absence_limit_hours": 3})
        s = districts.move_school(factories.school("SEM1", types=("lecture",)), district)
        people = {
            "organizer": _person(s, "semorg", "organizer", "teacher"),
            "reviewer": _person(s, "semrev", "reviewer", "teacher"),
            "admin": _person(s, "semadm", "school_admin"),
            **{name: _person(s, f"sem{name}", "teacher") for name in ("t1", "t2", "t3", "t4")},
        }
        reviewer = users.create_user("semdrev", DEMO_PASSWORD, "区审核", None, [DISTRICT_REVIEWER],
                                     district_id=district.id)
        dadmin = users.create_user("semdadm", DEMO_PASSWORD, "区管理", None, [DISTRICT_ADMIN], district_id=district.id)
        self.ids = {k: u.id for k, u in people.items()}
        self.school_id, self.district_id = s.id, district.id
        self.reviewer_id, self.dadmin_id, self.reviewer_name = reviewer.id, dadmin.id, reviewer.username
        self.rounds: dict[int, dict[Key, Reference]] = {}  # submission → the reference when submitted
        self.accepted_semesters: dict[int, int] = {}  # semester → its accepted submission (locked now)
        # submission → whether it says the year's verdict: a second semester's, or a first semester's sent
        # while the second was accepted (the year's end is in it); a first semester's before it, half a year
        self.judges: dict[int, bool] = {}
        self.seen: dict[str, tuple[set[str], set[str]]] = {}  # step → statuses judged, surfaces read
        self.compared: dict[str, tuple[int, int]] = {}  # step → readings, figures compared
        self.forms: Counter[str] = Counter()  # printed forms read: laid out ("pdf") or from their HTML
        db.session.commit()

    def people(self) -> dict[str, User]:
        return {k: db.session.get_one(User, uid) for k, uid in self.ids.items()}

    def school_now(self) -> School:
        return db.session.get_one(School, self.school_id)

    def admin(self) -> Actor:
        return access.actor(self.ids["admin"], self.school_id)

    def submit_and_accept(self, semester: int) -> int:
        school = self.school_now()
        sub = submissions.submit(school, YEAR, semester, by=self.admin())
        db.session.commit()
        self.rounds[sub.id] = reference([school], [YEAR])
        self.judges[sub.id] = semester == 2 or 2 in self.accepted_semesters
        submissions.decide(sub.id, True, by=Actor.of(self.reviewer_id, [DISTRICT_REVIEWER]),
                           district_id=self.district_id)
        db.session.commit()
        self.accepted_semesters[semester] = sub.id
        return int(sub.id)

    def reopen(self, semester: int) -> None:
        submissions.reopen(self.accepted_semesters.pop(semester), "更正第一学期的学时",
                           by=Actor.of(self.dadmin_id, [DISTRICT_ADMIN]), district_id=self.district_id)
        db.session.commit()


def _semester_ledger(school_id: int, user_id: int, semester: int) -> Decimal:
    return Decimal(str(db.session.scalar(select(func.coalesce(func.sum(CreditEntry.hours), 0)).where(
        CreditEntry.school_id == school_id, CreditEntry.school_year == YEAR, CreditEntry.user_id == user_id,
        CreditEntry.semester == semester)))).quantize(Decimal("0.1"))


def _refused_in_locked_semester(write: Any) -> None:
    """``write`` lands in an accepted semester: refused with ``year.locked``, nothing changed."""
    with pytest.raises(DomainError) as info:
        write()
    db.session.rollback()
    said = [info.value.msg, *getattr(info.value, "fields", {}).values()]
    assert "year.locked" in {getattr(m, "code", None) for m in said}, said


def check(walk: Walk, step: str) -> list[str]:
    """Every surface at this step; the disagreements (each prefixed by the step). Records the
    step's statuses and the surfaces read in ``walk.seen``."""
    app = walk.app
    with app.app_context():
        school = walk.school_now()
        audit = Audit(reference([school], [YEAR]), [YEAR], {}, current={school.code: current_school_year(school.timezone)})
        # each step lays out one form of each kind (the others are read from their HTML), in
        # Chinese and English by turns: every step prints a real PDF of each, and each is
        # printed in both languages on the way
        audit.lay_out_in = (LANGS[STEPS.index(step) % len(LANGS)],)
        words = Words({(k, sem) for r in audit.ref.values() for k, sem, _d, _t in r.quotas}
                      | {(k, sem) for ref in walk.rounds.values() for r in ref.values() for k, sem, _d, _t in r.quotas})
        # an accepted semester's own figures are today's: nothing more is written in it
        for semester, sub_id in walk.accepted_semesters.items():
            sub = db.session.get_one(YearSubmission, sub_id)
            for row in sub.rows:
                key = (school.code, row["username"], YEAR)
                now = audit.ref.get(key)
                live = (_semester_ledger(school.id, row["user_id"], semester),
                        now.absent[semester - 1] if now else ZERO)
                kept = (hours(row.get("semester_hours", {}).get(str(semester), "0")),
                        hours(row["absent"].get(str(semester), "0")))
                if live != kept:
                    audit.problems.append(f"accepted semester {semester}: {key} (hours, absent) now {live}, "
                                          f"accepted {kept}")
        db.session.remove()
    teacher_surfaces(app, audit)
    school_surfaces(app, audit, words, {school.code: school.id}, [YEAR])
    district_side(walk, audit, words, school.code)
    verified(app, audit, words)
    walk.seen[step] = ({r.status for r in audit.ref.values()}, set(audit.read))
    walk.compared[step] = (sum(audit.read.values()), audit.compared)
    walk.forms.update(audit.forms)
    return [f"[{step}] {p}" for p in audit.problems]


def district_side(walk: Walk, audit: Audit, words: Words, code: str) -> None:
    """As the district's reviewer: the school's summary, ``/district`` and its API, the dashboard
    (its shares: the latest round), ``submitted.csv`` (the latest round), every round's frozen
    figures (as submitted, whatever moved since), the district's exports (today's)."""
    app, client = walk.app, walk.app.test_client()
    as_person(app, client, walk.reviewer_id, None)
    auth = api_token(client, walk.reviewer_name)
    summary_page(audit, "summary page (district)", client, code, YEAR, f"&school={code}")
    doc = page(client, f"/district?year={YEAR}")
    met = text_of(by_testid(doc, f"met-{code}")).split(" / ")
    audit.counted("district page", code, YEAR, so_far=True, met=int(met[0]),
                  in_progress=int(text_of(by_testid(doc, f"in-progress-{code}"))),
                  short=int(text_of(by_testid(doc, f"short-{code}"))),
                  not_recognised=int(text_of(by_testid(doc, f"not-recognised-{code}"))),
                  exempt=int(text_of(by_testid(doc, f"exempt-{code}"))),
                  hours=hours(text_of(by_testid(doc, f"hours-{code}"))))
    for row in get_ok(client, f"/api/v1/district/schools?year={YEAR}", headers=auth).get_json():
        audit.counted("API district/schools", row["school"], YEAR, so_far=True, teachers=row["teachers"],
                      hours=hours(row["hours"]), **row["by_status"])
    dash = get_ok(client, f"/api/v1/district/dashboard?year={YEAR}", headers=auth).get_json()
    charted = sum((hours(h) for h in dash["hours_by_type"].values()), ZERO)
    audit.read["API district/dashboard hours by type"] += 1
    want = sum((r.total for r in audit.ref.values() if r.status != "not_recognised"), ZERO)
    if charted != want:
        audit.problems.append(f"API district/dashboard: hours by type add up to {charted}, expected {want}")
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        table(audit, f"district export.{fmt}", "", YEAR, words, "zh",
              read(get_ok(client, f"/district/export.{fmt}?year={YEAR}").data), school_column=True,
              quota_columns=False)
    # what the district received: each round as it was submitted
    latest = max(walk.rounds)
    for sub_id, then in walk.rounds.items():
        if not walk.judges[sub_id]:  # half the year: met or short not judged yet, the second semester's absence not shown
            then = {k: replace(r, status=IN_PROGRESS if r.status in ("met", "short") else r.status,
                               absent=(r.absent[0], "")) for k, r in then.items()}
        received = Audit(then, [YEAR], {})
        frozen(received, client, auth, sub_id, YEAR)
        if sub_id == latest:
            doc = page(client, f"/district/dashboard?year={YEAR}")
            for row in dash["schools"]:
                received.counted("API district/dashboard shares", row["school"], YEAR, **row["shares"])
                received.counted("district dashboard shares", row["school"], YEAR, **{
                    st: int(text_of(by_testid(doc, f"share-{code}-{st}")) or -1) for st in row["shares"]})
            submitted(received, words, csv_rows(get_ok(client, f"/district/submitted.csv?year={YEAR}").data), YEAR)
        audit.problems += [f"round {sub_id}: {p}" for p in received.problems]
        audit.read.update(received.read)
        audit.compared += received.compared


def test_a_semester_districts_figures_are_the_same_everywhere_at_every_step(make_app, time_machine,
                                                                           record_property) -> None:
    app = make_app()
    problems: list[str] = []
    time_machine.move_to(datetime(2027, 1, 20, 2, 0, tzinfo=UTC))
    with app.app_context():
        walk = Walk(app)
        p, s = walk.people(), walk.school_now()
        exemptions.set_exemption(s, p["admin"], p["organizer"].id, YEAR, "长期病假")
        four = [(p[t], "attendee") for t in ("t1", "t2", "t3", "t4")]
        autumn = credited(s, p, "lecture", four, hours="4", attended={p["t3"].id: "1"}, absent={p["t3"].id: "3"},
                 start=datetime(2026, 10, 15, 14, 0), title="秋季讲座")
        waiting = credited(s, p, "lecture", [(p["t4"], "attendee"), (p["t1"], "attendee")], hours="2",
                           start=datetime(2026, 11, 12, 14, 0), title="待认定讲座", until="reviewed")
        held = credited(s, p, "lecture", [(p["t2"], "attendee")], hours="2", start=datetime(2026, 12, 3, 14, 0),
                        title="冬季讲座", until="held")
        waiting_id, autumn_id, held_id = waiting.id, autumn.id, held.id
        db.session.commit()
        walk.submit_and_accept(1)
        db.session.remove()
    problems += check(walk, STEPS[0])

    time_machine.move_to(datetime(2027, 3, 10, 2, 0, tzinfo=UTC))
    with app.app_context():
        p, s = walk.people(), walk.school_now()
        # nothing more lands in semester 1: no credit posted or revoked, no attendance, no activity,
        # no exemption of the year given or taken
        _refused_in_locked_semester(lambda: transitions.fire(waiting_id, s.id, p["reviewer"], "credit", "", None))
        _refused_in_locked_semester(lambda: transitions.fire(autumn_id, s.id, p["reviewer"], "revoke", "错记", None))
        _refused_in_locked_semester(lambda: activities.record_attendance(
            db.session.get_one(Activity, held_id), p["organizer"],
            [{"user_id": p["t2"].id, "attended_hours": "0", "absent_hours": "2", "excused_hours": "0"}]))
        _refused_in_locked_semester(lambda: exemptions.clear_exemption(s, p["admin"], p["organizer"].id, YEAR))
        _refused_in_locked_semester(lambda: exemptions.set_exemption(s, p["admin"], p["t3"].id, YEAR, "产假"))
        _refused_in_locked_semester(lambda: activities.plan_activity(
            s, p["organizer"], "lecture", "补记讲座", "2027-01-10T14:00", "2027-01-10T17:00", "3",
            [{"user_id": p["t2"].id, "role": "attendee"}], {}))
        t5 = _person(s, "semt5", "teacher", since=datetime(2027, 3, 1))
        walk.ids["t5"] = t5.id
        staff.deactivate(s, p["t4"].id, by=walk.admin())
        db.session.commit()
        p = walk.people()
        credited(s, p, "lecture", [(p["t1"], "attendee"), (p["t2"], "attendee"), (p["t5"], "attendee")], hours="8",
                 attended={p["t2"].id: "5"}, absent={p["t2"].id: "3"}, start=datetime(2027, 3, 4, 14, 0),
                 title="春季讲座")
        db.session.commit()
        db.session.remove()
    problems += check(walk, STEPS[1])

    time_machine.move_to(datetime(2027, 7, 5, 2, 0, tzinfo=UTC))
    with app.app_context():
        walk.submit_and_accept(2)
        p, s = walk.people(), walk.school_now()
        spring_id = db.session.execute(select(Activity.id).where(Activity.title == "春季讲座")).scalar_one()
        _refused_in_locked_semester(lambda: transitions.fire(spring_id, s.id, p["reviewer"], "revoke", "错记", None))
        _refused_in_locked_semester(lambda: activities.plan_activity(
            s, p["organizer"], "lecture", "补记讲座", "2027-06-10T14:00", "2027-06-10T17:00", "3",
            [{"user_id": p["t2"].id, "role": "attendee"}], {}))
        db.session.remove()
    problems += check(walk, STEPS[2])

    with app.app_context():
        walk.reopen(1)
        p, s = walk.people(), walk.school_now()
        transitions.fire(waiting_id, s.id, p["reviewer"], "credit", "", None)  # semester 1 is open again
        db.session.commit()
        db.session.remove()
    problems += check(walk, STEPS[3])

    with app.app_context():
        walk.submit_and_accept(1)
        db.session.remove()
    problems += check(walk, STEPS[4])

    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems)
    assert set().union(*(statuses for statuses, _read in walk.seen.values())) == {
        "met", "short", "not_recognised", "exempt"}, walk.seen
    assert all(len(read) >= 40 for _statuses, read in walk.seen.values()), walk.seen
    record_property("figure", f"same figures by semester: {len(STEPS)} steps, {len(walk.rounds)} rounds, "
                              f"{sum(r for r, _c in walk.compared.values())} readings, "
                              f"{sum(c for _r, c in walk.compared.values())} figures compared "
                              f"({walk.forms['pdf']} forms laid out, {walk.forms['html']} read from their HTML)")
