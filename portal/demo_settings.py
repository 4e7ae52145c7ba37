"""Demo data of a type's setting stored off the half-hour grid: the school saved an hours setting
(``Setting(hours=True)``) before it went by the half hour, say 39.7 h for a ceiling of 40. The
rules read it down to the half hour (``Setting.read``: 39.5), the admin's page
(/admin/types) says what is stored and what is read until a save stores the value read, and the
API's ``settings_read_otherwise`` says the same. Written as an older portal let it be saved,
after the demo's activities are made: no figure of the demo changes."""

from __future__ import annotations

from sqlalchemy import select

from portal.activity_types import UNREAD
from portal.database import write_transaction
from portal.models import School, SchoolActivityType
from portal.registry import registry

#: How far below its default the stored value is: off the grid, read half an hour lower.
BELOW_DEFAULT = 0.3


def off_grid() -> tuple[str, str, float] | None:
    """The first installed type's first hours setting a value :data:`BELOW_DEFAULT` its default
    reads otherwise (type key, setting, stored value); None: no type declares one."""
    for key, reg in registry().types.items():
        for name, spec in reg.decl.settings.items():
            if not spec.hours or not spec.is_number:
                continue
            stored = round(float(spec.default) - BELOW_DEFAULT, 2)
            read = spec.read(stored)
            if read is not UNREAD and read != stored:
                return key, name, stored
    return None


def load(school: School) -> None:
    """The school's row of :func:`off_grid`'s type, if it has one, stores the value off the grid."""
    found = off_grid()
    if found is None:
        return
    key, name, stored = found
    with write_transaction() as s:
        row = s.execute(select(SchoolActivityType).where(
            SchoolActivityType.school_id == school.id, SchoolActivityType.type_key == key)).scalar_one_or_none()
        if row is not None:
            row.settings = {**(row.settings or {}), name: stored}
