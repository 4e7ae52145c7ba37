"""The activity page reads the school's settings of the activity's type with the activity
(``access.get_activity_and_lock``: one statement fewer a view); what it reads is what
``schools.type_settings`` reads: the stored settings, ``{}`` when the school has no row."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from portal.errors import NotFound
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


def test_the_activity_read_as_columns_is_the_sessions_object(demo):
    """A session that does not hold the activity gets it read as columns (``as_loaded``): the
    same values as the ORM loads, persistent in the session, and a change to it is written with
    its version checked as an ORM-loaded one's is."""
    from sqlalchemy import inspect

    act_id = db.session.execute(
        select(Activity.id).where(Activity.school_id == demo.id, Activity.type_key == "lecture").limit(1)
    ).scalar_one()
    db.session.expunge_all()
    facts = access.get_activity_and_lock(act_id, demo.id)
    act = facts.activity
    assert inspect(act).persistent and act in db.session
    values = {c.key: getattr(act, c.key) for c in inspect(Activity).column_attrs}
    db.session.expunge_all()
    orm = db.session.get(Activity, act_id)
    assert values == {c.key: getattr(orm, c.key) for c in inspect(Activity).column_attrs}
    db.session.expunge_all()

    act = access.get_activity_and_lock(act_id, demo.id).activity
    act.title = act.title + "（改）"
    db.session.flush()
    assert act.version == values["version"] + 1
    db.session.expunge_all()
    assert db.session.get(Activity, act_id).title == values["title"] + "（改）"
    with pytest.raises(NotFound):  # another school's: not found, as before
        access.get_activity_and_lock(act_id, demo.id + 1000)
