"""Hours (学时) are exact decimals in steps of half an hour."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from portal.messages import Msg, msg

HALF = Decimal("0.5")
ZERO = Decimal("0")
MAX_HOURS = Decimal("999.5")


class BadHours(ValueError):
    """Refused hours; ``msg`` says why (a code of :mod:`portal.messages`)."""

    def __init__(self, message: Msg):
        self.msg = message
        super().__init__(message.english)


def parse_hours(value: object, *, field: str = "hours", maximum: Decimal = MAX_HOURS) -> Decimal:
    """Parse a number of hours: ≥ 0, ≤ ``maximum``, a multiple of 0.5. Raise :class:`BadHours`.

    Infinity, NaN (a JSON ``1e400`` arrives as a float infinity), numbers too large for any
    column and numbers too small to be a half hour are refused, never overflowed or rounded.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str) and not value.strip():
        raise BadHours(msg("hours.required"))  # an empty field: asked for, not "'' is not a number"
    if isinstance(value, str):
        value = typed_in_chinese(value)
    if not isinstance(value, (str, int, float, Decimal)) or isinstance(value, str) and "_" in value:
        # Decimal reads "1_5" as 15 (digit grouping): a slip for 1.5 would credit ten times it
        raise BadHours(msg("hours.write_digits", value=_shown(value)))
    try:
        d = Decimal(str(value).strip())
    except (ArithmeticError, ValueError):  # InvalidOperation; an int too long to print
        raise BadHours(msg("hours.write_digits", value=_shown(value))) from None
    if not d.is_finite():
        raise BadHours(msg("hours.write_digits", value=_shown(value)))
    if d < 0:
        raise BadHours(msg("hours.negative"))
    if d > maximum:
        raise BadHours(msg("hours.at_most", n=fmt(maximum)))
    if d != 0 and d.adjusted() < -1:  # below 0.1: never a half-hour step (and 1e-999999 would round to 0)
        raise BadHours(msg("hours.steps"))
    if d % HALF != 0:
        raise BadHours(msg("hours.steps"))
    return abs(d).quantize(Decimal("0.1"))  # -0 ("-0", a JSON -0.0) is 0: no "-0" kept in a log


def typed_in_chinese(text: str) -> str:
    """``text`` as a Chinese input method's full-width mode or Chinese punctuation writes it, in
    ASCII: "１．５" (full-width digits and point) and "1。5" (the "." key gives "。") are 1.5, as
    "２" already was (``Decimal`` reads any script's digits); "2,5" and "１，５" stay refused."""
    return unicodedata.normalize("NFKC", text).replace("。", ".")


def rule_hours(value: object) -> Decimal:
    """Hours a plugin's rule answered (``credit_hours``): a number (``Decimal``, int, float) that
    :func:`parse_hours` accepts, never a text read as one. Raise :class:`BadHours`."""
    if type(value) is Decimal and value.is_finite() and ZERO <= value <= MAX_HOURS and value % HALF == 0:
        # a rule's usual answer (the core's ``floor_half``): what :func:`parse_hours` makes of it
        # (``Decimal(str(value))`` is ``value``), without the text made and read back — a page asks
        # a rule a few dozen times
        return abs(value).quantize(TENTH)
    if isinstance(value, str):
        raise BadHours(msg("hours.not_number", value=_shown(value)))
    return parse_hours(value)


#: No credit rule, the core's or a plugin's, gives anyone more than this many times the
#: activity's hours (the most a role multiplier of the built-in types gives, a speaker's at 10):
#: a reading club crediting 50.5 hours for a half-hour meeting is the plugin's failure, refused.
MOST_TIMES_ITS_HOURS = 10


def present_at_most(hours: Decimal, p: Any) -> Decimal:
    """The activity's ``hours`` less those the participant ``p`` was recorded missing, unexcused
    or excused (none recorded: all of them)."""
    missed = (p.absent_hours or ZERO) + (p.excused_hours or ZERO)
    return max(hours - missed, ZERO) if missed else hours


