"""No one attends two things at once: the hours a person is recorded attending in activities
whose times overlap — of any type and school, self-declared trainings included — fit the time
those activities cover together, as one activity's hours fit its length
(:func:`portal.hours.most_hours_between`).

Asked where attendance is written: an organizer's attendance record (``record_attendance``) and
a teacher's declaration (its hours are its attendance). Two lectures of 14:00–17:00 on one
afternoon could otherwise each credit the same teacher 3 hours; a week-long online course and an
afternoon's lecture within it fit the week together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portal.hours import most_hours_between
from portal.models import Activity, Participation
from portal.registry import registry
from workflows.definition import Phase

ZERO = Decimal("0")


@dataclass(frozen=True)
class Clash:
    """Attendance that would not fit: ``title`` is the first overlapping activity (by start),
    ``most`` what the time covered together holds, ``left`` what may still be attended here."""

    title: str
    most: Decimal
    left: Decimal


def attended_elsewhere(
    s: Any, user_ids: Iterable[int], start: datetime, end: datetime, *, besides: int | None = None,
    kinds: Iterable[str] | None = None,
) -> dict[int, list[tuple[str, datetime, datetime, Decimal]]]:
    """Each person's recorded attendance (hours attended > 0) in activities not closed
    (cancelled) whose time overlaps ``start``–``end``, other than activity ``besides``, of the
    types ``kinds`` if given: (title, start, end, hours attended), by start. One query."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    query = (
        select(Participation.user_id, Activity.title, Activity.starts_at, Activity.ends_at, Participation.attended_hours)
        .join(Activity, Activity.id == Participation.activity_id)
        .where(
            Participation.user_id.in_(ids),
            Participation.attended_hours > 0,
            Activity.starts_at < end,
            Activity.ends_at > start,
            Activity.state.not_in(registry().states_in(Phase.CLOSED)),
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    if besides is not None:
        query = query.where(Activity.id != besides)
    if kinds is not None:
        query = query.where(Activity.type_key.in_(sorted(set(kinds))))
    found: dict[int, list[tuple[str, datetime, datetime, Decimal]]] = {}
    for uid, title, s_at, e_at, hours in s.execute(query):
        found.setdefault(uid, []).append((title, s_at, e_at, Decimal(str(hours))))
    return found


def clash(start: datetime, end: datetime, hours: Decimal,
          others: list[tuple[str, datetime, datetime, Decimal]]) -> Clash | None:
    """Whether ``hours`` attended from ``start`` to ``end`` and the ``others`` overlapping it
    (:func:`attended_elsewhere`) hold more than the time they cover together."""
    if not others or hours <= 0:
        return None
    since = min(start, *(o[1] for o in others))
    until = max(end, *(o[2] for o in others))
    elsewhere = sum((o[3] for o in others), ZERO)
    most = most_hours_between(since, until)
    if hours + elsewhere <= most:
        return None
    return Clash(others[0][0], most, max(most - elsewhere, ZERO))
