"""Column types shared by the models."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric
from sqlalchemy.types import TypeDecorator


class HoursType(TypeDecorator):
    """Numeric hours that always come back as ``Decimal`` (SQLite returns floats)."""

    impl = Numeric(8, 1, asdecimal=False)  # floats from the driver; exact for half hours
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else Decimal(str(value))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))

