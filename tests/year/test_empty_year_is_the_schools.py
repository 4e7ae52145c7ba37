"""A year left empty is the current school year *of the school* (its zone), not the deployment's.

Auditor (with ``credits.year_over_at``): the services of one school (the plan deadline, the
school's annual plan, a teacher's plan, the year's submission) read an empty year as today's in
the deployment's zone (Asia/Shanghai). At 23:30 on 31 August in Urumqi it is already 1 September
in Shanghai: an admin there setting the deadline of the year still running had it refused as
outside "the" year (2027-2028)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from portal.services import plans, schools
from tests.support import factories as f
from tests.year.helpers import actor

#: 23:30 on 31 August 2027 in Urumqi (UTC+6); 01:30 on 1 September in Shanghai
LATE_AUGUST_IN_URUMQI = datetime(2027, 8, 31, 17, 30, tzinfo=UTC)


def test_an_empty_year_is_the_schools_current_one(app, time_machine):
    west = schools.create_school("WX", "西部学校", "Asia/Urumqi")
    p = f.staff(west, "wx")
    time_machine.move_to(LATE_AUGUST_IN_URUMQI, tick=False)
    assert plans.set_deadline(west, "", "2027-05-31", by=actor(p["admin"], west)) == date(2027, 5, 31)
    assert plans.deadline(west, "2026-2027") == date(2027, 5, 31)
