"""Keyset paging: a page of a sorted list read as "the next N rows after this one".

An offset (``LIMIT 20 OFFSET 4000``) makes the database read and skip every row before the
page, so deep pages of a growing list (audit log, review backlog, a district's schools) get
slower and slower; a keyset (``WHERE (starts_at, id) > (:last_starts_at, :last_id)``) reads
only the page, through the index of the sort, however deep. The price: links go to the next
and previous page (and back to the first), not to page 17.

The position in a link is a *cursor*: the sort values of the row at the page's edge, as text
(``2026-10-09T06:00:00~4182``). A cursor that is not one (hand-edited, truncated) is refused
with a clear message and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote, unquote

from sqlalchemy import Select, and_, or_

from portal.errors import Invalid
from portal.messages import msg
from portal.security import MAX_ID

T = TypeVar("T")
SEP = "~"
CURSOR_MAX = 200  # characters: a cursor is a few sort values, never more


def _parse_int(text: str) -> int:
    value = int(text)
    if not -MAX_ID <= value <= MAX_ID:
        raise ValueError(text)
    return value


def _parse_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _parse_text(text: str) -> str:
    if not text or any(ord(c) < 32 for c in text):
        raise ValueError(text)
    return unquote(text, errors="strict")


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return quote(value, safe="")  # a ``~`` in a name cannot split the cursor
    return str(value)


#: How each kind of sort value is read back from a cursor.
PARSERS: dict[type, Callable[[str], Any]] = {int: _parse_int, datetime: _parse_datetime, str: _parse_text}


@dataclass(frozen=True)
class Key:
    """One column of the sort: the column, the Python type of its values, and its direction."""

    column: Any
    kind: type
    descending: bool = False


@dataclass
class Page(Generic[T]):
    """One page: its rows, and the cursors of the pages after and before it (None: none)."""

    items: list[T]
    next: str | None
    prev: str | None
    moved: bool = False  # reached through a cursor (a link back to the first page helps)


def encode(values: Sequence[Any]) -> str:
    return SEP.join(_show(v) for v in values)


def decode(text: str | None, keys: Sequence[Key], field: str = "after") -> tuple | None:
    """The sort values of a cursor; None for no cursor; :class:`Invalid` for a broken one."""
    if text is None or text == "":
        return None
    parts = text.split(SEP) if len(text) <= CURSOR_MAX else []
    try:
        if len(parts) != len(keys):
            raise ValueError(text)
        return tuple(PARSERS[k.kind](p) for k, p in zip(keys, parts, strict=True))
    except (ValueError, OverflowError, UnicodeError):
        raise Invalid(msg("paging.bad_cursor"), {field: msg("paging.bad_cursor_field")}) from None


def _beyond(keys: Sequence[Key], values: tuple, forward: bool) -> Any:
    """Rows strictly past ``values`` in the sort (``forward``) or strictly before it. Written
    as OR of ANDs, not a row comparison, so mixed directions work on SQLite and PostgreSQL."""
    clauses = []
    for i, key in enumerate(keys):
        later = key.descending != forward  # ascending forward: greater; descending forward: less
        step = key.column > values[i] if later else key.column < values[i]
        clauses.append(and_(*(k.column == values[j] for j, k in enumerate(keys[:i])), step))
    return or_(*clauses)


# The statement of a first page, per query object, direction and size: the pages that list a
# growing backlog (the review queue) pass the same prebuilt query on every request, and making
# its ordered, limited copy again (and the copy's cache key) cost as much as running it.
_FIRST_PAGES: dict[tuple[int, bool, int], tuple[Select, tuple[tuple[int, bool], ...], Select]] = {}
_FIRST_PAGES_KEPT = 256


def _first_page(query: Select, keys: Sequence[Key], backwards: bool, size: int) -> Select:
    sort = tuple((id(k.column), k.descending) for k in keys)
    kept = _FIRST_PAGES.get((id(query), backwards, size))
    if kept is not None and kept[0] is query and kept[1] == sort:  # the id of a query gone may be reused
        return kept[2]
    order = [(k.column.desc() if k.descending != backwards else k.column.asc()) for k in keys]
    statement = query.order_by(*order).limit(size + 1)
    if len(_FIRST_PAGES) >= _FIRST_PAGES_KEPT:  # queries built per request: start again
        _FIRST_PAGES.clear()
    _FIRST_PAGES[(id(query), backwards, size)] = (query, sort, statement)
    return statement


@dataclass(frozen=True)
class PageQuery:
    """The statement of one page and what turning its rows into a :class:`Page` needs: for
    reading several pages in one statement (:func:`page_query`, then :func:`page_of`)."""

    statement: Select
    keys: tuple[Key, ...]
    size: int
    backwards: bool  # read from the end (a ``before`` cursor): rows come last first
    start: tuple | None  # the ``after`` cursor's values
    end: tuple | None  # the ``before`` cursor's values


def page_query(
    query: Select, keys: Sequence[Key], *, after: str | None = None, before: str | None = None, size: int = 20
) -> PageQuery:
    """The statement of a page of ``query`` sorted by ``keys`` (size + 1 rows, to know whether
    another page follows): the first, the one after cursor ``after`` or the one before cursor
    ``before``; :class:`Invalid` for a broken cursor."""
    start, end = decode(after, keys, "after"), decode(before, keys, "before")
    backwards = end is not None and start is None
    statement = _first_page(query, keys, backwards, size)
    if start is not None:
        statement = statement.where(_beyond(keys, start, True))
    elif end is not None:
        statement = statement.where(_beyond(keys, end, False))
    return PageQuery(statement, tuple(keys), size, backwards, start, end)


def in_page_order(q: PageQuery, rows: list[T], values_of: Callable[[T], tuple]) -> list[T]:
    """``rows`` of ``q`` in the order its statement sorts them (for rows read through a
    statement that does not keep that order, such as a UNION of several pages)."""
    out = list(rows)
    for i in reversed(range(len(q.keys))):  # stable sorts, last key first
        out.sort(key=lambda row: values_of(row)[i], reverse=q.keys[i].descending != q.backwards)
    return out


def page_of(q: PageQuery, rows: list[T], values_of: Callable[[T], tuple]) -> Page[T]:
    """The :class:`Page` of the rows ``q``'s statement read, in its order; ``values_of`` gives
    a row's sort values."""
    more = len(rows) > q.size
    rows = rows[: q.size]
    if q.backwards:
        rows.reverse()
    moved = q.start is not None or q.end is not None
    if not rows:
        return Page([], None, None, moved)
    first, last = encode(values_of(rows[0])), encode(values_of(rows[-1]))
    if q.backwards:
        return Page(rows, last, first if more else None, moved)
    return Page(rows, last if more else None, first if q.start is not None else None, moved)


def keyset(
    run: Callable[[Select], list[T]],
    query: Select,
    keys: Sequence[Key],
    values_of: Callable[[T], tuple],
    *,
    after: str | None = None,
    before: str | None = None,
    size: int = 20,
) -> Page[T]:
    """A page of ``query`` sorted by ``keys``: the first, the one after cursor ``after`` or
    the one before cursor ``before``. ``run`` executes a statement and returns its rows;
    ``values_of`` gives a row's sort values. One statement (size + 1 rows, to know whether
    another page follows)."""
    q = page_query(query, keys, after=after, before=before, size=size)
    return page_of(q, run(q.statement), values_of)
