"""A school year's and a semester's bounds come from one rule (``timeutil``): 1 September –
31 August, semester 1 to 31 January, semester 2 from 1 February — and agree with
``school_year_of`` / ``semester_of`` on every edge."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.timeutil import (
    first_day,
    month_starts,
    period_bounds,
    school_year_after,
    school_year_of,
    semester_of,
    year_bounds,
)


def test_the_year_and_its_semesters_meet_on_their_edges():
    assert year_bounds("2027-2028") == (date(2027, 9, 1), date(2028, 8, 31))
    assert period_bounds("2027-2028", 0) == year_bounds("2027-2028")
    assert period_bounds("2027-2028", 1) == (date(2027, 9, 1), date(2028, 1, 31))
    assert period_bounds("2027-2028", 2) == (date(2028, 2, 1), date(2028, 8, 31))


@pytest.mark.parametrize(("day", "year", "semester"), [
    (date(2027, 8, 31), "2026-2027", 2), (date(2027, 9, 1), "2027-2028", 1),
    (date(2028, 1, 31), "2027-2028", 1), (date(2028, 2, 1), "2027-2028", 2),
    (date(2028, 2, 29), "2027-2028", 2),  # a leap day: inside semester 2
    (date(2028, 8, 31), "2027-2028", 2), (date(2028, 9, 1), "2028-2029", 1),
])
def test_a_day_lies_within_the_bounds_of_its_year_and_semester(day, year, semester):
    assert school_year_of(day) == year and semester_of(day) == semester
    first, last = period_bounds(year, semester)
    assert first <= day <= last
    other_first, other_last = period_bounds(year, 3 - semester)
    assert not other_first <= day <= other_last


def test_every_day_of_a_leap_year_is_in_exactly_its_semester():
    first, last = year_bounds("2027-2028")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert len(days) == 366  # 29 February 2028
    for day in days:
        assert [s for s in (1, 2) if period_bounds("2027-2028", s)[0] <= day <= period_bounds("2027-2028", s)[1]] \
            == [semester_of(day)]


def test_months_and_neighbouring_years():
    assert first_day("2026-2027", 12) == date(2026, 12, 1) and first_day("2026-2027", 1) == date(2027, 1, 1)
    assert [m for m, _ in month_starts("2026-2027", "UTC")][:2] == [9, 10]
    assert school_year_after("2026-2027") == "2027-2028" and school_year_after("2026-2027", -1) == "2025-2026"
