"""The operator's check of stored activities against today's bounds on hours
(``flask credits check-hours``).

Planning refuses hours longer than the activity (:func:`portal.hours.most_hours_between`), an
activity ending in another semester than it starts in, and, under the core's credit rule, a role
credited past a record's 999.5 hours (:func:`portal.services.ledger.roles_past_record`). Those
rules came after activities were planned: this lists the stored ones that break them, so a
school can look at each (a reviewer lowers the hours at approval, an organiser cancels and plans
again). Nothing is written; a cancelled activity is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.messages import Msg
from portal.models import Activity, School
from portal.registry import registry
from portal.services import activities, schools
from workflows.definition import Phase


@dataclass(frozen=True)
class OutOfBounds:
    """A stored activity and what today's planning would say of it, by field."""

    school_code: str
    activity_id: int
    title: str
    state: str
    hours: Decimal
    problems: tuple[tuple[str, Msg], ...]


_ROWS = (
    select(Activity.id, Activity.title, Activity.type_key, Activity.state, Activity.hours, Activity.starts_at,
           Activity.ends_at, School.id.label("school_id"), School.code, School.timezone)
    .join(School, School.id == Activity.school_id)
    .order_by(School.code, Activity.id)
)


def out_of_bounds() -> Iterator[OutOfBounds]:
    """Every stored activity, not cancelled, that today's planning would refuse, by school code
    and id (read in batches: a district holds hundreds of thousands). The roles are asked only
    of an activity still to be credited: a credited one's hours are in the ledger already."""
    settings: dict[tuple[int, str], dict[str, Any]] = {}
    for row in db.session.execute(_ROWS.execution_options(yield_per=2000)):
        reg = registry().get(row.type_key)
        phase = reg.engine.definition.phase(row.state) if reg is not None else Phase.CLOSED
        if reg is not None and phase is Phase.CLOSED:
            continue
        problems: list[tuple[str, Msg | None]] = [
            ("ends_at", activities.other_semester(row.starts_at, row.ends_at, row.timezone)),
            ("hours", activities.above_length(row.starts_at, row.ends_at, row.hours)),
        ]
        if reg is not None and phase is not Phase.CREDITED:
            key = (row.school_id, row.type_key)
            if key not in settings:
                settings[key] = schools.type_settings(*key)
            problems.append(("hours", activities.role_above_most(reg, settings[key], row.state, row.hours)))
        found = tuple((name, problem) for name, problem in problems if problem is not None)
        if found:
            yield OutOfBounds(row.code, row.id, row.title, row.state, row.hours, found)
