"""Times: stored as naive UTC; parsed from ISO 8601; shown in the school's zone.

School years run September to August (``2026-2027``); semester 1 is September–January,
semester 2 February–August. Both are taken from the activity's *local* start date.

Parsed text must name a year from ``MIN_YEAR`` to ``MAX_YEAR``: training activities happen in
this century, and a date such as ``0001-01-01`` or ``9999-12-31`` would overflow on the way
to UTC or give a school year no column holds.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context

from portal.messages import Msg, msg, shown
from portal.security import is_digits

# DEFAULT_ZONE: the zone of a school created without one, and of pages that belong to no school (the
# district's, a user with no school): the deployment's ``DEFAULT_TIMEZONE`` setting starts as this one;
# defined beside TransitionContext, whose zone it is when none is given
from workflows.context import DEFAULT_ZONE as DEFAULT_ZONE

MIN_YEAR = 2000
MAX_YEAR = 2099
ONE_DAY = timedelta(days=1)


class BadTime(ValueError):
    """A refused date or time; ``msg`` says why (a code of :mod:`portal.messages`)."""

    def __init__(self, message: Msg):
        self.msg = message
        super().__init__(message.english)


def _year_range() -> Msg:
    return msg("time.year_range", low=MIN_YEAR, high=MAX_YEAR)


def year_in_range(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


_DAY_SHAPED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def _is_a_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def parse_iso(value: str | datetime, tz: str) -> datetime:
    """ISO 8601 text → naive UTC. A time without an offset is in zone ``tz``.

    Text must name a year from ``MIN_YEAR`` to ``MAX_YEAR`` (:class:`BadTime` otherwise); a
    ``datetime`` given by the code is converted as it is.
    """
    if isinstance(value, datetime):
        dt = value
    else:
        if not isinstance(value, str) or not value.strip():
            raise BadTime(msg("time.expected"))
        text = value.strip().replace("Z", "+00:00")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            day = _DAY_SHAPED.match(text)
            if day and not _is_a_day(*(int(part) for part in day.groups())):  # 2027-02-29, 2026-04-31
                raise BadTime(msg("time.no_such_day", value=day.group(0))) from exc
            raise BadTime(msg("time.not_iso", value=shown(value))) from exc
        if not year_in_range(dt.year):
            raise BadTime(_year_range())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    try:
        return dt.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise BadTime(_year_range()) from None


def to_local(dt: datetime, tz: str) -> datetime:
    return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def known_zone(name: object) -> bool:
    """Whether ``name`` is a time zone ``zoneinfo`` reads (``Asia/Shanghai``): not one it refuses —
    not found, a path out of its folder (``ValueError``), not text (``TypeError``), or a name too
    long for the file system (``OSError``: it was a traceback from ``flask school create --timezone``
    and from the start with such a ``DEFAULT_TIMEZONE``)."""
    try:
        ZoneInfo(name)  # type: ignore[arg-type]  # anything: refused below when not a zone's name
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        return False
    return True


def default_zone() -> str:
    """The deployment's time zone (``DEFAULT_TIMEZONE``), for what belongs to no school."""
    return str(current_app.config.get("DEFAULT_TIMEZONE") or DEFAULT_ZONE) if has_app_context() else DEFAULT_ZONE


def zone_of(school: Any) -> str:
    """The time zone ``school``'s people read times in; without a school (or a zone), the deployment's."""
    return (getattr(school, "timezone", None) or default_zone()) if school is not None else default_zone()


def local_text(dt: datetime, tz: str, with_time: bool = True) -> str:
    """A stored (UTC) time as people in ``tz`` read it: ``2026-09-01 14:30``, or the day only."""
    local = to_local(dt, tz)
    # as strftime("%Y-%m-%d %H:%M") writes it, a few times faster (pages list many dates)
    day = f"{local.year}-{local.month:02d}-{local.day:02d}"
    return f"{day} {local.hour:02d}:{local.minute:02d}" if with_time else day


#: the month a school year begins (1 September) and the month its second semester begins (1 February)
YEAR_FIRST_MONTH, SEMESTER_2_FIRST_MONTH = 9, 2
#: the months of a school year in its order, September first
SCHOOL_YEAR_MONTHS = (*range(YEAR_FIRST_MONTH, 13), *range(1, YEAR_FIRST_MONTH))
#: the months wholly outside both semesters' teaching: the summer holiday (暑假). Seed 004's
#: training year runs from September to July; the winter holiday (寒假) takes part of January
#: and February only, which are asked as every month of teaching is.
HOLIDAY_MONTHS = (8,)


def month_day(name: str) -> date:
    """The first day of a month named as data ("2026-10", ``quotas.month_name``)."""
    year, month = name.split("-")
    return date(int(year), int(month), 1)


def school_year_of(local_day: date) -> str:
    start = local_day.year if local_day.month >= YEAR_FIRST_MONTH else local_day.year - 1
    return f"{start}-{start + 1}"


def semester_of(local_day: date) -> int:
    return 2 if SEMESTER_2_FIRST_MONTH <= local_day.month < YEAR_FIRST_MONTH else 1


def first_calendar_year(school_year: str) -> int:
    """The calendar year ``school_year`` begins in (2026 for ``2026-2027``)."""
    return int(school_year[:4])


def first_day(school_year: str, month: int) -> date:
    """The first day of ``month`` in ``school_year`` (September–December: its first calendar year)."""
    first = first_calendar_year(school_year)
    return date(first if month >= YEAR_FIRST_MONTH else first + 1, month, 1)


