"""The activity page reads the school's settings of the activity's type with the activity
(``access.get_activity_and_lock``: one statement fewer a view); what it reads is what
``schools.type_settings`` reads: the stored settings, ``{}`` when the school has no row."""

from __future__ import annotations

from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import Activity, SchoolActivityType
from portal.services import access, schools


def _row(school_id: int, key: str) -> SchoolActivityType | None:
    return db.session.execute(
        select(SchoolActivityType).where(SchoolActivityType.school_id == school_id, SchoolActivityType.type_key == key)
    ).scalar_one_or_none()


def test_the_activity_comes_with_its_types_settings(demo):
    act = db.session.execute(
        select(Activity).where(Activity.school_id == demo.id, Activity.type_key == "lecture").limit(1)
    ).scalar_one()
    row = _row(demo.id, "lecture")
    assert row is not None
    row.settings = {"speaker_multiplier": 3}
    db.session.flush()
    facts = access.get_activity_and_lock(act.id, demo.id)
    assert facts.stored_settings == {"speaker_multiplier": 3}
    assert schools.settings_from("lecture", facts.stored_settings) == schools.type_settings(demo.id, "lecture")
    assert schools.type_settings(demo.id, "lecture")["speaker_multiplier"] == 3

    db.session.execute(delete(SchoolActivityType).where(SchoolActivityType.id == row.id))
    db.session.expire_all()
    facts = access.get_activity_and_lock(act.id, demo.id)
    assert facts.stored_settings == {}  # no row: as type_settings reads it
    assert schools.settings_from("lecture", facts.stored_settings) == schools.type_settings(demo.id, "lecture")
