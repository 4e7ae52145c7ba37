"""Pure functions remembered per argument for one page (:func:`once_each`).

A table of a hundred rows asks the same few questions thousands of times (the words of a
status, a figure rounded for display, a badge's macro); the answers depend only on the
argument, the code and the viewer's language, so a page may ask each once. The memory lives
as long as the function returned (one page's rendering), never longer: nothing of one
request reaches another.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

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
