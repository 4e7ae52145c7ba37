"""What writing is expected of a teacher by a day counts from the day they joined the school
(or came back after a gap), as their plan's deadline does (``forecast.expected_by``,
``YearFacts.on_staff_since``).

Auditor: a teacher who joined on 1 December was told a week later that their reflections of
the semester (5 by 31 January) were behind, as if they had been there since September. Now the
target spread over the semester counts from their first day: still the whole target by its
end, but nobody is behind for the weeks before they came. One rule for the home, the API, the
school summary (computed, and from its stored rows) and the reminders, through their facts."""

from __future__ import annotations

from datetime import date, datetime

from portal.services import credits, forecast, teacher_years
from tests.support import factories as f
from tests.support.sessions import log_in

YEAR = "2026-2027"
JOINED = datetime(2026, 11, 30, 17, 0)  # 1 December 01:00 in Beijing
TODAY = date(2026, 12, 10)


def _behind(facts) -> set[tuple[str, int]]:
    return {(q.key, q.semester) for q in forecast.behind(facts, TODAY, status="short", accepted=())}


def test_a_teacher_who_joined_in_december_is_not_behind_for_the_months_before(app, s1, staff):
    new = f.person(s1, "qjnew", "teacher", name="新来的", since=JOINED)
    mine = credits.teacher_year(new, s1, YEAR).facts  # the home and the API
    assert mine.on_staff_since == date(2026, 12, 1)
    # 9 days of the 62 left of semester 1: no reflection due yet; of the year's 10,000
    # characters of reading notes, 9/274 of them
    assert _behind(mine) == {("reading_notes", 0)}
    reading = next(q for q in mine.quotas if q.key == "reading_notes")
    assert forecast.expected_by(reading, YEAR, TODAY, mine.on_staff_since) == 328
    old = credits.teacher_year(staff["t1"], s1, YEAR).facts  # there all year: 100 days of 153
    assert ("reflections", 1) in _behind(old) and forecast.expected_by(reading, YEAR, TODAY, old.on_staff_since) == 2739
    computed = {ty.user.id: ty.facts for ty in credits.school_summary(s1, YEAR)}  # the summary, computed
    assert computed[new.id].on_staff_since == date(2026, 12, 1) and _behind(computed[new.id]) == _behind(mine)
    teacher_years.refresh(s1, YEAR)
    stored = {r.user.id: r.facts for r in teacher_years.summary_rows(s1, YEAR) or []}  # ... from its stored rows
    assert _behind(stored[new.id]) == _behind(mine) and _behind(stored[staff["t1"].id]) == _behind(old)


def test_the_summary_page_warns_each_by_their_own_days(app, client, s1, staff):
    """Two teachers with the same writing (none) share their quota cells, not their warnings:
    on the test clock's 7 December, t1 is behind with reflections and reading notes, the new
    teacher (6 days in) with reading notes only."""
    new = f.person(s1, "qjnew", "teacher", name="新来的", since=JOINED)
    log_in(client, staff["admin"], s1.id)
    page = client.get(f"/reports/summary?year={YEAR}").text

    def warnings_of(username: str) -> int:
        cell = page.split(f'data-testid="warnings-{username}">')[1].split("</td>")[0]
        return cell.count('data-warning="quota"')

    assert warnings_of(staff["t1"].username) == 2
    assert warnings_of(new.username) == 1
    token = client.post("/api/v1/auth/token", json={"username": "qjnew", "password": f.PASSWORD}).get_json()["token"]
    got = client.get("/api/v1/me/outlook", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [w["quota"]["key"] for w in got["warnings"] if w["kind"] == "quota"] == ["reading_notes"]
