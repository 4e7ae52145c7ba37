"""A rule's answer that is already a ``Decimal`` (the core rule's usual one) is taken by
``hours.rule_hours`` without being written as text and read back: the same hours, and the same
refusal with the same message, as :func:`hours.parse_hours` gives the value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.hours import BadHours, parse_hours, rule_hours


class Dec(Decimal):
    """A subclass of Decimal: not the fast path's (its ``str`` may be its own)."""


def outcome(read, value):
    try:
        got = read(value)
    except BadHours as exc:
        return ("refused", exc.msg.english)
    return ("hours", got, str(got), type(got))


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-2, max_value=1001, places=1),
    st.integers(-4, 2002).map(lambda h: Decimal(h) / 2),
    st.integers(-4, 2002).map(lambda h: (Decimal(h) / 2).quantize(Decimal("0.001"))),
))
@example(Decimal("-0"))
@example(Decimal("-0.0"))
@example(Decimal("0E-7"))
@example(Decimal("999.5"))
@example(Decimal("1000"))
@example(Decimal("1E+400"))
@example(Decimal("5E-1"))
@example(Decimal("0.25"))
@example(Decimal("sNaN"))
def test_a_decimal_answer_is_read_as_parse_hours_reads_it(value):
    assert outcome(rule_hours, value) == outcome(parse_hours, value)


@pytest.mark.parametrize("value", [Dec("1.5"), Dec("0.3"), 1.5, 2, True, None, "1.5"])
def test_other_answers_go_the_long_way(value):
    """Not a plain ``Decimal``: read as before (a text refused, a bool or None refused, a float
    or int as ``parse_hours`` reads it)."""
    got = outcome(rule_hours, value)
    if isinstance(value, str):
        assert got[0] == "refused"
    else:
        assert got == outcome(parse_hours, value)
