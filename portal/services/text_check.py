"""The operator's check of stored text for direction controls (``flask school check-text``).

Every request refuses text holding a bidirectional control that reorders a run of it
(:data:`portal.security.BIDI_REORDERING`: U+202E makes a stored "时学03定认已" show and print as
"已认定30学时"), but that guard came after text was stored: a name, a title or a plugin's detail
written before it still shows turned around on every page, export and certificate. This lists
each such stored text, every text column of every table (plain, and the strings inside JSON),
with the controls written out, so a school can correct it on its page (which now refuses the
control). Nothing is written: the ledger and the logs cannot change, and what the words should
have been is the school's to say.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, String, Text, Unicode, UnicodeText, cast, or_, select
from sqlalchemy.sql.elements import ColumnElement

from portal.extensions import db
from portal.security import BIDI_REORDERING, reorders

_TEXT_TYPES = (String, Text, Unicode, UnicodeText)
# in JSON as SQLite stores it (``json.dumps``: "\u202e"), or as PostgreSQL gives its text back
_JSON_SPELLINGS = tuple(f"\\u{ord(c):04x}" for c in BIDI_REORDERING) + tuple(BIDI_REORDERING)


@dataclass(frozen=True)
class StoredText:
    """A stored text that reorders: where it is and what it holds, each control written out."""

    table: str
    column: str
    row_id: Any
    shown: str


def written_out(text: str) -> str:
    """``text`` with each reordering control as ``<U+202E>``."""
    return "".join(f"<U+{ord(c):04X}>" if c in BIDI_REORDERING else c for c in text)


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _holding(column: Column, spellings: tuple[str, ...]) -> ColumnElement[bool]:
    """The column's text holds one of ``spellings`` (no LIKE wildcard among them)."""
    as_text = column if isinstance(column.type, _TEXT_TYPES) else cast(column, Text)
    return or_(*(as_text.contains(s, autoescape=True) for s in spellings))


def _json_strings(stored: Any) -> list[str]:
    """The strings of a JSON column's text as stored; text that is no JSON (SQLite stores any
    text) is one string."""
    if not isinstance(stored, str):
        return []
    try:
        return list(_strings(json.loads(stored)))
    except (ValueError, RecursionError):
        return [stored]


def reordering_text() -> Iterator[StoredText]:
    """Each stored text holding a reordering control, table by table (in the order the tables
    are created), by primary key (its value, or the tuple of a key of several columns; None for
    a table without one); a JSON column's strings are looked at one by one, read from its text
    as stored."""
    for table in db.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        plain = [c for c in table.columns if isinstance(c.type, _TEXT_TYPES)]
        in_json = [c for c in table.columns if isinstance(c.type, JSON)]
        if not (plain or in_json):
            continue
        looked = plain + in_json
        holding = [_holding(c, tuple(BIDI_REORDERING)) for c in plain] + [_holding(c, _JSON_SPELLINGS) for c in in_json]
        read = [*plain, *(cast(c, Text) for c in in_json)]
        for row in db.session.execute(select(*keys, *read).where(or_(*holding)).order_by(*keys)):
            key = row[0] if len(keys) == 1 else tuple(row[:len(keys)]) if keys else None
            for column, value in zip(looked, row[len(keys):], strict=True):
                texts = [value] if column in plain else _json_strings(value)
                for text in texts:
                    if isinstance(text, str) and reorders(text):
                        yield StoredText(table.name, column.name, key, written_out(text))
