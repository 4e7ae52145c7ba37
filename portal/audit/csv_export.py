"""The audit CSV: UTF-8 with a byte-order mark (so Excel shows Chinese), formula-safe cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from flask_babel import lazy_gettext as _l

TRANSITION_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("time", _l("Time")),
    ("activity_id", _l("Activity ID")),
    ("activity_title", _l("Activity")),
    ("type_key", _l("Type")),
    ("trigger", _l("Action")),
    ("from_state", _l("From")),
    ("to_state", _l("To")),
    ("actor_username", _l("Login")),
    ("actor_name", _l("Name")),
    ("comment", _l("Comment")),
)

LEDGER_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("time", _l("Time")),
    ("activity_id", _l("Activity ID")),
    ("activity_title", _l("Activity")),
    ("type_key", _l("Type")),
    ("teacher_username", _l("Login")),
    ("teacher_name", _l("Name")),
    ("role", _l("Role")),
    ("school_year", _l("School year")),
    ("semester", _l("Semester")),
    ("hours", _l("Hours")),
    ("kind", _l("Entry")),
    ("round", _l("Round")),
    ("reason", _l("Reason")),
    ("created_by", _l("Recorded by")),
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def columns_for(view: str) -> tuple[tuple[str, Any], ...]:
    return LEDGER_COLUMNS if view == "ledger" else TRANSITION_COLUMNS


def csv_lines(view: str, rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The CSV text, one line at a time (so a long export streams)."""
    columns = columns_for(view)
    buf = io.StringIO()
    writer = csv.writer(buf)

    def take() -> str:
        out = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return out

    writer.writerow([str(label) for _key, label in columns])
    yield "\ufeff" + take()
    for row in rows:
        cells = []
        for key, _label in columns:
            value = row[key]
            # Hours are numbers (may be negative): only free text is guarded.
            cells.append(value if key == "hours" else safe_cell(value))
        writer.writerow(cells)
        yield take()
