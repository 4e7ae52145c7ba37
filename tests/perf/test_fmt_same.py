"""``hours.fmt`` (issue 19, round 42) writes a figure as it did before it skipped the string
round trip of a Decimal and wrote the quantized figure with ``str``: the same text for any
Decimal, float or int (signed zeros, exponents, half-way tenths), and the same refusals."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from hypothesis import given
from hypothesis import strategies as st

from portal.hours import fmt


def _as_before(value: object) -> str:
    if value is None:
        return ""
    d = Decimal(str(value)).quantize(Decimal("0.1"))
    return f"{d:f}".removesuffix(".0")


@given(st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**9, max_value=10**9),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    st.integers(min_value=-10**12, max_value=10**12),
))
def test_fmt_writes_every_figure_as_before(value: object) -> None:
    assert fmt(value) == _as_before(value)  # type: ignore[arg-type]


def test_fmt_of_edge_figures() -> None:
    for value in (None, Decimal("-0"), Decimal("-0.04"), Decimal("0.05"), Decimal("0.15"), Decimal("1E+1"),
                  Decimal("12.50"), Decimal("999.95"), Decimal("NaN"), 0, -0.0, 12, 2.5):
        assert fmt(value) == _as_before(value), value  # type: ignore[arg-type]
    assert [fmt(v) for v in (Decimal("12"), Decimal("12.5"), Decimal("0.25"), 3)] == ["12", "12.5", "0.2", "3"]
    for bad in (Decimal("Infinity"), Decimal("-Infinity"), Decimal("1E+40")):  # refused, as before
        for write in (fmt, _as_before):
            try:
                write(bad)
            except InvalidOperation:
                continue
            raise AssertionError((bad, write))