def year_bounds(school_year: str) -> tuple[date, date]:
    """The first and the last day of ``school_year`` (1 September, 31 August)."""
    start = first_day(school_year, YEAR_FIRST_MONTH)
    return start, start.replace(year=start.year + 1) - ONE_DAY


def period_bounds(school_year: str, semester: int) -> tuple[date, date]:
    """The first and the last day of the school year (semester 0), of semester 1
    (September–January) or of semester 2 (February–August)."""
    start, end = year_bounds(school_year)
    second = first_day(school_year, SEMESTER_2_FIRST_MONTH)
    if semester == 1:
        return start, second - ONE_DAY
    if semester == 2:
        return second, end
    return start, end


def school_year_after(school_year: str, years: int = 1) -> str:
    """The school year ``years`` after ``school_year`` (before it if negative)."""
    return school_year_of(date(first_calendar_year(school_year) + years, YEAR_FIRST_MONTH, 1))


#: the school years an activity can fall in (activities are dated MIN_YEAR–MAX_YEAR; January–August
#: of MIN_YEAR belongs to the year before it)
FIRST_SCHOOL_YEAR, LAST_SCHOOL_YEAR = f"{MIN_YEAR - 1}-{MIN_YEAR}", f"{MAX_YEAR}-{MAX_YEAR + 1}"


#: Every day of a year as ``MM-DD``, 29 February included (a district's plan deadline is a day
#: of some year; in a common year 29 February falls on the 28th: ``school_plans.deadline``).
MONTH_DAYS: tuple[str, ...] = tuple(
    f"{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 32)
    if d <= (29 if m == 2 else 30 if m in (4, 6, 9, 11) else 31)
)
_MONTH_DAY_SET = frozenset(MONTH_DAYS)


def is_month_day(value: object) -> bool:
    """``value`` is a day of the year as ``MM-DD`` (the one rule the settings form, the service
    and the API's schema ask)."""
    return isinstance(value, str) and value in _MONTH_DAY_SET


def valid_school_year(text: str) -> bool:
    """Two consecutive years, from FIRST_SCHOOL_YEAR to LAST_SCHOOL_YEAR."""
    parts = text.split("-") if isinstance(text, str) else []
    return (
        len(parts) == 2
        and all(is_digits(p) and len(p) == 4 for p in parts)
        and int(parts[1]) == int(parts[0]) + 1
        and MIN_YEAR - 1 <= int(parts[0]) <= MAX_YEAR
    )


def month_starts(school_year: str, tz: str) -> list[tuple[int, datetime]]:
    """Each month of ``school_year``, September first, with the instant it begins in zone ``tz``
    (naive UTC: local midnight of its first day). An activity belongs to the month its start
    falls in as the school reads it — compared in SQL with these instants, never by the month
    of its UTC start (1 September 00:30 in Beijing is 31 August in UTC)."""
    return [(m, parse_iso(datetime.combine(first_day(school_year, m), time()), tz)) for m in SCHOOL_YEAR_MONTHS]


def current_school_year(tz: str | None = None, now: datetime | None = None) -> str:
    """The school year of today (of ``now``, naive UTC, if given: a job's one instant) in ``tz``;
    without one, in the deployment's zone (:func:`default_zone`)."""
    return school_year_of(to_local(now or utcnow(), tz or default_zone()).date())


# -- dates as people write them ----------------------------------------------------------------

_DAY = re.compile(
    r"^\s*(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?"
    r"(?:(?:\s*T\s*|\s+|(?<=日))(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?)?\s*$"
)


def _parts(text: object) -> tuple[int, int, int, int | None, int | None] | None:
    if not isinstance(text, str):
        return None
    m = _DAY.match(unicodedata.normalize("NFKC", text))  # full-width digits and signs: １９８０－０１－０２
    if m is None:
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    return year, month, day, (int(m[4]) if m[4] else None), (int(m[5]) if m[5] else None)


BIRTH_YEARS = (1900, MAX_YEAR)


def parse_day(text: object, years: tuple[int, int] = (MIN_YEAR, MAX_YEAR)) -> date | None:
    """A calendar day as a Chinese user writes it — ``2026-12-04``, ``2026/12/4``,
    ``2026.12.4``, ``2026年12月4日`` — or None if it is no such day (or outside ``years``:
    by default those of training activities; :data:`BIRTH_YEARS` for a birth date)."""
    parts = _parts(text)
    if parts is None or parts[3] is not None:
        return None
    try:
        day = date(parts[0], parts[1], parts[2])
    except ValueError:
        return None
    return day if years[0] <= day.year <= years[1] else None


def iso_local_text(text: str) -> str:
    """A date and time as written on a form (``2026年12月4日 14:00``, ``2026/12/4 14:00``,
    ``2026-12-04T14:00``) as ISO text for :func:`parse_iso`; anything else unchanged, so
    that :func:`parse_iso` refuses it with its own message."""
    parts = _parts(text)
    if parts is None:
        return text
    year, month, day, hour, minute = parts
    # no time, or one no clock shows (25:00): refused as typed, not as "2026-11-20T25:00"
    if hour is None or minute is None or not (0 <= hour <= 23 and 0 <= minute <= 59):
        return text
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"


def form_day(value: date | None) -> str:
    """How a form shows a day: 2026-12-04 (the same whatever the browser's locale)."""
    return "" if value is None else value.isoformat()