def above_its_hours(value: Decimal, activity_hours: object, participant: Any = None) -> str | None:
    """Why ``value`` is too much for an activity of ``activity_hours`` (None: it is not): more
    than :data:`MOST_TIMES_ITS_HOURS` times its hours, or, for a ``participant`` recorded missing
    some of them (absent or on leave), times the hours they were not recorded missing — so no
    rule pays for an hour the record says was missed, and one who missed it all gets nothing."""
    try:
        hours = Decimal(str(activity_hours))
    except (ArithmeticError, ValueError):
        return None
    present = present_at_most(hours, participant) if participant is not None else hours
    if value <= present * MOST_TIMES_ITS_HOURS:
        return None
    if present < hours:
        return (f"more than {MOST_TIMES_ITS_HOURS} times the {fmt(present)} of the activity's {fmt(hours)} hours "
                "that the participant was not recorded missing")
    return f"more than {MOST_TIMES_ITS_HOURS} times the activity's {fmt(hours)} hours"


def _shown(value: object) -> str:
    """The value as a message repeats it: short, whatever it is."""
    try:
        text = repr(value)
    except ValueError:  # an int with more digits than Python prints
        text = "the value"
    return text if len(text) <= 40 else text[:37] + "..."


def floor_half(value: Decimal) -> Decimal:
    """Round down to a whole half hour (credit rules with fractional multipliers)."""
    return ((value / HALF).to_integral_value(rounding=ROUND_FLOOR) * HALF).quantize(Decimal("0.1"))


def fmt(value: Decimal | float | int | None) -> str:
    """12.0 → '12', 12.5 → '12.5'. A Decimal is quantized as it is (``Decimal(str(d))`` is ``d``
    again), and one of a tenth's exponent is written the same by ``str`` as by ``format``'s
    ``f``: a quarter of the time of either, for a figure every page writes many times."""
    if value is None:
        return ""
    d = (value if type(value) is Decimal else Decimal(str(value))).quantize(TENTH)
    return str(d).removesuffix(".0")


TENTH = Decimal("0.1")


#: The shortest a 学时 may be: one lesson (课时) of 45 minutes. An activity gives at most its
#: length over 45 minutes in hours, rounded up to a half hour: a school counting clock hours and
#: one counting lessons are both inside it, and no 1-minute lecture carries 999.5 hours.
SHORTEST_HOUR_MINUTES = 45


def most_hours_between(start: datetime, end: datetime) -> Decimal:
    """The most hours an activity from ``start`` to ``end`` can give anyone at full attendance
    (its own hours; a role's multiplier, e.g. a speaker's, is the credit rule's)."""
    return most_hours_of_seconds(int((end - start).total_seconds()))


def most_hours_of_seconds(seconds: int) -> Decimal:
    """:func:`most_hours_between` of a stretch ``seconds`` long (whole seconds; none below 0), for a
    caller asking it of many stretches (``overlaps.clash``: written without ``max``/``min`` calls)."""
    halves = -(-seconds * 2 // _HOUR_SECONDS) if seconds > 0 else 0  # rounded up
    return _OF_HALVES[halves if halves < _MOST_HALVES else _MOST_HALVES]


#: What :func:`most_hours_between` gives for each whole number of half hours up to the most
#: (a stretch asks it for every pair of a start and an end: ``overlaps.clash``)
_MOST_HALVES = int(MAX_HOURS / HALF)
_HOUR_SECONDS = SHORTEST_HOUR_MINUTES * 60  # one 学时 (a lesson) in seconds: half hours = seconds × 2 / this
_OF_HALVES = tuple(min(Decimal(h) * HALF, MAX_HOURS).quantize(Decimal("0.1")) for h in range(_MOST_HALVES + 1))


def length_text(start: datetime, end: datetime) -> Msg:
    """How long ``start`` to ``end`` is, in hours and minutes (a message parameter)."""
    minutes = max(int((end - start).total_seconds()) // 60, 0)
    return msg("duration.hours_minutes", h=minutes // 60, m=minutes % 60)


def shortest_length(hours: Decimal | str) -> timedelta:
    """The shortest activity that gives ``hours`` (:func:`most_hours_between`): what a planner
    who writes only the hours (a test, generated data) gives it at the least."""
    return timedelta(minutes=SHORTEST_HOUR_MINUTES) * float(Decimal(str(hours)))
