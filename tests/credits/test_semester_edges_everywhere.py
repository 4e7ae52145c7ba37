"""Absence at the edges of a semester, read on every surface: a lecture of 31 January 20:30–23:30
and one from 1 February 00:30 in Beijing (both 31 January in UTC) fall in semesters 1 and 2 of
the school's year — on the service, the home, the API, the summary CSV and the ledger CSV alike.
(An activity lies in one semester: the first ends before midnight.)"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from portal.services import credits, tokens
from tests.credits.helpers import credited, login

YEAR = "2025-2026"


def test_absence_on_either_side_of_the_semester_line_counts_in_its_semester_everywhere(client, s1, staff):
    t4 = staff["t4"]
    credited(s1, staff, "lecture", [(t4, "attendee")], hours="2", attended={t4.id: "0"}, absent={t4.id: "2"},
             start=datetime(2026, 1, 31, 20, 30), title="学期末讲座")
    spring = credited(s1, staff, "lecture", [(t4, "attendee")], hours="3", attended={t4.id: "0"}, absent={t4.id: "3"},
                      start=datetime(2026, 2, 1, 0, 30), title="开学讲座")
    assert (spring.school_year, spring.semester) == (YEAR, 2)
    facts = credits.teacher_year(t4, s1, YEAR).facts
    assert facts.absent_hours == {1: 2, 2: 3}
    login(client, t4, s1)
    home = client.get(f"/?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="absence-semester-1" data-hours="2"' in home
    assert 'data-testid="absence-semester-2" data-hours="3"' in home
    headers = {"Authorization": f"Bearer {tokens.issue(staff['admin']).token}", "X-School": s1.code}
    body = client.application.test_client().get(f"/api/v1/users/{t4.id}/credits?year={YEAR}", headers=headers).get_json()
    assert body["absent_hours"] == {"1": 2.0, "2": 3.0}, body
    login(client, staff["admin"], s1)
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/summary.csv?year={YEAR}&headings=en")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    head, mine = rows[0], next(r for r in rows if r and r[0] == t4.username)
    assert (mine[head.index("Unexcused absence, first semester")], mine[head.index("Unexcused absence, second semester")]) \
        == ("2", "3")
