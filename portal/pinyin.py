"""Chinese names in the order Chinese readers expect: by pinyin (王 → wang), not by code point."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

from pypinyin import Style, lazy_pinyin

T = TypeVar("T")


@lru_cache(maxsize=4096)
def pinyin_key(name: str) -> tuple[str, str]:
    """Sort key of a name: its toneless pinyin, then the name itself (homophones stay stable)."""
    return (" ".join(lazy_pinyin(name or "", style=Style.NORMAL)).lower(), name or "")


def by_pinyin(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    return sorted(items, key=lambda item: pinyin_key(name(item)))
