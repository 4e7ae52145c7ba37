"""学时申报 of training held while the teacher was off the school's teaching staff.

Auditor: a teacher who left in September and came back in November declared a district
training of October; its hours were approved and credited to their year here, though nothing
the school held then was theirs (``stints.away_at``). The declaration is refused on its date."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Activity
from portal.services import access, activities, users
from portal.services import staff as staff_service
from tests.support import factories as f

LEFT, BACK, NOW = datetime(2026, 9, 20, 2, 0), datetime(2026, 11, 20, 2, 0), datetime(2026, 12, 1, 2, 0)  # UTC
DETAILS = {"provider": "区教师进修学校", "category": "district"}


def _at(monkeypatch, when: datetime) -> None:
    for module in (staff_service, users, activities):
        monkeypatch.setattr(module, "utcnow", lambda: when)


@pytest.fixture
def back(app, monkeypatch):
    """t1 of S1 left on 20 September and came back on 20 November; it is 1 December now."""
    s1 = f.school("S1", types=("lecture", "declared"))
    staff = f.staff(s1)
    admin = access.actor(staff["admin"].id, s1.id)
    _at(monkeypatch, LEFT)
    staff_service.deactivate(s1, staff["t1"].id, by=admin)
    _at(monkeypatch, BACK)
    staff_service.set_roles(s1, staff["t1"].id, ["teacher"], by=admin)
    _at(monkeypatch, NOW)
    return s1, staff["t1"]


def _declare(s1, who, start: str, end: str):
    return activities.plan_activity(s1, who, "declared", "区级骨干教师培训", start, end, "6", None, DETAILS)


def test_training_declared_for_days_they_were_away_is_refused(back):
    s1, t1 = back
    with pytest.raises(Invalid) as refused:
        _declare(s1, t1, "2026-10-15T09:00", "2026-10-15T17:00")
    said = refused.value.to_dict("zh_Hans_CN")["fields"]["starts_at"]
    assert "不在本校任教" in said
    assert "not on the school's teaching staff" in refused.value.to_dict("en")["fields"]["starts_at"]
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_training_declared_for_days_on_the_staff_is_taken(back):
    s1, t1 = back
    assert _declare(s1, t1, "2026-09-15T09:00", "2026-09-15T17:00").state == "planned"  # before leaving
    assert _declare(s1, t1, "2026-11-25T09:00", "2026-11-25T17:00").state == "planned"  # after coming back
