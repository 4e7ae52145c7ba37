"""The operator's check of stored activities against today's bounds on hours
(``flask credits check-hours``).

And of the people in them: no one attends two things at once (:mod:`portal.services.overlaps`),
a rule that also came after activities were recorded — :func:`at_once` lists each activity
where someone is recorded there for more hours than the time around it leaves.

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

from sqlalchemy import func, or_, select

from portal.extensions import db
from portal.messages import Msg
from portal.models import Activity, Participation, School, User
from portal.registry import registry
from portal.services import activities, overlaps, schools
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


@dataclass(frozen=True)
class AtOnce:
    """Someone recorded in an activity for more hours than the time around it leaves beside
    their other activities (:func:`overlaps.clash`)."""

    school_code: str
    username: str
    activity_id: int
    title: str
    hours: Decimal
    clash: overlaps.Clash


_PRESENCE = (
    select(Participation.user_id, User.username, School.code, Activity.id, Activity.title, Activity.starts_at,
           Activity.ends_at, Participation.attended_hours, Participation.adjusted_hours, Activity.hours,
           (func.coalesce(Participation.absent_hours, 0) + func.coalesce(Participation.excused_hours, 0)).label("missed"))
    .join(Activity, Activity.id == Participation.activity_id)
    .join(School, School.id == Activity.school_id)
    .join(User, User.id == Participation.user_id)
    .where(or_(Participation.attended_hours > 0, Participation.adjusted_hours > 0))
    .order_by(Participation.user_id, Activity.starts_at, Activity.id)
)


def at_once() -> Iterator[AtOnce]:
    """Every activity, not cancelled, in which someone is recorded there for more hours than
    the time around it leaves beside their other activities, by person (read in batches; each
    person's activities are few, compared in Python)."""
    closed = set(registry().states_in(Phase.CLOSED))
    query = _PRESENCE.where(Activity.state.not_in(closed)).execution_options(yield_per=2000)
    person: list[Any] = []
    for row in db.session.execute(query):
        if person and person[0].user_id != row.user_id:
            yield from _crowded(person)
            person = []
        person.append(row)
    if person:
        yield from _crowded(person)


def _crowded(rows: list[Any]) -> Iterator[AtOnce]:
    there = [overlaps.present(r.attended_hours, r.adjusted_hours, r.hours, r.missed) for r in rows]
    for i, row in enumerate(rows):
        # the person's other activities within AROUND, widened to the whole span of each one
        # found, as recording attendance reads them (``overlaps.attended_elsewhere``)
        since, until = row.starts_at - overlaps.AROUND, row.ends_at + overlaps.AROUND
        while True:
            near = [j for j, (r, h) in enumerate(zip(rows, there, strict=True))
                    if j != i and h > 0 and r.starts_at < until and r.ends_at > since]
            wider = (min([since, *(rows[j].starts_at for j in near)]), max([until, *(rows[j].ends_at for j in near)]))
            if wider == (since, until):
                break
            since, until = wider
        others = [overlaps.Attended(rows[j].title, rows[j].starts_at, rows[j].ends_at, there[j]) for j in near]
        found = overlaps.clash(row.starts_at, row.ends_at, there[i], others)
        if found is not None:
            yield AtOnce(row.code, row.username, row.id, row.title, there[i], found)
