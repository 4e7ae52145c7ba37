"""Column types shared by the models."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Numeric, type_coerce
from sqlalchemy.types import TypeDecorator


class HoursType(TypeDecorator):
    """Numeric hours that always come back as ``Decimal`` (SQLite returns floats)."""

    impl = Numeric(8, 1, asdecimal=False)  # floats from the driver; exact for half hours
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else Decimal(str(value))

    def process_result_value(self, value, dialect):
        return None if value is None else _hours(value)


_TENTH = Decimal("0.1")


@lru_cache(maxsize=4096)
def _hours(value: float) -> Decimal:
    """A number read from the database as the Decimal of its tenths (0 for -0). Kept: pages
    read the same few half hours over and over (two dozen values on a teacher's home)."""
    return Decimal(str(value)).quantize(_TENTH) if value else Decimal("0.0")



def driver_hours(expression: Any) -> Any:
    """An hours column, or an expression of its type (a ``sum`` of it), read as the driver gives
    it (``HoursType``'s ``impl``): a page made of many rows with a handful of distinct figures
    makes each one a Decimal once, with :func:`hours_from_driver` (each conversion parses and
    rounds a Decimal)."""
    return type_coerce(expression, HoursType.impl)


def hours_from_driver(raw: Any) -> Decimal | None:
    """What ``HoursType`` makes of a value read through :func:`driver_hours`."""
    return None if raw is None else _hours(raw)
