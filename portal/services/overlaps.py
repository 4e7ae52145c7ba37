"""No one attends two things at once: over any stretch of time, the hours a person is recorded
attending in the activities lying within it — of any type and school, self-declared trainings
included — fit that stretch, as one activity's hours fit its length
(:func:`portal.hours.most_hours_between`).

Asked where attendance is written or implied: an organizer's attendance record
(``record_attendance``), a teacher's declaration (its hours are its attendance) and a
reviewer's raise (``transitions``: adjusted hours say the teacher was there). Two lectures of
14:00–17:00 on one afternoon could otherwise each credit the same teacher 3 hours; a week-long
online course and an afternoon's lecture within it fit the week together.

Every stretch that holds the new activity is asked, from any start to any end of the person's
activities around it — not only the activities overlapping it: four evening lectures inside one
long day's activity, or a chain of activities each overlapping the next, fit no evening.

Planning warns earlier, without refusing (:func:`sharing_time`): the school's other activities
at the same time that share people with one planned, moved or given more participants. Parallel
sessions are legitimate (two lectures for two teaching groups at one hour); a person in both
is the clash that attendance would refuse later.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, distinct, func, or_, select, union_all

from portal.hours import most_hours_of_seconds
from portal.models import Activity, Participation
from portal.registry import registry
from workflows.definition import Phase

ZERO = Decimal("0")
#: How far around an activity the person's others are read; the whole span of any of those
#: reaching past it is read too (:func:`attended_elsewhere`). A stretch longer than this holds
#: 224 hours or more; ``flask credits check-hours`` reads everything of each person.
AROUND = timedelta(days=7)


class Attended(NamedTuple):
    """One activity of the person: its title and times, and the hours they were there."""

    title: str
    start: datetime
    end: datetime
    hours: Decimal


@dataclass(frozen=True)
class Clash:
    """Attendance that would not fit: ``title`` is the first other activity (by start) of the
    tightest stretch, ``most`` what that stretch holds, ``left`` what may still be attended here."""

    title: str
    most: Decimal
    left: Decimal


class Sharing(NamedTuple):
    """Another activity of the school at the same time, and how many people are in both (running
    it or on its list)."""

    activity_id: int
    title: str
    start: datetime
    end: datetime
    people: int


def _in_time(since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    """Activities lying at least partly within ``since``–``until``, not closed (cancelled): what
    attendance elsewhere (:func:`attended_elsewhere`) and a clash of plans (:func:`sharing_time`)
    both read."""
    return [Activity.starts_at < until, Activity.ends_at > since,
            Activity.state.not_in(registry().states_in(Phase.CLOSED))]


def people_of(activity_id: int) -> Select:
    """The people of an activity as a subquery: its organizer and everyone on its list."""
    return union_all(
        select(Participation.user_id).where(Participation.activity_id == activity_id),
        select(Activity.organizer_id).where(Activity.id == activity_id),
    ).subquery().select()


def sharing_time(
    s: Any, school_id: int, start: datetime, end: datetime, people: Iterable[int] | Select, *,
    besides: int | None = None,
) -> list[Sharing]:
    """The school's other activities (not ``besides``, not closed) overlapping ``start``–``end``
    that any of ``people`` (ids, or a subquery such as :func:`people_of`) runs or is on the list
    of, with how many of them are in each, by start. One statement."""
    ids = people if isinstance(people, Select) else sorted(set(people))
    theirs = union_all(
        select(Participation.activity_id.label("activity_id"), Participation.user_id.label("user_id"))
        .where(Participation.user_id.in_(ids)),
        select(Activity.id, Activity.organizer_id).where(Activity.organizer_id.in_(ids)),
    ).subquery()
    query = (
        select(Activity.id, Activity.title, Activity.starts_at, Activity.ends_at,
               func.count(distinct(theirs.c.user_id)))
        .join(theirs, theirs.c.activity_id == Activity.id)
        .where(Activity.school_id == school_id, *_in_time(start, end))
        .group_by(Activity.id, Activity.title, Activity.starts_at, Activity.ends_at)
        .order_by(Activity.starts_at, Activity.id)
    )
    if besides is not None:
        query = query.where(Activity.id != besides)
    return [Sharing(*row) for row in s.execute(query)]


def clashes_of(s: Any, act: Activity) -> list[Sharing]:
    """:func:`sharing_time` of an activity as it stands: its time, its organizer and list."""
    return sharing_time(s, act.school_id, act.starts_at, act.ends_at, people_of(act.id), besides=act.id)


def present(attended: Any, adjusted: Any, hours: Any, missed: Any = ZERO) -> Decimal:
    """The hours a participant was there, as the record says: their attended hours — or, when a
    reviewer credited more than that, every hour of the activity they were not recorded missing
    (``missed``: absent and excused). A raise says they were there, and credited hours are not
    time (a speaker's count twice), so a raise is taken for the whole time it may stand for."""
    there = Decimal(str(attended)) if attended is not None else ZERO
    if adjusted is not None and Decimal(str(adjusted)) > there:
        there = max(there, Decimal(str(hours)) - Decimal(str(missed or ZERO)))
    return there


def attended_elsewhere(
    s: Any, user_ids: Iterable[int], start: datetime, end: datetime, *, besides: int | None = None,
) -> dict[int, list[Attended]]:
    """Each person's recorded presence (:func:`present` > 0) in activities not closed
    (cancelled) within :data:`AROUND` of ``start``–``end``, other than activity ``besides``:
    (title, start, end, hours there), by start. One query — and one more each time an activity
    read reaches past what was read: then its whole span is read too, so that a long activity's
    two ends see each other."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    since, until = start - AROUND, end + AROUND
    while True:
        found = _present_between(s, ids, since, until, besides)
        spans = [(a.start, a.end) for each in found.values() for a in each]
        wider = (min([since, *(a for a, _e in spans)]), max([until, *(e for _s, e in spans)]))
        if wider == (since, until):
            return found
        since, until = wider


def _present_between(
    s: Any, ids: list[int], since: datetime, until: datetime, besides: int | None,
) -> dict[int, list[Attended]]:
    query = (
        select(Participation.user_id, Activity.title, Activity.starts_at, Activity.ends_at,
               Participation.attended_hours, Participation.adjusted_hours, Activity.hours,
               func.coalesce(Participation.absent_hours, 0) + func.coalesce(Participation.excused_hours, 0))
        .join(Activity, Activity.id == Participation.activity_id)
        .where(
            Participation.user_id.in_(ids),
            or_(Participation.attended_hours > 0, Participation.adjusted_hours > 0),
            *_in_time(since, until),
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    if besides is not None:
        query = query.where(Activity.id != besides)
    found: dict[int, list[Attended]] = {}
    for uid, title, s_at, e_at, attended, adjusted, hours, missed in s.execute(query):
        there = present(attended, adjusted, hours, missed)
        if there > 0:
            found.setdefault(uid, []).append(Attended(title, s_at, e_at, there))
    return found


def clash(start: datetime, end: datetime, hours: Decimal, others: list[Attended]) -> Clash | None:
    """Whether ``hours`` attended from ``start`` to ``end``, beside the ``others``
    (:func:`attended_elsewhere`), overfill some stretch that holds ``start``–``end``: every
    stretch from a start at or before ``start`` to an end at or after ``end`` is asked, with
    the others lying wholly within it. The tightest one says how much may still be attended
    (the first of the tightest, by start then end, as they are asked).

    The starts are walked from the latest back, so each other joins once, at the first end it
    lies within, and each start sums the ends' hours as it walks them up (a running sum), instead
    of every stretch looking at every other. A start stops walking its ends once a stretch's most
    less every hour joined is above the least left found: the longer ones cannot be tighter
    (the home's outlook asks this of each planned activity beside all the teacher's others of
    the year, most of them days or months apart)."""
    if not others or hours <= 0:
        return None
    starts = sorted({start, *[o.start for o in others if o.start <= start]})
    ends = sorted({end, *[o.end for o in others if o.end >= end]})
    none, n_ends = len(others), len(ends)
    added = [ZERO] * n_ends  # the hours of the others joined whose first end within is ends[k]
    first_at = [none] * n_ends  # the first of them in ``others``' order (its title is named)
    later_first = sorted(range(none), key=[o.start for o in others].__getitem__, reverse=True)
    joined = 0
    joined_hours = ZERO  # every positive hour joined: no stretch holds more
    lowest = n_ends  # the ends from here on have others within (an end later than one that has, has them too)
    tightest: tuple[int, int, Decimal, str] | None = None  # (start's and end's rank, most, title) of the least left
    least = ZERO
    for s in range(len(starts) - 1, -1, -1):
        since = starts[s]
        while joined < none and others[later_first[joined]].start >= since:
            i = later_first[joined]
            joined += 1
            k = bisect_left(ends, others[i].end)  # ends[k] is the first end at or after its end
            added[k] += others[i].hours
            if others[i].hours > 0:
                joined_hours += others[i].hours
            if i < first_at[k]:
                first_at[k] = i
            if k < lowest:
                lowest = k
        held, first = ZERO, none
        for j in range(lowest, n_ends):
            held += added[j]
            if first_at[j] < first:
                first = first_at[j]
            most = most_hours_of_seconds(int((ends[j] - since).total_seconds()))
            if tightest is not None and most - joined_hours > least:
                break  # this end and every later one leave more than the least (the most only grows)
            left = most - held
            # the first of the least asked by start then end: a smaller start (walked down) wins a tie
            if tightest is None or left < least or (left == least and s < tightest[0]):
                least, tightest = left, (s, j, most, others[first].title)
    if tightest is None or hours <= least:
        return None
    return Clash(tightest[3], tightest[2], max(least, ZERO))
