"""Contract 1.16: a plugin asks whether the district has locked a school's year or semester
(``Portal.year_locked``), by the one rule the core's writes follow (``locks.covers``), and an
activity's snapshot names the period it belongs to (``ActivitySnapshot.school_year`` / ``semester``).

Auditor: the lesson-study example took observation notes in a year the district had accepted:
a plugin had no way to ask, short of importing ``portal.services``, which the contract forbids."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.facade import Portal
from portal.hookspecs import CONTRACT_VERSION
from portal.models import YearLock, YearSubmission
from portal.models.district import WHOLE_YEAR
from portal.services import snapshots
from tests.support import factories as f

YEAR = "2026-2027"


def _lock(school, admin, semester: int) -> None:
    sub = YearSubmission(district_id=school.district_id, school_id=school.id, school_year=YEAR,
                         semester=semester, status="accepted", submitted_by=admin.id)
    db.session.add(sub)
    db.session.flush()
    db.session.add(YearLock(school_id=school.id, school_year=YEAR, semester=semester, submission_id=sub.id,
                            locked_by=admin.id))
    db.session.commit()


def test_a_plugin_asks_whether_a_year_or_a_semester_is_locked(app):
    assert tuple(map(int, CONTRACT_VERSION.split("."))) >= (1, 16)
    school, other = f.school("YL1"), f.school("YL2")
    admin = f.person(school, "yl_admin", "school_admin")
    portal = Portal(app, "lesson_study")

    def asked(semester=None, school_id=school.id, year=YEAR):
        return portal.year_locked(year, semester, school_id=school_id)

    assert (asked(), asked(1), asked(2)) == (False, False, False)
    _lock(school, admin, 1)  # a district that collects semesters accepted the first
    assert (asked(), asked(1), asked(2)) == (False, True, False)
    assert asked(1, school_id=other.id) is False and asked(1, year="2025-2026") is False
    _lock(school, admin, 2)  # both semesters: the whole year is closed
    assert (asked(), asked(1), asked(2)) == (True, True, True)
    _lock(other, admin, WHOLE_YEAR)  # accepted whole: each semester too
    assert (asked(school_id=other.id), asked(1, school_id=other.id), asked(2, school_id=other.id)) == (True,) * 3
    with pytest.raises(ValueError):
        asked(WHOLE_YEAR)  # a semester is 1 or 2; the whole year is asked without one


def test_an_activity_snapshot_names_its_school_year_and_semester(app):
    school = f.school("YL3")
    staff = f.staff(school, prefix="yl3")
    act = f.plan(school, staff["organizer"], "lecture", [(staff["t1"], "attendee")], {"topic": "新课标"})
    snap = snapshots.activity_snapshot(act)
    assert (snap.school_year, snap.semester) == (act.school_year, act.semester) and snap.semester in (1, 2)
