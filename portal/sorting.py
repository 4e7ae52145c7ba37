"""People in the order a Chinese reader expects: by the pinyin of their name (何 he, 孙 sun,
吴 wu, 周 zhou), not by code point. One key for every list of people (staff, summaries,
certificates, participants, exemptions, pickers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

from pypinyin import Style, lazy_pinyin

T = TypeVar("T")


@lru_cache(maxsize=65536)
def pinyin_key(name: str) -> tuple[str, str]:
    """Toneless pinyin syllables (letters and digits as they are), then the name itself to
    keep homophones (何/贺) in a stable order."""
    syllables = lazy_pinyin(name or "", style=Style.TONE3, errors="default")
    return (" ".join(s.lower() for s in syllables), name or "")


def by_pinyin(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    return sorted(items, key=lambda item: pinyin_key(name(item)))
