"""Whether a round judges the year is read with the round on the pages that show one.

hED made the dashboard, the district's exports and the queue ask ``submissions.judges_year`` as a
column of the statement that reads the rounds; the school's own submission page, the district's
page of one submission (and of one teacher in it) and the school's API list of rounds still asked
``submissions.judging_rounds`` as a statement of its own when a first semester's round was there.
Now they read it with the round (``submissions.rounds``, ``submissions.read_seen``): a school that
sent its first semester costs each the statements of one that sent its second. Before: 12, 14,
13, 4 for the second semester's round, one more each for the first's.

The district's API answers of one round (``GET /district/submissions/<id>``, and the decision's
answer) asked it of ``judging_rounds`` in ``Submission.of``, with the round read again and its
school apart: now ``submissions.read_round`` reads the round, whether it judges the year and its
school in one statement. Before: 10 and 20 for the second semester's round, 11 and 21 for the first's."""

from __future__ import annotations

import pytest

from portal.services import tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR, by_semester, prepared, submit_semester, world  # noqa: F401
from tests.perf.conftest import QueryCounter

#: statements of each page, the same whichever semester the school sent; the pinned count may only go down
PINNED = {
    # the user, the district, the rounds (whether each judges the year, with them), the round's history,
    # the teachers' figures now (7: how many moved since it was sent), the activities still to credit
    "school submission page": 12,
    # the user, the round (whether it judges the year, and its school's district now, with it), the school,
    # the history, who is involved (2), the teachers' figures now (7)
    "district submission page": 13,
    # the user, the round (as above), the teacher's ledger lines and absences, the school, the figures now (7)
    "district teacher page": 12,
    # the token, the school, the rounds (whether each judges the year, with them), the activities still to credit
    "school rounds (API)": 4,
    # the token (with its holder), the seat, the round as it is read (whether it judges the year and its
    # school with it: one statement) — looked up by the path's ``finds`` and taken by the handler. It was
    # 7: the seat twice, the round looked up (2: the round, its school's district) and read again
    "district submission (API)": 3,
    # the token, the seat, the round, who is involved (twice: before and in the write), the decision's writes,
    # the round refreshed, the answer: the round as decided (whether it judges the year and its school with it).
    # The seat is read once a request (``api.context.caller_seat``: the operation's right, asked before the
    # body, and the operation both ask it): 20 before the right was asked first, 21 with it read twice
    "district decision (API)": 19,
}


def _count(queries: QueryCounter, get) -> int:
    assert get().status_code == 200  # first-request work (templates) is not the page's
    with queries.counting():
        response = get()
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return queries.count


@pytest.mark.parametrize("semester", [2, 1])
def test_a_first_semesters_round_costs_its_pages_no_statement_more(app, by_semester, queries, semester):  # noqa: F811
    sub = submit_semester(by_semester, semester)
    sub_id, teacher = sub.id, by_semester.staff["t1"].id  # read now: not a statement of the pages
    school = login(app.test_client(), by_semester.staff["admin"])
    district = login(app.test_client(), by_semester.reviewer1)
    api = app.test_client()
    head = {"Authorization": f"Bearer {tokens.issue(by_semester.staff['admin']).token}", "X-School": "S1"}
    seat = {"Authorization": f"Bearer {tokens.issue(by_semester.reviewer1).token}"}
    decided = []

    def decide():  # once: a second decision is refused
        if decided:
            return decided[0]
        decided.append(api.post(f"/api/v1/district/submissions/{sub_id}/decision", headers=seat,
                                json={"decision": "return", "comment": "请补录请假记录。"}))
        return decided[0]

    costs = {
        "school submission page": _count(queries, lambda: school.get(f"/submission?year={YEAR}")),
        "district submission page": _count(queries, lambda: district.get(f"/district/submissions/{sub_id}")),
        "district teacher page": _count(queries, lambda: district.get(f"/district/submissions/{sub_id}/teachers/{teacher}")),
        "school rounds (API)": _count(queries, lambda: api.get(f"/api/v1/submissions?year={YEAR}", headers=head)),
        "district submission (API)": _count(
            queries, lambda: api.get(f"/api/v1/district/submissions/{sub_id}", headers=seat)),
    }
    with queries.counting():
        answer = decide()
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    costs["district decision (API)"] = queries.count
    assert costs == PINNED, (semester, costs, queries.report())

    # and it reads as before: a first semester's round (the second not accepted) does not judge the year
    (listed,) = api.get(f"/api/v1/submissions?year={YEAR}", headers=head).get_json()
    assert (listed["semester"], listed["judges_year"]) == (semester, semester == 2)
    one = api.get(f"/api/v1/district/submissions/{sub_id}", headers=seat).get_json()
    assert (one["status"], one["judges_year"]) == ("returned", semester == 2)
    assert (answer.get_json()["status"], answer.get_json()["judges_year"]) == ("returned", semester == 2)
