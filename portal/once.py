"""Pure functions remembered per argument for one page (:func:`once_each`).

A table of a hundred rows asks the same few questions thousands of times (the words of a
status, a figure rounded for display, a badge's macro); the answers depend only on the
argument, the code and the viewer's language, so a page may ask each once. The memory lives
as long as the function returned (one page's rendering), never longer: nothing of one
request reaches another.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


def once_each(compute: Callable[..., V]) -> Callable[..., V]:
    """``compute`` remembered per (hashable) arguments while the returned function is kept.
    Templates have it as ``once_each`` (``{% set badge = once_each(status_badge) %}``)."""
    known: dict[tuple[Hashable, ...], V] = {}

    def lookup(*args: Hashable) -> V:
        try:
            return known[args]
        except KeyError:
            known[args] = result = compute(*args)
            return result

    return lookup


class Memo(dict[Hashable, V]):
    """``compute(key)`` remembered per key and read by subscription (``memo[key]``), for the
    loops of a page that ask each of a handful of keys a hundred times: a key already asked
    costs a dictionary look-up and no call (:func:`once_each`'s wrapper is a Python call per
    ask). Kept as long as the memo, never longer (one page's rendering)."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[Any], V]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: Hashable) -> V:
        self[key] = value = self.compute(key)
        return value


class KeptPer(Generic[V]):
    """Answers kept for the life of the process per (an object's identity, more hashable
    parts): for objects of the code, such as a type's workflow definition (its guards make it
    unhashable), and answers that depend only on it, the code and the language — never on a
    viewer or a row. The object is kept beside its answer, so that a key is never a recycled
    id; at most ``most`` answers, then all are dropped and made again."""

    __slots__ = ("_kept", "_most")

    def __init__(self, most: int) -> None:
        self._kept: dict[tuple[Hashable, ...], tuple[Any, V]] = {}
        self._most = most

    def get(self, obj: Any, parts: tuple[Hashable, ...], compute: Callable[[], V]) -> V:
        """The answer kept for ``obj`` and ``parts``, else ``compute()`` kept."""
        key = (id(obj), *parts)
        kept = self._kept.get(key)
        if kept is not None and kept[0] is obj:
            return kept[1]
        value = compute()
        if len(self._kept) >= self._most:
            self._kept.clear()
        self._kept[key] = (obj, value)
        return value
