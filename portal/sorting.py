"""People in the order a Chinese reader expects: by the pinyin of their name (何 he, 孙 sun,
吴 wu, 周 zhou), not by code point. One key for every list of people (staff, summaries,
certificates, participants, exemptions, pickers)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

from pypinyin import Style, lazy_pinyin

T = TypeVar("T")


#: Surnames read otherwise than the character's most common reading (曾 is zēng as a surname,
#: céng in 曾经): a name's first character is read so, as a Chinese reader files the name.
SURNAME_READINGS = {
    "曾": "zeng1", "单": "shan4", "解": "xie4", "区": "ou1", "仇": "qiu2", "查": "zha1", "朴": "piao2",
    "覃": "qin2", "盖": "ge3", "乐": "yue4", "缪": "miao4", "翟": "zhai2", "召": "shao4", "种": "chong2",
    "秘": "bi4", "繁": "po2", "员": "yun4", "任": "ren2", "纪": "ji3", "燕": "yan1",
}


def name_syllables(name: str, tones: bool = True) -> list[str]:
    """A person's name in pinyin syllables (with tone numbers, or without), its surname read as
    a surname (:data:`SURNAME_READINGS`): the one reading of names for sorting and searching."""
    syllables = lazy_pinyin(name or "", style=Style.TONE3 if tones else Style.NORMAL, errors="default")
    if len(name or "") > 1 and name[0] in SURNAME_READINGS:
        reading = SURNAME_READINGS[name[0]]
        syllables[0] = reading if tones else reading.rstrip("012345")
    return syllables


@lru_cache(maxsize=65536)
def pinyin_key(name: str) -> tuple[str, str]:
    """Pinyin syllables with their tone numbers (letters and digits as they are), the surname
    read as a surname, then the name itself to keep homophones (何/贺) in a stable order."""
    return (" ".join(s.lower() for s in name_syllables(name)), name or "")


def by_pinyin(items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    return sorted(items, key=lambda item: pinyin_key(name(item)))


#: The most of a name's key kept (``name_key``): a keyset cursor holds it (``portal.paging``
#: refuses one of more than 200 characters); names alike that far are ordered by code.
NAME_KEY_MOST = 120


def name_key(name: str) -> str:
    """A name's pinyin with tone numbers as one text (``北苑小学`` → ``bei3yuan4xiao3xue2``): what
    a table of schools is ordered by in the database (``School.name_key``), so that a thousand
    of them page in the order a Chinese reader expects; the tone digits end each syllable. Only
    ``a-z`` and ``0-9`` are kept (every database collation orders those alike, and a cursor
    holds them as they are), at most :data:`NAME_KEY_MOST`; never empty (``0``: a name with
    neither)."""
    kept = re.sub(r"[^a-z0-9]", "", "".join(s.lower() for s in name_syllables(name)))
    return kept[:NAME_KEY_MOST] or "0"
