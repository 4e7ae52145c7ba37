"""The audit CSV's columns; written by :func:`portal.reports.exports.stream_csv` like every export."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.reports.exports import stream_csv

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

STAFF_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("time", _l("Time")),
    ("person_username", _l("Login")),
    ("person_name", _l("Name")),
    ("what", _l("What changed")),
    ("before", _l("Before")),
    ("after", _l("After")),
    ("changed_by", _l("Changed by")),
)


SETTINGS_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("time", _l("Time")),
    ("what", _l("What changed")),
    ("subject", _l("Rule or activity type")),
    ("before", _l("Before")),
    ("after", _l("After")),
    ("changed_by", _l("Changed by")),
)


CORRECTION_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("time", _l("Time")),
    ("activity_id", _l("Activity ID")),
    ("activity_title", _l("Activity")),
    ("request", _l("Request")),
    ("asked_by", _l("Login")),
    ("asked_name", _l("Name")),
    ("reason", _l("Reason")),
    ("outcome", _l("Outcome")),
    ("closed_at", _l("Closed at")),
    ("closed_by", _l("Closed by")),
    ("close_reason", _l("Closing comment")),
)


def columns_for(view: str) -> tuple[tuple[str, Any], ...]:
    return {"ledger": LEDGER_COLUMNS, "staff": STAFF_COLUMNS, "settings": SETTINGS_COLUMNS,
            "corrections": CORRECTION_COLUMNS}.get(view, TRANSITION_COLUMNS)


def csv_lines(view: str, rows: Iterable[dict[str, Any]],
              shown: Callable[[dict[str, Any], str], Any]) -> Iterator[bytes]:
    """The CSV, streamed by the exports' one writer (BOM, formula-safe text, hours as numbers);
    each cell as the page shows it (``shown``): types, actions, states, roles and entries in words."""
    columns = columns_for(view)
    table = ([shown(row, key) for key, _label in columns] for row in rows)
    yield from stream_csv(itertools.chain([[str(label) for _key, label in columns]], table))
