"""The years a rebuild computes (``teacher_years.data_years``) include each school's current
year as the school reads it, not only the deployment's."""

from __future__ import annotations

from datetime import datetime

from portal import timeutil
from portal.services import teacher_years


def test_a_school_already_in_its_new_year_has_that_year_rebuilt(app, s1, staff, monkeypatch):
    """At 20:00 UTC on 31 August a school in Beijing is in 2026-2027 (04:00 on 1 September);
    a deployment whose zone is UTC is still in 2025-2026. The rebuild computed only the
    deployment's year: the school's new year (every teacher's row of it) was left out."""
    assert s1.timezone == "Asia/Shanghai"
    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "UTC")
    monkeypatch.setattr(timeutil, "utcnow", lambda: datetime(2026, 8, 31, 20, 0))
    assert "2026-2027" in teacher_years.data_years()
    teacher_years.rebuild()
    rebuilt = {(school_id, user_id) for school_id, year, user_id, *_ in teacher_years.stored() if year == "2026-2027"}
    teachers = {(row["school_id"], row["user_id"]) for row in teacher_years.built_rows([s1], "2026-2027")}
    assert rebuilt == teachers and {(s1.id, staff["t1"].id)} <= teachers
