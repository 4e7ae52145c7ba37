"""Whether a round judges the year rides on the statement that reads the rounds.

hDZ made a first semester's round read as half the year (``submissions.judging_rounds``), at one
statement more wherever such a round was listed: the dashboard (7 → 8), the district's exports
(3 → 4), the submissions queue. Now the answer is a column of the rounds' statement
(``submissions.judges_year``): a first semester's round costs nothing more, and reads the same."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event

from portal.extensions import db
from portal.models import YearSubmission
from portal.reports import district_exports
from portal.services import dashboard, submissions
from tests.credits.helpers import login
from tests.district.conftest import YEAR, submit_semester


def _statements(fn: Callable[[], object]) -> int:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    db.session.commit()  # every object read again, as in a request
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def _costs(district, district_id: int) -> dict[str, int]:
    return {
        "dashboard": _statements(lambda: dashboard.dashboard(district_id, YEAR)),
        "summary export": _statements(lambda: list(district_exports.summary_rows(district_id, YEAR))),
        "teachers export": _statements(lambda: list(district_exports.teacher_rows(district_id, YEAR))),
        "queue page": _statements(lambda: district.get(f"/district/submissions?year={YEAR}")),
    }


def test_a_first_semester_round_costs_the_dashboard_exports_and_queue_no_statement(app, by_semester):
    world = by_semester
    d1, s1_id = world.d1.id, world.s1.id
    district = login(app.test_client(), world.reviewer1)
    second = submit_semester(world, 2).id  # the year's end is in it: it judges the year
    before = _costs(district, d1)
    first = submit_semester(world, 1).id
    after = _costs(district, d1)
    assert after == before, (before, after)
    assert before["dashboard"] <= 7 and before["summary export"] <= 3, before

    # and reads as before: the first semester's round does not judge the year, the second's does
    rounds = [db.session.get_one(YearSubmission, x) for x in (first, second)]
    assert submissions.judging_rounds(rounds) == {second}
    page = submissions.queue(d1, year=YEAR)
    assert {r.submission.semester: r.judges for r in page.rows} == {1: False, 2: True}
    shares = dashboard.dashboard(d1, YEAR).schools
    latest = next(s for s in shares if s.school.id == s1_id)
    assert latest.submission is not None and (latest.submission.id, latest.judges) == (first, False)
    summary = list(district_exports.summary_rows(d1, YEAR))
    s1 = next(r for r in summary[1:] if r[0] == "S1")
    assert s1[8:10] == ["", ""]  # neither met nor short of the year: in progress
